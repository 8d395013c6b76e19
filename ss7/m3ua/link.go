package m3ua

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tdmtap/tdmtap/ss7/sigtran"
)

// Indication is one received DATA message. It and PD.Payload are valid only
// during the HandleData call: copy what you keep.
type Indication struct {
	Link           string
	Stream         uint16
	RoutingContext uint32
	Received       time.Time
	PD             ProtocolData
}

// Handler receives DATA. Calls for one association come from one goroutine,
// in order; different associations call concurrently unless they belong to
// one Linkset, which serialises them.
type Handler interface {
	HandleData(ctx context.Context, ind *Indication)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, ind *Indication)

// HandleData calls f.
func (f HandlerFunc) HandleData(ctx context.Context, ind *Indication) { f(ctx, ind) }

// Role is the side a link plays.
type Role string

// Roles.
const (
	RoleASP Role = "asp" // dials, sends ASPUP/ASPAC (the usual role of a monitoring gateway)
	RoleSGP Role = "sgp" // listens, answers (the switch simulator, or a switch-facing SG)
)

// State of an association (and the value of the link-state gauge).
type State int32

// States.
const (
	StateDown       State = iota // no association
	StateConnecting              // transport up, ASP-DOWN
	StateInactive                // ASP-INACTIVE
	StateActive                  // ASP-ACTIVE
)

func (s State) String() string {
	switch s {
	case StateDown:
		return "down"
	case StateConnecting:
		return "connecting"
	case StateInactive:
		return "inactive"
	case StateActive:
		return "active"
	}
	return fmt.Sprintf("state(%d)", int32(s))
}

// LinkConfig configures one link: an ASP that dials, or an SGP that listens.
type LinkConfig struct {
	Name      string
	Role      Role
	Transport sigtran.Transport // "tcp" or "sctp"
	// LocalAddrs: SGP listen addresses (multi-homed for SCTP); optional
	// ASP bind addresses. RemoteAddrs: ASP peer addresses.
	LocalAddrs, RemoteAddrs []string
	SCTP                    sigtran.SCTPOptions

	// RoutingContexts sent in ASPAC (ASP) / served ASes (SGP); empty = none.
	RoutingContexts []uint32
	// TrafficMode: TrafficOverride, TrafficLoadshare (0: omitted by the
	// ASP, override at the SGP).
	TrafficMode   uint32
	ASPIdentifier uint32
	HasASPID      bool
	// NetworkAppearance is sent in DATA when HasNA.
	NetworkAppearance uint32
	HasNA             bool

	// Form of DATA on this link (FormDraft6 for pre-RFC equipment) and the
	// routing label format of draft-6 MSUs.
	Form  Form
	Label LabelFormat

	// PointCodes the SGP reports available when audited (DAUD → DAVA).
	PointCodes []uint32

	// Heartbeat interval (0: 10 s; negative: no BEAT sent) and the time to
	// wait for its BEAT-ACK before declaring the peer lost (0: 3 s).
	Heartbeat, HeartbeatTimeout time.Duration
	// AckTimeout bounds waiting for ASPUP-ACK / ASPAC-ACK (0: 5 s).
	AckTimeout time.Duration
	// Reconnect backoff of an ASP (0: 100 ms .. 30 s), doubling with jitter.
	BackoffMin, BackoffMax time.Duration
}

func (c *LinkConfig) defaults() {
	if c.Heartbeat == 0 {
		c.Heartbeat = 10 * time.Second
	}
	if c.HeartbeatTimeout == 0 {
		c.HeartbeatTimeout = 3 * time.Second
	}
	if c.AckTimeout == 0 {
		c.AckTimeout = 5 * time.Second
	}
	if c.BackoffMin == 0 {
		c.BackoffMin = 100 * time.Millisecond
	}
	if c.BackoffMax == 0 {
		c.BackoffMax = 30 * time.Second
	}
	if c.BackoffMax < c.BackoffMin {
		c.BackoffMax = c.BackoffMin
	}
}

