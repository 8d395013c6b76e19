// Package trace decodes captured SS7-over-SIGTRAN traffic for field
// engineers: pcap or pcapng files with M3UA over SCTP or TCP, printed one
// line (or one JSON object) per SS7 message. It is the logic behind
// `tdmtap decode`. Decoded numbers are printed: this is an explicit trace
// tool, not a log.
package trace

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/tdmtap/tdmtap/ss7/isup"
	"github.com/tdmtap/tdmtap/ss7/m3ua"
	"github.com/tdmtap/tdmtap/ss7/sccp"
)

// DefaultPort is the IANA M3UA port (SCTP and TCP).
const DefaultPort = 2905

// maxM3UA bounds an M3UA message length from a TCP stream and a reassembled
// SCTP user message; a larger one means the stream is out of step (or the
// capture damaged) and its buffer is dropped.
const maxM3UA = 1 << 16

// Options select how a capture is decoded.
type Options struct {
	Variant isup.Variant // ISUP variant (and SCCP address format, MTP3 label for draft DATA)
	Draft   bool         // M3UA DATA in the pre-RFC draft-6 form (raw MSU)
	// Port is the M3UA port: SCTP DATA chunks with PPID 3 or this port,
	// and TCP segments to or from this port, are decoded. 0 means 2905.
	Port uint16
	JSON bool // one JSON object per line
}

// Summary counts what Decode saw.
type Summary struct {
	Frames   int // frames read
	Messages int // SS7 messages printed
	Errors   int // error lines printed
	Skipped  int // M3UA messages other than DATA
}

// Record is one output line.
type Record struct {
	Frame int       `json:"frame"`
	Time  time.Time `json:"time"`
	NI    uint8     `json:"ni"`
	OPC   uint32    `json:"opc"`
	DPC   uint32    `json:"dpc"`
	SLS   uint8     `json:"sls"`
	SI    uint8     `json:"si"`
	CIC   *uint16   `json:"cic"`
	Msg   string    `json:"msg"`

	Called         string `json:"called"`
	Calling        string `json:"calling"`
	OriginalCalled string `json:"original_called"`
	Redirecting    string `json:"redirecting"`
	Cause          *uint8 `json:"cause"`

	RedirectionNumber string `json:"redirection_number,omitempty"`
	Connected         string `json:"connected,omitempty"`
	Subsequent        string `json:"subsequent,omitempty"`
	Generic           string `json:"generic,omitempty"`
	Charge            string `json:"charge,omitempty"`
	Range             *uint8 `json:"range,omitempty"`

	SCCPCalled  *Address `json:"sccp_called,omitempty"`
	SCCPCalling *Address `json:"sccp_calling,omitempty"`
	SCCPClass   *uint8   `json:"sccp_class,omitempty"`
	SCCPCause   *uint8   `json:"sccp_cause,omitempty"`
	DataLen     *int     `json:"data_len,omitempty"`

	Error string `json:"error,omitempty"` // ISUP/SCCP decode error (routing label fields still set), or what a partial ISUP decode lost
}

// Address is an SCCP party address in a Record.
type Address struct {
	PC     *uint32 `json:"pc,omitempty"`
	SSN    *uint8  `json:"ssn,omitempty"`
	GTI    uint8   `json:"gti"`
	TT     *uint8  `json:"tt,omitempty"`
	NP     *uint8  `json:"np,omitempty"`
	ES     *uint8  `json:"es,omitempty"`
	NAI    *uint8  `json:"nai,omitempty"`
	Digits string  `json:"digits,omitempty"`
	Route  string  `json:"route"`
}

// errLine is an error output line for a frame.
type errLine struct {
	Frame int       `json:"frame"`
	Time  time.Time `json:"time"`
	Error string    `json:"error"`
}

type packetReader interface {
	ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
}

