package nodetx

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
)

func aheadEvents(n int) []pendingEvent {
	evs := make([]pendingEvent, n)
	for i := range evs {
		evs[i] = pendingEvent{typ: nodes.TypeCreated, payload: nodes.Created{ID: graph.NewNodeID().String(), Kind: "TestTag",
			Attributes: map[string]nodes.Attr{"name": {Value: fmt.Sprint("tag-", i)}},
			Claims:     []nodes.Claim{{Kind: "TestTag", Constraint: "name__value", Key: fmt.Sprint("tag-", i)}}}}
	}
	return evs
}

// TestAheadIsBuild checks that events encoded ahead, part by part as they are emitted, give
// what encoding them all at Decide gives, in order; and that none is used once an emitted event
// changed, or for another metadata.
func TestAheadIsBuild(t *testing.T) {
	store, err := nodes.New()
	if err != nil {
		t.Fatal(err)
	}
	cat := store.Catalogue()
	meta := events.Metadata{CommandID: "c1", Actor: "a"}
	all := aheadEvents(3*aheadPart + 17)
	want, wantPayloads, err := buildEvents(cat, meta, all, 0)
	if err != nil {
		t.Fatal(err)
	}
	emit := func() *overlay {
		o := &overlay{ahead: &ahead{cat: cat, meta: meta}}
		for _, e := range all {
			o.emit(e.typ, e.payload, false)
		}
		return o
	}
	o := emit()
	if o.ahead.sent != 3*aheadPart {
		t.Fatalf("%d events handed over, want %d", o.ahead.sent, 3*aheadPart)
	}
	got, gotPayloads, err := o.build(cat, meta)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotPayloads, wantPayloads) {
		t.Fatal("encoded ahead differs from encoded at once")
	}
	if o.ahead != nil {
		t.Fatal("build keeps the parts")
	}
	// A handed-over event changed in place: nothing encoded ahead is used.
	o = emit()
	o.ahead.changed(5)
	if _, _, n := o.ahead.take(cat, meta); n != 0 {
		t.Fatalf("%d events used after one changed", n)
	}
	// Another metadata: nothing is used.
	o = emit()
	if _, _, n := o.ahead.take(cat, events.Metadata{CommandID: "c2"}); n != 0 {
		t.Fatalf("%d events used for another metadata", n)
	}
	// An event not handed over yet may change.
	o = emit()
	o.ahead.changed(len(all) - 1)
	if _, _, n := o.ahead.take(cat, meta); n != 3*aheadPart {
		t.Fatalf("%d events used, want %d", n, 3*aheadPart)
	}
}

// TestBuildPerEvent checks that a build told the bytes of a payload (what the last build found)
// encodes what a build told nothing does, every payload in the one buffer it made at once (not
// grown and copied while payloads were appended), and that the hint is bounded.
func TestBuildPerEvent(t *testing.T) {
	store, err := nodes.New()
	if err != nil {
		t.Fatal(err)
	}
	cat := store.Catalogue()
	meta := events.Metadata{CommandID: "c1"}
	all := aheadEvents(40)
	for i := range all { // payloads larger than the default room per event
		c := all[i].payload.(nodes.Created)
		c.HFID = []string{strings.Repeat("h", 600)}
		all[i].payload = c
	}
	want, wantPayloads, err := buildEvents(cat, meta, all, 0)
	if err != nil {
		t.Fatal(err)
	}
	per := payloadBytes(want)
	if per <= 600 {
		t.Fatalf("payloadBytes %d, want more than a payload's 600 bytes of hfid", per)
	}
	got, gotPayloads, err := buildEvents(cat, meta, all, per)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotPayloads, wantPayloads) {
		t.Fatal("a build told the payload size encodes differently")
	}
	for i := 1; i < len(got); i++ {
		prev, next := got[i-1].Payload, got[i].Payload
		if uintptr(unsafe.Pointer(unsafe.SliceData(prev)))+uintptr(len(prev)) != uintptr(unsafe.Pointer(unsafe.SliceData(next))) {
			t.Fatalf("payload %d is not next to payload %d in one buffer: the buffer grew", i, i-1)
		}
	}
	big := []events.Envelope{{Payload: make([]byte, 1<<20)}}
	if n := payloadBytes(big); n != maxPerEvent {
		t.Fatalf("payloadBytes of a 1 MiB payload = %d, want the bound %d", n, maxPerEvent)
	}
}