func (c *LinkConfig) validate() error {
	if c.Name == "" {
		return errors.New("m3ua: link without a name")
	}
	if c.Transport != sigtran.TCP && c.Transport != sigtran.SCTP && c.Transport != "" {
		return fmt.Errorf("m3ua: link %s: unknown transport %q", c.Name, c.Transport)
	}
	switch c.TrafficMode {
	case 0, TrafficOverride, TrafficLoadshare:
	default:
		return fmt.Errorf("m3ua: link %s: traffic mode %d not supported (override 1, loadshare 2)", c.Name, c.TrafficMode)
	}
	if c.Form > FormDraft6 || c.Label > LabelANSI8 {
		return fmt.Errorf("m3ua: link %s: bad DATA form or label format", c.Name)
	}
	if len(c.RoutingContexts) > maxListed {
		return fmt.Errorf("m3ua: link %s: more than %d routing contexts", c.Name, maxListed)
	}
	return nil
}

func (c *LinkConfig) outStreams() uint16 {
	if c.Transport != sigtran.SCTP {
		return 1
	}
	if c.SCTP.OutStreams == 0 {
		return 16
	}
	return c.SCTP.OutStreams
}

// Options carry the process-wide dependencies of links.
type Options struct {
	Logger  *slog.Logger // nil: discard
	Metrics *Metrics     // nil: unregistered metrics
}

func (o Options) norm() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(nil)
	}
	return o
}

// ErrNotActive is returned by SendData when no association is ASP-ACTIVE.
var ErrNotActive = errors.New("m3ua: no active association")

// assoc is one association and its M3UA state.
type assoc struct {
	conn  sigtran.Conn
	cfg   *LinkConfig
	lm    *linkMetrics
	log   *slog.Logger
	peer  string
	state atomic.Int32
	out   uint16

	wmu  sync.Mutex
	wbuf []byte
	dm   DataMsg // encoding scratch, under wmu

	hbSent  atomic.Uint64 // last BEAT sequence sent
	hbAcked atomic.Uint64 // last BEAT sequence acknowledged
}

func newAssoc(c sigtran.Conn, cfg *LinkConfig, lm *linkMetrics, log *slog.Logger) *assoc {
	peer := "?"
	if ra := c.RemoteAddr(); ra != nil {
		peer = ra.String()
	}
	out := cfg.outStreams()
	if sc, ok := c.(sigtran.StreamCounter); ok {
		out = sc.OutStreams()
	}
	return &assoc{conn: c, cfg: cfg, lm: lm, log: log.With("link", cfg.Name, "peer", peer), peer: peer,
		out: out, wbuf: make([]byte, 0, 512)}
}

func (a *assoc) setState(s State) {
	if State(a.state.Swap(int32(s))) != s {
		a.log.Info("m3ua association state", "state", s.String())
	}
	a.lm.setState(a.peer, s)
}

func (a *assoc) State() State { return State(a.state.Load()) }

// send writes a control message on stream 0.
func (a *assoc) send(ctx context.Context, msg []byte) error {
	if err := a.conn.WriteMessage(ctx, 0, msg); err != nil {
		a.lm.err("transport")
		return err
	}
	a.lm.msg("out", msg[2], msg[3])
	return nil
}

func (a *assoc) sendERR(ctx context.Context, code uint32, offending []byte) {
	a.lm.err("err_sent")
	a.log.Warn("m3ua sending ERR", "code", code)
	_ = a.send(ctx, EncodeERR(code, nil, offending))
}

// sendData encodes and writes one DATA message without allocating.
func (a *assoc) sendData(ctx context.Context, rc uint32, hasRC bool, pd *ProtocolData) error {
	a.wmu.Lock()
	defer a.wmu.Unlock()
	a.dm = DataMsg{HasRC: hasRC, RoutingContext: rc, HasNA: a.cfg.HasNA, NetworkAppearance: a.cfg.NetworkAppearance, PD: *pd}
	b, err := AppendData(a.wbuf[:0], a.cfg.Form, a.cfg.Label, &a.dm)
	a.dm.PD.Payload = nil
	if err != nil {
		return err
	}
	a.wbuf = b[:0]
	if err := a.conn.WriteMessage(ctx, sigtran.StreamForSLS(pd.SLS, a.out), b); err != nil {
		a.lm.err("transport")
		return err
	}
	a.lm.dataOut.Inc()
	return nil
}

