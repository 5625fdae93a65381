package activity_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/projections/activity"
)

func newHub(t testing.TB, a *app, buffer, subBuffer int) *activity.Hub {
	t.Helper()
	h, err := activity.NewHub(activity.HubConfig{Log: a.log, Derive: activity.Deriver{Graph: a.reader, SchemaOf: a.schemaOf}.Derive,
		WaitFor: a.fold.WaitFor, SchemaOf: a.schemaOf, Buffer: buffer, SubscriberBuffer: subBuffer, Poll: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	a.after = h.Notify
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = h.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return h
}

// dispatch runs a command from any goroutine (errors reported, not fatal).
func (a *app) dispatch(t testing.TB, typ string, payload any) {
	raw, _ := json.Marshal(payload)
	if _, err := a.svc.Dispatch(context.Background(), commands.Command{Type: typ, Payload: raw}); err != nil {
		t.Errorf("%s: %v", typ, err)
		return
	}
	head := a.head()
	if err := a.fold.WaitFor(context.Background(), head); err != nil {
		t.Error(err)
	}
	if a.after != nil {
		a.after(head)
	}
}

// collector is a subscriber keeping what it got.
type collector struct {
	mu  sync.Mutex
	got []activity.Event
	err error
}

func (c *collector) deliver(e activity.Event) error {
	c.mu.Lock()
	c.got = append(c.got, e)
	c.mu.Unlock()
	return nil
}

func (c *collector) ids() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, len(c.got))
	for i, e := range c.got {
		out[i] = e.ID
	}
	return out
}

func subscribe(ctx context.Context, wg *sync.WaitGroup, h *activity.Hub, after events.Position, f activity.Filter) *collector {
	c := &collector{}
	wg.Add(1)
	go func() {
		defer wg.Done()
		err := h.Subscribe(ctx, after, f, c.deliver)
		c.mu.Lock()
		c.err = err
		c.mu.Unlock()
	}()
	return c
}

func expectIDs(evs []activity.Event, after events.Position, f activity.Filter, schemaOf activity.SchemaOf) []string {
	out := []string{}
	for _, e := range evs {
		if e.Position > after && f.Match(e, schemaOf) {
			out = append(out, e.ID)
		}
	}
	return out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func equalIDs(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Many subscribers, from the start (caught up from the log), from a position in the middle and
// joining while writers write on two branches: each gets exactly the log's events for its
// filter, in order, without gap or duplicate.
func TestHubOrderNoGapNoDuplicate(t *testing.T) {
	a := newApp(t)
	for i := range 20 {
		a.create("TestTag", map[string]any{"name": fmt.Sprintf("pre-%d", i)})
	}
	a.run(commands.TypeCreateBranch, map[string]any{"name": "b1"})
	mid := a.head() - 10
	h := newHub(t, a, 40, 100_000) // a small ring: subscribers cross from the log to memory
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var subs sync.WaitGroup
	type sub struct {
		c     *collector
		after events.Position
		f     activity.Filter
	}
	var all []sub
	add := func(after events.Position, f activity.Filter) {
		all = append(all, sub{subscribe(ctx, &subs, h, after, f), after, f})
	}
	for range 12 {
		add(0, activity.Filter{})
	}
	add(mid, activity.Filter{})
	add(0, activity.Filter{Names: []string{"infrahub.node."}, Branches: []string{"b1"}})
	add(0, activity.Filter{Kinds: []string{"TestTag"}})
	add(mid, activity.Filter{Names: []string{activity.NodeUpdated}})

	var writers sync.WaitGroup
	for w := range 4 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for i := range 30 {
				br := "main"
				if (w+i)%2 == 1 {
					br = "b1"
				}
				a.dispatch(t, commands.TypeCreateNode, map[string]any{"branch": br, "kind": "TestDevice",
					"data": map[string]any{"name": fmt.Sprintf("d-%d-%d", w, i), "height": i}})
				if i == 10 && w == 0 {
					add(mid, activity.Filter{}) // a late subscriber joining mid-stream
					add(0, activity.Filter{Names: []string{activity.NodeCreated}})
				}
			}
		}()
	}
	writers.Wait()
	a.dispatch(t, commands.TypeMergeBranch, map[string]any{"branch": "b1"})
	events := a.derive(0)
	for i, s := range all {
		want := expectIDs(events, s.after, s.f, a.schemaOf)
		waitFor(t, fmt.Sprintf("subscriber %d (%d events)", i, len(want)), func() bool { return len(s.c.ids()) >= len(want) })
		time.Sleep(10 * time.Millisecond) // nothing more arrives
		if got := s.c.ids(); !equalIDs(got, want) {
			t.Fatalf("subscriber %d after %d %+v: got %d events, want %d", i, s.after, s.f, len(got), len(want))
		}
	}
	cancel()
	subs.Wait()
	for i, s := range all {
		if !errors.Is(s.c.err, context.Canceled) {
			t.Errorf("subscriber %d ended with %v", i, s.c.err)
		}
	}
	if st := h.Stats(); st.Subscribers != 0 || st.Buffered > 40+200 || st.Position != a.head() {
		t.Errorf("stats after: %+v (head %d)", st, a.head())
	}
}

