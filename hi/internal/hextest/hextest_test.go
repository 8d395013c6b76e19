package hextest

import (
	"bytes"
	"testing"
)

func TestDecode(t *testing.T) {
	got := Decode(t, `
  30 03        -- SEQUENCE -- with a second dash pair
    02 01 7f   --   INTEGER 127
	A0`)
	if want := []byte{0x30, 0x03, 0x02, 0x01, 0x7f, 0xa0}; !bytes.Equal(got, want) {
		t.Fatalf("Decode = % x, want % x", got, want)
	}
	if got := Decode(t, "-- only a comment\n"); len(got) != 0 {
		t.Fatalf("comment-only listing = % x, want empty", got)
	}
}
