package tasks

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"strings"

	"github.com/infrahub-go/infrahub/task"
)

// DefaultLimit is the number of tasks a page holds when Filter.Limit is 0: Infrahub's default
// limit of InfrahubTask.
const DefaultLimit = 10

// BranchStatusStates are the states of the tasks InfrahubTaskBranchStatus lists: those still to
// run or running (Infrahub's PENDING, RUNNING, CANCELLING and SCHEDULED).
var BranchStatusStates = []task.State{task.StatePending, task.StateRunning, task.StateCancelling, task.StateScheduled}

// Filter selects tasks, as InfrahubTask's arguments do. Every criterion given must hold; a list
// criterion holds when the task matches one of its values (Tags: all of them).
type Filter struct {
	IDs    []string
	Branch string
	States []task.State
	// Workflows are workflow names (Infrahub's flow names: "create-branch", ...).
	Workflows []string
	// RelatedNodeIDs: the task is about one of these nodes.
	RelatedNodeIDs []string
	// Q is a substring of the task's title, workflow or id, ignoring case.
	Q    string
	Tags []string
	// Limit (0: DefaultLimit) and Offset page the tasks, newest first; a limit above
	// Limits.TaskPage is cut to it.
	Limit, Offset int
	// LogLimit (0: Limits.TaskPage, and at most that) and LogOffset page each task's log lines,
	// oldest first.
	LogLimit, LogOffset int
}

// Item is a task of a page. Its Logs hold the page of log lines Filter.LogLimit and LogOffset
// select (Get: every line kept).
type Item struct {
	task.Task
	// LogCount is the number of log lines the task wrote, kept or not.
	LogCount int
}

// Page is the answer of List.
type Page struct {
	Count int    // every task matching the filter
	Tasks []Item // the page of them, newest first
}

// List answers the tasks matching f, newest first (by creation: the order of their
// task.created in the log), as InfrahubTask: Count is every match, Tasks the page Limit and
// Offset select. A filter on ids, related nodes or a branch reads only the tasks it names, not
// every task.
func (p *Projection) List(ctx context.Context, f Filter) (Page, error) {
	if err := ctx.Err(); err != nil {
		return Page{}, err
	}
	for _, c := range []struct {
		name string
		v    int
	}{{"limit", f.Limit}, {"offset", f.Offset}, {"log_limit", f.LogLimit}, {"log_offset", f.LogOffset}} {
		if c.v < 0 {
			return Page{}, fmt.Errorf("%w: %s is %d, it may not be negative", task.ErrInvalid, c.name, c.v)
		}
	}
	limit := f.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	limit = min(limit, p.lim.TaskPage)
	logLimit := f.LogLimit
	if logLimit == 0 {
		logLimit = p.lim.TaskPage
	}
	logLimit = min(logLimit, p.lim.TaskPage)
	q := strings.ToLower(f.Q)

	p.mu.RLock()
	defer p.mu.RUnlock()
	var page Page
	if list, ok := p.indexed(f); ok { // every task of the list matches: no need to look at each
		page.Count = len(list)
		for i := len(list) - 1 - f.Offset; i >= 0 && len(page.Tasks) < limit; i-- {
			page.Tasks = append(page.Tasks, list[i].item(f.LogOffset, logLimit))
		}
		return page, nil
	}
	for en := range p.candidates(f) {
		if !f.matches(en, q) {
			continue
		}
		if page.Count >= f.Offset && len(page.Tasks) < limit {
			page.Tasks = append(page.Tasks, en.item(f.LogOffset, logLimit))
		}
		page.Count++
	}
	return page, nil
}

// BranchStatus answers the tasks of branch that may change data and are not over (tagged
// task.TagDatabaseChange, in one of BranchStatusStates), newest first, at most Limits.TaskPage:
// InfrahubTaskBranchStatus. An empty branch lists those of every branch.
func (p *Projection) BranchStatus(branch string) (Page, error) {
	return p.List(context.Background(), Filter{Branch: branch, States: BranchStatusStates,
		Tags: []string{task.TagDatabaseChange}, Limit: p.lim.TaskPage})
}

// indexed answers the tasks of f, oldest first, when an index holds exactly them: f selects
// every task, or those of a branch.
func (p *Projection) indexed(f Filter) ([]*entry, bool) {
	if len(f.IDs) > 0 || len(f.States) > 0 || len(f.Workflows) > 0 || len(f.RelatedNodeIDs) > 0 || f.Q != "" || len(f.Tags) > 0 {
		return nil, false
	}
	if f.Branch != "" {
		return p.byBranch[f.Branch], true
	}
	return p.order, true
}

// candidates yields, newest first, the tasks that may match f: those of its ids, else of its
// related nodes, else of its branch, else every task.
func (p *Projection) candidates(f Filter) iter.Seq[*entry] {
	switch {
	case len(f.IDs) > 0:
		return newestFirst(p.union(f.IDs, func(id string) []*entry {
			if en := p.byID[id]; en != nil {
				return []*entry{en}
			}
			return nil
		}))
	case len(f.RelatedNodeIDs) == 1:
		return newestFirst(p.byNode[f.RelatedNodeIDs[0]])
	case len(f.RelatedNodeIDs) > 1:
		return newestFirst(p.union(f.RelatedNodeIDs, func(id string) []*entry { return p.byNode[id] }))
	case f.Branch != "":
		return newestFirst(p.byBranch[f.Branch])
	default:
		return newestFirst(p.order)
	}
}

// union merges the tasks of several keys, without repeats, oldest first.
func (p *Projection) union(keys []string, of func(string) []*entry) []*entry {
	seen := map[*entry]bool{}
	var out []*entry
	for _, k := range keys {
		for _, en := range of(k) {
			if !seen[en] {
				seen[en] = true
				out = append(out, en)
			}
		}
	}
	slices.SortFunc(out, func(a, b *entry) int { return a.seq - b.seq })
	return out
}

// newestFirst yields list (oldest first) from its end.
func newestFirst(list []*entry) iter.Seq[*entry] {
	return func(yield func(*entry) bool) {
		for i := len(list) - 1; i >= 0; i-- {
			if !yield(list[i]) {
				return
			}
		}
	}
}

// matches reports whether every criterion of f holds for en; q is f.Q lower-cased.
func (f Filter) matches(en *entry, q string) bool {
	t := &en.t
	switch {
	case len(f.IDs) > 0 && !slices.Contains(f.IDs, t.ID),
		f.Branch != "" && t.Branch != f.Branch,
		len(f.States) > 0 && !slices.Contains(f.States, t.State),
		len(f.Workflows) > 0 && !slices.Contains(f.Workflows, t.Workflow),
		q != "" && !strings.Contains(en.search, q):
		return false
	}
	for _, tag := range f.Tags {
		if !slices.Contains(t.Tags, tag) {
			return false
		}
	}
	if len(f.RelatedNodeIDs) > 0 && !slices.ContainsFunc(t.RelatedNodes, func(n task.RelatedNode) bool {
		return slices.Contains(f.RelatedNodeIDs, n.ID)
	}) {
		return false
	}
	return true
}

// item is the task with the log lines [offset, offset+limit) of those kept. The lines are shared
// with the projection, capped at the page's end: a later append never writes into them.
func (en *entry) item(offset, limit int) Item {
	t := en.t
	logs := t.Logs
	start := min(offset, len(logs))
	end := start + min(limit, len(logs)-start)
	t.Logs = logs[start:end:end]
	if len(t.Logs) == 0 {
		t.Logs = nil
	}
	return Item{Task: t, LogCount: len(logs) + en.dropped}
}
