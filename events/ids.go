package events

import (
	"crypto/rand"
	"sync"
	"time"

	"github.com/google/uuid"
)

// v7 is the clock of newIDs: the time and sequence (unix milliseconds << 12 | a 12-bit
// sequence, as uuid.NewV7 counts them) of the last id it made, so that its ids rise.
var v7 struct {
	mu   sync.Mutex
	last int64
}

// newIDs makes n version 7 UUIDs (RFC 9562, laid out as uuid.NewV7 lays them out: unix
// milliseconds, a 12-bit sequence from the sub-millisecond time, 62 random bits), rising, and
// gives each to set. uuid.NewV7 takes a lock, reads the clock and the random source and
// allocates for each id: a batch command's thousand events made a thousand calls on the path
// between its decision and its append, about 0.2 ms. Here one lock, one clock read and one read
// of the random source serve them all.
func newIDs(n int, set func(i int, id uuid.UUID)) {
	if n <= 0 {
		return
	}
	rnd := make([]byte, 8*n)
	_, _ = rand.Read(rnd) // never fails (crypto/rand.Read crashes the program instead)
	nano := time.Now().UnixNano()
	milli := nano / int64(time.Millisecond)
	first := milli<<12 | (nano-milli*int64(time.Millisecond))>>8
	v7.mu.Lock()
	if first <= v7.last {
		first = v7.last + 1
	}
	v7.last = first + int64(n) - 1
	v7.mu.Unlock()
	for i := range n {
		t := first + int64(i)
		ms, seq := t>>12, t&0xfff
		var id uuid.UUID
		id[0], id[1], id[2], id[3], id[4], id[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
		id[6], id[7] = 0x70|byte(seq>>8), byte(seq)
		copy(id[8:], rnd[8*i:8*i+8])
		id[8] = id[8]&0x3f | 0x80 // the variant of RFC 9562
		set(i, id)
	}
}

// fillIDs gives an id to each event of evs that has none, keeping those set.
func fillIDs(evs []Envelope) {
	missing := 0
	for i := range evs {
		if evs[i].EventID == uuid.Nil {
			missing++
		}
	}
	j := 0
	newIDs(missing, func(_ int, id uuid.UUID) {
		for evs[j].EventID != uuid.Nil {
			j++
		}
		evs[j].EventID = id
	})
}