// beat sends one BEAT carrying an 8-byte sequence number.
func (a *assoc) beat(ctx context.Context) error {
	seq := a.hbSent.Add(1)
	var d [8]byte
	for i := range d {
		d[i] = byte(seq >> (56 - 8*i))
	}
	return a.send(ctx, EncodeBEAT(d[:]))
}

func (a *assoc) beatAcked(data []byte) {
	if len(data) != 8 {
		return // not ours
	}
	var seq uint64
	for _, b := range data {
		seq = seq<<8 | uint64(b)
	}
	if seq <= a.hbSent.Load() {
		for {
			old := a.hbAcked.Load()
			if seq <= old || a.hbAcked.CompareAndSwap(old, seq) {
				break
			}
		}
	}
}

// heartbeat sends BEATs and closes the association when one is not
// acknowledged in time. It returns when ctx ends.
func (a *assoc) heartbeat(ctx context.Context) {
	if a.cfg.Heartbeat < 0 {
		return
	}
	t := time.NewTicker(a.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := a.beat(ctx); err != nil {
			return
		}
		seq := a.hbSent.Load()
		timer := time.NewTimer(a.cfg.HeartbeatTimeout)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
		if a.hbAcked.Load() < seq {
			a.lm.err("heartbeat_lost")
			a.log.Warn("m3ua heartbeat lost; closing association", "timeout", a.cfg.HeartbeatTimeout)
			a.conn.Close()
			return
		}
	}
}

// msgHandler processes one received non-DATA message.
type msgHandler func(ctx context.Context, a *assoc, c *ctrlMsg, raw []byte) error

// rxState is the per-association receive scratch space.
type rxState struct {
	d   DataMsg
	ind Indication
	c   ctrlMsg
}

// readLoop reads messages until the association fails. DATA is decoded and
// handed to h in order when dataOK allows it; everything else goes to
// onCtrl. Malformed messages are answered with ERR and the link stays up, as
// it does for a message the transport dropped for its PPID; other transport
// errors end the loop.
func (a *assoc) readLoop(ctx context.Context, h Handler, dataOK func() bool, onCtrl msgHandler) error {
	buf := make([]byte, sigtran.ReadBufferSize)
	rx := &rxState{}
	rx.ind.Link = a.cfg.Name
	var wrongPPID uint64
	for {
		n, stream, err := a.conn.ReadMessage(ctx, buf)
		if errors.Is(err, sigtran.ErrWrongPPID) {
			// One message dropped by the transport; the association is
			// intact (a peer bug on one message must not drop the link).
			a.lm.err("wrong_ppid")
			if wrongPPID++; wrongPPID&(wrongPPID-1) == 0 { // 1st, 2nd, 4th, 8th, ...
				a.log.Warn("m3ua message with a wrong SCTP PPID dropped", "stream", stream, "dropped", wrongPPID, "err", err)
			}
			continue
		}
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				a.lm.err("transport")
			}
			return err
		}
		if err := a.handleMsg(ctx, h, dataOK, onCtrl, buf[:n], stream, rx); err != nil {
			return err
		}
	}
}

// handleMsg processes one received message; an error ends the association.
func (a *assoc) handleMsg(ctx context.Context, h Handler, dataOK func() bool, onCtrl msgHandler, msg []byte, stream uint16, rx *rxState) error {
	hd, err := ParseHeader(msg)
	if err != nil {
		a.decodeErr(ctx, err, msg)
		return nil
	}
	a.lm.msg("in", hd.Class, hd.Type)
	if hd.Class == ClassXFER && hd.Type == TypeDATA {
		if !dataOK() {
			a.sendERR(ctx, ErrCodeUnexpectedMessage, msg)
			return nil
		}
		a.dispatchData(ctx, h, msg, stream, &rx.d, &rx.ind)
		return nil
	}
	if err := parseCtrl(msg, hd, &rx.c); err != nil {
		a.decodeErr(ctx, err, msg)
		return nil
	}
	return onCtrl(ctx, a, &rx.c, msg)
}

