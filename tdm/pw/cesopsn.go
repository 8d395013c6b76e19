package pw

import (
	"errors"
	"fmt"
	"net"

	"github.com/tdmtap/tdmtap/tdm"
)

// CESoPSNConfig describes a CESoPSN pseudowire (RFC 5086): Slots are the
// span timeslots carried, in payload order; each packet holds
// FramesPerPacket frames of len(Slots) octets, and with CAS the signalling
// substructure (one abcd nibble per slot, padded to whole octets) after the
// frames of the packet that ends a multiframe.
type CESoPSNConfig struct {
	Width            int   // width of the span frames delivered/taken (32 E1, 24 T1; 0: 32)
	Slots            []int // carried timeslot numbers (E1 0..31, T1 1..24, see tdm.SlotIndex); nil: E1 1..31, T1 1..24
	FramesPerPacket  int   // m (0: 8, 1 ms)
	CAS              bool  // trunk-specific N×DS0 with CAS
	MultiframeFrames int   // frames per signalling multiframe with CAS (0: 16 for E1, 24 for T1)
	RTP              RTPMode
	Depth            int // jitter buffer depth in packets (0: 4)
	MaxFill          int // largest gap filled with AIS, in packets (0: 1000)

	idx []int // octet index of each slot
	// run is idx[0] when the slots sit at consecutive octets of the frame
	// (the usual N×64k bundle), so a frame's octets move with one copy;
	// otherwise -1.
	run int
}

func (c *CESoPSNConfig) normalize() error {
	if c.Width <= 0 {
		c.Width = tdm.E1Width
	}
	if len(c.Slots) == 0 {
		for ts := 1; ts < c.Width; ts++ {
			c.Slots = append(c.Slots, ts)
		}
		if c.Width == tdm.T1Width {
			c.Slots = append(c.Slots, tdm.T1Width)
		}
	}
	c.idx = make([]int, len(c.Slots))
	for i, s := range c.Slots {
		idx, ok := tdm.SlotIndex(c.Width, s)
		if !ok {
			return fmt.Errorf("cesopsn: no timeslot %d in a %d-octet frame", s, c.Width)
		}
		c.idx[i] = idx
	}
	c.run = -1
	if len(c.idx) > 0 {
		c.run = c.idx[0]
		for i, idx := range c.idx {
			if idx != c.idx[0]+i {
				c.run = -1
				break
			}
		}
	}
	if c.FramesPerPacket <= 0 {
		c.FramesPerPacket = 8
	}
	if c.CAS {
		if c.MultiframeFrames <= 0 {
			c.MultiframeFrames = 16
			if c.Width != tdm.E1Width {
				c.MultiframeFrames = 24
			}
		}
		if c.MultiframeFrames%c.FramesPerPacket != 0 {
			return fmt.Errorf("cesopsn with CAS: %d frames per packet do not divide the %d-frame multiframe", c.FramesPerPacket, c.MultiframeFrames)
		}
	}
	return nil
}

// Normalized returns c with its defaults filled in (Width, Slots,
// FramesPerPacket, MultiframeFrames), or an error when c is inconsistent;
// for callers that size things from the defaults before building a
// receiver or packetizer (which normalise again, to the same result).
func (c CESoPSNConfig) Normalized() (CESoPSNConfig, error) {
	err := c.normalize()
	return c, err
}

// DataLen is the size of the frames part of a payload; CASLen the size of
// the signalling substructure.
func (c *CESoPSNConfig) DataLen() int { return c.FramesPerPacket * len(c.Slots) }

// CASLen is the size of the CAS signalling substructure (0 without CAS).
func (c *CESoPSNConfig) CASLen() int {
	if !c.CAS {
		return 0
	}
	return (len(c.Slots) + 1) / 2
}

// ErrSignalling marks CESoPSN signalling packets (M=11), which are skipped.
var ErrSignalling = errors.New("cesopsn: signalling packet")

