package task

import (
	"regexp"
	"testing"
)

func TestDerivedID(t *testing.T) {
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	a := DerivedID("event-1", "webhook-1")
	if !uuid.MatchString(a) || a != DerivedID("event-1", "webhook-1") {
		t.Fatalf("DerivedID = %q: not a stable UUID form", a)
	}
	for _, other := range [][]string{{"event-1", "webhook-2"}, {"event-1webhook-1"}, {"event-", "1webhook-1"}, {}} {
		if DerivedID(other...) == a {
			t.Errorf("DerivedID(%q) = DerivedID(event-1, webhook-1)", other)
		}
	}
}
