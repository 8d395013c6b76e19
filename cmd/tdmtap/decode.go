package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/tdmtap/tdmtap/ss7/isup"
	"github.com/tdmtap/tdmtap/ss7/trace"
)

func init() {
	var (
		variant string
		opt     trace.Options
	)
	cmd := &cobra.Command{
		Use:   "decode FILE",
		Short: "Print the SS7 messages (ISUP, SCCP) of a pcap/pcapng capture of M3UA over SCTP or TCP",
		Long: `decode reads a pcap or pcapng capture (Ethernet, raw IP, Linux cooked SLL/SLL2)
holding M3UA over SCTP (DATA chunks with PPID 3 or the M3UA port) or over TCP
(the M3UA port, 2905 unless --port is given) and prints one line per SS7
message, or one JSON object per line with --json. Frames that cannot be
decoded print an error line with their frame number; decoding goes on.
The output contains telephone numbers: handle it as intercept-related data.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := isup.ParseVariant(variant)
			if err != nil {
				return err
			}
			opt.Variant = v
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			sum, err := trace.Decode(f, cmd.OutOrStdout(), opt)
			fmt.Fprintf(cmd.ErrOrStderr(), "%d frames, %d SS7 messages, %d errors, %d other M3UA messages\n",
				sum.Frames, sum.Messages, sum.Errors, sum.Skipped)
			return err
		},
	}
	cmd.Flags().StringVar(&variant, "variant", "itu", "ISUP variant: itu or ansi")
	cmd.Flags().BoolVar(&opt.Draft, "m3ua-draft", false, "M3UA DATA in the pre-RFC draft-6 form (raw MTP3 MSU)")
	cmd.Flags().Uint16Var(&opt.Port, "port", trace.DefaultPort, "M3UA port (SCTP and TCP)")
	cmd.Flags().BoolVar(&opt.JSON, "json", false, "one JSON object per line")
	root.AddCommand(cmd)
}
