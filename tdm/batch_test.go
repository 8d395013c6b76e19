package tdm

import "testing"

func TestBatcher(t *testing.T) {
	type call struct {
		first uint64
		n     int
		last  byte
	}
	var calls []call
	b := NewBatcher("s", 2, 4, FrameSinkFunc(func(span string, first uint64, n int, slots []byte, w int) {
		if span != "s" || w != 2 || len(slots) != n*2 {
			t.Fatalf("span %q w %d len %d", span, w, len(slots))
		}
		calls = append(calls, call{first, n, slots[len(slots)-1]})
	}))
	for _, f := range []uint64{10, 11, 12, 13, 14, 15, 20, 21} {
		b.Frame(f, []byte{0, byte(f)})
	}
	b.Flush()
	want := []call{{10, 4, 13}, {14, 2, 15}, {20, 2, 21}}
	if len(calls) != len(want) {
		t.Fatalf("calls %+v", calls)
	}
	for i := range want {
		if calls[i] != want[i] {
			t.Fatalf("call %d %+v want %+v", i, calls[i], want[i])
		}
	}
	if a := testing.AllocsPerRun(100, func() { b.Frame(100, []byte{1, 2}); b.Flush() }); a != 0 {
		t.Fatalf("%v allocs", a)
	}
}
