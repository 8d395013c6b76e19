// Package lemf is a monitoring-centre (LEMF) receiver for TS 102 232-1
// handover: it accepts the mediation side's TCP/TLS connections, splits each
// byte stream into PS-PDUs (definite or indefinite outer lengths), decodes
// them, answers keep-alives, checks sequence continuity per (LIID, CIN, IRI
// or CC), and writes what arrived:
//
//   - DIR/iri.jsonl: one JSON object per IRIPayload (see IRILine);
//   - DIR/cc.pcap: the content as RTP over synthetic IPv4/UDP (one UDP port
//     per stream: Config.PcapBasePort + 2·index, see Summary.Streams), which
//     Wireshark decodes with "Decode As… RTP" (tshark -d udp.port==N,rtp);
//     pstnIsdnCC raw octets get a synthetic RTP header (PT 8 A-law or 0
//     µ-law) so they play too;
//   - DIR/<liid>-<cin>-{from,to}-target.wav: G.711 WAV per call and
//     direction (format tag 6 A-law / 7 µ-law, 8000 Hz, mono, 8 bit); sizes
//     are fixed up on Close.
//
// Sequence checks: a number above the last one + 1 is a gap (an error); a
// number at or below the last one is a duplicate — noted as a resync
// duplicate when it arrives on another connection than the one that carried
// the last number (allowed by the spec), an error otherwise. Duplicates are
// not written to the outputs again. The first number seen for a key must be
// 0, otherwise the missing start is a gap.
//
// Expectation files (Check, LoadExpectation) are described in expect.go.
package lemf

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/tdmtap/tdmtap/hi/hi2"
	"github.com/tdmtap/tdmtap/hi/hi3"
	"github.com/tdmtap/tdmtap/hi/psdu"
)

// Config configures a Receiver.
type Config struct {
	Out          string       // output directory (created)
	Logger       *slog.Logger // default: discard
	PcapBasePort int          // first synthetic UDP port in cc.pcap; default 40000
	// DefaultLaw is the G.711 law assumed for pstnIsdnCC when no media
	// information said: 8 (PCMA, default) or 0 (PCMU).
	DefaultLaw *uint8
}

// Receiver is the LEMF. It is safe for concurrent connections.
type Receiver struct {
	cfg Config
	log *slog.Logger

	mu       sync.Mutex
	iriFile  io.Closer
	iri      *bufio.Writer
	enc      *json.Encoder
	cc       *ccWriter
	seq      map[seqKey]*seqState
	sum      Summary
	calls    map[callKey]*callInfo
	media    map[mediaKey]uint8 // (liid, cin, direction or cc link) → RTP payload type
	nextConn uint64
	closing  bool // Close has begun: Serve takes no new connections
	closed   bool // the files are closed: PDUs are refused
	conns    map[net.Conn]struct{}
	wg       sync.WaitGroup
	recs     []hi2.Record
	ccs      []hi3.Content
}

type seqKey struct {
	liid string
	cin  uint32
	cc   bool
}

type seqState struct {
	last uint32
	conn uint64
}

type callKey struct {
	liid string
	cin  uint32
}

// callInfo is what Check compares with an expectation.
type callInfo struct {
	types   []string
	parties []PartyLine
	cause   *int
}

type mediaKey struct {
	liid string
	cin  uint32
	dir  uint8
}

// New creates the output directory and files.
func New(cfg Config) (*Receiver, error) {
	if cfg.Out == "" {
		return nil, errors.New("lemf: no output directory")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.PcapBasePort <= 0 {
		cfg.PcapBasePort = 40000
	}
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return nil, fmt.Errorf("lemf: %w", err)
	}
	f, err := os.Create(filepath.Join(cfg.Out, "iri.jsonl"))
	if err != nil {
		return nil, fmt.Errorf("lemf: %w", err)
	}
	pf, err := os.Create(filepath.Join(cfg.Out, "cc.pcap"))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lemf: %w", err)
	}
	return newReceiver(cfg, f, pf, cfg.Out)
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// newMemReceiver writes nothing to disk (iri.jsonl and cc.pcap are
// discarded, no WAV files): for fuzzing, where file-system latency would
// dominate.
func newMemReceiver(cfg Config) (*Receiver, error) {
	return newReceiver(cfg, nopCloser{io.Discard}, nopCloser{io.Discard}, "")
}

