package config

import (
	"fmt"
	"strconv"
	"strings"
)

// Variant is the ISUP / MTP3 variant of a linkset.
type Variant uint8

// Variants. The bridge maps them onto ss7/isup's own Variant.
const (
	ITU  Variant = iota + 1 // ITU-T Q.76x: 14-bit point codes, 12-bit CIC
	ANSI                    // ANSI T1.113: 24-bit point codes, 14-bit CIC
)

func (v Variant) String() string {
	switch v {
	case ITU:
		return "itu"
	case ANSI:
		return "ansi"
	}
	return fmt.Sprintf("Variant(%d)", uint8(v))
}

// MaxCIC is the largest circuit identification code of the variant.
func (v Variant) MaxCIC() int {
	if v == ANSI {
		return 1<<14 - 1
	}
	return 1<<12 - 1
}

// MaxPointCode is the largest point code of the variant.
func (v Variant) MaxPointCode() uint32 {
	if v == ANSI {
		return 1<<24 - 1
	}
	return 1<<14 - 1
}

// ParsePointCode parses a point code of variant v, written either as a
// decimal number or in the variant's structured form: ITU zone-area-point
// "2-200-3" (3-8-3 bits), ANSI network-cluster-member "1-2-3" (8-8-8 bits).
func ParsePointCode(s string, v Variant) (uint32, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty point code")
	}
	if !strings.Contains(s, "-") {
		n, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return 0, fmt.Errorf("point code %q: not a decimal number or %s", s, pcForm(v))
		}
		if n > uint64(v.MaxPointCode()) {
			return 0, fmt.Errorf("point code %d exceeds the %s maximum %d", n, v, v.MaxPointCode())
		}
		return uint32(n), nil
	}
	parts := strings.Split(s, "-")
	if len(parts) != 3 {
		return 0, fmt.Errorf("point code %q: expected %s", s, pcForm(v))
	}
	var f [3]uint64
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			return 0, fmt.Errorf("point code %q: expected %s", s, pcForm(v))
		}
		f[i] = n
	}
	if v == ANSI {
		if f[0] > 255 || f[1] > 255 || f[2] > 255 {
			return 0, fmt.Errorf("point code %q: ANSI network-cluster-member fields are 0..255", s)
		}
		return uint32(f[0]<<16 | f[1]<<8 | f[2]), nil
	}
	if f[0] > 7 || f[1] > 255 || f[2] > 7 {
		return 0, fmt.Errorf("point code %q: ITU zone-area-point fields are 0..7, 0..255, 0..7", s)
	}
	return uint32(f[0]<<11 | f[1]<<3 | f[2]), nil
}

func pcForm(v Variant) string {
	if v == ANSI {
		return "ANSI network-cluster-member (e.g. 1-2-3)"
	}
	return "ITU zone-area-point (e.g. 2-200-3)"
}

// FormatPointCode writes pc in the variant's structured form.
func FormatPointCode(pc uint32, v Variant) string {
	if v == ANSI {
		return fmt.Sprintf("%d-%d-%d", pc>>16&0xff, pc>>8&0xff, pc&0xff)
	}
	return fmt.Sprintf("%d-%d-%d", pc>>11&7, pc>>3&0xff, pc&7)
}
