package commands

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/commands/nodetx"
	"github.com/infrahub-go/infrahub/fault"
)

// Group commit of node commands. Commands on one branch take turns in this process (their
// decisions build on each other), but each turn used to decide, append and wait for the fold of
// one command: the log committed one append at a time however many clients wrote. Now the
// commands that arrive while a turn runs queue on their branch, and the next turn takes them all
// (up to maxGroup): it decides them one after the other in one nodetx transaction (each sees the
// earlier ones' changes, keeps its own answer or refusal, command id and authorization), appends
// each command's events with its own command record at the versions that follow (the log commits
// appends that arrive together in one transaction), waits once for the fold of the last, and
// answers each caller. A refused command is left out and the others decided again without it.
//
// The turn is led by one of the callers: the first to arrive when no turn runs, then, when a turn
// ends, the first caller still waiting. The leader works for everyone of its group, so its own
// caller's context does not end the turn; a caller whose context ends while it waits in the
// queue leaves it (nothing of it is decided), one taken into a turn waits for its answer. A turn
// takes its commands as they arrive (group_fill.go): a caller taken while the turn still waits
// for others waits for its answer too.

// maxGroup bounds the commands one turn decides and appends together.
const maxGroup = 64

// errDeferred marks a command left for the next turn: its changes cannot share the turn's append
// stream (branch-agnostic and branch-aware changes on another branch than the default).
var errDeferred = errors.New("deferred to the next turn")

// member is one command waiting in its branch's queue or decided in a turn.
type member struct {
	ctx   context.Context
	cmd   Command
	build func(t *nodetx.Tx) (any, error)
	done  chan answer // buffered: an answer, or the lead of the next turn
	taken bool        // under the queue's lock: in a turn, no longer free to leave
}

// answer is a member's result, or (lead) the turn passed to it.
type answer struct {
	res  Result
	err  error
	lead bool
}

// branchQueue holds the commands waiting for their branch's next turn.
type branchQueue struct {
	mu      sync.Mutex
	waiting []*member
	leading bool   // a turn runs, or its lead was passed to waiting[0]
	carry   *carry // the last turn's transaction; under the branch's turn lock, not mu
	// sizes is what the branch's last transaction touched: the next one is made that large at
	// once (nodetx.Sizes.Reserve). Under the turn lock, not mu.
	sizes nodetx.Sizes
	// handoffs hand what the turn appended to the fold (Config.Decoded), in order: the turn's
	// leader calls them once the next turn may start. Under the turn lock, not mu.
	handoffs []func() (settle func())
	// handed is closed once the last turn with hand-offs has made them (under mu)
	handed  chan struct{}
	callers branchCallers // the callers of grouped on the branch (group_fill.go)
}

func (w *writer) queue(name string) *branchQueue {
	if q, ok := w.queues.Load(name); ok {
		return q.(*branchQueue)
	}
	q, _ := w.queues.LoadOrStore(name, &branchQueue{callers: newCallers()})
	return q.(*branchQueue)
}

// grouped decides a node command on branch name (the default branch when empty) in its branch's
// next turn, with the commands that queued with it, and answers as nodes does. A command the log
// holds already is not decided: its Result carries the first answer.
func (w *writer) grouped(ctx context.Context, cmd Command, name string, build func(t *nodetx.Tx) (any, error)) (Result, error) {
	if name == "" {
		name = w.def
	}
	if res, found, err := w.recorded(ctx, cmd, true); found || err != nil {
		return res, err
	}
	m := &member{ctx: ctx, cmd: cmd, build: build, done: make(chan answer, 1)}
	q := w.queue(name)
	q.callers.Enter()
	defer q.callers.Leave()
	q.mu.Lock()
	q.waiting = append(q.waiting, m)
	lead := !q.leading
	q.leading = true
	q.mu.Unlock()
	q.callers.joined()
	for {
		if lead {
			lead = false
			w.turn(context.WithoutCancel(ctx), name, q)
		}
		select {
		case a := <-m.done:
			if a.lead {
				lead = true
				continue
			}
			return a.res, a.err
		case <-ctx.Done():
			if a, left := q.leave(m); !left {
				return a.res, a.err
			}
			return Result{}, fmt.Errorf("%s: waiting for branch %s: %w", cmd.Type, name, ctx.Err())
		}
	}
}