func newReceiver(cfg Config, iriOut, pcapOut io.WriteCloser, wavDir string) (*Receiver, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.PcapBasePort <= 0 {
		cfg.PcapBasePort = 40000
	}
	f := iriOut
	law := uint8(8)
	if cfg.DefaultLaw != nil {
		law = *cfg.DefaultLaw
	}
	cc, err := newCCWriter(pcapOut, wavDir, cfg.PcapBasePort, law)
	if err != nil {
		f.Close()
		return nil, err
	}
	r := &Receiver{
		cfg: cfg, log: cfg.Logger, iriFile: f, iri: bufio.NewWriter(f), cc: cc,
		seq: map[seqKey]*seqState{}, calls: map[callKey]*callInfo{}, media: map[mediaKey]uint8{},
		conns: map[net.Conn]struct{}{},
	}
	r.enc = json.NewEncoder(r.iri)
	r.enc.SetEscapeHTML(false)
	r.sum.init()
	return r, nil
}

// Serve accepts connections on ln until ctx ends or ln is closed; it waits
// for the connections' goroutines before returning.
func (r *Receiver) Serve(ctx context.Context, ln net.Listener) error {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	// Flush cc.pcap once a second so a running capture can be inspected.
	flushDone := make(chan struct{})
	defer close(flushDone)
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-flushDone:
				return
			case <-t.C:
				r.mu.Lock()
				if !r.closed {
					r.cc.flush()
				}
				r.mu.Unlock()
			}
		}
	}()
	var err error
	for {
		var c net.Conn
		c, err = ln.Accept()
		if err != nil {
			break
		}
		r.mu.Lock()
		if r.closing {
			r.mu.Unlock()
			c.Close()
			continue
		}
		r.conns[c] = struct{}{}
		r.wg.Add(1)
		r.mu.Unlock()
		go func() {
			defer r.wg.Done()
			r.HandleConn(ctx, c)
		}()
	}
	r.closeConns()
	r.wg.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("lemf: accept: %w", err)
}

func (r *Receiver) closeConns() {
	r.mu.Lock()
	for c := range r.conns {
		c.Close()
	}
	r.mu.Unlock()
}

// HandleConn reads PS-PDUs from c until it fails, answering keep-alives.
func (r *Receiver) HandleConn(ctx context.Context, c net.Conn) {
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	r.mu.Lock()
	r.nextConn++
	id := r.nextConn
	r.sum.Connections++
	r.mu.Unlock()
	log := r.log.With("conn", id, "peer", c.RemoteAddr().String())
	log.Info("connection")
	err := r.ReadStream(c, id, c)
	r.mu.Lock()
	delete(r.conns, c)
	r.mu.Unlock()
	if err != nil && ctx.Err() == nil {
		log.Warn("connection ended", "err", err)
	} else {
		log.Info("connection ended")
	}
}

