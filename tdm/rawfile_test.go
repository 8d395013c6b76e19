package tdm

import (
	"bytes"
	"context"
	"testing"
)

func TestRawRoundTrip(t *testing.T) {
	var file bytes.Buffer
	w := NewRawWriter(&file)
	src := make([]byte, 10000)
	for i := range src {
		src[i] = byte(i*7 + i>>8)
	}
	if _, err := w.Write(src[:3333]); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(src[3333:]); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	var got []byte
	calls := 0
	rr := NewRawReader(&file, func(p []byte) { got = append(got, p...); calls++ }, 4096)
	if err := rr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, src) || rr.Bytes != uint64(len(src)) || calls != 3 {
		t.Fatalf("got %d bytes in %d calls (Bytes=%d)", len(got), calls, rr.Bytes)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := NewRawReader(bytes.NewReader(src), func([]byte) {}, 0).Run(ctx); err == nil {
		t.Fatal("cancelled context not honoured")
	}
}

func TestSlotIndex(t *testing.T) {
	for _, c := range []struct {
		w, ts, idx int
		ok         bool
	}{
		{E1Width, 0, 0, true}, {E1Width, 31, 31, true}, {E1Width, 32, 32, false},
		{T1Width, 1, 0, true}, {T1Width, 24, 23, true}, {T1Width, 0, -1, false}, {T1Width, 25, 24, false},
	} {
		idx, ok := SlotIndex(c.w, c.ts)
		if idx != c.idx || ok != c.ok {
			t.Errorf("SlotIndex(%d,%d) = %d,%v", c.w, c.ts, idx, ok)
		}
		if ok && SlotNumber(c.w, idx) != c.ts {
			t.Errorf("SlotNumber(%d,%d) = %d", c.w, idx, SlotNumber(c.w, idx))
		}
	}
}
