package hi3

import (
	"bytes"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/hi/hi2"
	"github.com/tdmtap/tdmtap/hi/internal/hextest"
	"github.com/tdmtap/tdmtap/hi/psdu"
)

var tEvent = time.Date(2026, 11, 26, 1, 2, 3, 456789000, time.UTC)

func testHeader() psdu.Header {
	return psdu.Header{LIID: "LI1", OperatorID: "OP", CIN: 42, Seq: 3, Time: tEvent, Qualifier: psdu.QualifierTimeOfInterception}
}

const goldenHeader = `
  A1 41                          -- pSHeader [1], 65 octets
    80 07 04 00 02 02 05 01 28   --   li-psDomainId [0] OID 0.4.0.2.2.5.1.40
    81 03 4C 49 31               --   lawfulInterceptionIdentifier [1] "LI1"
    A3 09                        --   communicationIdentifier [3]
      A0 04 80 02 4F 50          --     networkIdentifier [0] { operatorIdentifier [0] "OP" }
      81 01 2A                   --     communicationIdentityNumber [1] 42
    84 01 03                     --   sequenceNumber [4] 3
    85 13 32 30 32 36 31 31 32 36 30 31 30 32 30 33 2E 34 35 36 5A
                                 --   timeStamp [5] "20261126010203.456Z"
    A7 0B 80 04 6B 07 85 0B 81 03 06 F8 55
                                 --   microSecondTimeStamp [7] { seconds 1795654923, microSeconds 456789 }
    88 01 01                     --   timeStampQualifier [8] timeOfInterception(1)
`

const ccTimes = `
        A3 0B 80 04 6B 07 85 0B 81 03 06 F8 55
                                 --       microSecondTimeStamp [3]
        84 01 01                 --       timeStampQualifier [4] timeOfInterception(1)
`

// A 16-octet RTP packet: V=2, PT 8, seq 1, ts 160, SSRC 12345678, 4 A-law octets.
var rtpPacket = []byte{0x80, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00, 0xA0, 0x12, 0x34, 0x56, 0x78, 0xD5, 0xD5, 0xD5, 0xD5}

func TestGoldenIPMMCC(t *testing.T) {
	h := testHeader()
	cc := CC{Direction: FromTarget, Time: tEvent, Qualifier: psdu.QualifierTimeOfInterception, StreamID: "0"}
	want := hextest.Decode(t, `
30 81 96                         -- PS-PDU, 150`+goldenHeader+`
  A2 51                          -- payload [2] (CHOICE), 81
    A1 4F                        --   cCPayloadSequence [1] SEQUENCE OF, 79
      30 4D                      --     CCPayload, 77
        80 01 00                 --       payloadDirection [0] fromTarget(0)
        81 13 32 30 32 36 31 31 32 36 30 31 30 32 30 33 2E 34 35 36 5A
                                 --       timeStamp [1] "20261126010203.456Z"
        A2 23                    --       cCContents [2] (CHOICE), 35
          AC 21                  --         iPMMCC [12] IPMMCC, 33
            80 04 05 05 06 02    --           iPMMCCObjId [0] RELATIVE-OID 5.5.6.2
            81 10 80 08 00 01 00 00 00 A0 12 34 56 78 D5 D5 D5 D5
                                 --           mMCCContents [1] the RTP packet
            82 01 02             --           frameType [2] rtpFrame(2)
            83 01 30             --           streamIdentifier [3] OCTET STRING "0"
            84 01 00             --           mMCCprotocol [4] rTP(0)`+ccTimes)
	got := AppendIPMMCC(nil, &h, &cc, rtpPacket)
	if !bytes.Equal(got, want) {
		t.Fatalf("iPMMCC\n got %x\nwant %x", got, want)
	}
}

func TestGoldenPstnIsdnCC(t *testing.T) {
	h := testHeader()
	cc := CC{Direction: ToTarget, Time: tEvent, Qualifier: psdu.QualifierTimeOfInterception,
		HasCCLinkID: true, CCLinkID: 1,
		Supplementary: &hi2.MediaInfo{PayloadDirection: ToTarget, CCLinkID: 1, FirstPDUNumber: 0, MediaFormat: 8}}
	want := hextest.Decode(t, `
30 81 94                         -- PS-PDU, 148`+goldenHeader+`
  A2 4F                          -- payload [2] (CHOICE), 79
    A1 4D                        --   cCPayloadSequence [1], 77
      30 4B                      --     CCPayload, 75
        80 01 01                 --       payloadDirection [0] toTarget(1)
        81 13 32 30 32 36 31 31 32 36 30 31 30 32 30 33 2E 34 35 36 5A
                                 --       timeStamp [1]
        A2 21                    --       cCContents [2] (CHOICE), 33
          AB 1F                  --         pstnIsdnCC [11] PstnIsdnCC, 31
            80 04 05 06 06 02    --           pstnIsdnCCObjId [0] RELATIVE-OID 5.6.6.2
            81 04 D5 D5 D5 D5    --           pstnIsdnCCContents [1] bearer octets
            82 01 01             --           cCLinkID [2] 1
            A3 0E                --           supplementaryInfo [3]
              A0 09              --             informationAppliesTo [0]
                80 01 01         --               payloadDirection [0] toTarget(1)
                81 01 01         --               cCLinkID [1] 1
                82 01 00         --               firstPDUNumber [2] 0
              81 01 08           --             mediaFormat [1] 8 (PCMA)`+ccTimes)
	got := AppendPstnIsdnCC(nil, &h, &cc, []byte{0xD5, 0xD5, 0xD5, 0xD5})
	if !bytes.Equal(got, want) {
		t.Fatalf("pstnIsdnCC\n got %x\nwant %x", got, want)
	}
}
