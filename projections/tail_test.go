package projections

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/events"
)

// tailLog is a log whose ReadAll records the positions it served.
type tailLog struct {
	events.Store // nil: only ReadAll is used
	mu           sync.Mutex
	evs          []events.Envelope
	served       map[events.Position]bool
	reads        int
}

func (l *tailLog) append(evs ...events.Envelope) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.evs = append(l.evs, evs...)
}

func (l *tailLog) ReadAll(_ context.Context, after events.Position, limit int) ([]events.Envelope, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reads++
	var out []events.Envelope
	for _, e := range l.evs {
		if e.GlobalPosition > after && len(out) < limit {
			out = append(out, e)
			if l.served == nil {
				l.served = map[events.Position]bool{}
			}
			l.served[e.GlobalPosition] = true
		}
	}
	return out, nil
}

func (l *tailLog) servedAny(ps ...events.Position) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range ps {
		if l.served[p] {
			return true
		}
	}
	return false
}

// next receives the next batch, failing after a while.
func next(t *testing.T, evc <-chan []events.Envelope, within time.Duration) []events.Envelope {
	t.Helper()
	select {
	case b, ok := <-evc:
		if !ok {
			t.Fatal("subscription ended")
		}
		return b
	case <-time.After(within):
		t.Fatalf("no batch within %s", within)
		return nil
	}
}

// The forwarder's subscription takes what the writer handed from memory, reads the log for what
// was not handed (the start, an append without payloads) at once after its commit, and delivers
// every position once, in order.
func TestTailTakesHandedEventsAndReadsTheLogForTheRest(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := &tailLog{}
	log.append(handedEnv(1), handedEnv(2), handedEnv(3))
	var (
		r       Runner
		commits events.Signal
	)
	evc, _ := r.Tail(log, &commits).Subscribe(ctx, 1)
	var got []events.Position
	for len(got) < 2 {
		got = append(got, positions(next(t, evc, 5*time.Second))...)
	}
	handed := []events.Envelope{handedEnv(4), handedEnv(5)}
	done := r.Expect() // the writer announces its hand-off before it appends
	log.append(handed...)
	commits.Notify()
	r.handed.put(handed, nil)
	done()
	for len(got) < 4 {
		b := next(t, evc, 5*time.Second)
		got = append(got, positions(b)...)
		if b[0].GlobalPosition == 4 && b[0].EventID != handed[0].EventID {
			t.Fatal("another event than the one handed")
		}
	}
	if log.servedAny(4, 5) {
		t.Error("handed events were read from the log")
	}
	log.append(handedEnv(6)) // never handed: read from the log after its commit, not the poll
	commits.Notify()
	got = append(got, positions(next(t, evc, tailPoll/2))...)
	if want := []events.Position{2, 3, 4, 5, 6}; len(got) != len(want) || got[0] != 2 || got[4] != 6 {
		t.Fatalf("delivered %v, want %v", got, want)
	}
	for i := 1; i < len(got); i++ {
		if got[i] != got[i-1]+1 {
			t.Fatalf("delivered %v: not each position once in order", got)
		}
	}
}

// An event the writer never hands, followed by handed ones that keep coming, is still read from
// the log within the grace: later hand-offs do not make the tail wait for it forever.
func TestTailReadsAnUnhandedEventDespiteLaterHandOffs(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := &tailLog{}
	var (
		r       Runner
		commits events.Signal
	)
	log.append(handedEnv(1))
	r.handed.put(log.evs, nil)
	tail := r.Tail(log, &commits).(tailStore)
	tail.grace = 50 * time.Millisecond // far longer than the time between two hand-offs
	evc, _ := tail.Subscribe(ctx, 0)
	if b := next(t, evc, 5*time.Second); len(b) != 1 || b[0].GlobalPosition != 1 {
		t.Fatalf("first batch %v", positions(b))
	}
	time.Sleep(2 * tail.grace) // the tail has found the log read to its end and waits
	defer r.Expect()()         // hand-offs on their way all along
	log.append(handedEnv(2))   // not handed
	commits.Notify()
	go func() { // a hand-off every few milliseconds for a while
		for pos, end := 3, time.Now().Add(2*time.Second); ctx.Err() == nil && time.Now().Before(end); pos++ {
			e := handedEnv(pos)
			log.append(e)
			commits.Notify()
			r.handed.put([]events.Envelope{e}, nil)
			time.Sleep(tail.grace / 10)
		}
	}()
	if b := next(t, evc, 10*tail.grace); b[0].GlobalPosition != 2 {
		t.Fatalf("after 1: %v", positions(b))
	}
}

