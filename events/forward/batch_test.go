package forward

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/events"
)

func evAt(pos events.Position, payloadBytes int) events.Envelope {
	return events.Envelope{
		GlobalPosition: pos, Stream: "s", Type: "t", SchemaVersion: 1,
		Payload: json.RawMessage(`"` + strings.Repeat("x", payloadBytes) + `"`),
	}
}

func TestBatchRoundTrip(t *testing.T) {
	b := Batch{From: 3, To: 9, Events: []events.Envelope{evAt(5, 1), evAt(9, 1)}}
	msg, err := Message(b)
	if err != nil {
		t.Fatal(err)
	}
	if msg.Metadata.Get(MetadataFrom) != "3" || msg.Metadata.Get(MetadataTo) != "9" || msg.UUID != "log-3-9" {
		t.Fatalf("metadata %v, uuid %s", msg.Metadata, msg.UUID)
	}
	got, err := DecodeMessage(msg)
	if err != nil {
		t.Fatal(err)
	}
	if got.From != 3 || got.To != 9 || len(got.Events) != 2 || got.Events[1].GlobalPosition != 9 {
		t.Fatalf("decoded %+v", got)
	}
	empty, err := Encode(Batch{From: 4, To: 4})
	if err != nil || !strings.Contains(string(empty), `"events":[]`) {
		t.Fatalf("empty batch = %s, %v", empty, err)
	}
}

func TestBatchValidate(t *testing.T) {
	tests := map[string]Batch{
		"to below from":   {From: 5, To: 4},
		"negative":        {From: -1, To: 4},
		"event at from":   {From: 5, To: 9, Events: []events.Envelope{evAt(5, 1)}},
		"event above to":  {From: 5, To: 9, Events: []events.Envelope{evAt(10, 1)}},
		"events reversed": {From: 0, To: 9, Events: []events.Envelope{evAt(7, 1), evAt(6, 1)}},
		"duplicate":       {From: 0, To: 9, Events: []events.Envelope{evAt(7, 1), evAt(7, 1)}},
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := Encode(b); err == nil {
				t.Fatal("Encode accepted an inconsistent batch")
			}
			body, _ := json.Marshal(b)
			if _, err := Decode(body); err == nil {
				t.Fatal("Decode accepted an inconsistent batch")
			}
		})
	}
	if _, err := Decode([]byte("{")); err == nil {
		t.Fatal("Decode accepted bad JSON")
	}
}

func TestSplit(t *testing.T) {
	seq := func(from, n int64, size int) []events.Envelope {
		var out []events.Envelope
		for p := from + 1; p <= from+n; p++ {
			out = append(out, evAt(events.Position(10+p*2), size)) // even positions above 7: gaps between events
		}
		return out
	}
	tests := []struct {
		name      string
		evs       []events.Envelope
		maxEvents int
		maxBytes  int
		wantSizes []int
	}{
		{"one batch", seq(0, 10, 10), 100, 1 << 20, []int{10}},
		{"by count", seq(0, 10, 10), 3, 1 << 20, []int{3, 3, 3, 1}},
		{"by bytes", seq(0, 10, 1000), 100, 3 * (1000 + 2 + 2 + envelopeOverhead), []int{3, 3, 3, 1}},
		{"huge events one each", seq(0, 3, 5000), 100, 1000, []int{1, 1, 1}},
		{"defaults", seq(0, 2500, 1), 0, 0, []int{1000, 1000, 500}},
		{"empty", nil, 10, 10, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Split(7, tc.evs, tc.maxEvents, tc.maxBytes)
			if len(got) != len(tc.wantSizes) {
				t.Fatalf("%d batches, want %d", len(got), len(tc.wantSizes))
			}
			from := events.Position(7)
			for i, b := range got {
				if len(b.Events) != tc.wantSizes[i] {
					t.Fatalf("batch %d has %d events, want %d", i, len(b.Events), tc.wantSizes[i])
				}
				if b.From != from || b.To != b.Events[len(b.Events)-1].GlobalPosition {
					t.Fatalf("batch %d is (%d, %d], previous ended at %d", i, b.From, b.To, from)
				}
				if err := b.Validate(); err != nil {
					t.Fatal(err)
				}
				from = b.To
			}
		})
	}
}

func TestTrackerContiguous(t *testing.T) {
	var advanced []events.Position
	tr := &tracker{confirmed: 10, onAdvance: func(p events.Position) { advanced = append(advanced, p) }}
	a, b, c, d := tr.add(20), tr.add(30), tr.add(40), tr.add(50)
	tr.done(c)
	tr.done(b)
	if tr.confirmed != 10 || len(advanced) != 0 {
		t.Fatalf("confirmed %d before the first batch was", tr.confirmed)
	}
	tr.done(a)
	if tr.confirmed != 40 {
		t.Fatalf("confirmed = %d, want 40", tr.confirmed)
	}
	e := tr.add(60)
	tr.done(e)
	if tr.confirmed != 40 {
		t.Fatalf("confirmed = %d past the pending 50", tr.confirmed)
	}
	tr.done(d)
	if tr.confirmed != 60 || len(tr.pending) != 0 {
		t.Fatalf("confirmed = %d, pending %d", tr.confirmed, len(tr.pending))
	}
	if want := []events.Position{40, 60}; len(advanced) != 2 || advanced[0] != want[0] || advanced[1] != want[1] {
		t.Fatalf("advanced %v, want %v", advanced, want)
	}
}
