package forward

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/infrahub-go/infrahub/events"
)

// encodingJSON is the body encoding/json writes for b, the encoding Encode replaced.
func encodingJSON(t *testing.T, b Batch) []byte {
	t.Helper()
	if b.Events == nil {
		b.Events = []events.Envelope{}
	}
	body, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func TestEncodeWritesWhatEncodingJSONWrites(t *testing.T) {
	at := time.Date(2026, 12, 6, 19, 30, 1, 123456789, time.UTC)
	paris := time.FixedZone("CET", 3600)
	full := events.Envelope{GlobalPosition: 7, Stream: "branch/main", StreamVersion: 42, EventID: uuid.New(),
		Type: "node.created", SchemaVersion: 3, OccurredAt: at, RecordedAt: at.Add(time.Millisecond),
		Metadata: events.Metadata{CommandID: "c1", CorrelationID: "k", CausationID: "z", Actor: "admin", TraceParent: "00-ab-cd-01"},
		Payload:  json.RawMessage(`{"id":"x","attrs":{"name":"eth0","mtu":1500,"up":true,"tags":[1,2]}}`)}
	cases := map[string]events.Envelope{
		"full":               full,
		"zero":               {GlobalPosition: 8},
		"some metadata":      {GlobalPosition: 9, Metadata: events.Metadata{Actor: "a", TraceParent: "t"}, Payload: json.RawMessage(`[]`)},
		"escaped strings":    {GlobalPosition: 10, Stream: `br/"quoted"\ <b>&`, Type: "é\u2028\x01", Metadata: events.Metadata{Actor: "ünï\tcode"}, Payload: json.RawMessage(`"s"`)},
		"other zone":         {GlobalPosition: 11, OccurredAt: at.In(paris), RecordedAt: at.In(time.FixedZone("odd", 3600+30)), Payload: json.RawMessage(`1`)},
		"year beyond 9999":   {GlobalPosition: 12, OccurredAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		"whole seconds only": {GlobalPosition: 13, OccurredAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Payload: json.RawMessage(`null`)},
	}
	for name, e := range cases {
		t.Run(name, func(t *testing.T) {
			b := Batch{From: e.GlobalPosition - 1, To: e.GlobalPosition, Events: []events.Envelope{e}}
			got, gotErr := Encode(b)
			_, wantErr := json.Marshal(b)
			if (gotErr != nil) != (wantErr != nil) {
				t.Fatalf("Encode error %v, encoding/json's %v", gotErr, wantErr)
			}
			if gotErr != nil {
				return
			}
			if want := encodingJSON(t, b); !bytes.Equal(got, want) {
				t.Fatalf("Encode wrote\n%s\nencoding/json\n%s", got, want)
			}
			back, err := Decode(got)
			if err != nil || len(back.Events) != 1 || back.Events[0].EventID != e.EventID || back.Events[0].Metadata != e.Metadata {
				t.Fatalf("decoded %+v, %v", back, err)
			}
		})
	}
	several := Batch{From: 0, To: 9, Events: []events.Envelope{cases["zero"], cases["some metadata"]}}
	if got, want := mustEncode(t, several), encodingJSON(t, several); !bytes.Equal(got, want) {
		t.Fatalf("two events: %s, want %s", got, want)
	}
	if got, want := mustEncode(t, Batch{From: 4, To: 4}), encodingJSON(t, Batch{From: 4, To: 4}); !bytes.Equal(got, want) {
		t.Fatalf("empty batch: %s, want %s", got, want)
	}
}

// The payload is written as the log holds it (valid JSON, not compacted again): it decodes to the
// same bytes.
func TestEncodeKeepsThePayloadAsTheLogHoldsIt(t *testing.T) {
	payload := json.RawMessage(`{ "a": "<b> & c",  "n": [1, 2] }`)
	b := Batch{From: 0, To: 1, Events: []events.Envelope{{GlobalPosition: 1, Type: "t", Payload: payload}}}
	back, err := Decode(mustEncode(t, b))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.Events[0].Payload, payload) {
		t.Fatalf("payload %s, want %s", back.Events[0].Payload, payload)
	}
}

func mustEncode(t *testing.T, b Batch) []byte {
	t.Helper()
	body, err := Encode(b)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func BenchmarkEncode(b *testing.B) {
	at := time.Date(2026, 12, 6, 19, 30, 1, 123456789, time.UTC)
	evs := make([]events.Envelope, 8)
	for i := range evs {
		evs[i] = events.Envelope{GlobalPosition: events.Position(i + 1), Stream: "branch/main", StreamVersion: int64(i), EventID: uuid.New(),
			Type: "node.created", SchemaVersion: 1, OccurredAt: at, RecordedAt: at,
			Metadata: events.Metadata{CommandID: uuid.NewString(), Actor: "admin"},
			Payload:  json.RawMessage(`{"id":"18a2f3c4-0000-4000-8000-000000000001","kind":"BenchInterface","branch":"main","attributes":{"name":{"value":"Ethernet1"},"mtu":{"value":1500},"enabled":{"value":true},"description":{"value":"an interface of the bench"}},"relationships":{"device":{"peer":"18a2f3c4-0000-4000-8000-000000000002"}}}`)}
	}
	batch := Batch{From: 0, To: 8, Events: evs}
	b.Run("forward", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Encode(batch); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(batch); err != nil {
				b.Fatal(err)
			}
		}
	})
}
