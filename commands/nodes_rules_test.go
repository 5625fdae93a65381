package commands_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/events"
)

// Every invalid input is refused with an error that names the field, and stores nothing.
func TestInvalidNodeInput(t *testing.T) {
	f := newNodeFixture(t)
	f.create(t, "TestSite", map[string]any{"name": "paris"})
	tag := f.create(t, "TestTag", map[string]any{"name": "t1"})
	t2 := f.create(t, "TestTag", map[string]any{"name": "t2"})
	t3 := f.create(t, "TestTag", map[string]any{"name": "t3"})
	t4 := f.create(t, "TestTag", map[string]any{"name": "t4"})
	dev := f.create(t, "TestDevice", map[string]any{"name": "r1"})
	f.create(t, "TestInterface", map[string]any{"name": "eth0", "device": dev})
	f.create(t, "TestRegion", map[string]any{"name": "europe"})
	f.create(t, "TestCity", map[string]any{"name": "paris-city", "parent": "europe"})
	create := func(kind string, data map[string]any) [2]any {
		return [2]any{commands.TypeCreateNode, map[string]any{"kind": kind, "data": data}}
	}
	for _, tc := range []struct {
		name  string
		cmd   [2]any
		want  error
		field string // must appear in the message
	}{
		{"unknown kind", create("TestNope", map[string]any{"name": "x"}), commands.ErrInvalid, `field "kind"`},
		{"generic kind", create("CoreNode", map[string]any{}), commands.ErrInvalid, `generic`},
		{"unknown field", create("TestTag", map[string]any{"name": "x", "colour": "red"}), commands.ErrInvalid, `field "colour"`},
		{"mandatory attribute", create("TestTag", map[string]any{}), commands.ErrInvalid, `field "name"`},
		{"null mandatory attribute", create("TestTag", map[string]any{"name": nil}), commands.ErrInvalid, `field "name"`},
		{"wrong type", create("TestTag", map[string]any{"name": 12}), commands.ErrInvalid, `field "name"`},
		{"regex", create("TestDevice", map[string]any{"name": "R 1"}), commands.ErrInvalid, `field "name"`},
		{"max length", create("TestDevice", map[string]any{"name": strings.Repeat("a", 31)}), commands.ErrInvalid, `field "name"`},
		{"dropdown choice", create("TestDevice", map[string]any{"name": "r9", "role": "spine"}), commands.ErrInvalid, `field "role"`},
		{"number range", create("TestDevice", map[string]any{"name": "r9", "asn": 70000}), commands.ErrInvalid, `field "asn"`},
		{"boolean", create("TestDevice", map[string]any{"name": "r9", "enabled": "maybe"}), commands.ErrInvalid, `field "enabled"`},
		{"ip host", create("TestDevice", map[string]any{"name": "r9", "mgmt": "10.0.0.300"}), commands.ErrInvalid, `field "mgmt"`},
		{"date-time", create("TestDevice", map[string]any{"name": "r9", "installed": "yesterday"}), commands.ErrInvalid, `field "installed"`},
		{"ip network", create("TestDevice", map[string]any{"name": "r9", "prefix": "10.0.0.0/33"}), commands.ErrInvalid, `field "prefix"`},
		{"mac address", create("TestDevice", map[string]any{"name": "r9", "mac": "00:11:22:33:44"}), commands.ErrInvalid, `field "mac"`},
		{"email", create("TestDevice", map[string]any{"name": "r9", "contact": "not-an-address"}), commands.ErrInvalid, `field "contact"`},
		{"url", create("TestDevice", map[string]any{"name": "r9", "docs": "::nope"}), commands.ErrInvalid, `field "docs"`},
		{"json", create("TestDevice", map[string]any{"name": "r9", "extra": "{not json"}), commands.ErrInvalid, `field "extra"`},
		{"list", create("TestDevice", map[string]any{"name": "r9", "aliases": 12}), commands.ErrInvalid, `field "aliases"`},
		{"hierarchy parent of the wrong kind", create("TestCity", map[string]any{"name": "lyon", "parent": map[string]any{"hfid": []string{"paris-city"}, "kind": "TestCity"}}), commands.ErrInvalid, `field "parent"`},
		{"hierarchy without its mandatory parent", create("TestCity", map[string]any{"name": "lyon"}), commands.ErrInvalid, `field "parent"`},
		{"hierarchy child of the wrong kind", create("TestRegion", map[string]any{"name": "asia", "children": []any{map[string]any{"hfid": []string{"europe"}, "kind": "TestRegion"}}}), commands.ErrInvalid, `field "children"`},
		{"read-only", create("TestDevice", map[string]any{"name": "r9", "serial": "x"}), commands.ErrInvalid, `field "serial"`},
		{"lineage key", create("TestTag", map[string]any{"name": map[string]any{"value": "x", "colour": 1}}), commands.ErrInvalid, `field "name"`},
		{"unique attribute", create("TestTag", map[string]any{"name": "t1"}), commands.ErrConflict, `uniqueness constraint "name__value"`},
		{"uniqueness constraint", create("TestInterface", map[string]any{"name": "eth0", "device": dev}), commands.ErrConflict, `TestInterface`},
		{"missing peer by id", create("TestDevice", map[string]any{"name": "r9", "site": "0190a3c4-0000-7000-8000-000000000000"}), commands.ErrNotFound, `field "site"`},
		{"missing peer by hfid", create("TestDevice", map[string]any{"name": "r9", "site": "lyon"}), commands.ErrNotFound, `field "site"`},
		{"peer of the wrong kind", create("TestDevice", map[string]any{"name": "r9", "site": tag}), commands.ErrInvalid, `field "site"`},
		{"cardinality one", create("TestDevice", map[string]any{"name": "r9", "site": []any{"paris", "paris"}}), commands.ErrNotFound, `field "site"`},
		{"max count", create("TestDevice", map[string]any{"name": "r9", "tags": []any{tag, t2, t3, t4}}), commands.ErrInvalid, `field "tags"`},
		{"mandatory parent", create("TestInterface", map[string]any{"name": "eth9"}), commands.ErrInvalid, `field "device"`},
		{"bad id", [2]any{commands.TypeUpdateNode, map[string]any{"id": "nope", "data": map[string]any{}}}, commands.ErrInvalid, `field "id"`},
		{"update of a missing node", [2]any{commands.TypeUpdateNode, map[string]any{"id": "0190a3c4-0000-7000-8000-000000000000", "data": map[string]any{}}}, commands.ErrNotFound, `0190a3c4`},
		{"update to a taken value", [2]any{commands.TypeUpdateNode, map[string]any{"id": t2, "data": map[string]any{"name": "t1"}}}, commands.ErrConflict, `name__value`},
		{"update clears a mandatory parent", [2]any{commands.TypeUpdateNode, map[string]any{"kind": "TestInterface", "hfid": []string{"r1", "eth0"}, "data": map[string]any{"device": nil}}}, commands.ErrInvalid, `field "device"`},
		{"relationship add to cardinality one", [2]any{commands.TypeAddPeers, map[string]any{"id": dev, "name": "site", "peers": []any{"paris"}}}, commands.ErrInvalid, `field "name"`},
		{"relationship add beyond max count", [2]any{commands.TypeAddPeers, map[string]any{"id": dev, "name": "tags", "peers": []any{tag, t2, t3, t4}}}, commands.ErrInvalid, `field "tags"`},
		{"delete leaving a mandatory parent", [2]any{commands.TypeDeleteNode, map[string]any{"kind": "TestSite", "hfid": []string{"nope"}}}, commands.ErrNotFound, `hfid`},
		{"unknown payload key", [2]any{commands.TypeCreateNode, map[string]any{"kind": "TestTag", "daat": map[string]any{}}}, commands.ErrInvalid, `daat`},
		{"batch with a foreign type", [2]any{commands.TypeBatch, map[string]any{"operations": []any{map[string]any{"type": "branch.create", "payload": map[string]any{}}}}}, commands.ErrInvalid, `field "type"`},
		{"batch with an unknown ref", [2]any{commands.TypeBatch, map[string]any{"operations": []any{map[string]any{"type": "node.create", "payload": map[string]any{"kind": "TestDevice", "data": map[string]any{"name": "r9", "site": map[string]any{"ref": "nope"}}}}}}}, commands.ErrNotFound, `field "site"`},
		{"unknown branch", [2]any{commands.TypeCreateNode, map[string]any{"branch": "nope", "kind": "TestTag", "data": map[string]any{"name": "x"}}}, commands.ErrNotFound, `field "branch"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := dump(t, f.view(t, "main"))
			head, _ := f.log.Head(context.Background())
			_, err := f.try(t, tc.cmd[0].(string), tc.cmd[1])
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.field) {
				t.Errorf("error %q does not name %s", err, tc.field)
			}
			if h, _ := f.log.Head(context.Background()); h != head {
				t.Errorf("a refused command wrote %d events", h-head)
			}
			if after := dump(t, f.view(t, "main")); !equalDumps(before, after) {
				t.Error("a refused command changed the data")
			}
		})
	}
}

func TestDeleteRules(t *testing.T) {
	f := newNodeFixture(t)
	site := f.create(t, "TestSite", map[string]any{"name": "paris"})
	dev := f.create(t, "TestDevice", map[string]any{"name": "r1", "site": site})
	f.create(t, "TestInterface", map[string]any{"name": "eth0", "device": dev})
	f.create(t, "TestInterface", map[string]any{"name": "eth1", "device": dev})
	// Deleting the site leaves the device without a site: allowed (optional).
	f.run(t, commands.TypeDeleteNode, map[string]any{"id": site})
	v := f.view(t, "main")
	if _, ok := v.Kind(nid(t, site)); ok {
		t.Error("site still exists")
	}
	if got := v.Peers(nid(t, dev), "r:"+relIdentifier(t, v, "TestDevice", "site")+"|both"); len(got) != 0 {
		t.Errorf("device still points at the deleted site: %v", got)
	}
	// Its name is free again.
	f.create(t, "TestSite", map[string]any{"name": "paris"})
	// Deleting the device cascades to its interfaces (component, on_delete cascade).
	res := f.run(t, commands.TypeDeleteNode, map[string]any{"kind": "TestDevice", "hfid": []string{"r1"}})
	if len(res.Positions) != 3 {
		t.Errorf("cascade wrote %d events, want 3", len(res.Positions))
	}
	v = f.view(t, "main")
	if n := v.Count("TestInterface"); n != 0 {
		t.Errorf("%d interfaces survived the cascade", n)
	}
	// The names can be used again.
	dev2 := f.create(t, "TestDevice", map[string]any{"name": "r1"})
	f.create(t, "TestInterface", map[string]any{"name": "eth0", "device": dev2})
}

// Deleting a node that another node needs (a mandatory relationship without cascade) is refused.
func TestDeleteRefusedByMandatoryPeer(t *testing.T) {
	f := newNodeFixture(t)
	const extra = `
version: "1.0"
nodes:
  - name: Rack
    namespace: Test
    human_friendly_id: [name__value]
    attributes:
      - {name: name, kind: Text, unique: true}
    relationships:
      - {name: site, peer: TestSite, cardinality: one, optional: false, identifier: rack__site}
`
	raw, _ := json.Marshal(extra)
	f.run(t, commands.TypeLoadSchema, commands.LoadSchema{Schemas: []json.RawMessage{raw}})
	site := f.create(t, "TestSite", map[string]any{"name": "paris"})
	f.create(t, "TestRack", map[string]any{"name": "a1", "site": site})
	_, err := f.try(t, commands.TypeDeleteNode, map[string]any{"id": site})
	if !errors.Is(err, commands.ErrConflict) || !strings.Contains(err.Error(), `"site"`) || !strings.Contains(err.Error(), "TestRack") {
		t.Fatalf("delete of a needed site: %v", err)
	}
	if _, ok := f.view(t, "main").Kind(nid(t, site)); !ok {
		t.Error("the refused delete removed the site")
	}
}

func TestCardinalityOneMovesThePeer(t *testing.T) {
	f := newNodeFixture(t)
	d1 := f.create(t, "TestDevice", map[string]any{"name": "r1"})
	d2 := f.create(t, "TestDevice", map[string]any{"name": "r2"})
	eth := f.create(t, "TestInterface", map[string]any{"name": "eth0", "device": d1})
	// Giving the interface to r2 through r2's component relationship takes it from r1.
	f.run(t, commands.TypeAddPeers, map[string]any{"id": d2, "name": "interfaces", "peers": []any{eth}})
	v := f.view(t, "main")
	field := "r:" + relIdentifier(t, v, "TestDevice", "interfaces") + "|both"
	if got := v.Peers(nid(t, d1), field); len(got) != 0 {
		t.Errorf("r1 still has the interface: %v", got)
	}
	if got := v.Peers(nid(t, eth), field); len(got) != 1 || got[0].String() != d2 {
		t.Errorf("interface device = %v, want r2", got)
	}
	if h := v.HFID(nid(t, eth)); strings.Join(h, "/") != "r2/eth0" {
		t.Logf("note: hfid after a move is %v", h)
	}
}

// 16 writers creating the same unique name: exactly one wins, the others get a uniqueness error.
// 16 concurrent updates of one cardinality-one relationship leave exactly one peer. Half the
// writers go through deciders without the in-process turn-taking (as another process would), so
// the log's version check is what keeps them apart.
func TestConcurrentUniqueness(t *testing.T) {
	f := newNodeFixture(t)
	free := anotherApp(t, f.log, f.store, f.fold)
	try := func(i int, typ string, payload any) error {
		if i%2 == 0 {
			_, err := f.try(t, typ, payload)
			return err
		}
		raw, _ := json.Marshal(payload)
		_, err := free.Dispatch(context.Background(), commands.Command{Type: typ, Payload: raw})
		if serr := f.sync(context.Background()); serr != nil {
			t.Error(serr)
		}
		return err
	}
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range 16 {
		wg.Go(func() {
			errs[i] = try(i, commands.TypeCreateNode, map[string]any{"kind": "TestDevice", "data": map[string]any{"name": "same", "asn": i + 1}})
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		var ue *commands.UniquenessError
		switch {
		case err == nil:
			won++
		case !errors.As(err, &ue):
			t.Errorf("loser got %v, want a uniqueness error", err)
		}
	}
	if won != 1 {
		t.Errorf("%d writers created the same name", won)
	}
	if n := f.view(t, "main").Count("TestDevice"); n != 1 {
		t.Errorf("%d devices stored", n)
	}
	var sites []string
	for i := range 16 {
		sites = append(sites, f.create(t, "TestSite", map[string]any{"name": fmt.Sprintf("s%d", i)}))
	}
	dev, _ := f.view(t, "main").ByHFID("TestDevice", []string{"same"})
	for i := range 16 {
		wg.Go(func() {
			if err := try(i, commands.TypeUpdateNode, map[string]any{"id": dev.String(), "data": map[string]any{"site": sites[i]}}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	v := f.view(t, "main")
	field := "r:" + relIdentifier(t, v, "TestDevice", "site") + "|both"
	if got := v.Peers(dev, field); len(got) != 1 {
		t.Fatalf("device has %d sites", len(got))
	}
	holding := 0
	for _, s := range sites {
		if slices.Contains(v.Peers(nid(t, s), field), dev) {
			holding++
		}
	}
	if holding != 1 {
		t.Errorf("%d sites point back at the device", holding)
	}
}

// A branch sees main as of its base plus its own changes; branch-agnostic kinds are shared;
// reads at a past position see the values of that moment.
func TestBranchesAndTime(t *testing.T) {
	f := newNodeFixture(t)
	dev := f.create(t, "TestDevice", map[string]any{"name": "r1", "asn": 1})
	r1 := f.run(t, commands.TypeUpdateNode, map[string]any{"id": dev, "data": map[string]any{"asn": 2}})
	f.run(t, commands.TypeCreateBranch, map[string]any{"name": "feature/x"})
	r2 := f.run(t, commands.TypeUpdateNode, map[string]any{"id": dev, "data": map[string]any{"asn": 3}})
	f.run(t, commands.TypeUpdateNode, map[string]any{"branch": "feature/x", "id": dev, "data": map[string]any{"asn": 40}})
	f.run(t, commands.TypeCreateNode, map[string]any{"branch": "feature/x", "kind": "TestTag", "data": map[string]any{"name": "only-on-branch"}})
	person := f.run(t, commands.TypeCreateNode, map[string]any{"branch": "feature/x", "kind": "TestPerson", "data": map[string]any{"name": "alice"}})
	pid := person.Data.(commands.NodeOutcome).ID
	if person.Stream != "branch/main" {
		t.Errorf("a branch-agnostic node was written to %s", person.Stream)
	}
	for _, tc := range []struct {
		branch string
		at     events.Position
		want   any
	}{
		{"main", r1.Positions[0] - 1, float64(1)},
		{"main", r1.Positions[0], float64(2)},
		{"main", r2.Positions[0], float64(3)},
		{"main", 0, float64(3)},
		{"feature/x", 0, float64(40)},
		{"feature/x", r2.Positions[0], float64(2)}, // main's later change is not seen
	} {
		v, err := f.store.View(tc.branch, tc.at)
		if err != nil {
			t.Fatal(err)
		}
		if got := attrValue(t, v, dev, "asn"); got != tc.want {
			t.Errorf("%s at %d: asn = %v, want %v", tc.branch, tc.at, got, tc.want)
		}
	}
	main, br := f.view(t, "main"), f.view(t, "feature/x")
	if _, ok := main.ByHFID("TestTag", []string{"only-on-branch"}); ok {
		t.Error("main sees the branch's tag")
	}
	if _, ok := br.ByHFID("TestTag", []string{"only-on-branch"}); !ok {
		t.Error("the branch does not see its tag")
	}
	if _, ok := main.Kind(nid(t, pid)); !ok {
		t.Error("main does not see the branch-agnostic person created from the branch")
	}
	// The name is taken on main too: uniqueness of branch-agnostic kinds is global.
	if _, err := f.try(t, commands.TypeCreateNode, map[string]any{"kind": "TestPerson", "data": map[string]any{"name": "alice"}}); !errors.Is(err, commands.ErrConflict) {
		t.Errorf("second alice on main: %v", err)
	}
	// The same unique name may be used on two branches independently (merge reports it).
	f.run(t, commands.TypeCreateNode, map[string]any{"kind": "TestTag", "data": map[string]any{"name": "only-on-branch"}})
	// Mixing agnostic and aware nodes in one command on a branch is refused with a reason.
	_, err := f.try(t, commands.TypeBatch, map[string]any{"branch": "feature/x", "operations": []any{
		map[string]any{"type": "node.create", "payload": map[string]any{"kind": "TestPerson", "data": map[string]any{"name": "bob"}}},
		map[string]any{"type": "node.create", "payload": map[string]any{"kind": "TestTag", "data": map[string]any{"name": "x"}}},
	}})
	if !errors.Is(err, commands.ErrInvalid) || !strings.Contains(err.Error(), "branch-agnostic") {
		t.Errorf("mixed batch on a branch: %v", err)
	}
}

// A read in the past uses the schema of that moment: a kind added later does not exist then.
func TestPastReadsUseThePastSchema(t *testing.T) {
	f := newNodeFixture(t)
	before, _ := f.log.Head(context.Background())
	raw, _ := json.Marshal("version: \"1.0\"\nnodes:\n  - {name: Later, namespace: Test, attributes: [{name: name, kind: Text}]}\n")
	f.run(t, commands.TypeLoadSchema, commands.LoadSchema{Schemas: []json.RawMessage{raw}})
	if _, ok := f.view(t, "main").Schema.Node("TestLater"); !ok {
		t.Fatal("the new kind is missing at the head")
	}
	old, err := f.store.View("main", before)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := old.Schema.Node("TestLater"); ok {
		t.Error("a read at an earlier position sees a kind loaded later")
	}
	if _, ok := old.Schema.Node("TestDevice"); !ok {
		t.Error("a read at an earlier position lost the kinds of its time")
	}
}

// Reads at a timestamp (resolved to the log position current then) see the value of that moment.
func TestReadsAtATime(t *testing.T) {
	f := newNodeFixture(t)
	dev := f.create(t, "TestDevice", map[string]any{"name": "r1", "asn": 1})
	t1 := time.Now()
	time.Sleep(5 * time.Millisecond)
	f.run(t, commands.TypeUpdateNode, map[string]any{"id": dev, "data": map[string]any{"asn": 2}})
	time.Sleep(5 * time.Millisecond)
	t2 := time.Now()
	time.Sleep(5 * time.Millisecond)
	f.run(t, commands.TypeUpdateNode, map[string]any{"id": dev, "data": map[string]any{"asn": 3}})
	time.Sleep(5 * time.Millisecond)
	t3 := time.Now()
	for _, tc := range []struct {
		at   time.Time
		want any
	}{{t1, float64(1)}, {t2, float64(2)}, {t3, float64(3)}} {
		pos := f.store.PositionAt(tc.at)
		v, err := f.store.View("main", pos)
		if err != nil {
			t.Fatal(err)
		}
		if got := attrValue(t, v, dev, "asn"); got != tc.want {
			t.Errorf("at %s (position %d): asn = %v, want %v", tc.at.Format(time.RFC3339Nano), pos, got, tc.want)
		}
	}
}
