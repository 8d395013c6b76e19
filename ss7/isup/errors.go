package isup

import (
	"errors"
	"strconv"
)

// Sentinel errors; decode errors wrap them (test with errors.Is).
var (
	ErrTruncated      = errors.New("isup: truncated")
	ErrBadPointer     = errors.New("isup: bad pointer")
	ErrTooLong        = errors.New("isup: parameter too long for storage")
	ErrTooManyParams  = errors.New("isup: too many optional parameters")
	ErrBadDigit       = errors.New("isup: bad digit")
	ErrMissingParam   = errors.New("isup: mandatory parameter missing")
	ErrValueTooLong   = errors.New("isup: parameter value longer than 255 octets")
	ErrUnknownVariant = errors.New("isup: unknown variant")
)

// ParamError says which parameter of which message failed to decode.
type ParamError struct {
	Msg   MsgType
	Param ParamCode
	Err   error
}

func (e *ParamError) Error() string {
	return "isup: " + e.Msg.String() + " parameter 0x" + strconv.FormatUint(uint64(e.Param), 16) + ": " + e.Err.Error()
}

func (e *ParamError) Unwrap() error { return e.Err }
