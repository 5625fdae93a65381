package commands_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/events"
)

// A turn of grouped node commands waits for its fold only while someone waits for its answers:
// when the projection never gets there (it stopped: a server shutting down) and the caller's
// context ends, the command returns, written but not readable, instead of waiting forever.
func TestGroupedCommandStopsWaitingWithItsCaller(t *testing.T) {
	log, store, _, fold := newApp(t)
	var stuck atomic.Bool
	app, err := commands.New(commands.Config{Log: log, Catalogue: store.Catalogue(), State: store,
		WaitFor: func(ctx context.Context, pos events.Position) error {
			if stuck.Load() {
				<-ctx.Done()
				return ctx.Err()
			}
			return fold.WaitFor(ctx, pos)
		}})
	if err != nil {
		t.Fatal(err)
	}
	loadTestSchema(t, app)
	stuck.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := app.Dispatch(ctx, commands.Command{Type: commands.TypeCreateNode,
			Payload: json.RawMessage(`{"kind":"TestTag","data":{"name":"t1"}}`)})
		done <- err
	}()
	time.Sleep(50 * time.Millisecond) // the turn is written and waits for the fold
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("the create answered %v, want a wait ended by its context", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the create still waits for a fold that never comes after its caller went away")
	}
}