// ReadStream splits rd into PS-PDUs and handles each; keep-alive responses
// go to w (nil: not answered). It returns nil at a clean end of stream.
func (r *Receiver) ReadStream(rd io.Reader, connID uint64, w io.Writer) error {
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 64<<10), psdu.MaxPDU+1)
	sc.Split(psdu.Split)
	var resp []byte
	for sc.Scan() {
		var err error
		resp, err = r.HandlePDU(sc.Bytes(), connID, resp[:0])
		if err != nil {
			continue // counted and logged by HandlePDU
		}
		if len(resp) > 0 && w != nil {
			if _, err := w.Write(resp); err != nil {
				return fmt.Errorf("keep-alive response: %w", err)
			}
		}
	}
	if err := sc.Err(); err != nil {
		var ne net.Error
		if !errors.As(err, &ne) && !errors.Is(err, net.ErrClosed) && !errors.Is(err, io.ErrUnexpectedEOF) {
			r.mu.Lock()
			r.sum.FramingErrors++
			r.mu.Unlock()
			r.log.Warn("framing error", "conn", connID, "err", err)
		}
		return err
	}
	return nil
}

var errClosed = errors.New("lemf: receiver closed")

// HandlePDU processes one PS-PDU received on connection connID. For a
// keep-alive it appends the keep-alive response to resp and returns it.
func (r *Receiver) HandlePDU(b []byte, connID uint64, resp []byte) ([]byte, error) {
	var p psdu.PDU
	if err := psdu.Parse(b, &p); err != nil {
		r.mu.Lock()
		r.sum.DecodeErrors++
		r.mu.Unlock()
		r.log.Warn("undecodable PS-PDU", "err", err, "len", len(b))
		return resp, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return resp, errClosed
	}
	now := time.Now().UTC()
	switch p.Kind {
	case psdu.KindKeepalive:
		r.sum.PDUs["KEEPALIVE"]++
		h := p.Header
		h.OmitCIN = !p.HasCIN
		if !p.HasTime && !p.HasMicroTime {
			h.Time = time.Time{}
		}
		return psdu.AppendKeepaliveResponse(resp, &h), nil
	case psdu.KindKeepaliveResponse:
		r.sum.PDUs["KEEPALIVE-RESPONSE"]++
		return resp, nil
	case psdu.KindIRI:
		return resp, r.handleIRI(&p, connID, now)
	case psdu.KindCC:
		return resp, r.handleCC(&p, connID, now)
	default:
		r.sum.PDUs[p.Kind.String()]++
		return resp, nil
	}
}

// checkSeq applies the sequence rules; it reports whether the PDU is new.
func (r *Receiver) checkSeq(liid string, cin uint32, cc bool, seq uint32, conn uint64) bool {
	k := seqKey{liid, cin, cc}
	kind := "IRI"
	if cc {
		kind = "CC"
	}
	st, ok := r.seq[k]
	if !ok {
		r.seq[k] = &seqState{last: seq, conn: conn}
		if seq != 0 {
			r.sum.SeqErrors = append(r.sum.SeqErrors,
				fmt.Sprintf("%s liid=%s cin=%d: first sequence number %d (0..%d missing)", kind, liid, cin, seq, seq-1))
		}
		return true
	}
	switch {
	case seq == st.last+1:
		st.last, st.conn = seq, conn
		return true
	case seq > st.last+1:
		r.sum.SeqErrors = append(r.sum.SeqErrors,
			fmt.Sprintf("%s liid=%s cin=%d: gap: %d after %d (%d missing)", kind, liid, cin, seq, st.last, seq-st.last-1))
		st.last, st.conn = seq, conn
		return true
	case conn != st.conn:
		r.sum.ResyncDuplicates++
		return false
	default:
		r.sum.SeqErrors = append(r.sum.SeqErrors,
			fmt.Sprintf("%s liid=%s cin=%d: duplicate %d on the same connection (last %d)", kind, liid, cin, seq, st.last))
		r.sum.Duplicates++
		return false
	}
}

func (r *Receiver) liidSum(liid string) *LIIDSummary {
	l := r.sum.LIIDs[liid]
	if l == nil {
		l = &LIIDSummary{}
		r.sum.LIIDs[liid] = l
	}
	return l
}

