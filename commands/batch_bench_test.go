package commands_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/sqlite"
)

// errDry is what dryLog answers to every append.
var errDry = errors.New("dry run: not appended")

// dryLog is a log that refuses every append: a command sent through it is decided (decoded,
// checked against the state, its events encoded) and goes no further.
type dryLog struct{ *sqlite.Store }

func (dryLog) Append(context.Context, events.StreamID, int64, ...events.Envelope) (events.AppendResult, error) {
	return events.AppendResult{}, errDry
}

func (dryLog) AppendCommand(context.Context, events.StreamID, int64, events.CommandInfo, ...events.Envelope) (events.AppendResult, error) {
	return events.AppendResult{}, errDry
}

// BenchmarkBatchDecide reports the cost of deciding a batch of 1,000 node.create operations (the
// payloads of BenchmarkBulkLoad): decoding, the decisions and the encoding of their events,
// without the append and the fold. Its allocations per node are a machine-independent measure.
func BenchmarkBatchDecide(b *testing.B) {
	f, sites, tags := benchFixture(b)
	dry, err := commands.New(commands.Config{Log: dryLog{f.log}, Catalogue: f.store.Catalogue(), State: f.store,
		WaitFor: f.fold.WaitFor, Decoded: f.fold.Decoded})
	if err != nil {
		b.Fatal(err)
	}
	const n = 1000
	ops := make([]any, 0, n)
	for i := range n {
		ops = append(ops, map[string]any{"type": "node.create", "payload": map[string]any{"kind": "BenchDevice", "data": map[string]any{
			"name": fmt.Sprintf("d-%d", i), "description": "a benchmark device", "serial": fmt.Sprintf("SN%08d", i),
			"asn": 64512 + i%1000, "enabled": i%2 == 0, "site": sites[i%len(sites)], "tags": []any{tags[i%len(tags)]}}}})
	}
	raw, _ := json.Marshal(map[string]any{"operations": ops})
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		_, err := dry.Dispatch(context.Background(), commands.Command{Type: commands.TypeBatch, Payload: raw})
		if !errors.Is(err, errDry) {
			b.Fatalf("got %v, want the dry log's refusal", err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/node")
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N*n), "cpu-ns/node")
}

// cpuTime is the processor time (user and system) the process used so far: a measure that other
// work on a shared machine changes less than the elapsed time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