// A subscriber that does not keep up ends with an *OverflowError naming the last position it
// got entirely; resuming from it gives the rest, without gap or duplicate. The writers never
// wait for it.
func TestHubOverflowResumes(t *testing.T) {
	a := newApp(t)
	h := newHub(t, a, 1000, 5)
	start := a.head()
	gate := make(chan struct{})
	var got []activity.Event
	errc := make(chan error, 1)
	go func() {
		errc <- h.Subscribe(context.Background(), start, activity.Filter{}, func(e activity.Event) error {
			got = append(got, e)
			<-gate
			return nil
		})
	}()
	waitFor(t, "the subscriber", func() bool { return h.Stats().Subscribers == 1 })
	t0 := time.Now()
	for i := range 20 {
		a.create("TestTag", map[string]any{"name": fmt.Sprintf("t-%d", i)})
	}
	if d := time.Since(t0); d > 5*time.Second {
		t.Fatalf("writes took %s: blocked by a slow subscriber?", d)
	}
	waitFor(t, "the overflow", func() bool { return h.Stats().Overflows == 1 })
	close(gate)
	err := <-errc
	var over *activity.OverflowError
	if !errors.As(err, &over) || !errors.Is(err, activity.ErrOverflow) {
		t.Fatalf("want an overflow, got %v", err)
	}
	if len(got) == 0 || over.After != got[len(got)-1].Position || !got[len(got)-1].Last {
		t.Fatalf("overflow after %d, last delivered %s", over.After, dump(got))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	rest := subscribe(ctx, &wg, h, over.After, activity.Filter{})
	want := expectIDs(a.derive(0), start, activity.Filter{}, nil)
	waitFor(t, "the rest", func() bool { return len(got)+len(rest.ids()) >= len(want) })
	ids := make([]string, 0, len(want))
	for _, e := range got {
		ids = append(ids, e.ID)
	}
	ids = append(ids, rest.ids()...)
	if !equalIDs(ids, want) {
		t.Fatalf("delivered then resumed: %d events, want %d", len(ids), len(want))
	}
	cancel()
	wg.Wait()
}

func TestHubConfig(t *testing.T) {
	if _, err := activity.NewHub(activity.HubConfig{}); err == nil {
		t.Fatal("a Hub without a log")
	}
	a := newApp(t)
	h := newHub(t, a, 0, 0)
	if err := h.Subscribe(context.Background(), -1, activity.Filter{}, func(activity.Event) error { return nil }); err == nil {
		t.Fatal("a negative position")
	}
	// deliver's error ends the subscription with it.
	stop := errors.New("stop")
	a.create("TestTag", map[string]any{"name": "x"})
	if err := h.Subscribe(context.Background(), 0, activity.Filter{}, func(activity.Event) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("got %v", err)
	}
}

// A subscriber whose permissions refuse a kind gets live events without the related nodes and
// relationship peers of that kind (its own copy), while a subscriber allowed everything gets
// them whole: the Hub shares an event only when nothing of it is hidden.
func TestHubVisibleLive(t *testing.T) {
	a := newApp(t)
	h := newHub(t, a, 0, 0)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	noTags := func(k string) bool { return k != "TestTag" }
	from := a.head()
	hidden := subscribe(ctx, &wg, h, from, activity.Filter{Kinds: []string{"TestDevice"}, AllowedKinds: noTags})
	whole := subscribe(ctx, &wg, h, from, activity.Filter{Kinds: []string{"TestDevice"}})
	plain := subscribe(ctx, &wg, h, from, activity.Filter{Kinds: []string{"TestDevice"}, AllowedKinds: func(string) bool { return true }})
	waitFor(t, "the subscribers", func() bool { return h.Stats().Subscribers == 3 })
	tag := a.create("TestTag", map[string]any{"name": "t1"})
	a.dispatch(t, commands.TypeCreateNode, map[string]any{"kind": "TestDevice", "data": map[string]any{"name": "d1", "tags": []any{map[string]any{"id": tag}}}})
	a.dispatch(t, commands.TypeCreateNode, map[string]any{"kind": "TestDevice", "data": map[string]any{"name": "d2"}})
	for _, c := range []*collector{hidden, whole, plain} {
		waitFor(t, "two device events", func() bool { return len(c.ids()) == 2 })
	}
	peers := func(c *collector, i int) (related, rels int) {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.got[i].RelatedNodes), len(c.got[i].Relationships)
	}
	if r, l := peers(whole, 0); r == 0 || l == 0 {
		t.Fatalf("the allowed subscriber's device event has %d related nodes and %d relationships, want the tag", r, l)
	}
	if r, l := peers(plain, 0); r == 0 || l == 0 {
		t.Errorf("a subscriber allowed every kind lost the tag: %d related, %d relationships", r, l)
	}
	if r, l := peers(hidden, 0); r != 0 || l != 0 {
		t.Errorf("the subscriber without TestTag sees %d related nodes and %d relationships of a tag", r, l)
	}
	if r, l := peers(whole, 0); r == 0 || l == 0 {
		t.Error("hiding for one subscriber changed the event another got")
	}
	if !equalIDs(hidden.ids(), whole.ids()) {
		t.Errorf("ids differ: %v vs %v", hidden.ids(), whole.ids())
	}
}

