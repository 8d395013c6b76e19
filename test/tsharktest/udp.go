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

// UDPPacket is one UDP datagram in its own Ethernet/IPv4 frame. Zero-valued
// addresses default to 10.0.0.1 → 10.0.0.2, ports to 5000 → 5000, and Time
// to a fixed instant plus the packet's index in milliseconds.
type UDPPacket struct {
	SrcIP, DstIP     net.IP
	SrcPort, DstPort uint16
	Data             []byte
	Time             time.Time
}

// WriteUDPPcap writes pkts as Ethernet/IPv4/UDP frames (valid IPv4 and UDP
// checksums) into a pcap file at path.
func WriteUDPPcap(path string, pkts []UDPPacket) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("udp pcap: %w", err)
	}
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		f.Close()
		return fmt.Errorf("udp pcap header: %w", err)
	}
	base := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	buf := gopacket.NewSerializeBuffer()
	for i, p := range pkts {
		src, dst := p.SrcIP, p.DstIP
		if src == nil {
			src = net.IPv4(10, 0, 0, 1)
		}
		if dst == nil {
			dst = net.IPv4(10, 0, 0, 2)
		}
		sp, dp := p.SrcPort, p.DstPort
		if sp == 0 {
			sp = 5000
		}
		if dp == 0 {
			dp = 5000
		}
		ts := p.Time
		if ts.IsZero() {
			ts = base.Add(time.Duration(i) * time.Millisecond)
		}
		eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
		ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: src.To4(), DstIP: dst.To4(), Id: uint16(i)}
		udp := &layers.UDP{SrcPort: layers.UDPPort(sp), DstPort: layers.UDPPort(dp)}
		if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
			f.Close()
			return fmt.Errorf("udp pcap: %w", err)
		}
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
			eth, ip, udp, gopacket.Payload(p.Data)); err != nil {
			f.Close()
			return fmt.Errorf("udp pcap packet %d: %w", i, err)
		}
		b := buf.Bytes()
		ci := gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(b), Length: len(b)}
		if err := w.WritePacket(ci, b); err != nil {
			f.Close()
			return fmt.Errorf("udp pcap packet %d: %w", i, err)
		}
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("udp pcap: %w", err)
	}
	return nil
}
