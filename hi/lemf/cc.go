package lemf

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/fnv"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tdmtap/tdmtap/hi/hi3"
)

// Synthetic addresses of cc.pcap: the target's side is TargetIP, the other
// party OtherIP; fromTarget content flows TargetIP → OtherIP, toTarget
// content OtherIP → TargetIP. Each stream has its own UDP port (source and
// destination), so Decode As can be applied per stream.
var (
	TargetIP = net.IPv4(10, 0, 0, 1).To4()
	OtherIP  = net.IPv4(10, 0, 0, 2).To4()
)

// StreamInfo describes one content stream (LIID, CIN, direction).
type StreamInfo struct {
	Name      string `json:"name"` // <liid>-<cin>-<from|to>-target
	LIID      string `json:"liid"`
	CIN       uint32 `json:"cin"`
	Direction string `json:"direction"` // fromTarget, toTarget, ...
	Port      int    `json:"udp_port"`  // in cc.pcap
	PDUs      uint64 `json:"pdus"`
	Octets    int64  `json:"octets"` // G.711 octets (RTP payloads or raw octets)
	SHA256    string `json:"sha256"` // of the octets, in arrival order
	WAV       string `json:"wav,omitempty"`
	// FilledOctets is idle code written into the WAV for lost RTP packets.
	FilledOctets int64  `json:"filled_octets,omitempty"`
	Law          string `json:"law,omitempty"` // alaw / ulaw
}

type stream struct {
	info    StreamInfo
	sum     hash.Hash
	wav     *wavWriter
	ssrc    uint32
	rtpSeq  uint16 // synthetic RTP (pstnIsdnCC)
	lastSeq uint16 // received RTP (iPMMCC)
	rtpTS   uint32
	first   bool
	noWAV   bool
}

type streamKey struct {
	liid string
	cin  uint32
	dir  uint8
}

type ccWriter struct {
	dir        string
	base       int
	defaultLaw uint8
	f          io.WriteCloser
	bw         *bufio.Writer
	pw         *pcapgo.Writer
	streams    map[streamKey]*stream
	order      []*stream
	buf        gopacket.SerializeBuffer
	rtpBuf     []byte
}

// newCCWriter writes the pcap to f and WAV files into dir ("" = none).
func newCCWriter(f io.WriteCloser, dir string, base int, law uint8) (*ccWriter, error) {
	w := &ccWriter{dir: dir, base: base, defaultLaw: law, f: f, bw: bufio.NewWriter(f),
		streams: map[streamKey]*stream{}, buf: gopacket.NewSerializeBuffer()}
	w.pw = pcapgo.NewWriterNanos(w.bw)
	if err := w.pw.WriteFileHeader(65536, layers.LinkTypeEthernet); err != nil {
		f.Close()
		return nil, fmt.Errorf("lemf: cc.pcap: %w", err)
	}
	return w, nil
}

// dirName is the file-name form of a payload direction.
func dirName(d uint8) string {
	switch d {
	case hi3.FromTarget:
		return "from-target"
	case hi3.ToTarget:
		return "to-target"
	}
	return strings.ToLower(hi3.DirectionName(d))
}

// safeName keeps LIIDs usable as file names.
func safeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			b[i] = '_'
		}
	}
	if len(b) == 0 || b[0] == '.' {
		return "_" + string(b)
	}
	return string(b)
}

func (w *ccWriter) stream(liid string, cin uint32, dir uint8) *stream {
	k := streamKey{liid, cin, dir}
	if s := w.streams[k]; s != nil {
		return s
	}
	name := safeName(liid) + "-" + strconv.FormatUint(uint64(cin), 10) + "-" + dirName(dir)
	h := fnv.New32a()
	h.Write([]byte(name))
	s := &stream{
		info: StreamInfo{Name: name, LIID: liid, CIN: cin, Direction: hi3.DirectionName(dir), Port: w.base + 2*len(w.order)},
		sum:  sha256.New(), ssrc: h.Sum32(), first: true,
	}
	w.streams[k] = s
	w.order = append(w.order, s)
	return s
}

// rtp handles an RTP packet (iPMMCC).
func (w *ccWriter) rtp(liid string, cin uint32, dir uint8, ts time.Time, pkt []byte) error {
	s := w.stream(liid, cin, dir)
	s.info.PDUs++
	payload, pt, ok := rtpPayload(pkt)
	if ok {
		s.info.Octets += int64(len(payload))
		s.sum.Write(payload)
		// Lost packets (an RTP sequence gap of up to 10 s) become idle
		// code in the WAV file so it keeps time; octets/sha256 count only
		// what arrived.
		seq := binary.BigEndian.Uint16(pkt[2:])
		if !s.first && s.wav != nil {
			if gap := int(seq - s.lastSeq - 1); gap > 0 && gap < 500 {
				if err := s.wav.fill(idleCode(pt), gap*len(payload)); err != nil {
					return err
				}
				s.info.FilledOctets += int64(gap * len(payload))
			}
		}
		s.first, s.lastSeq = false, seq
		if err := w.toWAV(s, pt, payload); err != nil {
			return err
		}
	}
	return w.packet(s, dir, ts, pkt)
}

