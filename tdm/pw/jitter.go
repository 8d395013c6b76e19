package pw

// Jitter reorders packets by their 16-bit sequence number and plays them out
// in order once Depth packets are queued behind them. Packets that never
// came are played as all ones (AIS) and counted lost; packets with the L bit
// are played as all ones too. It allocates only at construction.
type Jitter struct {
	depth   int
	ring    int // power of two ≥ 2·depth
	maxSize int
	maxFill int
	buf     []byte
	lens    []int
	have    []bool
	cws     []CW
	ais     []byte
	started bool
	next    uint64 // extended sequence of the next packet to play
	highest uint64
	out     func(seq uint64, cw CW, payload []byte, lost bool)
	st      *Stats
}

// JitterConfig configures a Jitter buffer.
type JitterConfig struct {
	Depth   int // packets held before play-out (0: 4)
	MaxSize int // largest payload in bytes
	// FillSize is the size of a fill (lost packet / L bit without payload).
	FillSize int
	// MaxFill is the largest gap filled with AIS; a larger sequence jump,
	// forwards or backwards (a sender restart), restarts the buffer
	// (0: 1000 packets). Packets up to MaxFill behind are late and dropped.
	MaxFill int
}

// NewJitter returns a jitter buffer that calls out for each packet in
// sequence order. payload is valid only during the call; for lost packets
// and L-bit packets it is FillSize bytes of all ones.
func NewJitter(cfg JitterConfig, st *Stats, out func(seq uint64, cw CW, payload []byte, lost bool)) *Jitter {
	if cfg.Depth <= 0 {
		cfg.Depth = 4
	}
	if cfg.MaxFill <= 0 {
		cfg.MaxFill = 1000
	}
	if cfg.FillSize <= 0 {
		cfg.FillSize = cfg.MaxSize
	}
	ring := 1
	for ring < 2*cfg.Depth+2 {
		ring <<= 1
	}
	if st == nil {
		st = new(Stats)
	}
	j := &Jitter{depth: cfg.Depth, ring: ring, maxSize: cfg.MaxSize, maxFill: cfg.MaxFill,
		buf: make([]byte, ring*cfg.MaxSize), lens: make([]int, ring), have: make([]bool, ring),
		cws: make([]CW, ring), ais: make([]byte, max(cfg.FillSize, cfg.MaxSize)), out: out, st: st}
	for i := range j.ais {
		j.ais[i] = 0xFF
	}
	j.ais = j.ais[:cfg.FillSize]
	return j
}

// Push offers a packet. Payloads longer than MaxSize are counted malformed.
func (j *Jitter) Push(cw CW, payload []byte) {
	if len(payload) > j.maxSize {
		j.st.Malformed.Add(1)
		return
	}
	if !j.started {
		j.started = true
		j.next = 1<<32 | uint64(cw.Seq) // headroom for earlier packets
		j.highest = j.next
	}
	ext := j.highest + uint64(int64(int16(cw.Seq-uint16(j.highest))))
	if ext < j.next {
		if j.next-ext <= uint64(j.maxFill) {
			j.st.Late.Add(1)
			return
		}
		// Far behind: the sender restarted its sequence. Start again,
		// keeping the extended numbers increasing.
		j.Flush()
		j.st.Resyncs.Add(1)
		h := j.highest + 1
		ext = h + uint64(cw.Seq-uint16(h))
		j.next, j.highest = ext, ext
	}
	if ext >= j.next+uint64(j.ring) {
		if ext-j.next > uint64(j.maxFill) {
			j.Flush()
			j.st.Resyncs.Add(1)
			j.next, j.highest = ext, ext
		}
		for ext >= j.next+uint64(j.ring) {
			j.playOne()
		}
	}
	i := int(ext & uint64(j.ring-1))
	if j.have[i] {
		j.st.Duplicates.Add(1)
		return
	}
	j.have[i] = true
	j.cws[i] = cw
	j.lens[i] = copy(j.buf[i*j.maxSize:(i+1)*j.maxSize], payload)
	j.st.Packets.Add(1)
	j.st.Bytes.Add(uint64(len(payload)))
	j.st.RemoteDefect.Store(cw.R)
	j.st.LocalDefect.Store(cw.L)
	if cw.L {
		j.st.LBit.Add(1)
	}
	if cw.R {
		j.st.RBit.Add(1)
	}
	if ext > j.highest {
		j.highest = ext
	} else if ext < j.highest {
		j.st.Reordered.Add(1)
	}
	for j.highest-j.next >= uint64(j.depth) {
		j.playOne()
	}
}

func (j *Jitter) playOne() {
	i := int(j.next & uint64(j.ring-1))
	seq := j.next
	j.next++
	j.st.Played.Add(1)
	if !j.have[i] {
		j.st.Lost.Add(1)
		j.out(seq, CW{Seq: uint16(seq)}, j.ais, true)
		return
	}
	j.have[i] = false
	cw := j.cws[i]
	if cw.L {
		j.out(seq, cw, j.ais, false)
		return
	}
	j.out(seq, cw, j.buf[i*j.maxSize:i*j.maxSize+j.lens[i]], false)
}

// Flush plays out everything buffered (filling gaps), e.g. at end of input.
func (j *Jitter) Flush() {
	if !j.started {
		return
	}
	for j.next <= j.highest {
		j.playOne()
	}
}

// Next returns the extended sequence number of the next packet to be played.
func (j *Jitter) Next() uint64 { return j.next }
