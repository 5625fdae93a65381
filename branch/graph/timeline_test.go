package graph

import (
	"testing"
	"time"
)

func TestTimelineKeepsZones(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	times := []time.Time{
		time.Date(1200, 1, 1, 5, 0, 0, 7, paris), // before what Unix nanoseconds hold
		time.Date(2026, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(2026, 1, 1, 2, 0, 0, 999_999_999, paris),
		time.Date(2026, 1, 1, 3, 0, 0, 0, paris),
		time.Date(2026, 1, 1, 4, 0, 0, 0, time.Local),
		time.Date(2026, 1, 1, 5, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 1, 6, 0, 0, 0, time.UTC),
		time.Date(3000, 1, 1, 5, 0, 0, 7, time.UTC), // after
		time.Date(3000, 1, 1, 6, 0, 0, 0, time.Local),
	}
	s := NewState()
	for i, at := range times {
		if err := s.Apply(Main, int64(i+1), at, Change{Op: OpSetAttr, Node: id(1), Field: fName, Value: Value{Data: i}}); err != nil {
			t.Fatal(err)
		}
	}
	for i, want := range times {
		got, ok := s.RecordedAt(int64(i + 1))
		if !ok || !got.Equal(want) || got.Location() != want.Location() {
			t.Errorf("position %d: recorded at %v, want %v", i+1, got, want)
		}
		if p := s.PositionAt(want); p != int64(i+1) {
			t.Errorf("position at %v: %d, want %d", want, p, i+1)
		}
	}
	if len(s.times.zones) != 3 || len(s.times.wide) != 3 {
		t.Errorf("%d zones kept, want 3; %d times on the side, want 3", len(s.times.zones), len(s.times.wide))
	}
}