// With no hand-off announced (Expect), an event the tail does not hold is read from the log as
// soon as it commits: branch, schema and task events are never handed, and waiting the grace for
// them delayed every such command.
func TestTailReadsAtOnceWhenNoHandOffIsExpected(t *testing.T) {
	log := &tailLog{}
	r, commits, evc := waitingTail(t, log)
	log.append(handedEnv(1))
	commits.Notify()
	if b := next(t, evc, 5*time.Second); len(b) != 1 || b[0].GlobalPosition != 1 {
		t.Fatalf("got %v", positions(b))
	}
	// Announced, a hand-off is waited for: the log is not read for it.
	done := r.Expect()
	e := handedEnv(2)
	log.append(e)
	commits.Notify()
	time.Sleep(50 * time.Millisecond)
	r.handed.put([]events.Envelope{e}, nil)
	done()
	if b := next(t, evc, 5*time.Second); len(b) != 1 || b[0].GlobalPosition != 2 {
		t.Fatalf("got %v", positions(b))
	}
	if log.servedAny(2) {
		t.Error("an announced hand-off was read from the log")
	}
}

// headLog is a tailLog that knows its durable head, as the SQLite store does.
type headLog struct{ *tailLog }

func (l headLog) DurableHead() events.Position {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.evs) == 0 {
		return 0
	}
	return l.evs[len(l.evs)-1].GlobalPosition
}

func (l *tailLog) readCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reads
}

// An announced hand-off that ends without handing anything (its append failed, or was not
// handed) makes a tail waiting for the event read the log at once, not after the grace.
func TestTailReadsOnceAnAnnouncedHandOffEndsUnhanded(t *testing.T) {
	log := headLog{&tailLog{}}
	r, commits, evc := waitingTail(t, log)
	done := r.Expect()
	log.append(handedEnv(1))
	commits.Notify()
	time.Sleep(20 * time.Millisecond) // the tail waits for the hand-off
	done()
	if b := next(t, evc, 5*time.Second); len(b) != 1 || b[0].GlobalPosition != 1 {
		t.Fatalf("got %v, want [1]", positions(b))
	}
}

// stagedLog is a tailLog that knows its durable head, as the SQLite store does, set apart from
// its events: a staged append is in the log (and handed) before it is durable, and its commit is
// notified once it is.
type stagedLog struct {
	*tailLog
	durable atomic.Int64
}

func (l *stagedLog) DurableHead() events.Position { return events.Position(l.durable.Load()) }

// A commit whose events were all handed, up to the log's durable head, is not followed by a read
// of the log that would find nothing more, whether it is notified before the hand-off or once
// durable after it (a staged append: the turn hands its events to the fold while the log
// syncs); a commit of events never handed still is, at once.
func TestTailDoesNotReadTheLogForCommitsItWasHanded(t *testing.T) {
	for _, staged := range []bool{false, true} {
		log := &stagedLog{tailLog: &tailLog{}}
		r, commits, evc := waitingTail(t, log)
		reads := log.readCount()
		for pos := 1; pos <= 5; pos++ {
			done := r.Expect()
			e := handedEnv(pos)
			log.append(e)
			if !staged {
				log.durable.Store(int64(pos))
				commits.Notify()
			}
			r.handed.put([]events.Envelope{e}, nil)
			done()
			if b := next(t, evc, 5*time.Second); len(b) != 1 || b[0].GlobalPosition != events.Position(pos) {
				t.Fatalf("staged %v: got %v, want [%d]", staged, positions(b), pos)
			}
			if staged {
				log.durable.Store(int64(pos))
				commits.Notify()
				time.Sleep(5 * time.Millisecond) // the tail takes the commit's wake-up
			}
		}
		time.Sleep(20 * time.Millisecond)
		if n := log.readCount() - reads; n != 0 {
			t.Errorf("staged %v: %d reads of the log for commits whose events were handed", staged, n)
		}
		log.append(handedEnv(6)) // never handed
		log.durable.Store(6)
		commits.Notify()
		if b := next(t, evc, tailPoll/2); len(b) != 1 || b[0].GlobalPosition != 6 {
			t.Fatalf("staged %v: got %v, want [6]", staged, positions(b))
		}
	}
}

// waitingTail subscribes a Tail of log, on a Runner of its own, from the start (until the test
// ends), with a grace far longer than the test, and returns once the tail has read the empty log
// and waits.
func waitingTail(t *testing.T, log events.Store) (*Runner, *events.Signal, <-chan []events.Envelope) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	r, commits := &Runner{}, &events.Signal{}
	tail := r.Tail(log, commits).(tailStore)
	tail.grace = time.Minute
	evc, _ := tail.Subscribe(ctx, 0)
	time.Sleep(20 * time.Millisecond)
	return r, commits, evc
}
