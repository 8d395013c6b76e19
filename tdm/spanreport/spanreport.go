// Package spanreport is the field engineer's span tool: it reads a raw span
// recording or a pcap/pcapng of SAToP/CESoPSN packets, runs it through the
// pseudowire receiver and the e1/t1 deframer, and reports what a test set
// would: frames, alignment, CRC and E-bit errors, alarms, slips and lost
// packets. It can also extract one timeslot's octets.
package spanreport

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/tdmtap/tdmtap/e1"
	"github.com/tdmtap/tdmtap/tdm"
	"github.com/tdmtap/tdmtap/tdm/pw"
)

// Framings.
const (
	FramingE1     = "e1"
	FramingE1CRC4 = "e1-crc4"
	FramingT1SF   = "t1-sf"
	FramingT1ESF  = "t1-esf"
)

// Options selects what to read and how.
type Options struct {
	Framing string // e1, e1-crc4, t1-sf, t1-esf
	CAS     bool   // E1 TS16 CAS multiframe; CESoPSN: packets carry the CAS substructure
	Format  string // raw, pcap or auto (default: by the file's magic number)
	// Pseudowire (pcap input).
	PW           string     // satop (default) or cesopsn
	Port         int        // UDP port (either end); 0: the first flow that parses
	RTP          pw.RTPMode // RTP header before the control word
	PayloadBytes int        // SAToP payload size; 0: learnt from the first packet
	Slots        []int      // CESoPSN carried timeslots; nil: all bearer timeslots
	FramesPerPkt int        // CESoPSN frames per packet; 0: learnt from the first packet
	Depth        int        // jitter buffer depth in packets (0: 8)
	// Timeslot extraction: when Out is set, the octets of Timeslot (E1: TS
	// 0..31; T1: channel 1..24) from the first
	// aligned frame on; frames not delivered (alignment lost) are written as
	// 0xFF so the file stays on the TDM clock.
	Timeslot int
	Out      io.Writer
}

// Position is a place in the span: frame number and bit offset in the input.
type Position struct {
	Frame  uint64  `json:"frame"`
	Bit    uint64  `json:"bit"`
	TimeMS float64 `json:"time_ms"` // frame × 125 µs
}

// Report is the test-set summary. The JSON names are stable.
type Report struct {
	Input   string `json:"input"` // raw, pcap or pcapng
	Framing string `json:"framing"`
	PW      string `json:"pw,omitempty"`

	Frames              uint64            `json:"frames"`
	FrameAlignedAt      *Position         `json:"frame_aligned_at"`
	MultiframeAlignedAt *Position         `json:"multiframe_aligned_at"`
	InFrame             bool              `json:"in_frame"`
	AlignmentLosses     uint64            `json:"alignment_losses"`
	FramingErrors       uint64            `json:"framing_errors"`
	CRCBlocks           uint64            `json:"crc_blocks"`
	CRCErrors           uint64            `json:"crc_errors"`
	EBitErrors          uint64            `json:"ebit_errors"`
	CRC4Fallback        bool              `json:"crc4_fallback,omitempty"`
	Alarms              []string          `json:"alarms"`     // every alarm seen
	AlarmsNow           []string          `json:"alarms_now"` // alarms at the end of the input
	AlarmEvents         map[string]uint64 `json:"alarm_events"`
	Slips               uint64            `json:"slips"`
	SlipBits            int64             `json:"slip_bits"`

	InputBytes uint64 `json:"input_bytes"`

	Packets        uint64 `json:"packets,omitempty"`
	LostPackets    uint64 `json:"lost_packets"`
	LatePackets    uint64 `json:"late_packets,omitempty"`
	DupPackets     uint64 `json:"duplicate_packets,omitempty"`
	Reordered      uint64 `json:"reordered_packets,omitempty"`
	Malformed      uint64 `json:"malformed_packets,omitempty"`
	LBitPackets    uint64 `json:"lbit_packets,omitempty"`
	RBitPackets    uint64 `json:"rbit_packets,omitempty"`
	MRDIPackets    uint64 `json:"rdi_packets,omitempty"`
	UDPPort        int    `json:"udp_port,omitempty"`
	PayloadBytes   int    `json:"payload_bytes,omitempty"`
	OtherPackets   uint64 `json:"other_packets,omitempty"` // not UDP or another flow
	TimeslotOctets uint64 `json:"timeslot_octets,omitempty"`
}

// tsWriter writes one timeslot's octets, filling undelivered frames.
type tsWriter struct {
	ts    int
	w     *bufio.Writer
	next  uint64
	begun bool
	n     uint64
	err   error
}