// dispatchData decodes one DATA message (header already checked) and hands
// it to h. It does not allocate.
func (a *assoc) dispatchData(ctx context.Context, h Handler, msg []byte, stream uint16, d *DataMsg, ind *Indication) {
	if err := decodeDataParams(msg[headerLen:], a.cfg.Form, a.cfg.Label, d); err != nil {
		a.decodeErr(ctx, err, msg)
		return
	}
	if d.HasRC && len(a.cfg.RoutingContexts) > 0 && !containsRC(a.cfg.RoutingContexts, d.RoutingContext) {
		a.sendERR(ctx, ErrCodeInvalidRoutingContext, msg)
		return
	}
	ind.Stream = stream
	ind.RoutingContext = d.RoutingContext
	ind.Received = time.Now()
	ind.PD = d.PD
	a.deliver(ctx, h, ind)
	ind.PD.Payload = nil
}

func (a *assoc) deliver(ctx context.Context, h Handler, ind *Indication) {
	defer func() {
		if r := recover(); r != nil {
			a.lm.err("handler")
			a.log.Error("m3ua DATA handler panicked", "panic", r)
		}
	}()
	h.HandleData(ctx, ind)
}

func (a *assoc) decodeErr(ctx context.Context, err error, msg []byte) {
	a.lm.err("decode")
	code := ErrCodeProtocolError
	var pe *Error
	if errors.As(err, &pe) {
		code = pe.Code
	}
	a.log.Warn("m3ua malformed message", "err", err)
	a.sendERR(ctx, code, msg)
}

// commonCtrl handles messages either role answers the same way: BEAT,
// BEAT-ACK, ERR, and classes/types nobody supports. It reports whether it
// handled c.
func (a *assoc) commonCtrl(ctx context.Context, c *ctrlMsg, raw []byte) bool {
	switch c.h.Class {
	case ClassMGMT:
		switch c.h.Type {
		case TypeERR:
			a.lm.err("err_received")
			a.log.Warn("m3ua ERR received", "code", c.errCode)
			return true
		case TypeNTFY:
			return false
		}
		a.sendERR(ctx, ErrCodeUnsupportedType, raw)
		return true
	case ClassASPSM:
		switch c.h.Type {
		case TypeBEAT:
			// RFC 4666 §3.5.6 BEAT Ack: all parameters of the BEAT,
			// unchanged. Echoing the raw parameters also serves peers
			// using draft tags (draft 6 heartbeat data is tag 8, not 9).
			ack := append([]byte(nil), raw...)
			ack[3] = TypeBEATACK
			_ = a.send(ctx, ack)
			return true
		case TypeBEATACK:
			a.beatAcked(c.hbData)
			return true
		case TypeASPUP, TypeASPDN, TypeASPUPACK, TypeASPDNACK:
			return false
		}
		a.sendERR(ctx, ErrCodeUnsupportedType, raw)
		return true
	case ClassASPTM:
		if c.h.Type >= TypeASPAC && c.h.Type <= TypeASPIAACK {
			return false
		}
		a.sendERR(ctx, ErrCodeUnsupportedType, raw)
		return true
	case ClassSSNM:
		if c.h.Type >= TypeDUNA && c.h.Type <= TypeDRST {
			return false
		}
		a.sendERR(ctx, ErrCodeUnsupportedType, raw)
		return true
	case ClassXFER:
		a.sendERR(ctx, ErrCodeUnsupportedType, raw)
		return true
	case ClassRKM:
		// Dynamic registration is not offered: static configuration.
		a.sendERR(ctx, ErrCodeUnsupportedType, raw)
		return true
	}
	a.sendERR(ctx, ErrCodeUnsupportedClass, raw)
	return true
}

func containsRC(rcs []uint32, rc uint32) bool {
	for _, r := range rcs {
		if r == rc {
			return true
		}
	}
	return false
}

// backoff returns the next reconnect delay: doubling from min to max, with
// up to 25% jitter so a linkset's links do not reconnect in lockstep.
func backoff(prev, lo, hi time.Duration) time.Duration {
	d := prev * 2
	if d < lo {
		d = lo
	}
	if d > hi {
		d = hi
	}
	return d - time.Duration(rand.Int64N(int64(d)/4+1))
}
