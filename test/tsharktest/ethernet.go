package tsharktest

import (
	"fmt"
	"net"
	"os"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// pcapBase is the capture time of packet 0 when a builder gets no Time.
var pcapBase = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// packetTime is the default capture time of packet i: pcapBase plus i ms.
func packetTime(i int) time.Time { return pcapBase.Add(time.Duration(i) * time.Millisecond) }

// defaultIPv4 fills nil addresses with 10.0.0.1 (source) and 10.0.0.2
// (destination).
func defaultIPv4(src, dst net.IP) (net.IP, net.IP) {
	if src == nil {
		src = net.IPv4(10, 0, 0, 1)
	}
	if dst == nil {
		dst = net.IPv4(10, 0, 0, 2)
	}
	return src, dst
}

// orPort returns p, or def when p is zero.
func orPort(p, def uint16) uint16 {
	if p == 0 {
		return def
	}
	return p
}

// pcapFile is a pcap being written; what names the encapsulation in errors
// ("udp pcap: ...").
type pcapFile struct {
	what string
	f    *os.File
	w    *pcapgo.Writer
	buf  gopacket.SerializeBuffer
}

// createPcap creates path and writes a pcap file header for link.
func createPcap(path, what string, link layers.LinkType) (*pcapFile, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("%s pcap: %w", what, err)
	}
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, link); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s pcap header: %w", what, err)
	}
	return &pcapFile{what: what, f: f, w: w, buf: gopacket.NewSerializeBuffer()}, nil
}

// writePacket writes one whole (untruncated) packet captured at ts.
func (p *pcapFile) writePacket(ts time.Time, b []byte) error {
	return p.w.WritePacket(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(b), Length: len(b)}, b)
}

// transport is a UDP or TCP header whose checksum covers the IPv4
// pseudo-header.
type transport interface {
	gopacket.SerializableLayer
	SetNetworkLayerForChecksum(gopacket.NetworkLayer) error
}

// writeIPv4 writes one Ethernet/IPv4 frame from 02:00:00:00:00:01 to
// 02:00:00:00:00:02 carrying l4 (nil for none) then payload, with lengths and
// checksums (IPv4 and l4's) computed.
func (p *pcapFile) writeIPv4(ts time.Time, id uint16, src, dst net.IP, proto layers.IPProtocol, l4 transport, payload []byte) error {
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: proto, SrcIP: src.To4(), DstIP: dst.To4(), Id: id}
	ls := []gopacket.SerializableLayer{eth, ip}
	if l4 != nil {
		if err := l4.SetNetworkLayerForChecksum(ip); err != nil {
			return err
		}
		ls = append(ls, l4)
	}
	ls = append(ls, gopacket.Payload(payload))
	if err := gopacket.SerializeLayers(p.buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		return err
	}
	return p.writePacket(ts, p.buf.Bytes())
}

// close closes the file; abort closes it after an error (the caller reports
// that error).
func (p *pcapFile) close() error {
	if err := p.f.Close(); err != nil {
		return fmt.Errorf("%s pcap: %w", p.what, err)
	}
	return nil
}

func (p *pcapFile) abort() { p.f.Close() }