func (t *tsWriter) frame(frame uint64, slots []byte) {
	if t == nil || t.err != nil || t.ts >= len(slots) {
		return
	}
	if t.begun {
		for ; t.next < frame; t.next++ {
			t.put(0xFF)
		}
	}
	t.begun = true
	t.put(slots[t.ts])
	t.next = frame + 1
}

func (t *tsWriter) put(b byte) {
	if err := t.w.WriteByte(b); err != nil && t.err == nil {
		t.err = err
	}
	t.n++
}

func width(framing string) int {
	if strings.HasPrefix(framing, "t1") {
		return tdm.T1Width
	}
	return tdm.E1Width
}

func newDeframer(o *Options, h e1.FrameHandler) (e1.Deframer, error) {
	switch o.Framing {
	case FramingE1, FramingE1CRC4:
		if o.CAS {
			return e1.NewDeframer(o.Framing+"-cas", h)
		}
	case FramingT1SF, FramingT1ESF:
	default:
		return nil, fmt.Errorf("framing %q: want e1, e1-crc4, t1-sf or t1-esf", o.Framing)
	}
	return e1.NewDeframer(o.Framing, h)
}

// Run reads the whole input and returns the report.
func Run(ctx context.Context, in io.Reader, o Options) (*Report, error) {
	if o.Framing == "" {
		o.Framing = FramingE1
	}
	br := bufio.NewReaderSize(in, 1<<16)
	format := o.Format
	if format == "" || format == "auto" {
		format = "raw"
		if magic, err := br.Peek(4); err == nil {
			switch binary.LittleEndian.Uint32(magic) {
			case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1:
				format = "pcap"
			case 0x0a0d0d0a:
				format = "pcapng"
			}
		}
	}
	var tw *tsWriter
	if o.Out != nil {
		idx, ok := tdm.SlotIndex(width(o.Framing), o.Timeslot)
		if !ok {
			return nil, fmt.Errorf("timeslot %d does not exist in %s (E1: 0-31, T1: 1-24)", o.Timeslot, o.Framing)
		}
		tw = &tsWriter{ts: idx, w: bufio.NewWriterSize(o.Out, 1<<16)}
	}
	rep := &Report{Framing: o.Framing}
	var err error
	switch format {
	case "raw":
		rep.Input = "raw"
		err = runRaw(ctx, br, &o, rep, tw)
	case "pcap", "pcapng":
		rep.Input = format
		err = runPcap(ctx, br, format, &o, rep, tw)
	default:
		err = fmt.Errorf("input format %q: want raw, pcap or auto", format)
	}
	if err != nil {
		return nil, err
	}
	if tw != nil {
		if ferr := tw.w.Flush(); ferr != nil && tw.err == nil {
			tw.err = ferr
		}
		if tw.err != nil {
			return nil, fmt.Errorf("timeslot output: %w", tw.err)
		}
		rep.TimeslotOctets = tw.n
	}
	return rep, nil
}

func runRaw(ctx context.Context, r io.Reader, o *Options, rep *Report, tw *tsWriter) error {
	d, err := newDeframer(o, tw.frame)
	if err != nil {
		return err
	}
	rr := tdm.NewRawReader(r, func(p []byte) { _, _ = d.Write(p) }, 1<<16)
	if err := rr.Run(ctx); err != nil {
		return err
	}
	rep.InputBytes = rr.Bytes
	fillDeframer(rep, d.Stats())
	return nil
}

func pos(p e1.Position) *Position {
	if !p.Valid {
		return nil
	}
	return &Position{Frame: p.Frame, Bit: p.Bit, TimeMS: float64(p.Frame) / 8}
}

func fillDeframer(rep *Report, st e1.Stats) {
	rep.Frames = st.Frames
	rep.FrameAlignedAt = pos(st.FrameAlignedAt)
	rep.MultiframeAlignedAt = pos(st.MultiframeAlignedAt)
	rep.InFrame = st.InFrame
	rep.AlignmentLosses = st.AlignmentLosses
	rep.FramingErrors = st.FramingErrors
	rep.CRCBlocks = st.CRCBlocks
	rep.CRCErrors = st.CRCErrors
	rep.EBitErrors = st.EBitErrors
	rep.CRC4Fallback = st.CRC4Fallback
	rep.Alarms = st.AlarmsSeen.Names()
	rep.AlarmsNow = st.Alarms.Names()
	rep.AlarmEvents = map[string]uint64{}
	for i, n := range st.AlarmEvents {
		if n > 0 {
			rep.AlarmEvents[e1.Alarm(1<<i).String()] = n
		}
	}
	rep.Slips = st.Slips
	rep.SlipBits = st.SlipBits
}

