package hi2

import (
	"bytes"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/hi/internal/hextest"
	"github.com/tdmtap/tdmtap/hi/psdu"
)

var tEvent = time.Date(2026, 11, 26, 1, 2, 3, 456789000, time.UTC)

func testHeader() psdu.Header {
	return psdu.Header{LIID: "LI1", OperatorID: "OP", CIN: 42, Seq: 3, Time: tEvent, Qualifier: psdu.QualifierTimeOfInterception}
}

// Hand-built from TS 102 232-1 PSHeader, 67 octets.
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
                                 --   microSecondTimeStamp [7] { seconds [0] 1795654923, microSeconds [1] 456789 }
    88 01 01                     --   timeStampQualifier [8] timeOfInterception(1)
`

func beginIRI() IRI {
	var iri IRI
	iri.Type = Begin
	iri.Time = tEvent
	iri.Direction = DirOriginatingTarget
	iri.State = StateSetUpInProcess
	iri.NetworkElement.Set([]byte{0x04, 0x11, 0x94}) // international, "49"
	p := iri.AddParty(Originating)
	p.Calling.Set([]byte{0x03, 0x11, 0x12, 0x52, 0x55, 0x21, 0x43}) // national, "2125551234"
	p = iri.AddParty(Terminating)
	p.Called.Set([]byte{0x83, 0x10, 0x13, 0x50, 0x55, 0x00}) // national, odd, "3105550"
	p.AddParam(ParamOriginalCalledNum, []byte{0x03, 0x10, 0x21, 0x43})
	iri.CountryCode = "DE"
	return iri
}

// goldenBegin is the IRI-Begin PS-PDU, built by hand from the ASN.1
// (TS 102 232-1 LI-PS-PDU and TS 101 671 HI2Operations, IMPLICIT TAGS; a
// tagged CHOICE is explicit). 240 octets.
const goldenBegin = `
30 81 ED                         -- PS-PDU SEQUENCE, 237 octets` + goldenHeader + `
  A2 81 A7                       -- payload [2] (CHOICE), 167
    A0 81 A4                     --   iRIPayloadSequence [0] SEQUENCE OF, 164
      30 81 A1                   --     IRIPayload, 161
        80 01 01                 --       iRIType [0] iRI-Begin(1)
        81 13 32 30 32 36 31 31 32 36 30 31 30 32 30 33 2E 34 35 36 5A
                                 --       timeStamp [1] "20261126010203.456Z"
        A2 81 86                 --       iRIContents [2] (CHOICE), 134
          A5 81 83               --         eTSI671IRI [5] (CHOICE), 131
            A0 81 80             --           iRI-Parameters [0], 128
              80 06 04 00 02 02 01 12      -- domainID [0] OID 0.4.0.2.2.1.18
              97 01 08                     -- iRIversion [23] lastVersion(8)
              81 03 4C 49 31               -- lawfulInterceptionIdentifier [1] "LI1"
              A2 11                        -- communicationIdentifier [2]
                80 02 34 32                --   communication-Identity-Number [0] "42"
                A1 0B                      --   network-Identifier [1]
                  80 02 4F 50              --     operator-Identifier [0] "OP"
                  A1 05 81 03 04 11 94     --     network-Element-Identifier [1] (CHOICE) e164-Format [1] intl "49"
              A3 19                        -- timeStamp [3] (CHOICE)
                A0 17                      --   localTime [0]
                  80 12 32 30 32 36 31 31 32 36 30 31 30 32 30 33 2E 34 35 36
                                           --     generalizedTime [0] "20261126010203.456"
                  81 01 00                 --     winterSummerIndication [1] notProvided(0)
              84 01 01                     -- intercepted-Call-Direct [4] originating-Target(1)
              85 01 02                     -- intercepted-Call-State [5] setUpInProcess(2)
              A9 2F                        -- partyInformation [9] SET OF
                30 10                      --   PartyInformation
                  80 01 00                 --     party-Qualifier [0] originating-Party(0)
                  A1 0B                    --     partyIdentity [1]
                    A4 09 81 07 03 11 12 52 55 21 43
                                           --       callingPartyNumber [4] (CHOICE) iSUP-Format [1]
                30 1B                      --   PartyInformation
                  80 01 01                 --     party-Qualifier [0] terminating-Party(1)
                  A1 0A                    --     partyIdentity [1]
                    A5 08 81 06 83 10 13 50 55 00
                                           --       calledPartyNumber [5] (CHOICE) iSUP-Format [1]
                  A2 0A                    --     services-Information [2]
                    A1 08                  --       iSUP-parameters [1] SET OF OCTET STRING
                      04 06 28 04 03 10 21 43 -- Original Called Number parameter (28, len 4)
              8C 01 00                     -- nature-Of-The-intercepted-call [12] gSM-ISDN-PSTN-circuit-call(0)
              BF 81 7F 04                  -- national-HI2-ASN1parameters [255]
                81 02 44 45                --   countryCode [1] "DE"