// CESoPSNReceiver turns CESoPSN packets into span frames delivered directly
// to a FrameSink (no deframer needed): slots not carried read as all ones.
// The frame count starts at 0 with the first packet played and advances by
// FramesPerPacket per packet, lost ones included.
type CESoPSNReceiver struct {
	cfg   CESoPSNConfig
	span  string
	sink  tdm.FrameSink
	jb    *Jitter
	pkt   Packet
	frame uint64
	out   []byte
	// OnCAS, when set, is called with each signalling substructure:
	// abcd[i] is the 4 bits of timeslot Slots[i]; valid during the call.
	// frame is the number of the last frame of the packet that carried it.
	OnCAS func(frame uint64, abcd []byte)
	casv  []byte
	Stats Stats
}

// NewCESoPSNReceiver returns a receiver for span delivering frames to sink.
func NewCESoPSNReceiver(span string, cfg CESoPSNConfig, sink tdm.FrameSink) (*CESoPSNReceiver, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	r := &CESoPSNReceiver{cfg: cfg, span: span, sink: sink,
		out: make([]byte, cfg.FramesPerPacket*cfg.Width), casv: make([]byte, len(cfg.Slots))}
	r.jb = NewJitter(JitterConfig{Depth: cfg.Depth, MaxSize: cfg.DataLen() + cfg.CASLen(),
		FillSize: cfg.DataLen(), MaxFill: cfg.MaxFill}, &r.Stats, r.play)
	return r, nil
}

// Config returns the normalised configuration.
func (r *CESoPSNReceiver) Config() CESoPSNConfig { return r.cfg }

// HandlePacket processes one UDP payload. b is not retained.
func (r *CESoPSNReceiver) HandlePacket(b []byte) {
	if err := Parse(b, r.cfg.RTP, &r.pkt); err != nil {
		r.Stats.Malformed.Add(1)
		return
	}
	p := &r.pkt
	if p.CW.M == MSig && !p.CW.L {
		return // CE signalling packet: not bearer
	}
	if !p.CW.L || len(p.Payload) != 0 {
		n := len(p.Payload)
		ok := n == r.cfg.DataLen()
		if r.cfg.CAS && (p.CW.FRG == FragNone || p.CW.FRG == FragLast) {
			ok = n == r.cfg.DataLen()+r.cfg.CASLen()
		}
		if !ok {
			r.Stats.Malformed.Add(1)
			return
		}
	}
	if !p.CW.L && p.CW.M == MRDI {
		r.Stats.MRDI.Add(1)
	}
	r.jb.Push(p.CW, p.Payload)
}

// Flush plays out whatever the jitter buffer holds.
func (r *CESoPSNReceiver) Flush() { r.jb.Flush() }

func (r *CESoPSNReceiver) play(_ uint64, _ CW, payload []byte, _ bool) {
	cfg := &r.cfg
	n, w, m := len(cfg.Slots), cfg.Width, cfg.FramesPerPacket
	for i := range r.out {
		r.out[i] = 0xFF
	}
	for f := range m {
		row := r.out[f*w : (f+1)*w]
		src := payload[f*n : (f+1)*n]
		if cfg.run >= 0 {
			copy(row[cfg.run:cfg.run+n], src)
			continue
		}
		for i, idx := range cfg.idx {
			row[idx] = src[i]
		}
	}
	if cfg.CAS && len(payload) > cfg.DataLen() {
		sig := payload[cfg.DataLen():]
		for i := range cfg.Slots {
			v := sig[i/2]
			if i%2 == 0 {
				v >>= 4
			}
			r.casv[i] = v & 0x0F
		}
		if r.OnCAS != nil {
			r.OnCAS(r.frame+uint64(m)-1, r.casv)
		}
	}
	r.sink.Frames(r.span, r.frame, m, r.out, w)
	r.frame += uint64(m)
}

// CESoPSNPacketizer packs span frames into CESoPSN packets.
type CESoPSNPacketizer struct {
	Header
	cfg  CESoPSNConfig
	Seq  uint16 // sequence number of the next packet
	L, R bool   // flags put in the next packets
	M    uint8  // M field for the next packets (MNormal or MRDI)
	// OmitOnL leaves the payload out of packets with L set.
	OmitOnL bool
	cas     []uint8 // abcd per carried slot
	acc     []byte
	nf      int // frames accumulated
	mfPos   int // frame position within the multiframe
	ts      uint32
	out     []byte
}

