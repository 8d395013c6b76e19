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

// TCPFlow is one direction of a TCP connection written as a handshake
// followed by data segments. Zero-valued addresses default to 10.0.0.1:40000
// → 10.0.0.2:Port.
type TCPFlow struct {
	SrcIP, DstIP     net.IP
	SrcPort, DstPort uint16
	// Segments are sent in order, each in its own frame, with consecutive
	// sequence numbers (a PDU may span several segments: tshark reassembles).
	Segments [][]byte
}

// WriteTCPPcap writes the flow as Ethernet/IPv4/TCP frames (SYN, SYN-ACK,
// ACK, then PSH-ACK data segments, valid checksums) into a pcap at path.
func WriteTCPPcap(path string, fl TCPFlow) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("tcp pcap: %w", err)
	}
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		f.Close()
		return fmt.Errorf("tcp pcap header: %w", err)
	}
	src, dst := fl.SrcIP, fl.DstIP
	if src == nil {
		src = net.IPv4(10, 0, 0, 1)
	}
	if dst == nil {
		dst = net.IPv4(10, 0, 0, 2)
	}
	sp, dp := fl.SrcPort, fl.DstPort
	if sp == 0 {
		sp = 40000
	}
	if dp == 0 {
		dp = 5000
	}
	base := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	buf := gopacket.NewSerializeBuffer()
	n := 0
	write := func(fromClient bool, tcp *layers.TCP, data []byte) error {
		s, d := src, dst
		tcp.SrcPort, tcp.DstPort = layers.TCPPort(sp), layers.TCPPort(dp)
		if !fromClient {
			s, d = dst, src
			tcp.SrcPort, tcp.DstPort = layers.TCPPort(dp), layers.TCPPort(sp)
		}
		tcp.Window = 65535
		eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
		ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: s.To4(), DstIP: d.To4(), Id: uint16(n)}
		if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
			return err
		}
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
			eth, ip, tcp, gopacket.Payload(data)); err != nil {
			return err
		}
		b := buf.Bytes()
		ci := gopacket.CaptureInfo{Timestamp: base.Add(time.Duration(n) * time.Millisecond), CaptureLength: len(b), Length: len(b)}
		n++
		return w.WritePacket(ci, b)
	}
	const isn, irs = 1000, 5000
	steps := []func() error{
		func() error { return write(true, &layers.TCP{SYN: true, Seq: isn}, nil) },
		func() error { return write(false, &layers.TCP{SYN: true, ACK: true, Seq: irs, Ack: isn + 1}, nil) },
		func() error { return write(true, &layers.TCP{ACK: true, Seq: isn + 1, Ack: irs + 1}, nil) },
	}
	for _, st := range steps {
		if err := st(); err != nil {
			f.Close()
			return fmt.Errorf("tcp pcap handshake: %w", err)
		}
	}
	seq := uint32(isn + 1)
	for i, s := range fl.Segments {
		if err := write(true, &layers.TCP{PSH: true, ACK: true, Seq: seq, Ack: irs + 1}, s); err != nil {
			f.Close()
			return fmt.Errorf("tcp pcap segment %d: %w", i, err)
		}
		seq += uint32(len(s))
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("tcp pcap: %w", err)
	}
	return nil
}
