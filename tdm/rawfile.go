package tdm

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
)

// A raw span recording is the span's serial bitstream stored as consecutive
// bytes, MSB first, with no header: 256 bytes per millisecond for E1, 193
// bytes per millisecond for T1 (8 frames × 193 bits). It may start anywhere,
// not necessarily on a frame or octet boundary of the framing.

// RawReader replays a raw recording into a BitSink in blocks.
type RawReader struct {
	r     io.Reader
	sink  BitSink
	buf   []byte
	Bytes uint64 // bytes delivered so far
}

// NewRawReader returns a reader delivering r to sink in blocks of blockSize
// bytes (0: 4096).
func NewRawReader(r io.Reader, sink BitSink, blockSize int) *RawReader {
	if blockSize <= 0 {
		blockSize = 4096
	}
	return &RawReader{r: r, sink: sink, buf: make([]byte, blockSize)}
}

// Run feeds the whole recording to the sink; it returns nil at end of file.
func (rr *RawReader) Run(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := io.ReadFull(rr.r, rr.buf)
		if n > 0 {
			rr.sink(rr.buf[:n])
			rr.Bytes += uint64(n)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("raw span recording: %w", err)
		}
	}
}

// RawWriter records a bitstream as a raw span recording.
type RawWriter struct {
	w *bufio.Writer
}

// NewRawWriter returns a writer recording into w; call Flush at the end.
func NewRawWriter(w io.Writer) *RawWriter { return &RawWriter{w: bufio.NewWriterSize(w, 64<<10)} }

// Write appends bitstream bytes to the recording.
func (rw *RawWriter) Write(p []byte) (int, error) {
	n, err := rw.w.Write(p)
	if err != nil {
		return n, fmt.Errorf("raw span recording: %w", err)
	}
	return n, nil
}

// Flush writes buffered bytes to the underlying writer.
func (rw *RawWriter) Flush() error {
	if err := rw.w.Flush(); err != nil {
		return fmt.Errorf("raw span recording: %w", err)
	}
	return nil
}
