package commands_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events/sqlite"
	"github.com/infrahub-go/infrahub/projections"
)

// checkReplay makes a test's fixture check, once the test is over, that its node Store (folded
// with the payloads the writer handed over, commands.Config.Decoded) holds what a replay of
// the log into a fresh Store gives, on every branch: the hand-over must fold what the log says.
func checkReplay(t testing.TB, log *sqlite.Store, store *nodes.Store, fold *projections.Inline) {
	tt, ok := t.(*testing.T)
	if !ok { // benchmarks load too much to replay
		return
	}
	tt.Cleanup(func() {
		if tt.Failed() {
			return
		}
		ctx := context.Background()
		if err := fold.WaitFor(ctx, 0); err != nil {
			tt.Fatalf("fold: %v", err)
		}
		fresh, err := nodes.New()
		if err != nil {
			tt.Fatal(err)
		}
		if err := projections.NewInline(log, fresh).WaitFor(ctx, store.Position()); err != nil {
			tt.Fatalf("replay: %v", err)
		}
		for _, b := range store.Branches().Branches() {
			live, err := store.View(b.Name, 0)
			if err != nil {
				continue
			}
			again, err := fresh.View(b.Name, 0)
			if err != nil {
				tt.Fatalf("branch %s: live, not replayed: %v", b.Name, err)
			}
			if got, want := live.Dump(), again.Dump(); !reflect.DeepEqual(got, want) {
				tt.Errorf("branch %s: the live Store differs from a replay of the log:\nlive   %+v\nreplay %+v", b.Name, got, want)
			}
		}
	})
}
