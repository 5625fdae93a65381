package graphtest

import (
	"errors"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/projections/graph"
)

func (s *suite) attr(t *testing.T, scope graph.Scope, name, attr string) any {
	t.Helper()
	n, err := s.a.Get(s.ctx, scope, s.w.id[name])
	if err != nil {
		t.Fatalf("Get(%+v, %s): %v", scope, name, err)
	}
	return n.Attributes[attr].Value
}

func (s *suite) branch(t *testing.T) {
	// The branch sees main as of its creation plus its own writes.
	s.expectList(t, feature, graph.Query{Kind: "TestDevice"}, 5, "access-1", "branch-1", "core-1", "edge-1", "edge-2")
	s.expectList(t, feature, graph.Query{Kind: "TestTag"}, 3, "blue", "green", "red")
	if _, err := s.a.Get(s.ctx, feature, s.w.id["late-1"]); !errors.Is(err, graph.ErrNotFound) {
		t.Errorf("late-1 (main, after the branch) on feature: %v; want ErrNotFound", err)
	}
	if got := s.attr(t, feature, "core-1", "description"); got != nil {
		t.Errorf("core-1 description on feature = %v; want nil (set on main after the branch)", got)
	}
	if got := s.attr(t, main, "core-1", "description"); got != "Core in Berlin" {
		t.Errorf("core-1 description on main = %v", got)
	}
	if got := s.attr(t, feature, "edge-2", "asn"); got != float64(64999) {
		t.Errorf("edge-2 asn on feature = %v; want 64999", got)
	}
	if got := s.attr(t, main, "edge-2", "asn"); got != nil {
		t.Errorf("edge-2 asn on main = %v; want nil (set on the branch)", got)
	}
	if got := s.attr(t, feature, "edge-1", "asn"); got != float64(65020) {
		t.Errorf("edge-1 asn on feature = %v; want 65020 (main before the branch)", got)
	}
	s.expectList(t, feature, graph.Query{Kind: "TestDevice", Filters: map[string]any{"site__name__value": "berlin"}}, 2, "branch-1", "core-1")
	s.expectList(t, feature, graph.Query{Kind: "TestDevice", Filters: map[string]any{"asn__value": 64999}}, 1, "edge-2")
	s.expectList(t, main, graph.Query{Kind: "TestDevice", Filters: map[string]any{"asn__value": 64999}}, 0)
	n, err := s.a.Get(s.ctx, feature, s.w.id["edge-2"])
	if err != nil {
		t.Fatal(err)
	}
	if n.UpdatedBy != "dave" {
		t.Errorf("edge-2 updated by %q on feature; want dave", n.UpdatedBy)
	}
}

