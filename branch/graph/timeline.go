package graph

import (
	"math"
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

// timeline is the positions written and when, in order: 16 bytes each (a time.Time takes 24 on
// its own), in chunks (no slack of a doubling slice). A time is kept as Unix nanoseconds; its
// location as runs (a log's times are usually all in one zone); a time Unix nanoseconds cannot
// hold (before 1678 or after 2262) in a map on the side. Times keep their instant and location,
// not their monotonic clock reading.
type timeline struct {
	list  chunked[stamp]
	zones []*time.Location     // distinct, by zoneRun.zone
	runs  []zoneRun            // by stamp number
	wide  map[uint32]time.Time // by stamp number: the times of stamps whose ns is wideTime
}

type stamp struct {
	pos int64
	ns  int64 // Unix nanoseconds, or wideTime
}

// zoneRun says that the stamps from number from on are in zone number zone (until the next run).
type zoneRun struct {
	from, zone uint32
}

const wideTime = math.MinInt64

func (t *timeline) len() int { return t.list.len() }

func (t *timeline) pos(i int) int64 { return t.list.at(uint32(i)).pos }

func (t *timeline) time(i int) time.Time {
	st := t.list.at(uint32(i))
	if st.ns == wideTime {
		return t.wide[uint32(i)]
	}
	return time.Unix(0, st.ns).In(t.zoneOf(uint32(i)))
}

// zoneOf is the location of stamp i.
func (t *timeline) zoneOf(i uint32) *time.Location {
	k := len(t.runs) - 1
	if t.runs[k].from > i {
		k = sort.Search(len(t.runs), func(j int) bool { return t.runs[j].from > i }) - 1
	}
	return t.zones[t.runs[k].zone]
}

// nsAt is the time position pos was recorded at (that of the last position at or before it) in
// Unix nanoseconds; false when there is none or Unix nanoseconds cannot hold it.
func (t *timeline) nsAt(pos int64) (int64, bool) {
	n := t.len()
	if n == 0 {
		return 0, false
	}
	i := n - 1
	if t.pos(i) > pos {
		// the position before the last is the usual one: a record is written when the next
		// position folds
		if i--; i < 0 || t.pos(i) > pos {
			if i = sort.Search(n, func(i int) bool { return t.pos(i) > pos }) - 1; i < 0 {
				return 0, false
			}
		}
	}
	ns := t.list.at(uint32(i)).ns
	return ns, ns != wideTime
}

// last is the time of the last position (zero when none).
func (t *timeline) last() (time.Time, bool) {
	if n := t.len(); n > 0 {
		return t.time(n - 1), true
	}
	return time.Time{}, false
}

func (t *timeline) push(pos int64, at time.Time) {
	i := uint32(t.len())
	loc := at.Location()
	if n := len(t.runs); n == 0 || t.zones[t.runs[n-1].zone] != loc {
		zone := slices.Index(t.zones, loc)
		if zone < 0 {
			zone = len(t.zones)
			t.zones = append(t.zones, loc)
		}
		t.runs = append(t.runs, zoneRun{from: i, zone: uint32(zone)})
	}
	ns := at.UnixNano()
	if ns == wideTime || !time.Unix(0, ns).Equal(at) {
		if t.wide == nil {
			t.wide = map[uint32]time.Time{}
		}
		t.wide[i] = time.Unix(at.Unix(), int64(at.Nanosecond())).In(loc)
		ns = wideTime
	}
	t.list.push(stamp{pos: pos, ns: ns})
}