`

func TestGoldenBegin(t *testing.T) {
	h := testHeader()
	iri := beginIRI()
	want := hextest.Decode(t, goldenBegin)
	got := Append(make([]byte, 0, 512), &h, &iri)
	if !bytes.Equal(got, want) {
		t.Fatalf("IRI-Begin\n got %x\nwant %x", got, want)
	}
}

const commIDAndVersion = `
              80 06 04 00 02 02 01 12      -- domainID [0] OID 0.4.0.2.2.1.18
              97 01 08                     -- iRIversion [23] lastVersion(8)
              81 03 4C 49 31               -- lawfulInterceptionIdentifier [1] "LI1"
              A2 0A                        -- communicationIdentifier [2]
                80 02 34 32                --   communication-Identity-Number [0] "42"
                A1 04 80 02 4F 50          --   network-Identifier [1] { operator-Identifier [0] "OP" }
`

const payloadTime = `
        81 13 32 30 32 36 31 31 32 36 30 31 30 32 30 33 2E 34 35 36 5A
                                 --       timeStamp [1] "20261126010203.456Z"
`

func TestGoldenEnd(t *testing.T) {
	h := testHeader()
	iri := IRI{
		Type: End, Time: tEvent, UTCTime: true,
		Direction: DirTerminatingTarget, State: StateIdle,
		Ringing: 5 * time.Second, HasRinging: true,
		Conversation: time.Hour + 2*time.Minute + 3*time.Second, HasConversation: true,
		Cause: Q850(0, 2, 16), HasCause: true,
		CCLinkID: "1",
	}
	want := hextest.Decode(t, `
30 81 AE                         -- PS-PDU, 174`+goldenHeader+`
  A2 69                          -- payload [2], 105
    A0 67                        --   iRIPayloadSequence [0], 103
      30 65                      --     IRIPayload, 101
        80 01 02                 --       iRIType [0] iRI-End(2)`+payloadTime+`
        A2 4B                    --       iRIContents [2], 75
          A5 49                  --         eTSI671IRI [5], 73
            A0 47                --           iRI-Parameters [0], 71`+commIDAndVersion+`
              A3 0F 81 0D 32 36 31 31 32 36 30 31 30 32 30 33 5A
                                           -- timeStamp [3] (CHOICE) utcTime [1] "261126010203Z"
              84 01 02                     -- intercepted-Call-Direct [4] terminating-Target(2)
              85 01 01                     -- intercepted-Call-State [5] idle(1)
              86 03 00 00 05               -- ringingDuration [6] BCD 00:00:05
              87 03 01 02 03               -- conversationDuration [7] BCD 01:02:03
              8B 02 82 90                  -- release-Reason-Of-Intercepted-Call [11] Q.850: ITU coding, public net local user, cause 16
              8C 01 00                     -- nature-Of-The-intercepted-call [12] (0)
              8F 01 31                     -- cC-Link-Identifier [15] "1"
`)
	got := Append(nil, &h, &iri)
	if !bytes.Equal(got, want) {
		t.Fatalf("IRI-End\n got %x\nwant %x", got, want)
	}
}

func TestGoldenContinue(t *testing.T) {
	h := testHeader()
	iri := IRI{
		Type: Continue, Time: tEvent.In(time.FixedZone("CET", 3600)), WinterSummer: 1,
		Direction: DirOriginatingTarget, State: StateConnected,
	}
	want := hextest.Decode(t, `
