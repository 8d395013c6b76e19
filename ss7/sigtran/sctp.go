package sigtran

import (
	"encoding/binary"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/ishidawataru/sctp"
)

// SCTPOptions tune kernel SCTP associations.
type SCTPOptions struct {
	// OutStreams and InStreams requested at INIT (default 16 each). Stream 0
	// carries management messages; DATA goes on streams 1..n-1 by SLS.
	OutStreams, InStreams uint16
	// MaxAttempts and MaxInitTimeout (ms) of INIT; 0 = kernel default.
	MaxAttempts, MaxInitTimeout uint16
}

func (o SCTPOptions) withDefaults() SCTPOptions {
	if o.OutStreams == 0 {
		o.OutStreams = 16
	}
	if o.InStreams == 0 {
		o.InStreams = 16
	}
	return o
}

// PPIDField returns the value to put into sinfo_ppid of
// github.com/ishidawataru/sctp v0.0.0-20250425063137-c91d9fd4afaf so that
// ppid appears on the wire. That version hands the field to the kernel
// unconverted, and the kernel copies its memory bytes to the wire as they
// are (network byte order), so on a little-endian host 3 must be written as
// 0x03000000. PPIDFromField is the inverse for received sinfo_ppid.
func PPIDField(ppid uint32) uint32 {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], ppid)
	return binary.NativeEndian.Uint32(b[:])
}

// PPIDFromField converts a received sinfo_ppid to the PPID value.
func PPIDFromField(f uint32) uint32 {
	var b [4]byte
	binary.NativeEndian.PutUint32(b[:], f)
	return binary.BigEndian.Uint32(b[:])
}

// CheckPPID decides about a received message by its PPID (the value, not
// the sinfo_ppid field): M3UA's (3) and unspecified (0) are accepted; any
// other drops just that message with an error wrapping ErrWrongPPID (a peer
// bug on one message must not end the association).
func CheckPPID(ppid uint32) error {
	if ppid == PPIDM3UA || ppid == 0 {
		return nil
	}
	return fmt.Errorf("%w: PPID %d, want %d", ErrWrongPPID, ppid, PPIDM3UA)
}

// StreamForSLS picks the outbound stream for a DATA message: stream 0 is
// kept for management (RFC 4666 §1.4.7), so with n outbound streams the
// SLS values are spread over 1..n-1; with fewer than 2 streams everything
// goes on stream 0. Messages of one SLS always use the same stream, keeping
// their order.
func StreamForSLS(sls uint8, outStreams uint16) uint16 {
	if outStreams < 2 {
		return 0
	}
	return 1 + uint16(sls)%(outStreams-1)
}

// ParseSCTPAddrs turns a multi-homed address list into one SCTP address:
// every entry is "host:port" with the same port, or bare hosts followed by
// at least one "host:port" giving the port. Hosts must be IP literals
// (names would make the set of paths depend on DNS at dial time) or empty
// ("" / ":port" = any address).
func ParseSCTPAddrs(addrs []string) (*sctp.SCTPAddr, error) {
	if len(addrs) == 0 {
		return nil, fmt.Errorf("sigtran: sctp: empty address list")
	}
	out := &sctp.SCTPAddr{Port: -1}
	for _, a := range addrs {
		host, port := a, ""
		if h, p, err := net.SplitHostPort(a); err == nil {
			host, port = h, p
		}
		if port != "" {
			pn, err := strconv.Atoi(port)
			if err != nil || pn < 0 || pn > 65535 {
				return nil, fmt.Errorf("sigtran: sctp address %q: bad port", a)
			}
			if out.Port >= 0 && out.Port != pn {
				return nil, fmt.Errorf("sigtran: sctp address %q: port %d differs from %d (one association has one port)", a, pn, out.Port)
			}
			out.Port = pn
		}
		host = strings.Trim(host, "[]")
		if host == "" {
			continue
		}
		zone := ""
		if i := strings.IndexByte(host, '%'); i >= 0 {
			host, zone = host[:i], host[i+1:]
		}
		ip := net.ParseIP(host)
		if ip == nil {
			return nil, fmt.Errorf("sigtran: sctp address %q: host is not an IP address", a)
		}
		out.IPAddrs = append(out.IPAddrs, net.IPAddr{IP: ip, Zone: zone})
	}
	if out.Port < 0 {
		return nil, fmt.Errorf("sigtran: sctp addresses %q: no port", addrs)
	}
	return out, nil
}

// statusOutStreams reads sstat_outstrms from a Linux struct sctp_status
// (assoc_id s32, state s32, rwnd u32, unackdata u16, penddata u16,
// instrms u16, outstrms u16, ...), in host byte order.
func statusOutStreams(b []byte) uint16 {
	if len(b) < 20 {
		return 0
	}
	return binary.NativeEndian.Uint16(b[18:20])
}
