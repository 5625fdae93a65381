package nodetx_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/commands/nodetx"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/sqlite"
	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/projections"
)

// createSchema is the schema of bench rows 4, 7, 8 and 13: devices with a unique name and a
// site, interfaces whose human-friendly id goes through their device (a parent).
const createSchema = `
version: "1.0"
nodes:
  - name: Site
    namespace: Bench
    human_friendly_id: [name__value]
    display_label: name__value
    attributes:
      - {name: name, kind: Text, unique: true}
  - name: Tag
    namespace: Bench
    human_friendly_id: [name__value]
    attributes:
      - {name: name, kind: Text, unique: true}
  - name: Device
    namespace: Bench
    human_friendly_id: [name__value]
    display_label: name__value
    attributes:
      - {name: name, kind: Text, unique: true}
      - {name: description, kind: Text, optional: true}
      - {name: serial, kind: Text, optional: true}
      - {name: asn, kind: Number, optional: true}
      - {name: enabled, kind: Boolean, default_value: true}
    relationships:
      - {name: site, peer: BenchSite, cardinality: one, optional: true}
      - {name: tags, peer: BenchTag, cardinality: many, optional: true}
      - {name: interfaces, peer: BenchInterface, cardinality: many, kind: Component, optional: true}
  - name: Interface
    namespace: Bench
    human_friendly_id: [device__name__value, name__value]
    display_label: name__value
    attributes:
      - {name: name, kind: Text}
      - {name: description, kind: Text, optional: true}
      - {name: mtu, kind: Number, default_value: 1500}
      - {name: enabled, kind: Boolean, default_value: true}
    relationships:
      - {name: device, peer: BenchDevice, cardinality: one, kind: Parent, optional: false}
`

// createFixture is a node Store holding createSchema, 100 sites, 100 tags and 100 devices
// (each with its site and a tag), folded from a log.
type createFixture struct {
	store                *nodes.Store
	sites, tags, devices []string
}

func newCreateFixture(b testing.TB) *createFixture {
	slog.SetDefault(slog.New(slog.DiscardHandler))
	ctx := context.Background()
	log, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(b.TempDir(), "e.db")}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = log.Close() })
	store, err := nodes.New()
	if err != nil {
		b.Fatal(err)
	}
	fold := projections.NewInline(log, store)
	app, err := commands.New(commands.Config{Log: log, Catalogue: store.Catalogue(), State: store, WaitFor: fold.WaitFor, Decoded: fold.Decoded})
	if err != nil {
		b.Fatal(err)
	}
	run := func(typ string, payload any) commands.Result {
		raw, _ := json.Marshal(payload)
		res, err := app.Dispatch(ctx, commands.Command{Type: typ, Payload: raw})
		if err != nil {
			b.Fatal(err)
		}
		if err := fold.WaitFor(ctx, 0); err != nil {
			b.Fatal(err)
		}
		return res
	}
	raw, _ := json.Marshal(createSchema)
	run(commands.TypeLoadSchema, commands.LoadSchema{Schemas: []json.RawMessage{raw}})
	f := &createFixture{store: store}
	id := func(n int) string { return fmt.Sprintf("0190a3c4-0000-7000-8000-%012d", n) } // the same in every run
	for i := range 100 {
		f.sites = append(f.sites, run(commands.TypeCreateNode, map[string]any{"kind": "BenchSite", "id": id(3 * i),
			"data": map[string]any{"name": fmt.Sprint("site-", i)}}).Data.(commands.NodeOutcome).ID)
		f.tags = append(f.tags, run(commands.TypeCreateNode, map[string]any{"kind": "BenchTag", "id": id(3*i + 1),
			"data": map[string]any{"name": fmt.Sprint("tag-", i)}}).Data.(commands.NodeOutcome).ID)
		f.devices = append(f.devices, run(commands.TypeCreateNode, map[string]any{"kind": "BenchDevice", "id": id(3*i + 2),
			"data": map[string]any{"name": fmt.Sprint("dev-", i), "site": f.sites[i], "tags": []any{f.tags[i]}}}).Data.(commands.NodeOutcome).ID)
	}
	return f
}

