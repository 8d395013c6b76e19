package tsharktest

import (
	"encoding/binary"
	"fmt"
	"os"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// LinkTypeUpperPDU is LINKTYPE_WIRESHARK_UPPER_PDU: each packet starts with
// exported-PDU tags naming the dissector to hand the payload to.
const LinkTypeUpperPDU = 252

// Exported-PDU tag numbers (Wireshark exported_pdu format).
const (
	expPDUTagEndOfOpt      = 0
	expPDUTagDissectorName = 12 // EXP_PDU_TAG_DISSECTOR_NAME (PROTO_NAME)
)

// AppendExportPDUHeader appends the tags that send the payload to dissector
// name: tag 12 (length padded to a multiple of 4, zero filled) then the
// end-of-options tag 0 with length 0. Tags and lengths are 16-bit big-endian.
func AppendExportPDUHeader(dst []byte, dissector string) []byte {
	padded := (len(dissector) + 3) &^ 3
	dst = binary.BigEndian.AppendUint16(dst, expPDUTagDissectorName)
	dst = binary.BigEndian.AppendUint16(dst, uint16(padded))
	dst = append(dst, dissector...)
	for range padded - len(dissector) {
		dst = append(dst, 0)
	}
	dst = binary.BigEndian.AppendUint16(dst, expPDUTagEndOfOpt)
	return binary.BigEndian.AppendUint16(dst, 0)
}

// WriteExportPDUPcap writes one exported-PDU packet per payload, each handed
// to the named dissector (for example "HI2Operations"), into a pcap at path.
func WriteExportPDUPcap(path, dissector string, payloads [][]byte) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("exported-PDU pcap: %w", err)
	}
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkType(LinkTypeUpperPDU)); err != nil {
		f.Close()
		return fmt.Errorf("exported-PDU pcap header: %w", err)
	}
	base := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for i, p := range payloads {
		b := AppendExportPDUHeader(nil, dissector)
		b = append(b, p...)
		ci := gopacket.CaptureInfo{Timestamp: base.Add(time.Duration(i) * time.Millisecond), CaptureLength: len(b), Length: len(b)}
		if err := w.WritePacket(ci, b); err != nil {
			f.Close()
			return fmt.Errorf("exported-PDU pcap packet %d: %w", i, err)
		}
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("exported-PDU pcap: %w", err)
	}
	return nil
}
