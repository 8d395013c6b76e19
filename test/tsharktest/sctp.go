package tsharktest

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"net"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// SCTPPacket is one SCTP DATA chunk (a whole user message, B and E flags set)
// sent in its own IPv4 packet. Zero-valued addresses default to 10.0.0.1 →
// 10.0.0.2, ports to 2905 → 2905, and Time to a fixed instant plus the
// packet's index in milliseconds.
type SCTPPacket struct {
	SrcIP, DstIP     net.IP
	SrcPort, DstPort uint16
	Stream           uint16
	PPID             uint32 // 3 for M3UA
	Data             []byte
	Time             time.Time
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// SCTPChecksum returns the CRC32c of an SCTP packet whose checksum field is
// zero, as the value to store little-endian at offset 8 (RFC 4960 appendix B).
func SCTPChecksum(pkt []byte) uint32 { return crc32.Checksum(pkt, castagnoli) }

// WriteSCTPPcap writes pkts as Ethernet/IPv4/SCTP frames into a pcap file at
// path. Each direction (source address and port) gets its own TSN sequence
// and per-stream sequence numbers; checksums (IPv4 and SCTP CRC32c) are valid.
func WriteSCTPPcap(path string, pkts []SCTPPacket) error {
	pf, err := createPcap(path, "sctp", layers.LinkTypeEthernet)
	if err != nil {
		return err
	}
	type dirKey struct {
		ip   string
		port uint16
	}
	tsn := map[dirKey]uint32{}
	ssn := map[dirKey]map[uint16]uint16{}
	for i, p := range pkts {
		src, dst := defaultIPv4(p.SrcIP, p.DstIP)
		sp, dp := orPort(p.SrcPort, 2905), orPort(p.DstPort, 2905)
		ts := p.Time
		if ts.IsZero() {
			ts = packetTime(i)
		}
		k := dirKey{src.String(), sp}
		if _, ok := tsn[k]; !ok {
			tsn[k] = 1000
			ssn[k] = map[uint16]uint16{}
		}
		sctp := buildSCTPData(sp, dp, tsn[k], p.Stream, ssn[k][p.Stream], p.PPID, p.Data)
		tsn[k]++
		ssn[k][p.Stream]++
		if err := pf.writeIPv4(ts, uint16(i+1), src, dst, layers.IPProtocolSCTP, nil, sctp); err != nil {
			pf.abort()
			return fmt.Errorf("sctp pcap packet %d: %w", i, err)
		}
	}
	return pf.close()
}

// buildSCTPData returns an SCTP common header plus one DATA chunk.
func buildSCTPData(sp, dp uint16, tsn uint32, stream, seq uint16, ppid uint32, data []byte) []byte {
	b := make([]byte, 12, 12+16+len(data)+3)
	binary.BigEndian.PutUint16(b[0:], sp)
	binary.BigEndian.PutUint16(b[2:], dp)
	binary.BigEndian.PutUint32(b[4:], 0x01020304)                  // verification tag
	b = AppendSCTPDataChunk(b, 0x03, tsn, stream, seq, ppid, data) // B|E: unfragmented
	binary.LittleEndian.PutUint32(b[8:], SCTPChecksum(b))
	return b
}

// AppendSCTPDataChunk appends one SCTP DATA chunk (RFC 4960 §3.3.1), padded
// to a multiple of 4 bytes. flags holds the U, B and E bits (3: a whole
// user message; 2: its first fragment; 1: its last; 0: a middle one).
func AppendSCTPDataChunk(dst []byte, flags uint8, tsn uint32, stream, seq uint16, ppid uint32, data []byte) []byte {
	l := 16 + len(data)
	dst = append(dst, 0, flags) // type 0: DATA
	dst = binary.BigEndian.AppendUint16(dst, uint16(l))
	dst = binary.BigEndian.AppendUint32(dst, tsn)
	dst = binary.BigEndian.AppendUint16(dst, stream)
	dst = binary.BigEndian.AppendUint16(dst, seq)
	dst = binary.BigEndian.AppendUint32(dst, ppid)
	dst = append(dst, data...)
	for ; l%4 != 0; l++ {
		dst = append(dst, 0)
	}
	return dst
}