// leave takes m out of the queue when no turn took it yet (left), passing on the lead it may
// have been given; else it waits for m's answer.
func (q *branchQueue) leave(m *member) (answer, bool) {
	q.mu.Lock()
	if m.taken {
		q.mu.Unlock()
		for {
			if a := <-m.done; !a.lead {
				return a, false
			}
		}
	}
	defer q.mu.Unlock()
	for i, x := range q.waiting {
		if x == m {
			q.waiting = append(q.waiting[:i:i], q.waiting[i+1:]...)
			break
		}
	}
	select {
	case a := <-m.done: // the lead, given before it left: pass it on
		if a.lead {
			q.passLocked()
		}
	default:
	}
	return answer{}, true
}

// passLocked gives the next turn to the first waiting caller, or ends the turns.
func (q *branchQueue) passLocked() {
	if len(q.waiting) == 0 {
		q.leading = false
		return
	}
	q.waiting[0].done <- answer{lead: true}
}

// turn takes the waiting commands (up to maxGroup), decides and appends them, passes the lead
// on and answers them. Commands deferred go back to the front of the queue.
func (w *writer) turn(ctx context.Context, name string, q *branchQueue) {
	ms, out, last := w.group(ctx, name, q)
	handoffs := q.handoffs
	q.handoffs = nil
	q.mu.Lock()
	var back []*member
	for i, m := range ms {
		if errors.Is(out[i].err, errDeferred) {
			m.taken = false
			back = append(back, m)
		}
	}
	q.waiting = append(back, q.waiting...)
	q.passLocked()
	var prev, mine chan struct{}
	if len(handoffs) > 0 {
		prev, mine = q.handed, make(chan struct{})
		q.handed = mine
	}
	q.mu.Unlock()
	if len(handoffs) > 0 {
		// The next turn decides meanwhile (and may commit before this turn's appends are
		// durable); the turns hand off in their order, so that the fold takes each at once.
		if prev != nil {
			<-prev
		}
		var settle []func()
		for _, h := range handoffs {
			if s := h(); s != nil {
				settle = append(settle, s)
			}
		}
		close(mine)
		for _, s := range settle { // durable: now the answers may go
			s()
		}
	}
	if last > 0 && w.waitFor(folded, last) != nil { // the hand-off has folded it, mostly
		rctx, stop := whileWaited(ctx, ms)
		w.readable(rctx, ms, out, last) // the next turn decides meanwhile, on the carried transaction
		stop()
	}
	for i, m := range ms {
		if !errors.Is(out[i].err, errDeferred) {
			m.done <- out[i]
		}
	}
}

// folded is a context already ended: waitFor with it only tells whether a position is folded
// already, without the goroutine and the wake-up of whileWaited that a turn paid for each wait.
var folded = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// whileWaited is ctx (a turn's, which no one caller's end may cancel) until every command of ms
// has stopped waiting (its context ended: a deadline, a client gone, a server shutting down):
// a turn waits for its fold only while someone waits for its answers.
func whileWaited(ctx context.Context, ms []*member) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		for _, m := range ms {
			select {
			case <-m.ctx.Done():
			case <-ctx.Done():
				return
			}
		}
		cancel()
	}()
	return ctx, cancel
}

// copyOutcomes is what a transaction did so far, by value, in into (emptied first; nil: a new map).
func copyOutcomes(o nodetx.Outcomes, into map[string]nodetx.Outcome) map[string]nodetx.Outcome {
	out := into
	if out == nil {
		out = make(map[string]nodetx.Outcome, len(o))
	}
	clear(out)
	for k, x := range o {
		out[k] = *x
	}
	return out
}

// authorizeSince is authorizeChanges for what t did since before: the changes of one command of
// a turn, checked against that command's identity.
func authorizeSince(ctx context.Context, t *nodetx.Tx, before map[string]nodetx.Outcome, onDefault bool) error {
	id := authz.From(ctx)
	if id == nil {
		return nil
	}
	for kind, o := range t.Outcomes() {
		b := before[kind]
		d := nodetx.Outcome{Created: o.Created - b.Created, Updated: o.Updated - b.Updated,
			Unchanged: o.Unchanged - b.Unchanged, Deleted: o.Deleted - b.Deleted}
		if d == (nodetx.Outcome{}) {
			continue
		}
		m, ok := t.Schema().Node(kind)
		if !ok {
			return fmt.Errorf("%w: kind %s is not in the branch's schema", fault.ErrForbidden, kind)
		}
		if err := requireOutcome(id, m, &d, onDefault); err != nil {
			return err
		}
	}
	return nil
}
