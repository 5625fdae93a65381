package events_test

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/events"
)

var update = flag.Bool("update", false, "rewrite golden files of stored events")

type renamedV3 struct {
	FullName string   `json:"full_name"`
	Tags     []string `json:"tags"`
}

// A type at version 3 with upcasters from 1 and 2: stored v1 and v2 payloads read as v3.
func testCatalogue(t *testing.T) *events.Catalogue {
	c := events.NewCatalogue()
	c.MustRegister("thing.renamed", 3, renamedV3{})
	// v1 {"name": "..."} -> v2 {"full_name": "..."}
	if err := c.RegisterUpcaster("thing.renamed", 1, func(p json.RawMessage) (json.RawMessage, error) {
		var v1 struct{ Name string }
		if err := json.Unmarshal(p, &v1); err != nil {
			return nil, err
		}
		return json.Marshal(map[string]any{"full_name": v1.Name})
	}); err != nil {
		t.Fatal(err)
	}
	// v2 -> v3 adds tags
	if err := c.RegisterUpcaster("thing.renamed", 2, func(p json.RawMessage) (json.RawMessage, error) {
		var v2 map[string]any
		if err := json.Unmarshal(p, &v2); err != nil {
			return nil, err
		}
		v2["tags"] = []string{}
		return json.Marshal(v2)
	}); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestUpcastChain(t *testing.T) {
	c := testCatalogue(t)
	for version, payload := range map[int]string{
		1: `{"name":"atl1-edge1"}`,
		2: `{"full_name":"atl1-edge1"}`,
		3: `{"full_name":"atl1-edge1","tags":[]}`,
	} {
		v, err := c.Decode(events.Envelope{Type: "thing.renamed", SchemaVersion: version, Payload: json.RawMessage(payload)})
		if err != nil {
			t.Fatalf("v%d: %v", version, err)
		}
		if got, want := v.(renamedV3), (renamedV3{FullName: "atl1-edge1", Tags: []string{}}); !reflect.DeepEqual(got, want) {
			t.Fatalf("v%d decoded to %+v", version, got)
		}
	}
}

func TestCatalogueErrors(t *testing.T) {
	c := testCatalogue(t)
	cases := map[string]error{
		"unknown type":   func() error { _, err := c.Decode(events.Envelope{Type: "nope", SchemaVersion: 1}); return err }(),
		"future version": func() error { _, err := c.Decode(events.Envelope{Type: "thing.renamed", SchemaVersion: 4}); return err }(),
		"wrong payload":  func() error { _, err := c.New("thing.renamed", struct{}{}, events.Metadata{}); return err }(),
		"unknown new":    func() error { _, err := c.New("nope", renamedV3{}, events.Metadata{}); return err }(),
	}
	for name, err := range cases {
		if !errors.Is(err, events.ErrUnknownEventType) && !errors.Is(err, events.ErrInvalidEvent) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if err := c.Register("thing.renamed", 1, renamedV3{}); err == nil {
		t.Error("registering a type twice was accepted")
	}
	if err := c.RegisterUpcaster("thing.renamed", 1, nil); err == nil {
		t.Error("a second upcaster for the same step was accepted")
	}
	if err := c.RegisterUpcaster("thing.renamed", 3, nil); err == nil {
		t.Error("an upcaster from the current version was accepted")
	}
	bad := events.NewCatalogue()
	bad.MustRegister("x.y", 2, renamedV3{})
	if _, err := bad.Decode(events.Envelope{Type: "x.y", SchemaVersion: 1, Payload: json.RawMessage(`{}`)}); !errors.Is(err, events.ErrUnknownEventType) {
		t.Errorf("missing upcaster: err = %v", err)
	}
}

// Every event type of the core catalogue keeps one stored sample per schema version in
// testdata/golden; each must still decode. A new version means a new golden file and an
// upcaster, never an edited one (go test ./events -run Golden -update writes missing files).
func TestGoldenStoredEvents(t *testing.T) {
	c := events.NewCatalogueWithCore()
	samples := map[string]any{
		events.TypeDiagnosticRecorded: events.DiagnosticRecorded{Data: json.RawMessage(`{"device":"atl1-edge1"}`)},
	}
	for _, info := range c.Types() {
		sample, ok := samples[info.Name]
		if !ok {
			t.Errorf("event type %s has no golden sample in this test", info.Name)
			continue
		}
		path := filepath.Join("testdata", "golden", info.Name+".v"+strconv.Itoa(info.SchemaVersion)+".json")
		if *update {
			if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
				env, err := c.New(info.Name, sample, events.Metadata{})
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, append(env.Payload, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files (%v)", err)
	}
	for _, f := range files {
		base := strings.TrimSuffix(filepath.Base(f), ".json")
		i := strings.LastIndex(base, ".v")
		name, ver := base[:i], atoi(t, base[i+2:])
		payload, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		v, err := c.Decode(events.Envelope{Type: name, SchemaVersion: ver, Payload: payload})
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if want := samples[name]; ver == mustLookup(t, c, name) && !reflect.DeepEqual(normalise(t, v), normalise(t, want)) {
			t.Errorf("%s decodes to %+v, want %+v", f, v, want)
		}
	}
}

func mustLookup(t *testing.T, c *events.Catalogue, name string) int {
	info, ok := c.Lookup(name)
	if !ok {
		t.Fatalf("golden file for unknown type %s", name)
	}
	return info.SchemaVersion
}

func normalise(t *testing.T, v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

func atoi(t *testing.T, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("version %q: %v", s, err)
	}
	return n
}