// Decode reads a pcap or pcapng capture from r and writes the decoded SS7
// messages to w. Bad frames give error lines and decoding goes on; the
// returned error is for an unreadable file or a failing writer.
func Decode(r io.Reader, w io.Writer, opt Options) (Summary, error) {
	d := newDecoder(w, opt)
	br := bufio.NewReaderSize(r, 1<<16)
	magic, err := br.Peek(4)
	if err != nil {
		return d.sum, fmt.Errorf("trace: reading capture header: %w", err)
	}
	var pr packetReader
	var linkOf func(ci gopacket.CaptureInfo) layers.LinkType
	switch binary.BigEndian.Uint32(magic) {
	case 0x0a0d0d0a:
		ng, err := pcapgo.NewNgReader(br, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			return d.sum, fmt.Errorf("trace: pcapng: %w", err)
		}
		pr = ng
		linkOf = func(ci gopacket.CaptureInfo) layers.LinkType {
			if i, err := ng.Interface(ci.InterfaceIndex); err == nil {
				return i.LinkType
			}
			return ng.LinkType()
		}
	case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1:
		p, err := pcapgo.NewReader(br)
		if err != nil {
			return d.sum, fmt.Errorf("trace: pcap: %w", err)
		}
		pr = p
		lt := p.LinkType()
		linkOf = func(gopacket.CaptureInfo) layers.LinkType { return lt }
	default:
		return d.sum, fmt.Errorf("trace: not a pcap or pcapng file (magic % x)", magic)
	}
	for {
		data, ci, err := pr.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// A truncated last record, or a damaged file: report and stop.
			d.sum.Frames++
			d.errorf(d.sum.Frames, ci.Timestamp, "reading frame: %v", err)
			break
		}
		d.sum.Frames++
		d.frame(d.sum.Frames, ci.Timestamp, linkOf(ci), data)
		if d.werr != nil {
			return d.sum, d.werr
		}
	}
	return d.sum, d.werr
}

type flowKey struct {
	src, dst     netip.Addr
	sport, dport uint16
	stream       uint16
}

type tcpFlow struct {
	next    uint32
	started bool
	buf     []byte
}

type decoder struct {
	w    io.Writer
	opt  Options
	sum  Summary
	werr error
	port uint16
	tcp  map[flowKey]*tcpFlow
	frag map[flowKey][]byte
	sccp sccp.Decoder
	isup isup.Message
	sm   sccp.Message
	dm   m3ua.DataMsg
}

func newDecoder(w io.Writer, opt Options) *decoder {
	p := opt.Port
	if p == 0 {
		p = DefaultPort
	}
	d := &decoder{w: w, opt: opt, port: p, tcp: map[flowKey]*tcpFlow{}, frag: map[flowKey][]byte{}}
	d.sccp.ANSI = opt.Variant == isup.ANSI
	return d
}

func (d *decoder) frame(n int, ts time.Time, lt layers.LinkType, data []byte) {
	switch lt {
	case 12, 14: // raw IP on some platforms
		lt = layers.LinkTypeRaw
	}
	pkt := gopacket.NewPacket(data, lt, gopacket.DecodeOptions{NoCopy: true})
	var src, dst netip.Addr
	if ip, ok := pkt.NetworkLayer().(*layers.IPv4); ok {
		src, _ = netip.AddrFromSlice(ip.SrcIP.To4())
		dst, _ = netip.AddrFromSlice(ip.DstIP.To4())
	} else if ip, ok := pkt.NetworkLayer().(*layers.IPv6); ok {
		src, _ = netip.AddrFromSlice(ip.SrcIP)
		dst, _ = netip.AddrFromSlice(ip.DstIP)
	}
	var sctp *layers.SCTP
	for _, l := range pkt.Layers() {
		switch x := l.(type) {
		case *layers.SCTP:
			sctp = x
		case *layers.SCTPData:
			if sctp == nil {
				continue
			}
			if x.PayloadProtocol != 3 && uint16(sctp.SrcPort) != d.port && uint16(sctp.DstPort) != d.port {
				continue
			}
			k := flowKey{src: src, dst: dst, sport: uint16(sctp.SrcPort), dport: uint16(sctp.DstPort), stream: x.StreamId}
			d.sctpChunk(n, ts, k, x)
		case *layers.TCP:
			if uint16(x.SrcPort) != d.port && uint16(x.DstPort) != d.port {
				continue
			}
			k := flowKey{src: src, dst: dst, sport: uint16(x.SrcPort), dport: uint16(x.DstPort)}
			d.tcpSegment(n, ts, k, x)
		}
	}
	if el := pkt.ErrorLayer(); el != nil {
		d.errorf(n, ts, "undecodable frame: %v", el.Error())
	}
}

