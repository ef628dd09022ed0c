package bulk

// keySet remembers 64-bit key hashes with the line that first had them: an
// open-addressing table (linear probing, at most 3/4 full) of 12 bytes per
// slot, about 16 bytes per key, where a Go map costs several times that.
// It holds the duplicate check of an import (Checker).
type keySet struct {
	hashes []uint64 // 0: empty slot
	lines  []uint32
	n      int
}

// add records h on line, or returns the line that recorded it first.
func (s *keySet) add(h uint64, line int) (int, bool) {
	if h == 0 {
		h = 1 // 0 marks an empty slot
	}
	if (s.n+1)*4 > len(s.hashes)*3 {
		s.grow()
	}
	mask := uint64(len(s.hashes) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch s.hashes[i] {
		case 0:
			s.hashes[i], s.lines[i] = h, uint32(line)
			s.n++
			return 0, false
		case h:
			return int(s.lines[i]), true
		}
	}
}

func (s *keySet) grow() {
	size := 1024
	if len(s.hashes) > 0 {
		size = 2 * len(s.hashes)
	}
	old, oldLines := s.hashes, s.lines
	s.hashes, s.lines, s.n = make([]uint64, size), make([]uint32, size), 0
	for i, h := range old {
		if h != 0 {
			s.add(h, int(oldLines[i]))
		}
	}
}