// NewCESoPSNPacketizer returns a packetizer. With CAS the first frame
// written is taken as the first frame of a multiframe.
func NewCESoPSNPacketizer(h Header, cfg CESoPSNConfig) (*CESoPSNPacketizer, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	return &CESoPSNPacketizer{Header: h, cfg: cfg, cas: make([]uint8, len(cfg.Slots)),
		acc: make([]byte, 0, cfg.DataLen()+cfg.CASLen()), out: make([]byte, 0, RTPLen+CWLen+cfg.DataLen()+cfg.CASLen())}, nil
}

// Config returns the normalised configuration.
func (p *CESoPSNPacketizer) Config() CESoPSNConfig { return p.cfg }

// SetCAS sets the abcd bits sent for carried slot index i (position in Slots).
func (p *CESoPSNPacketizer) SetCAS(i int, abcd uint8) { p.cas[i] = abcd & 0x0F }

// WriteFrames takes n span frames of width octets and calls send with each
// completed packet (valid during the call). It does not allocate.
func (p *CESoPSNPacketizer) WriteFrames(n int, slots []byte, width int, send func(pkt []byte) error) error {
	cfg := &p.cfg
	for f := range n {
		row := slots[f*width : (f+1)*width]
		if cfg.run >= 0 && width == cfg.Width {
			p.acc = append(p.acc, row[cfg.run:cfg.run+len(cfg.idx)]...)
		} else {
			for _, idx := range cfg.idx {
				p.acc = append(p.acc, row[idx])
			}
		}
		p.nf++
		p.mfPos++
		if p.nf < cfg.FramesPerPacket {
			continue
		}
		frg := uint8(FragNone)
		endMF := false
		if cfg.CAS {
			endMF = p.mfPos >= cfg.MultiframeFrames
			if cfg.FramesPerPacket < cfg.MultiframeFrames {
				switch {
				case p.mfPos == cfg.FramesPerPacket:
					frg = FragFirst
				case endMF:
					frg = FragLast
				default:
					frg = FragMiddle
				}
			}
			if endMF {
				for i := 0; i < len(p.cas); i += 2 {
					v := p.cas[i] << 4
					if i+1 < len(p.cas) {
						v |= p.cas[i+1]
					}
					p.acc = append(p.acc, v)
				}
				p.mfPos = 0
			}
		}
		payload := p.acc
		if p.L && p.OmitOnL {
			payload = nil
		}
		cw := CW{L: p.L, R: p.R, M: p.M, FRG: frg, Seq: p.Seq}
		p.out = p.appendPacket(p.out[:0], cw, p.ts, payload)
		p.Seq++
		p.ts += uint32(cfg.FramesPerPacket)
		p.acc = p.acc[:0]
		p.nf = 0
		if err := send(p.out); err != nil {
			return err
		}
	}
	return nil
}

// CESoPSNSender sends span frames as CESoPSN packets on a connected UDP
// socket; it is a tdm.FrameSink.
type CESoPSNSender struct {
	*CESoPSNPacketizer
	conn net.Conn
	send func([]byte) error
	err  error
}

// NewCESoPSNSender returns a sender on conn.
func NewCESoPSNSender(conn net.Conn, h Header, cfg CESoPSNConfig) (*CESoPSNSender, error) {
	p, err := NewCESoPSNPacketizer(h, cfg)
	if err != nil {
		return nil, err
	}
	s := &CESoPSNSender{CESoPSNPacketizer: p, conn: conn}
	s.send = func(pkt []byte) error {
		if _, err := s.conn.Write(pkt); err != nil {
			return fmt.Errorf("cesopsn send: %w", err)
		}
		return nil
	}
	return s, nil
}

// Frames implements tdm.FrameSink; the first send error is kept (see Err).
func (s *CESoPSNSender) Frames(_ string, _ uint64, n int, slots []byte, width int) {
	if err := s.WriteFrames(n, slots, width, s.send); err != nil && s.err == nil {
		s.err = err
	}
}

// Err returns the first send error.
func (s *CESoPSNSender) Err() error { return s.err }
