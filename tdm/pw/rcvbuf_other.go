//go:build !unix

package pw

import "errors"

func getRcvBuf(uintptr) (int, error) {
	return 0, errors.New("not supported on this system")
}
