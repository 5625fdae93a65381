package tasks_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/projections"
	"github.com/infrahub-go/infrahub/projections/tasks"
	"github.com/infrahub-go/infrahub/task"
)

var (
	_ projections.Projector  = (*tasks.Projection)(nil)
	_ projections.Resetter   = (*tasks.Projection)(nil)
	_ projections.Positioned = (*tasks.Projection)(nil)
)

// history writes task events as a log would: growing positions, per-stream versions, a clock.
type history struct {
	cat      *events.Catalogue
	pos      events.Position
	versions map[events.StreamID]int64
	clock    time.Time
}

func newHistory() *history {
	cat := events.NewCatalogue()
	task.RegisterEvents(cat)
	return &history{cat: cat, versions: map[events.StreamID]int64{}, clock: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
}

func (h *history) ev(t testing.TB, id, typ string, payload any) events.Envelope {
	t.Helper()
	e, err := h.cat.New(typ, payload, events.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	h.pos++
	h.clock = h.clock.Add(time.Second)
	s := task.Stream(id)
	h.versions[s]++
	e.GlobalPosition, e.Stream, e.StreamVersion, e.EventID = h.pos, s, h.versions[s], uuid.New()
	e.OccurredAt, e.RecordedAt = h.clock, h.clock
	return e
}

func (h *history) created(t testing.TB, c task.Created) events.Envelope {
	return h.ev(t, c.ID, task.TypeCreated, c)
}

func apply(t testing.TB, p *tasks.Projection, evs ...events.Envelope) {
	t.Helper()
	if err := p.Apply(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
}

func ids(page tasks.Page) []string {
	out := make([]string, 0, len(page.Tasks))
	for _, it := range page.Tasks {
		out = append(out, it.ID)
	}
	return out
}

// fixture folds seven tasks t1..t7 (t7 the newest) into a projection:
//
//	t1 create-branch  b1  db-change  node n1       COMPLETED
//	t2 branch-merge   b1  db-change  nodes n1, n2  RUNNING
//	t3 branch-merge   b2  db-change                PENDING
//	t4 diff-update    b1                           RUNNING
//	t5 schema-load    b1  db-change  node n2       FAILED
//	t6 branch-rebase  b1  db-change                SCHEDULED (retried)
//	t7 create-branch  -   db-change                CANCELLED
func fixture(t testing.TB) (*tasks.Projection, *history) {
	h := newHistory()
	p := tasks.New(h.cat, limits.Limits{})
	db := []string{task.TagDatabaseChange}
	mk := func(id, wf, title, br string, tags []string, nodes ...string) events.Envelope {
		c := task.Created{ID: id, Workflow: wf, Title: title, Branch: br, Tags: tags, MaxAttempts: 3,
			Parameters: json.RawMessage(`{"name":"` + br + `"}`)}
		for _, n := range nodes {
			c.RelatedNodes = append(c.RelatedNodes, task.RelatedNode{ID: n, Kind: "TestDevice"})
		}
		return h.created(t, c)
	}
	apply(t, p,
		mk("t1", "create-branch", "Create branch b1", "b1", db, "n1"),
		mk("t2", "branch-merge", "Merge branch b1", "b1", db, "n1", "n2"),
		events.Envelope{GlobalPosition: 100, Type: "node.created", Stream: "branch/main", Payload: json.RawMessage(`not json`)},
	)
	h.pos = 100
	apply(t, p,
		mk("t3", "branch-merge", "Merge branch b2", "b2", db),
		mk("t4", "diff-update", "Update the diff of b1", "b1", nil),
		mk("t5", "schema-load", "Load a schema", "b1", db, "n2"),
		mk("t6", "branch-rebase", "Rebase branch b1", "b1", db),
		mk("t7", "create-branch", "Create branch B7", "", db),
		h.ev(t, "t1", task.TypeStarted, task.Started{Attempt: 1, Worker: "w1"}),
		h.ev(t, "t1", task.TypeLogged, task.Logged{Message: "creating", Severity: task.SeverityInfo}),
		h.ev(t, "t1", task.TypeCompleted, task.Completed{}),
		h.ev(t, "t2", task.TypeStarted, task.Started{Attempt: 1, Worker: "w1"}),
		h.ev(t, "t4", task.TypeStarted, task.Started{Attempt: 1, Worker: "w2"}),
		h.ev(t, "t5", task.TypeStarted, task.Started{Attempt: 1, Worker: "w2"}),
		h.ev(t, "t5", task.TypeFailed, task.Failed{Attempt: 1, Error: "invalid schema", Code: "invalid"}),
		h.ev(t, "t6", task.TypeStarted, task.Started{Attempt: 1, Worker: "w1"}),
		h.ev(t, "t6", task.TypeRetried, task.Retried{Attempt: 1, Error: "broker away", Delay: time.Second}),
		h.ev(t, "t7", task.TypeCancelled, task.Cancelled{}),
	)
	return p, h
}

func TestList(t *testing.T) {
	p, _ := fixture(t)
	all := []string{"t7", "t6", "t5", "t4", "t3", "t2", "t1"}
	cases := []struct {
		name  string
		f     tasks.Filter
		want  []string
		count int
	}{
		{"everything, newest first", tasks.Filter{}, all, 7},
		{"limit and offset; count is every match", tasks.Filter{Limit: 2, Offset: 1}, []string{"t6", "t5"}, 7},
		{"offset beyond the end", tasks.Filter{Offset: 50}, []string{}, 7},
		{"ids, in any order, unknown ones ignored", tasks.Filter{IDs: []string{"t1", "nope", "t4", "t1"}}, []string{"t4", "t1"}, 2},
		{"ids and a state", tasks.Filter{IDs: []string{"t1", "t4"}, States: []task.State{task.StateRunning}}, []string{"t4"}, 1},
		{"branch", tasks.Filter{Branch: "b1"}, []string{"t6", "t5", "t4", "t2", "t1"}, 5},
		{"unknown branch", tasks.Filter{Branch: "nope"}, []string{}, 0},
		{"states", tasks.Filter{States: []task.State{task.StateRunning, task.StateCompleted}}, []string{"t4", "t2", "t1"}, 3},
		{"workflows", tasks.Filter{Workflows: []string{"branch-merge", "schema-load"}}, []string{"t5", "t3", "t2"}, 3},
		{"one related node", tasks.Filter{RelatedNodeIDs: []string{"n2"}}, []string{"t5", "t2"}, 2},
		{"several related nodes", tasks.Filter{RelatedNodeIDs: []string{"n2", "n1"}}, []string{"t5", "t2", "t1"}, 3},
		{"related node and branch", tasks.Filter{RelatedNodeIDs: []string{"n1"}, States: []task.State{task.StateRunning}}, []string{"t2"}, 1},
		{"q in the title, any case", tasks.Filter{Q: "BRANCH b"}, []string{"t7", "t6", "t3", "t2", "t1"}, 5},
		{"q in the workflow", tasks.Filter{Q: "diff-upd"}, []string{"t4"}, 1},
		{"q in the id", tasks.Filter{Q: "T3"}, []string{"t3"}, 1},
		{"tags: all of them", tasks.Filter{Tags: []string{task.TagDatabaseChange}, Branch: "b1"}, []string{"t6", "t5", "t2", "t1"}, 4},
		{"tag nobody has", tasks.Filter{Tags: []string{task.TagDatabaseChange, "x"}}, []string{}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			page, err := p.List(context.Background(), tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(page); !slices.Equal(got, tc.want) || page.Count != tc.count {
				t.Fatalf("got %v (count %d), want %v (count %d)", got, page.Count, tc.want, tc.count)
			}
		})
	}
	for _, f := range []tasks.Filter{{Limit: -1}, {Offset: -1}, {LogLimit: -1}, {LogOffset: -2}} {
		if _, err := p.List(context.Background(), f); !errors.Is(err, task.ErrInvalid) {
			t.Errorf("%+v: %v, want ErrInvalid", f, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.List(ctx, tasks.Filter{}); !errors.Is(err, context.Canceled) {
		t.Errorf("ended context: %v", err)
	}
}

func TestFold(t *testing.T) {
	p, h := fixture(t)
	got, err := p.Get("t6")
	if err != nil {
		t.Fatal(err)
	}
	if got.State != task.StateScheduled || got.Error != "broker away" || got.Attempt != 1 || got.Version != 3 ||
		got.Branch != "b1" || string(got.Parameters) != `{"name":"b1"}` || got.StartTime.IsZero() || !got.UpdatedAt.After(got.CreatedAt) {
		t.Fatalf("t6 = %+v", got.Task)
	}
	if got, _ := p.Get("t1"); got.State != task.StateCompleted || got.Conclusion != task.Success || got.LogCount != 1 ||
		len(got.Logs) != 1 || got.Logs[0].Message != "creating" {
		t.Fatalf("t1 = %+v", got)
	}
	if _, err := p.Get("nope"); !errors.Is(err, task.ErrNotFound) {
		t.Fatalf("unknown task: %v", err)
	}
	if pos := p.Position(); pos != h.pos {
		t.Fatalf("position %d, want %d", pos, h.pos)
	}
	if n := p.Skipped(); n != 0 {
		t.Fatalf("%d skipped", n)
	}
	if got := p.NotFinal(); !slices.Equal(got, []string{"t2", "t3", "t4", "t6"}) {
		t.Fatalf("not final: %v", got)
	}
	// Events that cannot apply are counted and left out, the rest of the batch applies.
	apply(t, p,
		h.ev(t, "ghost", task.TypeStarted, task.Started{Attempt: 1}),                        // never created
		h.ev(t, "t1", task.TypeFailed, task.Failed{Error: "late"}),                          // t1 is over
		h.created(t, task.Created{ID: "t1", Workflow: "again"}),                             // created twice
		events.Envelope{GlobalPosition: h.pos + 1, Type: "task.unknown", Stream: "task/t2"}, // not in the catalogue
		h.ev(t, "t2", task.TypeProgressed, task.Progressed{Progress: 0.5}),
	)
	if n := p.Skipped(); n != 4 {
		t.Fatalf("%d skipped, want 4", n)
	}
	if got, _ := p.Get("t1"); got.State != task.StateCompleted || got.Workflow != "create-branch" {
		t.Fatalf("t1 changed by refused events: %+v", got.Task)
	}
	if got, _ := p.Get("t2"); got.Progress != 0.5 {
		t.Fatalf("t2 progress %v", got.Progress)
	}
	if err := p.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	if p.Len() != 0 || p.Position() != 0 || p.Skipped() != 0 {
		t.Fatalf("after reset: %d tasks at %d", p.Len(), p.Position())
	}
	if page, _ := p.List(context.Background(), tasks.Filter{RelatedNodeIDs: []string{"n1"}}); page.Count != 0 {
		t.Fatalf("indexes survive a reset: %+v", page)
	}
}

func TestBranchStatus(t *testing.T) {
	p, _ := fixture(t)
	for br, want := range map[string][]string{"b1": {"t6", "t2"}, "b2": {"t3"}, "": {"t6", "t3", "t2"}, "nope": {}} {
		page, err := p.BranchStatus(br)
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(page); !slices.Equal(got, want) || page.Count != len(want) {
			t.Errorf("branch %q: %v (count %d), want %v", br, got, page.Count, want)
		}
	}
}

// Log lines beyond TaskLogLines are counted, not kept; the lines kept are paged by LogLimit and
// LogOffset, at most TaskPage; a page of tasks holds at most TaskPage.
func TestLogsAndBounds(t *testing.T) {
	h := newHistory()
	p := tasks.New(h.cat, limits.Limits{TaskLogLines: 5, TaskPage: 3})
	evs := []events.Envelope{h.created(t, task.Created{ID: "a", Workflow: "w", Title: "A"})}
	for i := range 8 {
		evs = append(evs, h.ev(t, "a", task.TypeLogged, task.Logged{Message: fmt.Sprint("line ", i), Severity: task.SeverityInfo}))
	}
	for _, id := range []string{"b", "c", "d"} {
		evs = append(evs, h.created(t, task.Created{ID: id, Workflow: "w"}))
	}
	apply(t, p, evs...)
	a, _ := p.Get("a")
	if len(a.Logs) != 5 || a.LogCount != 8 || a.Logs[4].Message != "line 4" || a.Version != 9 || !a.UpdatedAt.Equal(evs[8].OccurredAt) {
		t.Fatalf("a: %d lines kept of %d, version %d", len(a.Logs), a.LogCount, a.Version)
	}
	messages := func(f tasks.Filter) []string {
		f.IDs = []string{"a"}
		page, err := p.List(context.Background(), f)
		if err != nil || len(page.Tasks) != 1 {
			t.Fatalf("%+v: %v %v", f, page, err)
		}
		var out []string
		for _, l := range page.Tasks[0].Logs {
			out = append(out, l.Message)
		}
		return out
	}
	for _, tc := range []struct {
		f    tasks.Filter
		want []string
	}{
		{tasks.Filter{}, []string{"line 0", "line 1", "line 2"}}, // TaskPage
		{tasks.Filter{LogLimit: 2, LogOffset: 1}, []string{"line 1", "line 2"}},
		{tasks.Filter{LogLimit: 10, LogOffset: 3}, []string{"line 3", "line 4"}},
		{tasks.Filter{LogOffset: 9}, nil},
	} {
		if got := messages(tc.f); !slices.Equal(got, tc.want) {
			t.Errorf("%+v: %v, want %v", tc.f, got, tc.want)
		}
	}
	page, _ := p.List(context.Background(), tasks.Filter{Limit: 50})
	if got := ids(page); !slices.Equal(got, []string{"d", "c", "b"}) || page.Count != 4 {
		t.Fatalf("limit beyond TaskPage: %v (count %d)", got, page.Count)
	}
	if page, _ := p.List(context.Background(), tasks.Filter{}); len(page.Tasks) != 3 {
		t.Fatalf("default limit under a TaskPage of 3: %d", len(page.Tasks))
	}
}

// Readers run while batches apply: each answer is a consistent copy (run with -race).
func TestConcurrentReadsAndWaitFor(t *testing.T) {
	h := newHistory()
	p := tasks.New(h.cat, limits.Limits{})
	var batches [][]events.Envelope
	for i := range 50 {
		id := fmt.Sprint("t", i)
		batches = append(batches, []events.Envelope{
			h.created(t, task.Created{ID: id, Workflow: "w", RelatedNodes: []task.RelatedNode{{ID: "n"}}}),
			h.ev(t, id, task.TypeLogged, task.Logged{Message: "x", Severity: task.SeverityInfo}),
			h.ev(t, "t0", task.TypeLogged, task.Logged{Message: "more", Severity: task.SeverityInfo}),
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for p.Position() < h.pos {
				page, err := p.List(ctx, tasks.Filter{RelatedNodeIDs: []string{"n"}, Limit: 1000})
				if err != nil || page.Count != len(page.Tasks) {
					t.Errorf("list: %d of %d, %v", len(page.Tasks), page.Count, err)
					return
				}
				for _, it := range page.Tasks {
					for _, l := range it.Logs {
						if l.Message == "" {
							t.Error("a log line read half written")
						}
					}
				}
			}
		})
	}
	done := make(chan error, 1)
	go func() { done <- p.WaitFor(ctx, h.pos) }()
	for _, b := range batches {
		apply(t, p, b...)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if t0, _ := p.Get("t0"); t0.LogCount != 51 {
		t.Fatalf("t0 has %d lines", t0.LogCount)
	}
	short, stop := context.WithCancel(context.Background())
	stop()
	if err := p.WaitFor(short, h.pos+1); !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitFor beyond the head with an ended context: %v", err)
	}
}

// BenchmarkList measures a page of tasks from a projection of 100,000 tasks: the newest (and a
// branch's), full scans with a filter on the state or a text, and the indexed reads by related
// node and by id.
func BenchmarkList(b *testing.B) {
	h := newHistory()
	p := tasks.New(h.cat, limits.Limits{})
	const n = 100_000
	batch := make([]events.Envelope, 0, 1000)
	for i := range n {
		id := fmt.Sprint("task-", i)
		batch = append(batch, h.created(b, task.Created{ID: id, Workflow: "create-branch", Title: "Create branch " + id,
			Branch: fmt.Sprint("b", i%100), RelatedNodes: []task.RelatedNode{{ID: fmt.Sprint("node-", i%5000)}}}))
		if i%10 == 0 {
			batch = append(batch, h.ev(b, id, task.TypeStarted, task.Started{Attempt: 1}))
		}
		if len(batch) >= 1000 {
			apply(b, p, batch...)
			batch = batch[:0]
		}
	}
	apply(b, p, batch...)
	ctx := context.Background()
	for _, bc := range []struct {
		name string
		f    tasks.Filter
	}{
		{"newest", tasks.Filter{Limit: 50}},
		{"branch", tasks.Filter{Branch: "b7", Limit: 50, Offset: 100}},
		{"scan-state", tasks.Filter{States: []task.State{task.StateRunning}, Limit: 50}},
		{"scan-q", tasks.Filter{Q: "branch task-9999", Limit: 50}},
		{"related-node", tasks.Filter{RelatedNodeIDs: []string{"node-42"}, Limit: 50}},
		{"ids", tasks.Filter{IDs: []string{"task-1", "task-500", "task-99999"}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := p.List(ctx, bc.f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