func (d *decoder) sctpChunk(n int, ts time.Time, k flowKey, c *layers.SCTPData) {
	switch {
	case c.BeginFragment && c.EndFragment:
		d.m3ua(n, ts, c.Payload)
	case c.BeginFragment:
		d.frag[k] = append([]byte(nil), c.Payload...)
	default:
		buf, ok := d.frag[k]
		if !ok {
			d.errorf(n, ts, "SCTP fragment without its first part (stream %d)", k.stream)
			return
		}
		buf = append(buf, c.Payload...)
		if len(buf) > maxM3UA {
			delete(d.frag, k)
			d.errorf(n, ts, "SCTP message of more than %d bytes (stream %d); fragments dropped", maxM3UA, k.stream)
			return
		}
		if !c.EndFragment {
			d.frag[k] = buf
			return
		}
		delete(d.frag, k)
		d.m3ua(n, ts, buf)
	}
}

func (d *decoder) tcpSegment(n int, ts time.Time, k flowKey, t *layers.TCP) {
	f := d.tcp[k]
	if f == nil {
		f = &tcpFlow{}
		d.tcp[k] = f
	}
	seq := t.Seq
	if t.SYN {
		f.started, f.next, f.buf = true, seq+1, f.buf[:0]
		return
	}
	p := t.Payload
	if !f.started {
		f.started, f.next = true, seq
	}
	if len(p) > 0 {
		diff := int32(seq - f.next)
		switch {
		case diff > 0:
			d.errorf(n, ts, "TCP gap of %d bytes in %s:%d → %s:%d; stream buffer dropped", diff, k.src, k.sport, k.dst, k.dport)
			f.buf = f.buf[:0]
			f.next = seq
		case diff < 0:
			if int(-diff) >= len(p) {
				p = nil // retransmission of bytes already seen
			} else {
				p = p[-diff:]
			}
		}
		f.buf = append(f.buf, p...)
		f.next += uint32(len(p))
		for len(f.buf) >= 8 {
			l := binary.BigEndian.Uint32(f.buf[4:8])
			if l < 8 || l > maxM3UA {
				d.errorf(n, ts, "M3UA length %d on TCP stream %s:%d → %s:%d; stream buffer dropped", l, k.src, k.sport, k.dst, k.dport)
				f.buf = f.buf[:0]
				break
			}
			if uint32(len(f.buf)) < l {
				break
			}
			d.m3ua(n, ts, f.buf[:l])
			f.buf = f.buf[l:]
		}
		if len(f.buf) == 0 {
			f.buf = nil
		}
	}
	if t.FIN || t.RST {
		delete(d.tcp, k)
	}
}

// m3ua decodes the M3UA messages in b (one SCTP user message, or one
// framed TCP message).
func (d *decoder) m3ua(n int, ts time.Time, b []byte) {
	for len(b) > 0 {
		if len(b) < 8 {
			d.errorf(n, ts, "M3UA: %d trailing bytes", len(b))
			return
		}
		l := int(binary.BigEndian.Uint32(b[4:8]))
		if l < 8 || l > len(b) {
			d.errorf(n, ts, "M3UA: message length %d of %d bytes", l, len(b))
			return
		}
		d.m3uaMsg(n, ts, b[:l])
		b = b[l:]
	}
}