// raw handles pstnIsdnCC octets: a synthetic RTP header makes them play.
func (w *ccWriter) raw(liid string, cin uint32, dir uint8, ts time.Time, octets []byte, law uint8) error {
	s := w.stream(liid, cin, dir)
	s.info.PDUs++
	s.info.Octets += int64(len(octets))
	s.sum.Write(octets)
	if err := w.toWAV(s, law, octets); err != nil {
		return err
	}
	b := w.rtpBuf[:0]
	marker := byte(0)
	if s.first {
		marker = 0x80
	}
	b = append(b, 0x80, marker|law&0x7f)
	b = binary.BigEndian.AppendUint16(b, s.rtpSeq)
	b = binary.BigEndian.AppendUint32(b, s.rtpTS)
	b = binary.BigEndian.AppendUint32(b, s.ssrc)
	b = append(b, octets...)
	w.rtpBuf = b
	s.first = false
	s.rtpSeq++
	s.rtpTS += uint32(len(octets))
	return w.packet(s, dir, ts, b)
}

// rtpPayload returns the payload and payload type of an RTP packet.
func rtpPayload(p []byte) ([]byte, uint8, bool) {
	if len(p) < 12 || p[0]>>6 != 2 {
		return nil, 0, false
	}
	n := 12 + 4*int(p[0]&0x0f)
	if p[0]&0x10 != 0 { // extension
		if len(p) < n+4 {
			return nil, 0, false
		}
		n += 4 + 4*int(binary.BigEndian.Uint16(p[n+2:]))
	}
	end := len(p)
	if p[0]&0x20 != 0 && end > n { // padding
		end -= int(p[end-1])
	}
	if n > end {
		return nil, 0, false
	}
	return p[n:end], p[1] & 0x7f, true
}

func (w *ccWriter) toWAV(s *stream, pt uint8, octets []byte) error {
	if s.noWAV || w.dir == "" {
		return nil
	}
	if s.wav == nil {
		var tag uint16
		switch pt {
		case 8:
			tag, s.info.Law = wavALaw, "alaw"
		case 0:
			tag, s.info.Law = wavMuLaw, "ulaw"
		default:
			s.noWAV = true // not G.711: pcap only
			return nil
		}
		name := s.info.Name + ".wav"
		wv, err := createWAV(filepath.Join(w.dir, name), tag)
		if err != nil {
			return err
		}
		s.wav, s.info.WAV = wv, name
	}
	return s.wav.write(octets)
}

func (w *ccWriter) packet(s *stream, dir uint8, ts time.Time, udpPayload []byte) error {
	src, dst := TargetIP, OtherIP
	smac, dmac := net.HardwareAddr{2, 0, 0, 0, 0, 1}, net.HardwareAddr{2, 0, 0, 0, 0, 2}
	if dir == hi3.ToTarget {
		src, dst = dst, src
		smac, dmac = dmac, smac
	}
	eth := &layers.Ethernet{SrcMAC: smac, DstMAC: dmac, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: src, DstIP: dst}
	udp := &layers.UDP{SrcPort: layers.UDPPort(s.info.Port), DstPort: layers.UDPPort(s.info.Port)}
	if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
		return err
	}
	if err := gopacket.SerializeLayers(w.buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		eth, ip, udp, gopacket.Payload(udpPayload)); err != nil {
		return fmt.Errorf("lemf: cc.pcap: %w", err)
	}
	data := w.buf.Bytes()
	ci := gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(data), Length: len(data)}
	if err := w.pw.WritePacket(ci, data); err != nil {
		return fmt.Errorf("lemf: cc.pcap: %w", err)
	}
	return nil
}

func (w *ccWriter) flush() error { return w.bw.Flush() }

func (w *ccWriter) close() error {
	err := w.bw.Flush()
	if e := w.f.Close(); err == nil {
		err = e
	}
	for _, s := range w.order {
		if s.wav != nil {
			err = errors.Join(err, s.wav.close())
		}
	}
	return err
}

func (w *ccWriter) streamInfo() []StreamInfo {
	out := make([]StreamInfo, 0, len(w.order))
	for _, s := range w.order {
		i := s.info
		i.SHA256 = fmt.Sprintf("%x", s.sum.Sum(nil))
		out = append(out, i)
	}
	return out
}

// idleCode is the G.711 idle octet of RTP payload type pt.
func idleCode(pt uint8) byte {
	if pt == 0 {
		return 0xFF
	}
	return 0xD5
}

// ReadCC reads a cc.pcap written by a Receiver and calls fn for each
// content packet, in file order, with its stream (found by UDP port among
// streams, e.g. Summary.Streams), its timestamp and its RTP packet
// (pstnIsdnCC content has a synthetic RTP header). Packets of no listed
// stream are skipped.
func ReadCC(path string, streams []StreamInfo, fn func(st *StreamInfo, ts time.Time, rtp []byte) error) error {
	byPort := map[int]*StreamInfo{}
	for i := range streams {
		byPort[streams[i].Port] = &streams[i]
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("lemf: %w", err)
	}
	defer f.Close()
	pr, err := pcapgo.NewReader(bufio.NewReader(f))
	if err != nil {
		return fmt.Errorf("lemf: %s: %w", path, err)
	}
	for {
		data, ci, err := pr.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("lemf: %s: %w", path, err)
		}
		pkt := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.NoCopy)
		u, ok := pkt.Layer(layers.LayerTypeUDP).(*layers.UDP)
		if !ok {
			continue
		}
		st := byPort[int(u.DstPort)]
		if st == nil {
			continue
		}
		if err := fn(st, ci.Timestamp, u.Payload); err != nil {
			return err
		}
	}
}
