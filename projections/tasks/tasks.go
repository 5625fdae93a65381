// Package tasks is the read model of background tasks: it folds every task.* event of the log
// (task.Task.Apply) into an in-memory index and answers Infrahub's InfrahubTask and
// InfrahubTaskBranchStatus queries from it. Every server runs it (it is a projections.Projector
// named "tasks", rebuilt from the log at start), so every server answers the same.
//
// A task's log lines are kept up to Limits.TaskLogLines (INFRAHUB_TASK_MAX_LOG_LINES); the lines
// beyond are counted, not kept. A page of tasks, or of one task's log lines, holds at most
// Limits.TaskPage (INFRAHUB_TASK_MAX_PAGE).
package tasks

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/task"
)

// Name and Version of the projector.
const (
	Name    = "tasks"
	Version = 1
)

// Projection is the tasks read model. It is safe for concurrent use: Apply takes a write lock,
// reads a read lock, and a read's answer shares nothing a later Apply changes (a task's log lines
// are only ever appended, and an answer holds a slice of them capped at its length).
type Projection struct {
	cat *events.Catalogue
	lim limits.Limits

	mu       sync.RWMutex
	byID     map[string]*entry
	order    []*entry            // every task, oldest first (the order of their task.created)
	byNode   map[string][]*entry // tasks by related node id, oldest first
	byBranch map[string][]*entry // tasks by branch, oldest first
	pos      events.Position     // every event up to here is applied
	skipped  int64               // task events that did not apply (see Apply)
	sig      events.Signal       // woken after each Apply and Reset
}

// entry is one task with what the index keeps beside it.
type entry struct {
	t       task.Task
	seq     int    // index in order
	dropped int    // log lines beyond TaskLogLines: counted, not kept
	search  string // lower-cased id, title and workflow, what Filter.Q looks in
}

// New returns an empty projection decoding with cat, which must hold the task event types
// (task.RegisterEvents; New panics otherwise: a wiring error). A zero bound of lim takes its
// default.
func New(cat *events.Catalogue, lim limits.Limits) *Projection {
	if cat == nil {
		panic("tasks.New: nil catalogue")
	}
	if _, ok := cat.Lookup(task.TypeCreated); !ok {
		panic("tasks.New: the catalogue does not hold the task events (task.RegisterEvents)")
	}
	def := limits.Default()
	if lim.TaskLogLines <= 0 {
		lim.TaskLogLines = def.TaskLogLines
	}
	if lim.TaskPage <= 0 {
		lim.TaskPage = def.TaskPage
	}
	p := &Projection{cat: cat, lim: lim}
	p.clear()
	return p
}

func (p *Projection) clear() {
	p.byID, p.order = map[string]*entry{}, nil
	p.byNode, p.byBranch = map[string][]*entry{}, map[string][]*entry{}
	p.pos, p.skipped = 0, 0
}

// Name implements projections.Projector.
func (p *Projection) Name() string { return Name }

// Version implements projections.Projector.
func (p *Projection) Version() int { return Version }

// decoded is a task event with its payload.
type decoded struct {
	e       *events.Envelope
	payload any
}

// Apply folds the task events of batch; events of other types are skipped on their type alone
// (nothing is decoded). A task event that cannot apply (a payload this build cannot decode, an
// event of a task whose creation was not seen, a transition task.Task.Apply refuses) is counted
// in Skipped and left out, so that one bad event never stops the projection; the log's writers
// append at the version they read, so such events are not expected.
func (p *Projection) Apply(_ context.Context, batch []events.Envelope) error {
	var evs []decoded
	skipped := int64(0)
	for i := range batch {
		e := &batch[i]
		if !task.IsTaskEvent(e.Type) {
			continue
		}
		v, err := p.cat.Decode(*e)
		if err != nil {
			skipped++
			continue
		}
		evs = append(evs, decoded{e, v})
	}
	p.mu.Lock()
	defer p.sig.Notify()
	defer p.mu.Unlock()
	p.skipped += skipped
	for _, d := range evs {
		if !p.apply(d.e, d.payload) {
			p.skipped++
		}
	}
	if n := len(batch); n > 0 && batch[n-1].GlobalPosition > p.pos {
		p.pos = batch[n-1].GlobalPosition
	}
	return nil
}

// apply folds one decoded task event; false when it did not apply.
func (p *Projection) apply(e *events.Envelope, payload any) bool {
	id, ok := task.IDOf(e.Stream)
	if !ok || id == "" {
		return false
	}
	if c, created := payload.(task.Created); created {
		if _, dup := p.byID[id]; dup {
			return false
		}
		var t task.Task
		if err := t.Apply(e, c); err != nil {
			return false
		}
		if t.ID == "" {
			t.ID = id
		}
		en := &entry{t: t, seq: len(p.order),
			search: strings.ToLower(t.ID + "\x00" + t.Title + "\x00" + t.Workflow)}
		p.byID[id] = en
		p.order = append(p.order, en)
		seen := map[string]bool{}
		for _, n := range t.RelatedNodes {
			if n.ID != "" && !seen[n.ID] {
				seen[n.ID] = true
				p.byNode[n.ID] = append(p.byNode[n.ID], en)
			}
		}
		if t.Branch != "" {
			p.byBranch[t.Branch] = append(p.byBranch[t.Branch], en)
		}
		return true
	}
	en := p.byID[id]
	if en == nil {
		return false
	}
	if _, logged := payload.(task.Logged); logged && len(en.t.Logs) >= p.lim.TaskLogLines {
		en.dropped++
		en.t.UpdatedAt, en.t.Version, en.t.Position = e.OccurredAt, e.StreamVersion, e.GlobalPosition
		return true
	}
	t := en.t // Apply changes nothing on a refusal, but it is folded on a copy all the same
	if err := t.Apply(e, payload); err != nil {
		return false
	}
	en.t = t
	return true
}

// Reset implements projections.Resetter: the projection forgets every task.
func (p *Projection) Reset(context.Context) error {
	p.mu.Lock()
	p.clear()
	p.mu.Unlock()
	p.sig.Notify()
	return nil
}

// Position is the log position up to which every event is applied.
func (p *Projection) Position() events.Position {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.pos
}

// WaitFor waits until every event up to pos is applied, or ctx ends.
func (p *Projection) WaitFor(ctx context.Context, pos events.Position) error {
	for {
		ch := p.sig.C()
		if p.Position() >= pos {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("tasks projection waiting for position %d: %w", pos, ctx.Err())
		case <-ch:
		}
	}
}

// Skipped counts the task events that did not apply (see Apply).
func (p *Projection) Skipped() int64 {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.skipped
}

// Len is the number of tasks.
func (p *Projection) Len() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(p.order)
}

// Get answers the task id with every log line kept, or an error wrapping task.ErrNotFound.
func (p *Projection) Get(id string) (Item, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	en := p.byID[id]
	if en == nil {
		return Item{}, fmt.Errorf("task %q: %w", id, task.ErrNotFound)
	}
	return en.item(0, len(en.t.Logs)), nil
}

// NotFinal lists the ids of the tasks that are not over (pending, scheduled, running, ...),
// oldest first: what a worker pool re-enqueues at start when its messages did not survive.
func (p *Projection) NotFinal() []string {
	p.mu.RLock()
	defer p.mu.RUnlock()
	var out []string
	for _, en := range p.order {
		if !en.t.State.Final() {
			out = append(out, en.t.ID)
		}
	}
	return out
}