// packetSource yields UDP payloads from a pcap or pcapng file.
type packetSource interface {
	ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
}

func runPcap(ctx context.Context, r io.Reader, format string, o *Options, rep *Report, tw *tsWriter) error {
	var src packetSource
	var lt layers.LinkType
	if format == "pcapng" {
		ng, err := pcapgo.NewNgReader(r, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			return fmt.Errorf("pcapng: %w", err)
		}
		src, lt = ng, ng.LinkType()
	} else {
		pr, err := pcapgo.NewReader(r)
		if err != nil {
			return fmt.Errorf("pcap: %w", err)
		}
		src, lt = pr, pr.LinkType()
	}
	kind := o.PW
	if kind == "" {
		kind = "satop"
	}
	if kind != "satop" && kind != "cesopsn" {
		return fmt.Errorf("pseudowire %q: want satop or cesopsn", kind)
	}
	rep.PW = kind
	depth := o.Depth
	if depth <= 0 {
		depth = 8
	}

	var d e1.Deframer
	var sat *pw.SAToPReceiver
	var ces *pw.CESoPSNReceiver
	var stats *pw.Stats
	var cesFrames uint64
	var firstCES *Position
	var parsed pw.Packet
	port := o.Port
	setup := func(pk *pw.Packet) error {
		payload := pk.Payload
		switch kind {
		case "satop":
			n := o.PayloadBytes
			if n <= 0 {
				n = len(payload)
			}
			if n <= 0 {
				return nil // L packet without payload: wait for one with payload
			}
			var err error
			if d, err = newDeframer(o, tw.frame); err != nil {
				return err
			}
			sat = pw.NewSAToPReceiver(pw.SAToPConfig{PayloadBytes: n, RTP: o.RTP, Depth: depth},
				func(p []byte) { rep.InputBytes += uint64(len(p)); _, _ = d.Write(p) })
			stats = &sat.Stats
			rep.PayloadBytes = n
		case "cesopsn":
			cfg := pw.CESoPSNConfig{Width: width(o.Framing), Slots: o.Slots, FramesPerPacket: o.FramesPerPkt, CAS: o.CAS, RTP: o.RTP, Depth: depth}
			if cfg.FramesPerPacket <= 0 {
				if len(payload) == 0 {
					return nil // L packet without payload: wait for one with payload
				}
				norm, err := cfg.Normalized()
				if err != nil {
					return err
				}
				ns, data := len(norm.Slots), len(payload)
				if cfg.CAS && (pk.CW.FRG == pw.FragNone || pk.CW.FRG == pw.FragLast) {
					data -= norm.CASLen() // the signalling substructure after the frames
				}
				if data <= 0 || data%ns != 0 {
					return fmt.Errorf("cesopsn payload of %d octets is not whole frames of %d timeslots (set the frames per packet)", len(payload), ns)
				}
				cfg.FramesPerPacket = data / ns
			}
			var err error
			ces, err = pw.NewCESoPSNReceiver("span", cfg, tdm.FrameSinkFunc(func(_ string, first uint64, n int, slots []byte, w int) {
				if firstCES == nil {
					firstCES = &Position{Frame: first}
				}
				for f := range n {
					tw.frame(first+uint64(f), slots[f*w:(f+1)*w])
				}
				cesFrames += uint64(n)
				rep.InputBytes += uint64(n * w)
			}))
			if err != nil {
				return err
			}
			stats = &ces.Stats
			rep.PayloadBytes = len(payload)
		}
		return nil
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		data, _, err := src.ReadPacketData()
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", format, err)
		}
		sp, dp, payload, ok := udpPayload(data, lt)
		if !ok {
			rep.OtherPackets++
			continue
		}
		if port == 0 {
			if pw.Parse(payload, o.RTP, &parsed) != nil {
				rep.OtherPackets++
				continue
			}
			port = dp
		}
		if dp != port && sp != port {
			rep.OtherPackets++
			continue
		}
		if sat == nil && ces == nil {
			if err := pw.Parse(payload, o.RTP, &parsed); err != nil {
				rep.OtherPackets++
				continue
			}
			if err := setup(&parsed); err != nil {
				return err
			}
			if sat == nil && ces == nil {
				continue
			}
		}
		if sat != nil {
			sat.HandlePacket(payload)
		} else {
			ces.HandlePacket(payload)
		}
	}
	rep.UDPPort = port
	if sat != nil {
		sat.Flush()
		fillDeframer(rep, d.Stats())
	} else if ces != nil {
		ces.Flush()
		rep.Frames = cesFrames
		rep.FrameAlignedAt = firstCES
		rep.Alarms, rep.AlarmsNow = []string{}, []string{}
		rep.InFrame = cesFrames > 0
	} else {
		rep.Alarms, rep.AlarmsNow = []string{}, []string{}
	}
	if stats != nil {
		rep.Packets = stats.Packets.Load()
		rep.LostPackets = stats.Lost.Load()
		rep.LatePackets = stats.Late.Load()
		rep.DupPackets = stats.Duplicates.Load()
		rep.Reordered = stats.Reordered.Load()
		rep.Malformed = stats.Malformed.Load()
		rep.LBitPackets = stats.LBit.Load()
		rep.RBitPackets = stats.RBit.Load()
		rep.MRDIPackets = stats.MRDI.Load()
	}
	return nil
}