// Subscribers of node ids (NodeIDs, RelatedIDs) are found through the Hub's index: each gets
// exactly the log's events naming its ids, beside subscribers of everything, while nodes are
// updated and tagged round-robin.
func TestHubIndexedSubscribers(t *testing.T) {
	a := newApp(t)
	var tags, devs []string
	for i := range 6 {
		tags = append(tags, a.create("TestTag", map[string]any{"name": fmt.Sprintf("t-%d", i)}))
		devs = append(devs, a.create("TestDevice", map[string]any{"name": fmt.Sprintf("d-%d", i)}))
	}
	h := newHub(t, a, 1000, 100_000)
	start := a.head()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var subs sync.WaitGroup
	type sub struct {
		c *collector
		f activity.Filter
	}
	var all []sub
	for i := range 6 {
		for _, f := range []activity.Filter{{NodeIDs: []string{devs[i]}}, {RelatedIDs: []string{tags[i]}},
			{NodeIDs: []string{devs[i], tags[i]}, RelatedIDs: []string{tags[(i+1)%6]}}, {}} {
			all = append(all, sub{subscribe(ctx, &subs, h, start, f), f})
		}
	}
	for i := range 24 {
		a.dispatch(t, commands.TypeUpdateNode, map[string]any{"kind": "TestDevice", "id": devs[i%6],
			"data": map[string]any{"height": i, "tags": []map[string]any{{"id": tags[(i+i/6)%6]}}}})
		if i%5 == 0 {
			a.dispatch(t, commands.TypeUpdateNode, map[string]any{"kind": "TestTag", "id": tags[i%6], "data": map[string]any{"name": fmt.Sprintf("t-%d-%d", i%6, i)}})
		}
	}
	events := a.derive(0)
	for i, s := range all {
		want := expectIDs(events, start, s.f, a.schemaOf)
		if len(want) == 0 {
			t.Fatalf("subscriber %d %+v: the oracle expects no event", i, s.f)
		}
		waitFor(t, fmt.Sprintf("subscriber %d (%d events)", i, len(want)), func() bool { return len(s.c.ids()) >= len(want) })
		time.Sleep(5 * time.Millisecond)
		if got := s.c.ids(); !equalIDs(got, want) {
			t.Fatalf("subscriber %d %+v: got %d events, want %d", i, s.f, len(got), len(want))
		}
	}
	cancel()
	subs.Wait()
	if st := h.Stats(); st.Subscribers != 0 {
		t.Errorf("subscribers left: %+v", st)
	}
}
