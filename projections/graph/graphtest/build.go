package graphtest

import (
	"context"
	"testing"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
)

// build writes the suite's log:
//
//	tags        red (color Red), blue (color Blue), green (no color)
//	locations   regions europe, america; sites paris, berlin (europe), nyc (america);
//	            racks paris-r1, paris-r2 (paris), berlin-r1 (berlin)
//	devices     edge-1  role edge (default), asn 65001, enabled (default), site paris (protected,
//	                    source europe), tags red+blue, description with source/owner/protected; by alice
//	            core-1  role core, asn 65000, not enabled, site berlin, tag blue; by bob
//	            edge-2  role edge (default), no asn, site nyc, tag green, description "Backup EDGE link"
//	            access-1 role access, asn 64512, site nyc
//	update-a    edge-1 asn 65010 (by carol)
//	update-b    edge-1 asn 65020 (by carol)
//	branch      branch feature created
//	main-late   main: late-1 created (site paris, tag red, asn 65100); core-1 description set
//	feature     feature: branch-1 created (site berlin); edge-2 asn 64999
//	delete      main: tag green deleted (its edges left in place: readers must skip it);
//	            access-1 deleted with its edge to nyc removed
//	prefixes    main: TestPrefix 10.0.0.0/29 and 10.0.1.0/30 (member_type address, the default),
//	            10.1.0.0/16 with child 10.1.0.0/24, 10.2.0.0/24 with children 10.2.0.0/25 and
//	            10.2.0.128/25 (member_type prefix)
//	addresses   main: TestAddress 10.0.0.1/29, 10.0.0.2/29, 10.0.0.4/29 in 10.0.0.0/29;
//	            10.0.1.1/30, 10.0.1.2/30 in 10.0.1.0/30 (full)
//	conflict    main: tag blue color Cyan; then feature: tag blue color Navy
//
// Nodes are named by their name attribute, or by their prefix or address.
func (w *world) build(t *testing.T) {
	t.Helper()
	main := branch.Stream(branch.Default)
	w.append(t, "tags", main,
		w.create(t, "TestTag", "red", map[string]any{"color": "Red"}, nil, nil),
		w.create(t, "TestTag", "blue", map[string]any{"color": "Blue"}, nil, nil),
		w.create(t, "TestTag", "green", nil, nil, nil))
	w.append(t, "regions", main,
		w.create(t, "TestRegion", "europe", nil, nil, nil),
		w.create(t, "TestRegion", "america", nil, nil, nil))
	parent := map[string][]string{"parent": {"europe"}}
	w.append(t, "sites", main,
		w.create(t, "TestSite", "paris", map[string]any{"description": "City of light"}, parent, nil),
		w.create(t, "TestSite", "berlin", nil, parent, nil),
		w.create(t, "TestSite", "nyc", nil, map[string][]string{"parent": {"america"}}, nil))
	w.append(t, "racks", main,
		w.create(t, "TestRack", "paris-r1", nil, map[string][]string{"parent": {"paris"}}, nil),
		w.create(t, "TestRack", "paris-r2", nil, map[string][]string{"parent": {"paris"}}, nil),
		w.create(t, "TestRack", "berlin-r1", nil, map[string][]string{"parent": {"berlin"}}, nil))
	w.append(t, "device-edge-1", main, w.create(t, "TestDevice", "edge-1", map[string]any{
		"_actor": "alice", "asn": 65001,
		"description": lineage{value: "Edge router in Paris", source: "europe", owner: "america", isProtected: true},
	}, map[string][]string{"site": {"paris"}, "tags": {"red", "blue"}},
		map[string]nodes.Props{"site": {IsProtected: true, Source: w.id["europe"]}}))
	w.append(t, "devices", main,
		w.create(t, "TestDevice", "core-1", map[string]any{"_actor": "bob", "role": "core", "asn": 65000, "enabled": false},
			map[string][]string{"site": {"berlin"}, "tags": {"blue"}}, nil),
		w.create(t, "TestDevice", "edge-2", map[string]any{"description": "Backup EDGE link"},
			map[string][]string{"site": {"nyc"}, "tags": {"green"}}, nil),
		w.create(t, "TestDevice", "access-1", map[string]any{"role": "access", "asn": 64512},
			map[string][]string{"site": {"nyc"}}, nil))
	w.append(t, "update-a", main, w.update(t, "edge-1", "carol", map[string]any{"asn": 65010}))
	w.append(t, "update-b", main, w.update(t, "edge-1", "carol", map[string]any{"asn": 65020}))
	head, err := w.log.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	w.append(t, "branch", branch.LifecycleStream,
		w.event(t, branch.TypeCreated, branch.Created{Name: "feature", BranchedFrom: head}, "admin"))
	w.append(t, "main-late", main,
		w.create(t, "TestDevice", "late-1", map[string]any{"asn": 65100}, map[string][]string{"site": {"paris"}, "tags": {"red"}}, nil),
		w.update(t, "core-1", "bob", map[string]any{"description": "Core in Berlin"}))
	w.append(t, "feature", branch.Stream("feature"),
		w.create(t, "TestDevice", "branch-1", nil, map[string][]string{"site": {"berlin"}}, nil),
		w.update(t, "edge-2", "dave", map[string]any{"asn": 64999}))
	w.append(t, "delete", main,
		w.remove(t, "green", nil),
		w.remove(t, "access-1", map[string][]string{"site": {"nyc"}}))
	w.buildIPAM(t)
	w.append(t, "conflict-main", main, w.update(t, "blue", "admin", map[string]any{"color": "Cyan"}))
	w.append(t, "conflict-feature", branch.Stream("feature"), w.update(t, "blue", "erin", map[string]any{"color": "Navy"}))

	all, err := w.log.ReadAll(context.Background(), 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	w.all = all
	for _, e := range all {
		w.at[e.GlobalPosition] = e
	}
}

// buildIPAM writes the steps prefixes and addresses.
func (w *world) buildIPAM(t *testing.T) {
	t.Helper()
	main := branch.Stream(branch.Default)
	prefix := func(p, memberType string) events.Envelope {
		return w.create(t, "TestPrefix", p, map[string]any{"prefix": p, "member_type": memberType}, nil, nil)
	}
	child := func(p, parent string) events.Envelope {
		return w.create(t, "TestPrefix", p, map[string]any{"prefix": p}, map[string][]string{"parent": {parent}}, nil)
	}
	w.append(t, "prefixes", main,
		prefix("10.0.0.0/29", "address"), prefix("10.0.1.0/30", "address"),
		prefix("10.1.0.0/16", "prefix"), child("10.1.0.0/24", "10.1.0.0/16"),
		prefix("10.2.0.0/24", "prefix"), child("10.2.0.0/25", "10.2.0.0/24"), child("10.2.0.128/25", "10.2.0.0/24"))
	address := func(a, in string) events.Envelope {
		return w.create(t, "TestAddress", a, map[string]any{"address": a}, map[string][]string{"ip_prefix": {in}}, nil)
	}
	w.append(t, "addresses", main,
		address("10.0.0.1/29", "10.0.0.0/29"), address("10.0.0.2/29", "10.0.0.0/29"), address("10.0.0.4/29", "10.0.0.0/29"),
		address("10.0.1.1/30", "10.0.1.0/30"), address("10.0.1.2/30", "10.0.1.0/30"))
}

// feed applies the whole log to p in a few batches, in order.
func (w *world) feed(t *testing.T, a Adapter) {
	t.Helper()
	n := len(w.all)
	cuts := []int{0, min(1, n), min(4, n), max(min(4, n), n/2), n}
	for i := 1; i < len(cuts); i++ {
		if cuts[i] <= cuts[i-1] {
			continue
		}
		if err := a.Apply(context.Background(), w.all[cuts[i-1]:cuts[i]]); err != nil {
			t.Fatalf("apply events %d..%d: %v", cuts[i-1], cuts[i], err)
		}
	}
}