// udpPayload extracts the UDP ports and payload of an Ethernet (optionally
// VLAN-tagged), Linux cooked, or raw IP frame carrying IPv4 or IPv6.
func udpPayload(data []byte, lt layers.LinkType) (sport, dport int, payload []byte, ok bool) {
	var first gopacket.Decoder
	switch lt {
	case layers.LinkTypeEthernet:
		first = layers.LayerTypeEthernet
	case layers.LinkTypeLinuxSLL:
		first = layers.LayerTypeLinuxSLL
	case layers.LinkTypeRaw, layers.LinkTypeIPv4:
		if len(data) > 0 && data[0]>>4 == 6 {
			first = layers.LayerTypeIPv6
		} else {
			first = layers.LayerTypeIPv4
		}
	case layers.LinkTypeIPv6:
		first = layers.LayerTypeIPv6
	default:
		first = lt
	}
	pkt := gopacket.NewPacket(data, first, gopacket.DecodeOptions{Lazy: true, NoCopy: true})
	u, _ := pkt.Layer(layers.LayerTypeUDP).(*layers.UDP)
	if u == nil {
		return 0, 0, nil, false
	}
	return int(u.SrcPort), int(u.DstPort), u.Payload, true
}

// WriteText writes the report for a person.
func (r *Report) WriteText(w io.Writer) error {
	var b bytes.Buffer
	p := func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }
	at := func(x *Position) string {
		if x == nil {
			return "never"
		}
		return fmt.Sprintf("frame %d (bit %d, %.3f ms)", x.Frame, x.Bit, x.TimeMS)
	}
	p("input               %s, %d bytes", r.Input, r.InputBytes)
	if r.PW != "" {
		p(" (%s on UDP port %d, %d-octet payloads)", r.PW, r.UDPPort, r.PayloadBytes)
	}
	p("\nframing             %s\n", r.Framing)
	p("frames              %d\n", r.Frames)
	p("frame alignment     %s\n", at(r.FrameAlignedAt))
	if r.Framing == FramingE1CRC4 {
		p("CRC-4 multiframe    %s\n", at(r.MultiframeAlignedAt))
	}
	p("in frame at end     %v\n", r.InFrame)
	p("alignment losses    %d\n", r.AlignmentLosses)
	p("framing errors      %d\n", r.FramingErrors)
	crc := "CRC-4"
	if strings.HasPrefix(r.Framing, "t1") {
		crc = "CRC-6"
	}
	p("%-19s %d of %d blocks\n", crc+" errors", r.CRCErrors, r.CRCBlocks)
	if r.Framing == FramingE1CRC4 {
		p("E-bit errors        %d\n", r.EBitErrors)
	}
	if r.CRC4Fallback {
		p("CRC-4 fallback      yes (no multiframe in 400 ms; G.706 Annex B)\n")
	}
	alarms := "none"
	if len(r.Alarms) > 0 {
		var parts []string
		for _, a := range r.Alarms {
			parts = append(parts, fmt.Sprintf("%s×%d", a, r.AlarmEvents[a]))
		}
		alarms = strings.Join(parts, " ")
	}
	p("alarms seen         %s\n", alarms)
	if len(r.AlarmsNow) > 0 {
		p("alarms at end       %s\n", strings.Join(r.AlarmsNow, " "))
	}
	p("slips               %d (%+d bits)\n", r.Slips, r.SlipBits)
	if r.PW != "" {
		p("packets             %d received, %d lost, %d late, %d duplicate, %d reordered, %d malformed\n",
			r.Packets, r.LostPackets, r.LatePackets, r.DupPackets, r.Reordered, r.Malformed)
		p("pw flags            L=%d R=%d RDI=%d\n", r.LBitPackets, r.RBitPackets, r.MRDIPackets)
	}
	if r.TimeslotOctets > 0 {
		p("timeslot octets     %d written\n", r.TimeslotOctets)
	}
	_, err := w.Write(b.Bytes())
	return err
}
