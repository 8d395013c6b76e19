//go:build !linux || 386

package sigtran

import (
	"context"
	"errors"
)

var errNoSCTP = errors.New("sigtran: kernel SCTP is supported on linux (not 386) only")

// DialSCTP is not available on this platform.
func DialSCTP(context.Context, []string, []string, SCTPOptions) (Conn, error) { return nil, errNoSCTP }

// ListenSCTP is not available on this platform.
func ListenSCTP([]string, SCTPOptions) (Listener, error) { return nil, errNoSCTP }
