package tsharktest

import (
	"fmt"
	"net"
	"time"

	"github.com/gopacket/gopacket/layers"
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
	pf, err := createPcap(path, "udp", layers.LinkTypeEthernet)
	if err != nil {
		return err
	}
	for i, p := range pkts {
		src, dst := defaultIPv4(p.SrcIP, p.DstIP)
		ts := p.Time
		if ts.IsZero() {
			ts = packetTime(i)
		}
		udp := &layers.UDP{SrcPort: layers.UDPPort(orPort(p.SrcPort, 5000)), DstPort: layers.UDPPort(orPort(p.DstPort, 5000))}
		if err := pf.writeIPv4(ts, uint16(i), src, dst, layers.IPProtocolUDP, udp, p.Data); err != nil {
			pf.abort()
			return fmt.Errorf("udp pcap packet %d: %w", i, err)
		}
	}
	return pf.close()
}