// IRILine is one line of iri.jsonl.
type IRILine struct {
	LIID     string    `json:"liid"`
	CIN      uint32    `json:"cin"`
	Seq      uint32    `json:"seq"`
	Type     string    `json:"type"` // BEGIN, CONTINUE, END, REPORT
	Time     time.Time `json:"time"`
	Received time.Time `json:"received"`
	Operator string    `json:"operator,omitempty"`
	Element  string    `json:"networkElement,omitempty"`
	Contents string    `json:"contents"` // eTSI671IRI, pstnIsdnIRI, or "[n]" (kept in unknown)
	// Convenience fields taken from the IRI-Parameters.
	Direction    string      `json:"direction,omitempty"`
	State        string      `json:"state,omitempty"`
	Parties      []PartyLine `json:"parties,omitempty"`
	Cause        *int        `json:"cause,omitempty"` // Q.850 cause value
	Ringing      string      `json:"ringingDuration,omitempty"`
	Conversation string      `json:"conversationDuration,omitempty"`
	// The whole decoded record.
	IRI     *hi2.Params   `json:"iri,omitempty"`
	Media   *hi2.Media    `json:"media,omitempty"`
	Unknown []hi2.Unknown `json:"unknown,omitempty"`
}

// PartyLine is one party number: role (originating-Party,
// terminating-Party, forwarded-to-Party), which number of the party
// (calling, called, or an ISUP parameter name such as
// originalCalledNumber), and its digits.
type PartyLine struct {
	Role   string `json:"role"`
	Field  string `json:"field"`
	Number string `json:"number"`
	NAI    uint8  `json:"nai"`
}

func (r *Receiver) handleIRI(p *psdu.PDU, conn uint64, now time.Time) error {
	h := &p.Header
	var err error
	r.recs, err = hi2.DecodePayload(p.Payload, r.recs[:0])
	if err != nil {
		r.sum.DecodeErrors++
		r.log.Warn("undecodable IRI payload", "err", err)
		// Keep what decoded; the sequence number still counts.
	}
	fresh := r.checkSeq(h.LIID, h.CIN, false, h.Seq, conn)
	if !fresh {
		return err
	}
	ls := r.liidSum(h.LIID)
	ls.IRI++
	ck := callKey{h.LIID, h.CIN}
	call := r.calls[ck]
	if call == nil {
		call = &callInfo{}
		r.calls[ck] = call
	}
	for i := range r.recs {
		rec := &r.recs[i]
		line := IRILine{
			LIID: h.LIID, CIN: h.CIN, Seq: h.Seq, Type: rec.Type.String(), Time: rec.Time,
			Received: now, Operator: h.OperatorID, Element: h.NetworkElementID, Contents: rec.Contents,
			IRI: rec.Params, Media: rec.Media, Unknown: rec.Unknown,
		}
		if line.Time.IsZero() {
			line.Time = h.Time
		}
		r.sum.PDUs["IRI-"+line.Type]++
		if pp := rec.Params; pp != nil {
			line.Direction, line.State = pp.Direction, pp.State
			line.Ringing, line.Conversation = pp.Ringing, pp.Conversation
			for _, pi := range pp.Parties {
				if pi.Calling != nil {
					line.Parties = append(line.Parties, PartyLine{pi.Role, "calling", pi.Calling.Digits, pi.Calling.NAI})
				}
				if pi.Called != nil {
					line.Parties = append(line.Parties, PartyLine{pi.Role, "called", pi.Called.Digits, pi.Called.NAI})
				}
				for _, ip := range pi.ISUPParams {
					if ip.Number != nil {
						name := ip.Name
						if name == "" {
							name = "isup-0x" + strconv.FormatUint(uint64(ip.Code), 16)
						}
						line.Parties = append(line.Parties, PartyLine{pi.Role, name, ip.Number.Digits, ip.Number.NAI})
					}
				}
			}
			if pp.Cause != nil {
				v := int(pp.Cause.Value)
				line.Cause = &v
			}
		}
		if m := rec.Media; m != nil {
			// Media format of a CC link, for pstnIsdnCC WAV/pcap.
			r.media[mediaKey{h.LIID, h.CIN, uint8(min(m.PayloadDirection, 255))}] = uint8(m.MediaFormat)
		}
		if rec.Contents == "eTSI671IRI" {
			call.types = append(call.types, line.Type)
			call.parties = append(call.parties, line.Parties...)
			if line.Cause != nil {
				call.cause = line.Cause
			}
		}
		if e := r.enc.Encode(&line); e != nil {
			return fmt.Errorf("lemf: iri.jsonl: %w", e)
		}
	}
	if e := r.iri.Flush(); e != nil {
		return fmt.Errorf("lemf: iri.jsonl: %w", e)
	}
	return err
}

