package commands_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/sqlite"
)

// heldLog is the SQLite log whose staged appends the test makes durable: each durable waits
// for release, then answers fail (nil: the log's own answer).
type heldLog struct {
	*sqlite.Store
	release chan struct{}
	fail    error
}

func (h heldLog) AppendCommandStaged(ctx context.Context, stream events.StreamID, expected int64, cmd events.CommandInfo, evs ...events.Envelope) (events.AppendResult, func() error, error) {
	res, durable, err := h.Store.AppendCommandStaged(ctx, stream, expected, cmd, evs...)
	if durable == nil {
		return res, nil, err
	}
	return res, func() error {
		<-h.release
		if err := durable(); err != nil {
			return err
		}
		return h.fail
	}, err
}

// A grouped node command on a staged log is folded as soon as its append is committed, and
// answered only once the append is durable; should it never be, the command answers the
// failure.
func TestGroupedCreateAnsweredOnceDurable(t *testing.T) {
	for _, fail := range []error{nil, errors.New("sync of the WAL failed")} {
		log, store, _, fold := newApp(t)
		held := heldLog{Store: log, release: make(chan struct{}), fail: fail}
		app, err := commands.New(commands.Config{Log: held, Catalogue: store.Catalogue(), State: store,
			WaitFor: fold.WaitFor, Decoded: fold.Decoded})
		if err != nil {
			t.Fatal(err)
		}
		loadTestSchema(t, app)
		before := store.Position()
		type answer struct {
			res commands.Result
			err error
		}
		done := make(chan answer, 1)
		go func() {
			res, err := app.Dispatch(context.Background(), commands.Command{Type: commands.TypeCreateNode,
				Payload: json.RawMessage(`{"kind":"TestTag","data":{"name":"held"}}`)})
			done <- answer{res, err}
		}()
		deadline := time.Now().Add(30 * time.Second)
		for store.Position() == before { // folded before it is durable
			if time.Now().After(deadline) {
				t.Fatal("the create was not folded while its append waits for the sync")
			}
			time.Sleep(time.Millisecond)
		}
		select {
		case a := <-done:
			t.Fatalf("answered %+v, %v before the append is durable", a.res, a.err)
		case <-time.After(50 * time.Millisecond):
		}
		close(held.release)
		var a answer
		select {
		case a = <-done:
		case <-time.After(30 * time.Second):
			t.Fatal("no answer once durable")
		}
		if fail == nil && (a.err != nil || len(a.res.Positions) != 1) {
			t.Fatalf("durable create answered %+v, %v; want its position", a.res, a.err)
		}
		if fail != nil && !errors.Is(a.err, fail) {
			t.Fatalf("create whose sync failed answered %+v, %v; want the failure", a.res, a.err)
		}
	}
}