// BenchmarkCreateInterface decides bench row 13's node.create of an interface (4 attributes, its
// device by id), in transactions of 16 creates (a turn of the row's 16 clients), per create:
// its data prepared as the HTTP path prepares it (PrepareFor), Create, and the events' encoding
// (Decide).
func BenchmarkCreateInterface(b *testing.B) {
	benchCreates(b, 16, func(f *createFixture) func(i int) nodetx.Data {
		names, devices := rawTexts("eth", 16), make([]json.RawMessage, len(f.devices))
		for i, d := range f.devices {
			devices[i] = json.RawMessage(fmt.Sprintf(`{"id":%q}`, d))
		}
		return func(i int) nodetx.Data {
			return nodetx.Data{"name": names[i], "description": json.RawMessage(`"created over HTTP"`),
				"mtu": json.RawMessage(`9000`), "enabled": json.RawMessage(`true`), "device": devices[i%len(devices)]}
		}
	}, "BenchInterface")
}

// BenchmarkCreateInterfaceAlone is BenchmarkCreateInterface with one create per transaction (a
// turn of one command: what a transaction costs besides its creates).
func BenchmarkCreateInterfaceAlone(b *testing.B) {
	benchCreates(b, 1, func(f *createFixture) func(i int) nodetx.Data {
		return func(i int) nodetx.Data {
			return nodetx.Data{"name": json.RawMessage(`"eth0"`), "description": json.RawMessage(`"created over HTTP"`),
				"mtu": json.RawMessage(`9000`), "enabled": json.RawMessage(`true`), "device": json.RawMessage(`{"id":"` + f.devices[0] + `"}`)}
		}
	}, "BenchInterface")
}

// BenchmarkCreateDevice decides bench row 4's creates of devices (5 attributes, a site and a
// tag), 1,000 per transaction (a batch), per create.
func BenchmarkCreateDevice(b *testing.B) {
	benchCreates(b, 1000, func(f *createFixture) func(i int) nodetx.Data {
		names, serials := rawTexts("d-", 1000), rawTexts("SN", 1000)
		sites, tags := make([]json.RawMessage, len(f.sites)), make([]json.RawMessage, len(f.tags))
		for i := range f.sites {
			sites[i] = json.RawMessage(fmt.Sprintf("%q", f.sites[i]))
			tags[i] = json.RawMessage(fmt.Sprintf("[%q]", f.tags[i]))
		}
		return func(i int) nodetx.Data {
			return nodetx.Data{"name": names[i], "description": json.RawMessage(`"a benchmark device"`), "serial": serials[i],
				"asn": json.RawMessage(fmt.Sprint(64512 + i%1000)), "enabled": json.RawMessage(fmt.Sprint(i%2 == 0)),
				"site": sites[i%len(sites)], "tags": tags[i%len(tags)]}
		}
	}, "BenchDevice")
}

// rawTexts is n JSON strings prefix0, prefix1, ...
func rawTexts(prefix string, n int) []json.RawMessage {
	out := make([]json.RawMessage, n)
	for i := range out {
		out[i] = json.RawMessage(fmt.Sprintf("%q", fmt.Sprint(prefix, i)))
	}
	return out
}

// benchCreates reports, per create, the elapsed and processor time (user and system, the
// encoding ahead on other goroutines and the collector included) of deciding b.N transactions
// of per creates of kind each, their data made by data(f)(i) and prepared in the loop.
func benchCreates(b *testing.B, per int, data func(*createFixture) func(int) nodetx.Data, kind string) {
	f := newCreateFixture(b)
	v, err := f.store.View("main", 0)
	if err != nil {
		b.Fatal(err)
	}
	cat := f.store.Catalogue()
	meta := events.Metadata{CommandID: "c1", Actor: "a"}
	mk := data(f)
	lim := limits.Default()
	ins := make([]nodetx.CreateNode, per)
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for range b.N {
		for i := range ins {
			ins[i] = nodetx.CreateNode{Kind: kind, Data: mk(i)}
			ins[i].PrepareFor(v.Schema, lim)
		}
		tx := nodetx.New(context.Background(), v, nil, lim)
		if per > 1 {
			tx.Expect(per, cat, meta)
		}
		for _, in := range ins {
			if _, err := tx.Create(in); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := tx.Decide(cat, "main", meta); err != nil {
			b.Fatal(err)
		}
	}
	cpu := cpuTime() - cpu0
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*per), "ns/create")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*per), "cpu-ns/create")
}

// cpuTime is the processor time (user and system) the process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
