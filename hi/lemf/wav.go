package lemf

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"os"
)

// WAVE format tags of G.711.
const (
	wavALaw  = 6
	wavMuLaw = 7
)

// wavHeaderLen is the header this writer produces: RIFF/WAVE, an 18-byte
// fmt chunk (non-PCM formats carry cbSize), a fact chunk (sample count,
// required for non-PCM), and the data chunk header.
const wavHeaderLen = 12 + 8 + 18 + 8 + 4 + 8

// wavWriter writes 8 kHz mono 8-bit G.711 WAV; sizes are fixed up on close.
type wavWriter struct {
	f    *os.File
	bw   *bufio.Writer
	tag  uint16
	data int64
}

func createWAV(path string, tag uint16) (*wavWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("lemf: wav: %w", err)
	}
	w := &wavWriter{f: f, bw: bufio.NewWriter(f), tag: tag}
	if _, err := w.bw.Write(wavHeader(tag, 0)); err != nil {
		f.Close()
		return nil, fmt.Errorf("lemf: wav: %w", err)
	}
	return w, nil
}

// wavHeader returns the header for dataLen octets of G.711.
func wavHeader(tag uint16, dataLen int64) []byte {
	pad := dataLen & 1
	b := make([]byte, 0, wavHeaderLen)
	le32 := func(v uint32) { b = binary.LittleEndian.AppendUint32(b, v) }
	le16 := func(v uint16) { b = binary.LittleEndian.AppendUint16(b, v) }
	b = append(b, "RIFF"...)
	le32(uint32(4 + 8 + 18 + 8 + 4 + 8 + dataLen + pad))
	b = append(b, "WAVE"...)
	b = append(b, "fmt "...)
	le32(18)
	le16(tag)  // wFormatTag
	le16(1)    // nChannels
	le32(8000) // nSamplesPerSec
	le32(8000) // nAvgBytesPerSec
	le16(1)    // nBlockAlign
	le16(8)    // wBitsPerSample
	le16(0)    // cbSize
	b = append(b, "fact"...)
	le32(4)
	le32(uint32(dataLen)) // dwSampleLength
	b = append(b, "data"...)
	le32(uint32(dataLen))
	return b
}

func (w *wavWriter) write(p []byte) error {
	n, err := w.bw.Write(p)
	w.data += int64(n)
	if err != nil {
		return fmt.Errorf("lemf: wav: %w", err)
	}
	return nil
}

func (w *wavWriter) close() error {
	if w.data&1 == 1 {
		w.bw.WriteByte(0) // RIFF chunks are word aligned
	}
	err := w.bw.Flush()
	if err == nil {
		_, err = w.f.WriteAt(wavHeader(w.tag, w.data), 0)
	}
	if e := w.f.Close(); err == nil {
		err = e
	}
	if err != nil {
		return fmt.Errorf("lemf: wav %s: %w", w.f.Name(), err)
	}
	return nil
}

// fill writes n octets of c.
func (w *wavWriter) fill(c byte, n int) error {
	for ; n > 0; n-- {
		if err := w.bw.WriteByte(c); err != nil {
			return fmt.Errorf("lemf: wav: %w", err)
		}
		w.data++
	}
	return nil
}
