package sqlite

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/infrahub-go/infrahub/events"
)

// TestSyncResultsTakenInOrder checks that a sync completing before an earlier one makes
// nothing durable until the earlier one completes, and that the earlier one's failure then
// fails every answer, the later sync's success notwithstanding (the kernel reports a write-back
// error to one caller only).
func TestSyncResultsTakenInOrder(t *testing.T) {
	db := filepath.Join(t.TempDir(), "events.db")
	if err := os.WriteFile(db+"-wal", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := newWALSyncer(db)
	if err != nil {
		t.Fatal(err)
	}
	defer w.f.Close()
	req := &appendRequest{appendArgs: appendArgs{stream: "s"}, done: make(chan appendResponse, 1)}
	earlier, later := &flight{target: 1}, &flight{target: 2}
	r := syncRun{flights: []*flight{earlier, later}, waiting: []syncItem{{seq: 1, last: 7, outcomes: []outcome{{req: req}}}}}
	var durable events.Position
	note := func(last events.Position) { durable = last }

	later.done = true
	synced, err := w.settle(&r)
	w.answer(&r, synced, err, note)
	if synced != 0 || err != nil || len(r.waiting) != 1 || durable != 0 {
		t.Fatalf("after the later sync alone: synced %d, err %v, %d waiting, durable %d; want nothing settled", synced, err, len(r.waiting), durable)
	}
	earlier.done, earlier.err = true, errors.New("EIO")
	synced, err = w.settle(&r)
	w.answer(&r, synced, err, note)
	if err == nil || synced != 0 || len(r.waiting) != 0 || len(r.flights) != 0 || durable != 0 {
		t.Fatalf("after the earlier sync failed: synced %d, err %v, %d waiting, %d flights, durable %d", synced, err, len(r.waiting), len(r.flights), durable)
	}
	if resp := <-req.done; resp.err == nil {
		t.Fatal("the append was answered without error after its sync failed")
	}
	if err := w.syncTo(3); err == nil {
		t.Fatal("syncTo after a failed sync: no error, want the sticky one")
	}
}
