package graph

import (
	"slices"
	"sort"
	"time"
)

// PositionAt is the last position recorded at or before t: what a read "at t" must see. It is 0
// when t is before the first position.
func (s *State) PositionAt(t time.Time) int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i := sort.Search(s.times.len(), func(i int) bool { return s.times.time(i).After(t) })
	if i == 0 {
		return 0
	}
	return s.times.pos(i - 1)
}

// RecordedAt is when position was written: the time of the last position at or before it.
func (s *State) RecordedAt(position int64) (time.Time, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i := sort.Search(s.times.len(), func(i int) bool { return s.times.pos(i) > position })
	if i == 0 {
		return time.Time{}, false
	}
	return s.times.time(i - 1), true
}

// timeline is the positions written and when, in order: 24 bytes each (a time.Time takes 24 on
// its own), in chunks (no slack of a doubling slice). Times keep their instant and location,
// not their monotonic clock reading.
type timeline struct {
	list  chunked[stamp]
	zones []*time.Location // by stamp.zone
}

type stamp struct {
	pos  int64
	sec  int64
	nsec int32
	zone int32
}

func (t *timeline) len() int { return t.list.len() }

func (t *timeline) pos(i int) int64 { return t.list.at(uint32(i)).pos }

func (t *timeline) time(i int) time.Time {
	st := t.list.at(uint32(i))
	return time.Unix(st.sec, int64(st.nsec)).In(t.zones[st.zone])
}

// last is the time of the last position (zero when none).
func (t *timeline) last() (time.Time, bool) {
	if n := t.len(); n > 0 {
		return t.time(n - 1), true
	}
	return time.Time{}, false
}

func (t *timeline) push(pos int64, at time.Time) {
	loc := at.Location()
	zone := -1
	if n := t.len(); n > 0 && t.zones[t.list.at(uint32(n-1)).zone] == loc { // usually one zone
		zone = int(t.list.at(uint32(n - 1)).zone)
	} else {
		zone = slices.Index(t.zones, loc)
	}
	if zone < 0 {
		zone = len(t.zones)
		t.zones = append(t.zones, loc)
	}
	t.list.push(stamp{pos: pos, sec: at.Unix(), nsec: int32(at.Nanosecond()), zone: int32(zone)})
}
