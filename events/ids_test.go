package events

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/uuid"
)

// newIDs makes version 7 UUIDs of the current time, rising within a call and from call to call.
func TestNewIDsAreRisingV7(t *testing.T) {
	var prev uuid.UUID
	for _, n := range []int{1, 5000, 3, 1} {
		ids := make([]uuid.UUID, n)
		newIDs(n, func(i int, id uuid.UUID) { ids[i] = id })
		for _, id := range ids {
			if id.Version() != 7 || id.Variant() != uuid.RFC4122 {
				t.Fatalf("%s: version %d, variant %v", id, id.Version(), id.Variant())
			}
			if sec, nsec := id.Time().UnixTime(); time.Since(time.Unix(sec, nsec)).Abs() > time.Minute {
				t.Fatalf("%s: time %v, want about now", id, time.Unix(sec, nsec))
			}
			if bytes.Compare(id[:], prev[:]) <= 0 {
				t.Fatalf("%s after %s: not rising", id, prev)
			}
			prev = id
		}
	}
}

// Stamp gives an id to each event without one and keeps those given.
func TestStampKeepsGivenIDs(t *testing.T) {
	given := uuid.MustParse("01890a5d-ac96-774b-bcce-b302099a8057")
	evs := []Envelope{{Type: "a"}, {Type: "b", EventID: given}, {Type: "c"}}
	if err := Stamp(evs, "", time.Now()); err != nil {
		t.Fatal(err)
	}
	if evs[1].EventID != given || evs[0].EventID == uuid.Nil || evs[2].EventID == uuid.Nil || evs[0].EventID == evs[2].EventID {
		t.Fatalf("ids %s %s %s", evs[0].EventID, evs[1].EventID, evs[2].EventID)
	}
}
