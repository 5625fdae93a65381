package nodetx

import (
	"reflect"
	"runtime"
	"testing"

	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
)

// TestEncoderIsDecideSince checks that commands decided one after the other with their events
// encoded by an Encoder get what DecideSince gives each, in order, although the transaction
// replaced an event after it was handed over (as pooler.claimGlobal does); and that an event
// that does not encode is told by Wait, for its command only.
func TestEncoderIsDecideSince(t *testing.T) {
	store, err := nodes.New()
	if err != nil {
		t.Fatal(err)
	}
	cat := store.Catalogue()
	evs := aheadEvents(7)
	newTx := func() *Tx { return &Tx{v: &nodes.View{}, st: &overlay{}} }
	metas := []events.Metadata{{CommandID: "c1"}, {CommandID: "c2"}, {CommandID: "c3"}}
	cuts := []int{0, 3, 4, 7} // command k emits evs[cuts[k]:cuts[k+1]]

	want := make([]Decision, len(metas))
	tx := newTx()
	for k, meta := range metas {
		mark := tx.Mark()
		for _, e := range evs[cuts[k]:cuts[k+1]] {
			tx.st.emit(e.typ, e.payload, false)
		}
		if want[k], err = tx.DecideSince(cat, "main", meta, mark); err != nil {
			t.Fatal(err)
		}
	}

	var enc Encoder
	got := make([]Decision, len(metas))
	tx = newTx()
	for k, meta := range metas {
		mark := tx.Mark()
		for _, e := range evs[cuts[k]:cuts[k+1]] {
			tx.st.emit(e.typ, e.payload, false)
		}
		if got[k], err = enc.DecideSince(tx, cat, "main", meta, mark); err != nil {
			t.Fatal(err)
		}
		if k == 1 { // an event of the first command replaced once handed over
			c := tx.st.events[0].payload.(nodes.Created)
			c.Claims = append(c.Claims, nodes.Claim{Kind: "TestTag", Constraint: "late", Key: "x"})
			tx.st.events[0].payload = c
		}
	}
	if errs := enc.Wait(tx); errs != nil {
		t.Fatalf("Wait: %v", errs)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatal("events encoded by the Encoder differ from DecideSince's")
	}

	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("one processor: the Encoder encodes on the caller's goroutine")
	}
	tx = newTx()
	tx.st.emit(evs[0].typ, evs[0].payload, false)
	if _, err := enc.DecideSince(tx, cat, "main", metas[0], 0); err != nil {
		t.Fatal(err)
	}
	tx.st.emit("NoSuchEvent", struct{}{}, false)
	if _, err := enc.DecideSince(tx, cat, "main", metas[1], 1); err != nil {
		t.Fatal(err)
	}
	errs := enc.Wait(tx)
	if len(errs) != 2 || errs[0] != nil || errs[1] == nil {
		t.Fatalf("Wait = %v, want the second command's error only", errs)
	}
	// DecideSince refuses it too
	tx = newTx()
	tx.st.emit("NoSuchEvent", struct{}{}, false)
	if _, err := tx.DecideSince(cat, "main", metas[1], 0); err == nil {
		t.Fatal("DecideSince encodes an unknown event")
	}
}