func (d *decoder) m3uaMsg(n int, ts time.Time, b []byte) {
	h, err := m3ua.ParseHeader(b)
	if err != nil {
		d.errorf(n, ts, "M3UA: %v", err)
		return
	}
	if h.Class != m3ua.ClassXFER || h.Type != m3ua.TypeDATA {
		d.sum.Skipped++
		return
	}
	form, lf := m3ua.FormRFC, m3ua.LabelITU
	if d.opt.Draft {
		form = m3ua.FormDraft6
		if d.opt.Variant == isup.ANSI {
			lf = m3ua.LabelANSI8
		}
	}
	if err := m3ua.DecodeData(b, form, lf, &d.dm); err != nil {
		d.errorf(n, ts, "M3UA DATA: %v", err)
		return
	}
	d.ss7(n, ts, &d.dm.PD)
}

func (d *decoder) ss7(n int, ts time.Time, pd *m3ua.ProtocolData) {
	rec := Record{Frame: n, Time: ts.UTC(), NI: pd.NI, OPC: pd.OPC, DPC: pd.DPC, SLS: pd.SLS, SI: pd.SI}
	switch pd.SI {
	case 5:
		m := &d.isup
		if err := m.Decode(d.opt.Variant, pd.Payload); err != nil {
			rec.Msg = "ISUP"
			if len(pd.Payload) >= 3 {
				rec.Msg = isup.MsgType(pd.Payload[2]).String()
			}
			rec.Error = err.Error()
			d.sum.Errors++
			d.write(&rec)
			return
		}
		switch {
		case m.Damaged != nil:
			rec.Error = "partially decoded: " + m.Damaged.Error()
		case m.SkippedParams > 0:
			rec.Error = "partially decoded: " + strconv.Itoa(int(m.SkippedParams)) + " optional parameters skipped"
		}
		cic := m.CIC
		rec.CIC = &cic
		rec.Msg = m.Type.String()
		rec.Called = num(&m.Called)
		rec.Calling = num(&m.Calling)
		rec.OriginalCalled = num(&m.OriginalCalled)
		rec.Redirecting = num(&m.Redirecting)
		rec.RedirectionNumber = num(&m.RedirectionNumber)
		rec.Connected = num(&m.Connected)
		rec.Subsequent = num(&m.Subsequent)
		rec.Generic = num(&m.Generic)
		rec.Charge = num(&m.Charge)
		if m.Cause.Present {
			v := m.Cause.Value
			rec.Cause = &v
		}
		if m.RangeStatus.Present {
			r := m.RangeStatus.Range
			rec.Range = &r
		}
	case 3:
		m := &d.sm
		if err := d.sccp.Decode(pd.Payload, m); err != nil {
			rec.Msg = "SCCP"
			rec.Error = err.Error()
			d.sum.Errors++
			d.write(&rec)
			return
		}
		rec.Msg = m.Type.String()
		rec.SCCPCalled = addr(&m.Called)
		rec.SCCPCalling = addr(&m.Calling)
		if m.HasClass {
			c := m.Class
			rec.SCCPClass = &c
		}
		if m.HasCause {
			c := m.Cause
			rec.SCCPCause = &c
		}
		if m.Data != nil {
			l := len(m.Data)
			rec.DataLen = &l
		}
	default:
		rec.Msg = "SI" + strconv.Itoa(int(pd.SI))
		l := len(pd.Payload)
		rec.DataLen = &l
	}
	d.sum.Messages++
	d.write(&rec)
}

func num(n *isup.Number) string {
	if !n.Present {
		return ""
	}
	return n.String()
}

func addr(a *sccp.Address) *Address {
	if !a.Present {
		return nil
	}
	r := &Address{GTI: a.GTI, Digits: string(a.Digits()), Route: "gt"}
	if a.RouteOnSSN {
		r.Route = "ssn"
	}
	if a.HasPC {
		pc := a.PC
		r.PC = &pc
	}
	if a.HasSSN {
		s := a.SSN
		r.SSN = &s
	}
	if a.HasTT {
		v := a.TT
		r.TT = &v
	}
	if a.HasNP {
		np, es := a.NP, a.ES
		r.NP, r.ES = &np, &es
	}
	if a.HasNAI {
		v := a.NAI
		r.NAI = &v
	}
	return r
}

