package projections

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/forward"
)

func handedEnv(pos int) events.Envelope {
	return events.Envelope{GlobalPosition: events.Position(pos), EventID: uuid.New(), Type: "t", Payload: []byte(`{}`)}
}

func positions(evs []events.Envelope) []events.Position {
	out := make([]events.Position, len(evs))
	for i, e := range evs {
		out[i] = e.GlobalPosition
	}
	return out
}

func TestHandedAfterAnswersOnlyTheNextPositionsWithoutAHole(t *testing.T) {
	var s payloads
	s.put([]events.Envelope{handedEnv(5), handedEnv(6), handedEnv(7), handedEnv(9)}, []any{1, nil, 3, 4})
	if got := positions(s.after(4, 10)); fmt.Sprint(got) != "[5 6 7]" {
		t.Fatalf("after 4: %v, want [5 6 7] (8 is not held: the log may hold it)", got)
	}
	if got := positions(s.after(4, 2)); fmt.Sprint(got) != "[5 6]" {
		t.Fatalf("after 4, limit 2: %v", got)
	}
	if got := s.after(3, 10); len(got) != 0 {
		t.Fatalf("after 3 (4 not held): %v", positions(got))
	}
	if got := positions(s.after(8, 10)); fmt.Sprint(got) != "[9]" {
		t.Fatalf("after 8: %v", got)
	}
	if _, ok := s.get(handedEnv(6)); ok {
		t.Fatal("a payload answered for another event id")
	}
}

func batchMsg(from, to, count int) *message.Message {
	msg := message.NewMessage(fmt.Sprintf("log-%d-%d", from, to), nil)
	msg.Metadata.Set(forward.MetadataFrom, fmt.Sprint(from))
	msg.Metadata.Set(forward.MetadataTo, fmt.Sprint(to))
	msg.Metadata.Set(forward.MetadataCount, fmt.Sprint(count))
	return msg
}

func TestHandedBatchRebuildsABusBatchOnlyWhenEveryEventWasHanded(t *testing.T) {
	var s payloads
	s.put([]events.Envelope{handedEnv(11), handedEnv(12), handedEnv(14)}, nil)
	for _, c := range []struct {
		from, to, count int
		want            string // positions, "" when not rebuilt
	}{
		{10, 12, 2, "[11 12]"},
		{10, 14, 3, "[11 12 14]"}, // 13 is missing from the log: the batch holds 3 events
		{10, 14, 4, ""},           // the log holds 13: not handed
		{10, 15, 3, ""},           // the last is not handed
		{9, 12, 3, ""},            // 10 is not handed
		{12, 14, 1, "[14]"},
		{10, 12, 0, ""},
	} {
		b, ok := s.batch(batchMsg(c.from, c.to, c.count))
		got := ""
		if ok {
			got = fmt.Sprint(positions(b.Events))
			if b.From != events.Position(c.from) || b.To != events.Position(c.to) {
				t.Errorf("(%d, %d]: range %d..%d", c.from, c.to, b.From, b.To)
			}
		}
		if got != c.want {
			t.Errorf("(%d, %d] of %d events: %q, want %q", c.from, c.to, c.count, got, c.want)
		}
	}
	if _, ok := s.batch(message.NewMessage("x", nil)); ok {
		t.Error("a message without its range was rebuilt")
	}
}

// logOf is a Reader over fixed events that counts its reads.
type logOf struct {
	evs   []events.Envelope
	reads int
}

func (l *logOf) ReadStream(context.Context, events.StreamID, int64, int) ([]events.Envelope, error) {
	return nil, nil
}

