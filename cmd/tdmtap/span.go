package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/tdmtap/tdmtap/tdm/pw"
	"github.com/tdmtap/tdmtap/tdm/spanreport"
)

func init() {
	var (
		o       spanreport.Options
		rtp     string
		slots   string
		outPath string
		asJSON  bool
	)
	cmd := &cobra.Command{
		Use:   "span FILE",
		Short: "Report on a span recording (raw bitstream or pcap/pcapng of SAToP/CESoPSN) like a test set",
		Long: `span reads a raw E1/T1 span recording (the serial bitstream as bytes, MSB first,
starting anywhere) or a pcap/pcapng of SAToP or CESoPSN over UDP, and reports frames
seen, when frame and CRC multiframe alignment were reached, alignment losses,
CRC-4/CRC-6 and E-bit errors, alarms (LOS, LOF, AIS, RAI, yellow), slips and lost
packets. --timeslot N --out F writes timeslot N's octets from the first aligned frame on.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if o.RTP, err = pw.ParseRTPMode(rtp); err != nil {
				return err
			}
			if slots != "" {
				for _, s := range strings.Split(slots, ",") {
					n, err := strconv.Atoi(strings.TrimSpace(s))
					if err != nil {
						return fmt.Errorf("--slots %q: %w", slots, err)
					}
					o.Slots = append(o.Slots, n)
				}
			}
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			if outPath != "" {
				if !cmd.Flags().Changed("timeslot") {
					return fmt.Errorf("--out needs --timeslot")
				}
				out, err := os.Create(outPath)
				if err != nil {
					return err
				}
				defer out.Close()
				o.Out = out
			}
			rep, err := spanreport.Run(cmd.Context(), f, o)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				return enc.Encode(rep)
			}
			return rep.WriteText(cmd.OutOrStdout())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Framing, "framing", "e1", "framing: e1, e1-crc4, t1-sf, t1-esf")
	fl.BoolVar(&o.CAS, "cas", false, "E1: TS16 carries CAS; pcap CESoPSN: packets carry the CAS signalling substructure")
	fl.StringVar(&o.Format, "format", "auto", "input: raw, pcap or auto (by magic number)")
	fl.StringVar(&o.PW, "pw", "satop", "pcap: pseudowire type, satop or cesopsn")
	fl.IntVar(&o.Port, "port", 0, "pcap: UDP port of the pseudowire (default: first flow that parses)")
	fl.StringVar(&rtp, "rtp", "auto", "pcap: RTP header before the control word: none, rtp or auto")
	fl.IntVar(&o.PayloadBytes, "payload", 0, "pcap SAToP: payload octets per packet (default: from the first packet)")
	fl.StringVar(&slots, "slots", "", "pcap CESoPSN: carried timeslots, comma separated (default: all bearer timeslots)")
	fl.IntVar(&o.FramesPerPkt, "frames-per-packet", 0, "pcap CESoPSN: frames per packet (default: from the first packet)")
	fl.IntVar(&o.Depth, "jitter", 8, "pcap: jitter buffer depth in packets")
	fl.IntVar(&o.Timeslot, "timeslot", 0, "timeslot to extract with --out (E1: TS 0-31; T1: channel 1-24)")
	fl.StringVar(&outPath, "out", "", "write the timeslot's octets to this file")
	fl.BoolVar(&asJSON, "json", false, "print one JSON object")
	root.AddCommand(cmd)
}