func (d *decoder) errorf(n int, ts time.Time, format string, a ...any) {
	d.sum.Errors++
	msg := fmt.Sprintf(format, a...)
	if d.opt.JSON {
		d.writeJSON(errLine{Frame: n, Time: ts.UTC(), Error: msg})
		return
	}
	d.writeString(fmt.Sprintf("frame %d: error: %s\n", n, msg))
}

func (d *decoder) write(r *Record) {
	if d.opt.JSON {
		d.writeJSON(r)
		return
	}
	d.writeString(r.Text() + "\n")
}

func (d *decoder) writeJSON(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		d.werr = err
		return
	}
	d.writeString(string(b) + "\n")
}

func (d *decoder) writeString(s string) {
	if d.werr != nil {
		return
	}
	if _, err := io.WriteString(d.w, s); err != nil {
		d.werr = fmt.Errorf("trace: write: %w", err)
	}
}

// Text renders the record as one human-readable line.
func (r *Record) Text() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "frame %d %s ni=%d opc=%d dpc=%d sls=%d si=%d", r.Frame, r.Time.Format("2006-01-02T15:04:05.000000Z07:00"), r.NI, r.OPC, r.DPC, r.SLS, r.SI)
	if r.CIC != nil {
		fmt.Fprintf(&sb, " cic=%d", *r.CIC)
	}
	sb.WriteString(" " + r.Msg)
	kv := func(k, v string) {
		if v != "" {
			sb.WriteString(" " + k + "=" + v)
		}
	}
	kv("called", r.Called)
	kv("subsequent", r.Subsequent)
	kv("calling", r.Calling)
	kv("original_called", r.OriginalCalled)
	kv("redirecting", r.Redirecting)
	kv("redirection", r.RedirectionNumber)
	kv("connected", r.Connected)
	kv("generic", r.Generic)
	kv("charge", r.Charge)
	if r.Cause != nil {
		fmt.Fprintf(&sb, " cause=%d", *r.Cause)
	}
	if r.Range != nil {
		fmt.Fprintf(&sb, " range=%d", *r.Range)
	}
	if r.SCCPClass != nil {
		fmt.Fprintf(&sb, " class=%d", *r.SCCPClass)
	}
	if r.SCCPCause != nil {
		fmt.Fprintf(&sb, " sccp_cause=%d", *r.SCCPCause)
	}
	if r.SCCPCalled != nil {
		sb.WriteString(" cdpa=[" + r.SCCPCalled.text() + "]")
	}
	if r.SCCPCalling != nil {
		sb.WriteString(" cgpa=[" + r.SCCPCalling.text() + "]")
	}
	if r.DataLen != nil {
		fmt.Fprintf(&sb, " data=%dB", *r.DataLen)
	}
	if r.Error != "" {
		sb.WriteString(" error: " + r.Error)
	}
	return sb.String()
}

func (a *Address) text() string {
	var p []string
	if a.PC != nil {
		p = append(p, "pc="+strconv.FormatUint(uint64(*a.PC), 10))
	}
	if a.SSN != nil {
		p = append(p, "ssn="+strconv.Itoa(int(*a.SSN)))
	}
	if a.GTI != 0 {
		g := "gt=" + a.Digits + "(gti=" + strconv.Itoa(int(a.GTI))
		if a.TT != nil {
			g += " tt=" + strconv.Itoa(int(*a.TT))
		}
		if a.NP != nil {
			g += " np=" + strconv.Itoa(int(*a.NP)) + " es=" + strconv.Itoa(int(*a.ES))
		}
		if a.NAI != nil {
			g += " nai=" + strconv.Itoa(int(*a.NAI))
		}
		p = append(p, g+")")
	}
	p = append(p, "route="+a.Route)
	return strings.Join(p, " ")
}