func (r *Receiver) handleCC(p *psdu.PDU, conn uint64, now time.Time) error {
	h := &p.Header
	var err error
	r.ccs, err = hi3.DecodePayload(p.Payload, r.ccs[:0])
	if err != nil {
		r.sum.DecodeErrors++
		r.log.Warn("undecodable CC payload", "err", err)
	}
	fresh := r.checkSeq(h.LIID, h.CIN, true, h.Seq, conn)
	if !fresh {
		return err
	}
	r.liidSum(h.LIID).CC++
	for i := range r.ccs {
		c := &r.ccs[i]
		r.sum.PDUs["CC"]++
		ts := now
		if c.HasTime {
			ts = c.Time
		} else if !h.Time.IsZero() {
			ts = h.Time
		}
		if c.Media != nil {
			r.media[mediaKey{h.LIID, h.CIN, c.Direction}] = uint8(c.Media.MediaFormat)
		}
		law, haveLaw := r.media[mediaKey{h.LIID, h.CIN, c.Direction}]
		if !haveLaw {
			law = r.cc.defaultLaw
		}
		var werr error
		switch c.Kind {
		case hi3.ContentsIPMMCC:
			werr = r.cc.rtp(h.LIID, h.CIN, c.Direction, ts, c.Data)
		case hi3.ContentsPstnIsdnCC:
			werr = r.cc.raw(h.LIID, h.CIN, c.Direction, ts, c.Data, law)
		default:
			r.sum.PDUs["CC-UNKNOWN"]++
		}
		if werr != nil {
			return werr
		}
	}
	return err
}

// Flush writes buffered output to the files (WAV headers stay provisional
// until Close).
func (r *Receiver) Flush() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.iri.Flush(); err != nil {
		return err
	}
	return r.cc.flush()
}

// Close stops accepting PDUs, flushes every file, fixes the WAV headers and
// returns the summary. Connections still open are closed.
func (r *Receiver) Close() (*Summary, error) {
	// closing first, under the lock Serve takes to add a connection, so no
	// connection is added to the wait group while Close waits on it.
	r.mu.Lock()
	again := r.closing
	r.closing = true
	r.mu.Unlock()
	r.closeConns()
	r.wg.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	if again || r.closed {
		s := r.summaryLocked()
		return &s, nil
	}
	r.closed = true
	err := r.iri.Flush()
	if e := r.iriFile.Close(); err == nil {
		err = e
	}
	if e := r.cc.close(); err == nil {
		err = e
	}
	s := r.summaryLocked()
	if err != nil {
		err = fmt.Errorf("lemf: close: %w", err)
	}
	return &s, err
}

// Summary returns the counters so far.
func (r *Receiver) Summary() Summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.summaryLocked()
}

func (r *Receiver) summaryLocked() Summary {
	s := r.sum.clone()
	s.Streams = r.cc.streamInfo()
	sort.Slice(s.Streams, func(i, j int) bool { return s.Streams[i].Port < s.Streams[j].Port })
	s.ContentSeconds = map[string]float64{}
	for _, st := range s.Streams {
		s.ContentSeconds[st.Name] = float64(st.Octets) / 8000
	}
	return s
}