func (l *logOf) ReadAll(_ context.Context, after events.Position, limit int) ([]events.Envelope, error) {
	l.reads++
	var out []events.Envelope
	for _, e := range l.evs {
		if e.GlobalPosition > after && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func (l *logOf) Head(context.Context) (events.Position, error) {
	return l.evs[len(l.evs)-1].GlobalPosition, nil
}

func TestReaderReadsTheHandedEventsElseTheLog(t *testing.T) {
	ctx := context.Background()
	log := &logOf{}
	for i := 1; i <= 6; i++ {
		log.evs = append(log.evs, handedEnv(i))
	}
	var r Runner
	r.handed.put(log.evs[3:5], nil) // 4 and 5
	rd := r.Reader(log)
	got, err := rd.ReadAll(ctx, 3, 10)
	if err != nil || fmt.Sprint(positions(got)) != "[4 5]" || log.reads != 0 {
		t.Fatalf("after 3: %v %v (log reads %d)", positions(got), err, log.reads)
	}
	if got[0].EventID != log.evs[3].EventID {
		t.Fatal("another event than the one handed")
	}
	got, err = rd.ReadAll(ctx, 0, 10)
	if err != nil || fmt.Sprint(positions(got)) != "[1 2 3 4 5 6]" || log.reads != 1 {
		t.Fatalf("after 0: %v %v (log reads %d)", positions(got), err, log.reads)
	}
	got, err = rd.ReadAll(ctx, 5, 10)
	if err != nil || fmt.Sprint(positions(got)) != "[6]" || log.reads != 2 {
		t.Fatalf("after 5: %v %v (log reads %d)", positions(got), err, log.reads)
	}
	if h, err := rd.Head(ctx); err != nil || h != 6 {
		t.Fatalf("head %d %v", h, err)
	}
}

// recorder is a projector that keeps what it is given.
type recorder struct {
	mu  sync.Mutex
	got []events.Envelope
}

func (p *recorder) Name() string { return "recorder" }
func (p *recorder) Version() int { return 1 }
func (p *recorder) Apply(_ context.Context, batch []events.Envelope) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got = append(p.got, batch...)
	return nil
}

// A bus batch whose events the writer handed is applied from them: its body is not parsed.
func TestRunnerAppliesABusBatchOfHandedEventsWithoutParsingIt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := &logOf{}
	msgs := make(chan *message.Message, 1)
	r := &Runner{Log: log, Subscribe: func(context.Context, string) (<-chan *message.Message, error) { return msgs, nil }}
	p := &recorder{}
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, p) }()
	for !r.Stats(p.Name()).Live {
		time.Sleep(time.Millisecond)
	}
	reads := log.reads // the catch-up's
	evs := []events.Envelope{handedEnv(1), handedEnv(2), handedEnv(3)}
	r.Handoff(ctx, "graph", evs, []any{nil, nil, nil}) // no such projector running: only kept
	msg := batchMsg(0, 3, 3)
	msg.Payload = []byte("not a batch")
	msgs <- msg
	wctx, stop := context.WithTimeout(ctx, 10*time.Second)
	defer stop()
	if err := r.WaitFor(wctx, p.Name(), 3); err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	got := p.got
	p.mu.Unlock()
	if len(got) != 3 || got[0].EventID != evs[0].EventID || got[2].EventID != evs[2].EventID {
		t.Fatalf("applied %v", positions(got))
	}
	if log.reads != reads {
		t.Fatalf("the log was read %d times", log.reads-reads)
	}
	cancel()
	<-done
}

// decodedRecorder is a DecodedApplier that keeps the payloads it is given.
type decodedRecorder struct {
	recorder
	payloads []any
}

func (p *decodedRecorder) ApplyDecoded(_ context.Context, batch []events.Envelope, payloads []any) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got = append(p.got, batch...)
	p.payloads = append(p.payloads, payloads...)
	return nil
}

// A Run applies the events of a bus batch to a DecodedApplier with the payloads handed for them.
func TestRunnerAppliesHandedPayloadsToADecodedApplier(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	msgs := make(chan *message.Message, 1)
	r := &Runner{Log: &logOf{}, Subscribe: func(context.Context, string) (<-chan *message.Message, error) { return msgs, nil }}
	p := &decodedRecorder{}
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, p) }()
	for !r.Stats(p.Name()).Live {
		time.Sleep(time.Millisecond)
	}
	evs := []events.Envelope{handedEnv(1), handedEnv(2)}
	r.Handoff(ctx, "graph", evs, []any{"one", nil})
	msgs <- batchMsg(0, 2, 2)
	wctx, stop := context.WithTimeout(ctx, 10*time.Second)
	defer stop()
	if err := r.WaitFor(wctx, p.Name(), 2); err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	got, payloads := p.got, p.payloads
	p.mu.Unlock()
	if len(got) != 2 || len(payloads) != 2 || payloads[0] != "one" || payloads[1] != nil {
		t.Fatalf("applied %v with payloads %v", positions(got), payloads)
	}
	cancel()
	<-done
}
