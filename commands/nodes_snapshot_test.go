package commands_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/schema"
)

func freshStore(t *testing.T) *nodes.Store {
	t.Helper()
	cat := events.NewCatalogueWithCore()
	schema.RegisterEvents(cat)
	branch.RegisterEvents(cat)
	nodes.RegisterEvents(cat)
	builtin, err := branch.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return nodes.NewStore(cat, branch.NewState(cat, builtin))
}

// A Store restored from a snapshot answers like the original on every branch, and goes on
// folding the log from where the snapshot was taken.
func TestStoreSnapshot(t *testing.T) {
	f := newNodeFixture(t)
	site := f.create(t, "TestSite", map[string]any{"name": "paris"})
	dev := f.create(t, "TestDevice", map[string]any{"name": "r1", "site": site})
	f.create(t, "TestInterface", map[string]any{"name": "eth0", "device": dev})
	f.run(t, commands.TypeCreateBranch, map[string]any{"name": "b1"})
	f.run(t, commands.TypeUpdateNode, map[string]any{"branch": "b1", "id": dev, "data": map[string]any{"asn": 7}})
	f.run(t, commands.TypeCreateNode, map[string]any{"branch": "b1", "kind": "TestPerson", "data": map[string]any{"name": "al"}})

	var buf bytes.Buffer
	if err := f.store.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	restored := freshStore(t)
	if err := restored.ReadSnapshot(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	if restored.Position() != f.store.Position() {
		t.Fatalf("restored at %d, original at %d", restored.Position(), f.store.Position())
	}
	compare := func(when string) {
		for _, br := range []string{"main", "b1"} {
			a, b := f.view(t, br), mustView(t, restored, br)
			if a.Version != b.Version || a.MainVersion != b.MainVersion || a.Schema.Hash() != b.Schema.Hash() {
				t.Errorf("%s, %s: versions %d/%d vs %d/%d", when, br, a.Version, a.MainVersion, b.Version, b.MainVersion)
			}
			if da, db := dump(t, a), dump(t, b); !equalDumps(da, db) || len(da) == 0 {
				t.Errorf("%s, %s: dumps differ:\n%v\n%v", when, br, da, db)
			}
		}
	}
	compare("after restore")
	// More writes, folded into both.
	f.run(t, commands.TypeUpdateNode, map[string]any{"id": dev, "data": map[string]any{"role": "core"}})
	f.run(t, commands.TypeDeleteNode, map[string]any{"id": site})
	evs, err := f.log.ReadAll(context.Background(), restored.Position(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	if err := restored.Apply(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	compare("after further writes")

	// A damaged snapshot is refused and leaves nothing half-restored.
	bad := bytes.Clone(buf.Bytes())
	bad[len(bad)/2] ^= 0xff
	other := freshStore(t)
	if err := other.ReadSnapshot(bytes.NewReader(bad)); err == nil {
		t.Error("a damaged snapshot was read")
	}
	if err := other.ReadSnapshot(bytes.NewReader(buf.Bytes()[:10])); !errors.Is(err, nodes.ErrBadSnapshot) {
		t.Errorf("truncated snapshot: %v", err)
	}
}

func mustView(t *testing.T, s *nodes.Store, br string) *nodes.View {
	t.Helper()
	v, err := s.View(br, 0)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
