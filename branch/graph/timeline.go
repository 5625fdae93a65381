package graph

import (
	"sort"
	"time"
)

// PositionAt is the last position recorded at or before t: what a read "at t" must see. It is 0
// when t is before the first position.
func (s *State) PositionAt(t time.Time) int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i := sort.Search(len(s.times), func(i int) bool { return s.times[i].at.After(t) })
	if i == 0 {
		return 0
	}
	return s.times[i-1].pos
}

// RecordedAt is when position was written: the time of the last position at or before it.
func (s *State) RecordedAt(position int64) (time.Time, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i := sort.Search(len(s.times), func(i int) bool { return s.times[i].pos > position })
	if i == 0 {
		return time.Time{}, false
	}
	return s.times[i-1].at, true
}