30 81 A7                         -- PS-PDU, 167`+goldenHeader+`
  A2 62                          -- payload [2], 98
    A0 60                        --   iRIPayloadSequence [0], 96
      30 5E                      --     IRIPayload, 94
        80 01 03                 --       iRIType [0] iRI-Continue(3)`+payloadTime+`
        A2 44                    --       iRIContents [2], 68
          A5 42                  --         eTSI671IRI [5], 66
            A0 40                --           iRI-Parameters [0], 64`+commIDAndVersion+`
              A3 19 A0 17                  -- timeStamp [3] (CHOICE) localTime [0]
                80 12 32 30 32 36 31 31 32 36 30 32 30 32 30 33 2E 34 35 36
                                           --   generalizedTime [0] "20261126020203.456" (CET wall clock)
                81 01 01                   --   winterSummerIndication [1] winterTime(1)
              84 01 01                     -- intercepted-Call-Direct [4] originating-Target(1)
              85 01 03                     -- intercepted-Call-State [5] connected(3)
              8C 01 00                     -- nature-Of-The-intercepted-call [12] (0)
`)
	got := Append(nil, &h, &iri)
	if !bytes.Equal(got, want) {
		t.Fatalf("IRI-Continue\n got %x\nwant %x", got, want)
	}
}

func TestGoldenReport(t *testing.T) {
	h := testHeader()
	iri := IRI{Type: Report, Time: tEvent, UTCTime: true, Direction: DirNotAvailable}
	p := iri.AddParty(ForwardedTo)
	p.Called.Set([]byte{0x84, 0x10, 0x21, 0x43, 0x65})                       // international, odd, "12345" + filler
	p.AddParam(ParamRedirectionNumber, []byte{0x04, 0x10, 0x21, 0x43, 0x65}) // Redirection Number "123456"
	want := hextest.Decode(t, `
30 81 B9                         -- PS-PDU, 185`+goldenHeader+`
  A2 74                          -- payload [2], 116
    A0 72                        --   iRIPayloadSequence [0], 114
      30 70                      --     IRIPayload, 112
        80 01 04                 --       iRIType [0] iRI-Report(4)`+payloadTime+`
        A2 56                    --       iRIContents [2], 86
          A5 54                  --         eTSI671IRI [5], 84
            A0 52                --           iRI-Parameters [0], 82`+commIDAndVersion+`
              A3 0F 81 0D 32 36 31 31 32 36 30 31 30 32 30 33 5A
                                           -- timeStamp [3] utcTime [1] "261126010203Z"
              84 01 00                     -- intercepted-Call-Direct [4] not-Available(0)
              A9 1D                        -- partyInformation [9]
                30 1B                      --   PartyInformation
                  80 01 02                 --     party-Qualifier [0] forwarded-to-Party(2)
                  A1 09 A5 07 81 05 84 10 21 43 65
                                           --     partyIdentity [1] { calledPartyNumber [5] iSUP-Format [1] }
                  A2 0B A1 09              --     services-Information [2] { iSUP-parameters [1]
                    04 07 0C 05 04 10 21 43 65 --   Redirection Number parameter (0C, len 5) }
              8C 01 00                     -- nature-Of-The-intercepted-call [12] (0)
`)
	got := Append(nil, &h, &iri)
	if !bytes.Equal(got, want) {
		t.Fatalf("IRI-Report\n got %x\nwant %x", got, want)
	}
}

func TestGoldenPstnIsdnIRI(t *testing.T) {
	h := testHeader()
	m := MediaInfo{Time: tEvent, PayloadDirection: FromTarget, CCLinkID: 1, FirstPDUNumber: 0, MediaFormat: 8}
	want := hextest.Decode(t, `
30 7D                            -- PS-PDU, 125`+goldenHeader+`
  A2 38                          -- payload [2], 56
    A0 36                        --   iRIPayloadSequence [0], 54
      30 34                      --     IRIPayload, 52
        80 01 04                 --       iRIType [0] iRI-Report(4)`+payloadTime+`
        A2 1A                    --       iRIContents [2] (CHOICE), 26
          AA 18                  --         pstnIsdnIRI [10] PstnIsdnIRI, 24
            80 04 05 06 06 01    --           pstnIsdnIRIObjId [0] RELATIVE-OID 5.6.6.1
            A1 10                --           pstnIsdnIRIContents [1] (CHOICE)
              A0 0E              --             supplementaryInfo [0]
                A0 09            --               informationAppliesTo [0]
                  80 01 00       --                 payloadDirection [0] fromTarget(0)
                  81 01 01       --                 cCLinkID [1] 1
                  82 01 00       --                 firstPDUNumber [2] 0
                81 01 08         --               mediaFormat [1] 8 (PCMA)
`)
	got := AppendMediaInfo(nil, &h, &m)
	if !bytes.Equal(got, want) {
		t.Fatalf("pstnIsdnIRI\n got %x\nwant %x", got, want)
	}
}
