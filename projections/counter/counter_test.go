package counter_test

import (
	"context"
	"testing"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/projections"
	"github.com/infrahub-go/infrahub/projections/counter"
)

var (
	_ projections.Projector = (*counter.Counter)(nil)
	_ projections.Resetter  = (*counter.Counter)(nil)
)

func ev(pos events.Position, stream events.StreamID, typ string) events.Envelope {
	return events.Envelope{GlobalPosition: pos, Stream: stream, Type: typ}
}

func TestCounter(t *testing.T) {
	ctx := context.Background()
	c := counter.New()
	if c.Name() != "counter" || c.Version() != 1 {
		t.Fatalf("name %q version %d", c.Name(), c.Version())
	}
	if s := c.Snapshot(); s.Total != 0 || s.ByType == nil || s.ByStream == nil {
		t.Fatalf("empty snapshot %+v", s)
	}
	if err := c.Apply(ctx, []events.Envelope{ev(1, "a", "x"), ev(2, "b", "x"), ev(5, "a", "y")}); err != nil {
		t.Fatal(err)
	}
	if err := c.Apply(ctx, []events.Envelope{ev(6, "a", "x")}); err != nil {
		t.Fatal(err)
	}
	s := c.Snapshot()
	if s.Total != 4 || s.Last != 6 || s.ByType["x"] != 3 || s.ByType["y"] != 1 || s.ByStream["a"] != 3 || s.ByStream["b"] != 1 {
		t.Fatalf("snapshot %+v", s)
	}
	s.ByType["x"] = 100 // a copy
	if c.Snapshot().ByType["x"] != 3 {
		t.Fatal("Snapshot shares its maps")
	}

	for name, batch := range map[string][]events.Envelope{
		"repeat":    {ev(6, "a", "x")},
		"backwards": {ev(7, "a", "x"), ev(3, "a", "x")},
	} {
		if err := c.Apply(ctx, batch); err == nil {
			t.Fatalf("%s: Apply accepted positions not above the last", name)
		}
		if c.Snapshot().Total != 4 {
			t.Fatalf("%s: a rejected batch was partly counted", name)
		}
	}

	if err := c.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if s := c.Snapshot(); s.Total != 0 || s.Last != 0 || len(s.ByType) != 0 {
		t.Fatalf("after reset %+v", s)
	}
	if err := c.Apply(ctx, []events.Envelope{ev(1, "a", "x")}); err != nil {
		t.Fatalf("apply after reset: %v", err)
	}
}
