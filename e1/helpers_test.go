package e1

// shiftBits drops the first k bits of a bitstream (MSB first).
func shiftBits(p []byte, k int) []byte {
	p = p[k/8:]
	s := uint(k % 8)
	if s == 0 {
		return append([]byte(nil), p...)
	}
	out := make([]byte, len(p)-1)
	for i := range out {
		out[i] = p[i]<<s | p[i+1]>>(8-s)
	}
	return out
}
