package dahdi

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/tdmtap/tdmtap/tdm"
)

// Independent computation of the ioctl numbers: the Linux bit layout
// written out as constants, and the published hexadecimal values.
func TestIoctlNumbers(t *testing.T) {
	const (
		write = 0x40000000 // _IOC_WRITE << 30
		read  = 0x80000000 // _IOC_READ << 30
		int4  = 4 << 16    // sizeof(int) << _IOC_SIZESHIFT
		dahdi = 0xDA00     // 'DA' << _IOC_TYPESHIFT
	)
	for _, c := range []struct {
		name string
		got  uint
		want uint
		hex  uint
	}{
		{"DAHDI_SPECIFY", Specify, write | int4 | dahdi | 38, 0x4004DA26},
		{"DAHDI_SET_BLOCKSIZE", SetBlockSize, write | int4 | dahdi | 1, 0x4004DA01},
		{"DAHDI_GET_BLOCKSIZE", GetBlockSize, read | int4 | dahdi | 1, 0x8004DA01},
	} {
		if c.got != c.want || c.got != c.hex {
			t.Errorf("%s = %#x, want %#x", c.name, c.got, c.want)
		}
	}
	if IOC(iocNone, 'T', 1, 0) != 0x5401 { // _IO('T', 1) = 0x5401, Linux's TCGETS
		t.Errorf("_IO('T',1) = %#x", IOC(iocNone, 'T', 1, 0))
	}
}

type fakeIoctl struct {
	calls []uint
	vals  []int
	block int
	fail  uint
}

func (f *fakeIoctl) SetInt(fd int, req uint, v int) error {
	f.calls = append(f.calls, req)
	f.vals = append(f.vals, v)
	if req == f.fail {
		return errors.New("EINVAL")
	}
	if req == SetBlockSize {
		f.block = v
	}
	return nil
}

func (f *fakeIoctl) GetInt(fd int, req uint) (int, error) {
	f.calls = append(f.calls, req)
	return f.block, nil
}

func TestChannelSetupOrder(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	fi := &fakeIoctl{}
	c, err := NewChannel(r, 17, 80, fi)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if len(fi.calls) != 3 || fi.calls[0] != Specify || fi.vals[0] != 17 || fi.calls[1] != SetBlockSize || fi.vals[1] != 80 || fi.calls[2] != GetBlockSize {
		t.Fatalf("ioctls %x %v", fi.calls, fi.vals)
	}
	if _, err := NewChannel(r, 3, 80, &fakeIoctl{fail: Specify}); err == nil {
		t.Fatal("SPECIFY failure not reported")
	}
	// The real ioctl on a pipe fails (ENOTTY): error, not panic.
	if _, err := NewChannel(r, 3, 80, nil); err == nil {
		t.Fatal("DAHDI_SPECIFY on a pipe succeeded")
	}
}

type rec struct {
	firsts []uint64
	data   []byte
}

func (r *rec) Frames(_ string, first uint64, n int, slots []byte, width int) {
	r.firsts = append(r.firsts, first)
	r.data = append(r.data, slots[:n*width]...)
}

func TestSpanReadLoop(t *testing.T) {
	const block, blocks = 40, 5
	var chans []SpanChannel
	var writers []*os.File
	for _, ts := range []int{1, 2, 31} {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		chans = append(chans, SpanChannel{TS: ts, Channel: r})
		writers = append(writers, w)
	}
	for i, w := range writers {
		go func() {
			buf := make([]byte, block*blocks)
			for k := range buf {
				buf[k] = byte(k + 50*i)
			}
			for k := 0; k < len(buf); k += 13 { // odd write sizes: reads must reassemble blocks
				_, _ = w.Write(buf[k:min(k+13, len(buf))])
			}
			w.Close()
		}()
	}
	r := &rec{}
	sp := &Span{Name: "dahdi1", Width: tdm.E1Width, BlockSize: block, Channels: chans, Sink: r}
	if err := sp.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(r.firsts) != blocks || r.firsts[4] != 4*block || sp.Frame() != blocks*block {
		t.Fatalf("firsts %v", r.firsts)
	}
	for f := range block * blocks {
		row := r.data[f*32 : f*32+32]
		if row[1] != byte(f) || row[2] != byte(f+50) || row[31] != byte(f+100) || row[0] != 0xFF || row[5] != 0xFF {
			t.Fatalf("frame %d: % x", f, row)
		}
	}
}

func TestSpanCancel(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	sp := &Span{Name: "x", Width: 24, BlockSize: 8, Channels: []SpanChannel{{TS: 0, Channel: r}}, Sink: &rec{}}
	go func() { done <- sp.Run(ctx) }()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("cancelled Run: %v", err)
	}
}