func (s *suite) timeTravel(t *testing.T) {
	a, b := s.w.pos["update-a"], s.w.pos["update-b"]
	at := func(pos events.Position) graph.Scope { return graph.Scope{Branch: "main", At: pos} }
	if got := s.attr(t, at(a), "edge-1", "asn"); got != float64(65010) {
		t.Errorf("asn at update a = %v; want 65010", got)
	}
	if got := s.attr(t, at(b-1), "edge-1", "asn"); got != float64(65010) {
		t.Errorf("asn just before update b = %v; want 65010", got)
	}
	if got := s.attr(t, at(a-1), "edge-1", "asn"); got != float64(65001) {
		t.Errorf("asn before update a = %v; want 65001", got)
	}
	if got := s.attr(t, at(b), "edge-1", "asn"); got != float64(65020) {
		t.Errorf("asn at update b = %v; want 65020", got)
	}
	s.expectList(t, at(a), graph.Query{Kind: "TestDevice", Filters: map[string]any{"asn__value": 65010}}, 1, "edge-1")
	// Before the devices, and before a deletion.
	if _, err := s.a.Get(s.ctx, at(s.w.pos["tags"]), s.w.id["edge-1"]); !errors.Is(err, graph.ErrNotFound) {
		t.Errorf("edge-1 before its creation: %v; want ErrNotFound", err)
	}
	s.expectList(t, at(s.w.pos["devices"]), graph.Query{Kind: "TestDevice"}, 4, "access-1", "core-1", "edge-1", "edge-2")
	s.expectList(t, at(s.w.pos["feature"]), graph.Query{Kind: "TestTag"}, 3, "blue", "green", "red")
	s.expectEdges(t, at(s.w.pos["feature"]), "TestDevice", "tags", []string{"edge-2"}, map[string][]string{"edge-2": {"green"}})
	n, err := s.a.Get(s.ctx, at(a), s.w.id["edge-1"])
	if err != nil {
		t.Fatal(err)
	}
	if want := s.w.at[a].RecordedAt; !n.UpdatedAt.Equal(want) {
		t.Errorf("updated at, as of update a = %v; want %v", n.UpdatedAt, want)
	}

	// PositionAt turns a time into a position.
	pa, err := s.a.PositionAt(s.ctx, s.w.at[a].RecordedAt)
	if err != nil {
		t.Fatal(err)
	}
	if pa < a || pa >= b {
		t.Errorf("PositionAt(time of update a) = %d; want in [%d, %d)", pa, a, b)
	}
	if got := s.attr(t, at(pa), "edge-1", "asn"); got != float64(65010) {
		t.Errorf("asn at PositionAt(time of update a) = %v; want 65010", got)
	}
	if p, err := s.a.PositionAt(s.ctx, s.w.at[1].RecordedAt.Add(-time.Hour)); err != nil || p != 0 {
		t.Errorf("PositionAt(before the log) = %d, %v; want 0", p, err)
	}
	last := s.w.all[len(s.w.all)-1].GlobalPosition
	if p, err := s.a.PositionAt(s.ctx, time.Now().Add(time.Hour)); err != nil || p != last {
		t.Errorf("PositionAt(the future) = %d, %v; want %d", p, err, last)
	}

	// RecordedAt turns a position back into the time it was written.
	if got, ok, err := s.a.RecordedAt(s.ctx, a); err != nil || !ok || !got.Equal(s.w.at[a].RecordedAt) {
		t.Errorf("RecordedAt(update a) = %v, %v, %v; want %v", got, ok, err, s.w.at[a].RecordedAt)
	}
	if _, ok, err := s.a.RecordedAt(s.ctx, 0); err != nil || ok {
		t.Errorf("RecordedAt(0) = %v, %v; want not found", ok, err)
	}
	if _, ok, err := s.a.RecordedAt(s.ctx, last+1000); err != nil || ok {
		t.Errorf("RecordedAt(past the head) = %v, %v; want not found", ok, err)
	}

	// A scope at a time reads at the position current then; At, when given, wins.
	if got := s.attr(t, graph.Scope{Branch: "main", Time: s.w.at[a].RecordedAt}, "edge-1", "asn"); got != float64(65010) {
		t.Errorf("asn at the time of update a = %v; want 65010", got)
	}
	if got := s.attr(t, graph.Scope{Branch: "main", At: b, Time: s.w.at[a].RecordedAt}, "edge-1", "asn"); got != float64(65020) {
		t.Errorf("asn at update b, with the time of update a = %v; want 65020 (At wins)", got)
	}
	s.expectList(t, graph.Scope{Branch: "main", Time: s.w.at[s.w.pos["devices"]].RecordedAt}, graph.Query{Kind: "TestDevice"}, 4,
		"access-1", "core-1", "edge-1", "edge-2")
	// Before the first write nothing exists.
	early := graph.Scope{Branch: "main", Time: s.w.at[1].RecordedAt.Add(-time.Hour)}
	if _, err := s.a.Get(s.ctx, early, s.w.id["edge-1"]); !errors.Is(err, graph.ErrNotFound) {
		t.Errorf("edge-1 before the first write: %v; want ErrNotFound", err)
	}
	s.expectList(t, early, graph.Query{Kind: "TestDevice"}, 0)
	if n, err := s.a.Count(s.ctx, early, "TestTag", nil); err != nil || n != 0 {
		t.Errorf("Count(TestTag) before the first write = %d, %v; want 0", n, err)
	}
}
