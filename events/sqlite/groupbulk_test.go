package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/events"
)

// TestBulkAppendKeepsMetadata appends large batches whose chunks leave out different sets of
// metadata columns (all unset, some set, one row setting a column the others leave unset) and
// reads every event back as written.
func TestBulkAppendKeepsMetadata(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), "events.db"))
	defer s.Close()
	metas := []func(i int) events.Metadata{
		func(int) events.Metadata { return events.Metadata{} },
		func(int) events.Metadata { return events.Metadata{Actor: "alice", CommandID: "cmd-1"} },
		func(i int) events.Metadata {
			if i == 70 {
				return events.Metadata{CorrelationID: "corr", TraceParent: "00-abc-def-01"}
			}
			return events.Metadata{CausationID: "cause"}
		},
	}
	var want []events.Envelope
	for b, meta := range metas {
		n := bulkEvents + maxChunk + 5 // full chunks and a rest
		evs := make([]events.Envelope, n)
		for i := range evs {
			evs[i] = events.Envelope{Type: "t", Metadata: meta(i), Payload: []byte(fmt.Sprintf(`{"b":%d,"i":%d}`, b, i))}
		}
		if b == 1 {
			for i := range evs {
				evs[i].Metadata.CommandID = "" // a command id is given once per append (below)
			}
		}
		stream := events.StreamID(fmt.Sprintf("s%d", b))
		if _, err := s.Append(ctx, stream, events.NoStream, evs...); err != nil {
			t.Fatal(err)
		}
		want = append(want, evs...)
	}
	got, err := s.ReadAll(ctx, 0, len(want)+1)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("read %d events, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].GlobalPosition != events.Position(i+1) || string(got[i].Payload) != string(want[i].Payload) ||
			got[i].Metadata != want[i].Metadata {
			t.Fatalf("event %d: %+v, want payload %s, metadata %+v", i, got[i], want[i].Payload, want[i].Metadata)
		}
	}
}

// metaFirst and metaCount name the nullable metadata columns of eventValueColumns, in the order
// appendEventValues binds them: a reordering of the columns must move them too.
func TestBulkMetadataColumns(t *testing.T) {
	var cols []string
	for _, c := range strings.Split(eventValueColumns, ",") {
		cols = append(cols, strings.TrimSpace(c))
	}
	want := []string{"command_id", "correlation_id", "causation_id", "actor", "traceparent"}
	if got := cols[metaFirst : metaFirst+metaCount]; !slices.Equal(got, want) {
		t.Fatalf("metadata columns %v, want %v", got, want)
	}
}
