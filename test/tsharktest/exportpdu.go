package tsharktest

import (
	"encoding/binary"
	"fmt"

	"github.com/gopacket/gopacket/layers"
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
	pf, err := createPcap(path, "exported-PDU", layers.LinkType(LinkTypeUpperPDU))
	if err != nil {
		return err
	}
	for i, p := range payloads {
		b := AppendExportPDUHeader(nil, dissector)
		b = append(b, p...)
		if err := pf.writePacket(packetTime(i), b); err != nil {
			pf.abort()
			return fmt.Errorf("exported-PDU pcap packet %d: %w", i, err)
		}
	}
	return pf.close()
}
