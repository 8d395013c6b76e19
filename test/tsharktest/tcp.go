package tsharktest

import (
	"fmt"
	"net"

	"github.com/gopacket/gopacket/layers"
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
	pf, err := createPcap(path, "tcp", layers.LinkTypeEthernet)
	if err != nil {
		return err
	}
	src, dst := defaultIPv4(fl.SrcIP, fl.DstIP)
	sp, dp := orPort(fl.SrcPort, 40000), orPort(fl.DstPort, 5000)
	n := 0
	write := func(fromClient bool, tcp *layers.TCP, data []byte) error {
		s, d := src, dst
		tcp.SrcPort, tcp.DstPort = layers.TCPPort(sp), layers.TCPPort(dp)
		if !fromClient {
			s, d = dst, src
			tcp.SrcPort, tcp.DstPort = layers.TCPPort(dp), layers.TCPPort(sp)
		}
		tcp.Window = 65535
		err := pf.writeIPv4(packetTime(n), uint16(n), s, d, layers.IPProtocolTCP, tcp, data)
		n++
		return err
	}
	const isn, irs = 1000, 5000
	steps := []func() error{
		func() error { return write(true, &layers.TCP{SYN: true, Seq: isn}, nil) },
		func() error { return write(false, &layers.TCP{SYN: true, ACK: true, Seq: irs, Ack: isn + 1}, nil) },
		func() error { return write(true, &layers.TCP{ACK: true, Seq: isn + 1, Ack: irs + 1}, nil) },
	}
	for _, st := range steps {
		if err := st(); err != nil {
			pf.abort()
			return fmt.Errorf("tcp pcap handshake: %w", err)
		}
	}
	seq := uint32(isn + 1)
	for i, s := range fl.Segments {
		if err := write(true, &layers.TCP{PSH: true, ACK: true, Seq: seq, Ack: irs + 1}, s); err != nil {
			pf.abort()
			return fmt.Errorf("tcp pcap segment %d: %w", i, err)
		}
		seq += uint32(len(s))
	}
	return pf.close()
}
