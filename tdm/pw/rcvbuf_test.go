package pw

import (
	"net"
	"testing"
)

func TestSetReadBuffer(t *testing.T) {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	before, err := ReadBuffer(conn)
	if err != nil {
		t.Fatal(err)
	}
	// A size below any sane rmem_max: granted (Linux reports it doubled).
	want := before/2 + 64<<10
	got, capped, err := SetReadBuffer(conn, want)
	if err != nil {
		t.Fatal(err)
	}
	if capped || got < want || got == before {
		t.Errorf("asked %d (before %d): got %d capped %v", want, before, got, capped)
	}
	if rb, _ := ReadBuffer(conn); rb != got {
		t.Errorf("read back %d, SetReadBuffer said %d", rb, got)
	}
	// Far above net.core.rmem_max: capped, and said so.
	got, capped, err = SetReadBuffer(conn, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if !capped || got >= 1<<30 {
		t.Errorf("1 GiB: got %d capped %v", got, capped)
	}
}
