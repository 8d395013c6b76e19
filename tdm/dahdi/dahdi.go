// Package dahdi reads E1/T1 timeslots from DAHDI hardware on Linux: each
// timeslot is a clear channel opened through /dev/dahdi/channel, bound to its
// channel number with DAHDI_SPECIFY and given a block size with
// DAHDI_SET_BLOCKSIZE; a Span reads one block from every channel in turn and
// delivers the assembled frames, numbered on the span's own clock (frames
// read), to a tdm.FrameSink.
//
// Not run on a real card: the ioctl numbers are checked against
// dahdi-linux's include/dahdi/user.h and the read loop against pipes.
package dahdi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/tdmtap/tdmtap/tdm"
	"golang.org/x/sys/unix"
)

// Linux ioctl request encoding (asm-generic/ioctl.h):
// dir(2) << 30 | size(14) << 16 | type(8) << 8 | nr(8).
const (
	iocNone  = 0
	iocWrite = 1
	iocRead  = 2
)

// IOC encodes an ioctl request number.
func IOC(dir, typ, nr, size uint) uint { return dir<<30 | size<<16 | typ<<8 | nr }

// IOW is _IOW(typ, nr, size), IOR is _IOR(typ, nr, size).
func IOW(typ, nr, size uint) uint { return IOC(iocWrite, typ, nr, size) }

// IOR is _IOR(typ, nr, size).
func IOR(typ, nr, size uint) uint { return IOC(iocRead, typ, nr, size) }

// Code is DAHDI's ioctl type.
const Code = 0xDA

const sizeofInt = 4

// DAHDI ioctls used here (include/dahdi/user.h).
var (
	Specify      = IOW(Code, 38, sizeofInt) // DAHDI_SPECIFY
	SetBlockSize = IOW(Code, 1, sizeofInt)  // DAHDI_SET_BLOCKSIZE
	GetBlockSize = IOR(Code, 1, sizeofInt)  // DAHDI_GET_BLOCKSIZE
)

// DefaultDevice is the generic channel selector device.
const DefaultDevice = "/dev/dahdi/channel"

// Ioctl performs int-argument ioctls; tests replace it.
type Ioctl interface {
	SetInt(fd int, req uint, v int) error
	GetInt(fd int, req uint) (int, error)
}

// Unix is the real Ioctl, through golang.org/x/sys/unix.
type Unix struct{}

// SetInt passes a pointer to v (as a C int).
func (Unix) SetInt(fd int, req uint, v int) error { return unix.IoctlSetPointerInt(fd, req, v) }

// GetInt reads a C int.
func (Unix) GetInt(fd int, req uint) (int, error) { return unix.IoctlGetInt(fd, req) }

// Channel is one clear channel.
type Channel struct {
	f         *os.File
	Channo    int
	BlockSize int
}

// OpenChannel opens device (DefaultDevice if empty), binds it to channel
// channo and sets the block size (bytes per read; 0: 160).
func OpenChannel(device string, channo, blockSize int, ioc Ioctl) (*Channel, error) {
	if device == "" {
		device = DefaultDevice
	}
	f, err := os.OpenFile(device, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("dahdi channel %d: %w", channo, err)
	}
	c, err := NewChannel(f, channo, blockSize, ioc)
	if err != nil {
		f.Close()
		return nil, err
	}
	return c, nil
}

// NewChannel sets up an already open channel file (SPECIFY, SET_BLOCKSIZE,
// then GET_BLOCKSIZE to confirm).
func NewChannel(f *os.File, channo, blockSize int, ioc Ioctl) (*Channel, error) {
	if ioc == nil {
		ioc = Unix{}
	}
	if blockSize <= 0 {
		blockSize = tdm.FramesPerChunk
	}
	fd := int(f.Fd())
	if err := ioc.SetInt(fd, Specify, channo); err != nil {
		return nil, fmt.Errorf("dahdi channel %d: DAHDI_SPECIFY: %w", channo, err)
	}
	if err := ioc.SetInt(fd, SetBlockSize, blockSize); err != nil {
		return nil, fmt.Errorf("dahdi channel %d: DAHDI_SET_BLOCKSIZE %d: %w", channo, blockSize, err)
	}
	got, err := ioc.GetInt(fd, GetBlockSize)
	if err != nil {
		return nil, fmt.Errorf("dahdi channel %d: DAHDI_GET_BLOCKSIZE: %w", channo, err)
	}
	if got != blockSize {
		return nil, fmt.Errorf("dahdi channel %d: block size %d, asked for %d", channo, got, blockSize)
	}
	return &Channel{f: f, Channo: channo, BlockSize: blockSize}, nil
}

// Read reads octets of the channel (clear-channel read).
func (c *Channel) Read(p []byte) (int, error) { return c.f.Read(p) }

// Close closes the channel.
func (c *Channel) Close() error { return c.f.Close() }

// SpanChannel maps a timeslot of the span frame to a channel.
type SpanChannel struct {
	TS      int // timeslot number (E1 1..31, T1 1..24; see tdm.SlotIndex)
	Channel io.ReadCloser
}

// Span assembles frames from per-timeslot channels. Timeslots without a
// channel read as all ones.
type Span struct {
	Name      string
	Width     int // 32 (E1) or 24 (T1)
	BlockSize int // frames per read (each channel's block size)
	Channels  []SpanChannel
	Sink      tdm.FrameSink
	frame     uint64
}

// Frame returns the number of frames delivered so far.
func (s *Span) Frame() uint64 { return s.frame }

// Run reads blocks until ctx is done (returns nil; the channels are closed)
// or a channel fails; io.EOF at a block boundary of the first channel (the
// end of a recording or pipe) ends it with nil.
func (s *Span) Run(ctx context.Context) error {
	if s.Width <= 0 || s.Width > 32 || s.BlockSize <= 0 {
		return fmt.Errorf("dahdi span %s: width %d, block size %d", s.Name, s.Width, s.BlockSize)
	}
	var once sync.Once
	closeAll := func() {
		once.Do(func() {
			for _, c := range s.Channels {
				_ = c.Channel.Close()
			}
		})
	}
	stop := context.AfterFunc(ctx, closeAll)
	defer stop()
	defer closeAll()
	blocks := make([][]byte, len(s.Channels))
	for i := range blocks {
		blocks[i] = make([]byte, s.BlockSize)
	}
	frames := make([]byte, s.BlockSize*s.Width)
	for {
		for i, c := range s.Channels {
			if _, err := io.ReadFull(c.Channel, blocks[i]); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				if errors.Is(err, io.EOF) && i == 0 {
					return nil
				}
				return fmt.Errorf("dahdi span %s timeslot %d: %w", s.Name, c.TS, err)
			}
		}
		for i := range frames {
			frames[i] = 0xFF
		}
		for i, c := range s.Channels {
			idx, ok := tdm.SlotIndex(s.Width, c.TS)
			if !ok {
				continue
			}
			for f, o := range blocks[i] {
				frames[f*s.Width+idx] = o
			}
		}
		s.Sink.Frames(s.Name, s.frame, s.BlockSize, frames, s.Width)
		s.frame += uint64(s.BlockSize)
	}
}
