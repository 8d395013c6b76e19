package pw

import (
	"fmt"
	"net"
)

// Default SAToP payload sizes (1 ms).
const (
	SAToPE1Payload = 256
	SAToPT1Payload = 192
)

// SAToPConfig configures a SAToP receiver.
type SAToPConfig struct {
	PayloadBytes int     // payload per packet (0: 256, the E1 default)
	RTP          RTPMode // RTP header before the control word
	Depth        int     // jitter buffer depth in packets (0: 4)
	MaxFill      int     // largest gap filled with AIS, in packets (0: 1000)
}

// SAToPReceiver turns SAToP packets into the span's serial bitstream
// (in sequence order, losses and L-bit packets as all ones), delivered to a
// bitstream sink such as an e1/t1 deframer.
type SAToPReceiver struct {
	cfg   SAToPConfig
	jb    *Jitter
	pkt   Packet
	Stats Stats
}

// NewSAToPReceiver returns a receiver writing the bitstream to sink.
// sink's argument is valid only during the call.
func NewSAToPReceiver(cfg SAToPConfig, sink func(p []byte)) *SAToPReceiver {
	if cfg.PayloadBytes <= 0 {
		cfg.PayloadBytes = SAToPE1Payload
	}
	r := &SAToPReceiver{cfg: cfg}
	r.jb = NewJitter(JitterConfig{Depth: cfg.Depth, MaxSize: cfg.PayloadBytes, MaxFill: cfg.MaxFill}, &r.Stats,
		func(_ uint64, _ CW, payload []byte, _ bool) { sink(payload) })
	return r
}

// HandlePacket processes one UDP payload. b is not retained.
func (r *SAToPReceiver) HandlePacket(b []byte) {
	if err := Parse(b, r.cfg.RTP, &r.pkt); err != nil {
		r.Stats.Malformed.Add(1)
		return
	}
	p := &r.pkt
	if !p.CW.L && len(p.Payload) != r.cfg.PayloadBytes {
		r.Stats.Malformed.Add(1)
		return
	}
	r.jb.Push(p.CW, p.Payload)
}

// Flush plays out whatever the jitter buffer holds (end of a recording).
func (r *SAToPReceiver) Flush() { r.jb.Flush() }

// SAToPPacketizer cuts a bitstream into SAToP packets.
type SAToPPacketizer struct {
	Header
	PayloadBytes int
	Seq          uint16 // sequence number of the next packet
	TS           uint32 // RTP timestamp of the next packet (8 kHz units)
	FrameBits    int    // bits per TDM frame for the RTP timestamp (0: 256, E1; T1 is 193)
	L, R         bool   // flags put in the next packets
	OmitOnL      bool   // leave the payload out of packets with L set
	tsBits       int    // bits sent beyond the last whole frame counted in TS
	acc          []byte
	out          []byte
}

// NewSAToPPacketizer returns a packetizer with payloadBytes per packet (0: 256).
func NewSAToPPacketizer(h Header, payloadBytes int) *SAToPPacketizer {
	if payloadBytes <= 0 {
		payloadBytes = SAToPE1Payload
	}
	return &SAToPPacketizer{Header: h, PayloadBytes: payloadBytes,
		acc: make([]byte, 0, payloadBytes), out: make([]byte, 0, RTPLen+CWLen+payloadBytes)}
}

// AppendPacket appends one SAToP packet carrying payload to dst and advances
// the sequence number.
func (p *SAToPPacketizer) AppendPacket(dst, payload []byte) []byte {
	cw := CW{L: p.L, R: p.R, Seq: p.Seq}
	if p.L && p.OmitOnL {
		payload = nil
	}
	dst = p.appendPacket(dst, cw, p.TS, payload)
	p.Seq++
	fb := p.FrameBits
	if fb <= 0 {
		fb = 256
	}
	// 8 kHz: the frames sent so far. A T1 packet of 192 octets is 7.96
	// frames, so the remainder carries over instead of being truncated.
	p.tsBits += p.PayloadBytes * 8
	p.TS += uint32(p.tsBits / fb)
	p.tsBits %= fb
	return dst
}

// Write accumulates bitstream bytes and calls send with each complete packet
// (valid during the call). It does not allocate.
func (p *SAToPPacketizer) Write(b []byte, send func(pkt []byte) error) error {
	for len(b) > 0 {
		n := copy(p.acc[len(p.acc):p.PayloadBytes], b)
		p.acc = p.acc[:len(p.acc)+n]
		b = b[n:]
		if len(p.acc) == p.PayloadBytes {
			p.out = p.AppendPacket(p.out[:0], p.acc)
			p.acc = p.acc[:0]
			if err := send(p.out); err != nil {
				return err
			}
		}
	}
	return nil
}

// SAToPSender sends a bitstream as SAToP packets on a connected UDP socket.
type SAToPSender struct {
	*SAToPPacketizer
	conn net.Conn
	send func([]byte) error
}

// NewSAToPSender returns a sender on conn (a connected UDP socket).
func NewSAToPSender(conn net.Conn, h Header, payloadBytes int) *SAToPSender {
	s := &SAToPSender{SAToPPacketizer: NewSAToPPacketizer(h, payloadBytes), conn: conn}
	s.send = func(pkt []byte) error {
		if _, err := s.conn.Write(pkt); err != nil {
			return fmt.Errorf("satop send: %w", err)
		}
		return nil
	}
	return s
}

// Write sends the bitstream bytes b (whole packets as they fill).
func (s *SAToPSender) Write(b []byte) (int, error) {
	if err := s.SAToPPacketizer.Write(b, s.send); err != nil {
		return 0, err
	}
	return len(b), nil
}
