package commands_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands"
)

// mop is one operation of a merge case: a command on main ("") or on the branch ("b").
type mop struct {
	on      string
	typ     string
	payload map[string]any
}

func upd(on, name string, data map[string]any) mop {
	return mop{on, commands.TypeUpdateNode, map[string]any{"kind": "TestDevice", "hfid": []string{name}, "data": data}}
}

func mk(on, kind string, data map[string]any) mop {
	return mop{on, commands.TypeCreateNode, map[string]any{"kind": kind, "data": data}}
}

func del(on, kind, name string) mop {
	return mop{on, commands.TypeDeleteNode, map[string]any{"kind": kind, "hfid": []string{name}}}
}

// picture describes main (or a branch) in a few words per node: kind, HFID, the attributes that
// differ from the seeded values and relationship peers by HFID, sorted.
func picture(t *testing.T, f *nodeFixture, br string) string {
	t.Helper()
	if br == "" {
		br = branch.Default
	}
	v := f.view(t, br)
	dump := v.Dump()
	names := map[string]string{}
	for _, n := range dump {
		names[n.ID] = strings.Join(n.HFID, "/")
	}
	var lines []string
	for _, n := range dump {
		if n.Kind != "TestDevice" && n.Kind != "TestSite" && n.Kind != "TestTag" && n.Kind != "TestInterface" {
			continue
		}
		parts := []string{strings.TrimPrefix(n.Kind, "Test") + ":" + strings.Join(n.HFID, "/")}
		for _, a := range []string{"role", "asn", "contact"} {
			if x, ok := n.Attributes[a]; ok && x.Value != nil && !x.IsDefault {
				parts = append(parts, fmt.Sprintf("%s=%v", a, x.Value))
			}
		}
		var rels []string
		for field, peers := range n.Relationships {
			var ps []string
			for _, p := range peers {
				ps = append(ps, names[p])
			}
			sort.Strings(ps)
			rels = append(rels, field+"="+strings.Join(ps, ","))
		}
		sort.Strings(rels)
		lines = append(lines, strings.Join(append(parts, rels...), " "))
	}
	sort.Strings(lines)
	return strings.Join(lines, "; ")
}

// seed is the base of every merge case: two sites, two tags, device r1 (site s1, tag t1) and
// device r2.
func seed(t *testing.T, f *nodeFixture) {
	for _, s := range []string{"s1", "s2", "s3"} {
		f.create(t, "TestSite", map[string]any{"name": s})
	}
	for _, s := range []string{"t1", "t2", "t3"} {
		f.create(t, "TestTag", map[string]any{"name": s})
	}
	f.create(t, "TestDevice", map[string]any{"name": "r1", "site": "s1", "tags": []any{"t1"}})
	f.create(t, "TestDevice", map[string]any{"name": "r2"})
}

func apply(t *testing.T, f *nodeFixture, ops []mop) {
	t.Helper()
	for _, o := range ops {
		p := map[string]any{}
		for k, v := range o.payload {
			p[k] = v
		}
		if o.on != "" {
			p["branch"] = o.on
		}
		f.run(t, o.typ, p)
	}
}

// swap moves operations from main to the branch and back.
func swap(ops []mop) []mop {
	out := make([]mop, len(ops))
	for i, o := range ops {
		o.on = map[string]string{"": "b", "b": ""}[o.on]
		out[i] = o
	}
	return out
}

// Merge cases: a base, a change on main, a change on the branch, the conflicts the diff finds
// (by path), the resolution and the picture of main after the merge. Cases marked symmetric also
// run with main's and the branch's changes swapped, and must end the same.
func TestMergeCases(t *testing.T) {
	type tcase struct {
		name      string
		main, br  []mop
		conflicts []string // paths of the conflicts, sorted
		keep      string   // resolution of every conflict
		want      string   // substrings of main's picture after the merge, each required
		absent    []string // substrings that must not be in it
		symmetric bool
	}
	cases := []tcase{
		{name: "attribute changed on one side", br: []mop{upd("b", "r1", map[string]any{"asn": 65001})},
			want: "Device:r1 asn=65001", symmetric: true},
		{name: "same attribute, same value on both sides", main: []mop{upd("", "r1", map[string]any{"asn": 7})},
			br: []mop{upd("b", "r1", map[string]any{"asn": 7})}, want: "Device:r1 asn=7", symmetric: true},
		{name: "different attributes of one node", main: []mop{upd("", "r1", map[string]any{"asn": 7})},
			br: []mop{upd("b", "r1", map[string]any{"role": "core"})}, want: "Device:r1 role=core asn=7", symmetric: true},
		{name: "same attribute, different values, keep branch", main: []mop{upd("", "r1", map[string]any{"asn": 1})},
			br: []mop{upd("b", "r1", map[string]any{"asn": 2})}, conflicts: []string{"asn"}, keep: branch.KeepBranch, want: "Device:r1 asn=2"},
		{name: "same attribute, different values, keep base", main: []mop{upd("", "r1", map[string]any{"asn": 1})},
			br: []mop{upd("b", "r1", map[string]any{"asn": 2})}, conflicts: []string{"asn"}, keep: branch.KeepBase, want: "Device:r1 asn=1"},
		{name: "attribute set back to its base value on the branch", main: []mop{upd("", "r1", map[string]any{"asn": 1})},
			br: []mop{upd("b", "r1", map[string]any{"asn": 2}), upd("b", "r1", map[string]any{"asn": nil})}, want: "Device:r1 asn=1"},
		{name: "dropdown conflict keep branch", main: []mop{upd("", "r2", map[string]any{"role": "edge", "asn": 3})},
			br: []mop{upd("b", "r2", map[string]any{"role": "core"})}, want: "Device:r2 role=core asn=3"},
		{name: "node created on one side", br: []mop{mk("b", "TestDevice", map[string]any{"name": "r9", "site": "s2", "asn": 9})},
			want: "Device:r9 asn=9 site=s2", symmetric: true},
		{name: "site of a created node lists it back", br: []mop{mk("b", "TestDevice", map[string]any{"name": "r9", "site": "s2"})},
			want: "Device:r9 site=s2"},
		{name: "node deleted on one side", br: []mop{del("b", "TestDevice", "r2")}, absent: []string{"Device:r2"}, symmetric: true},
		{name: "deleted on the branch, changed on main, keep branch", main: []mop{upd("", "r2", map[string]any{"asn": 5})},
			br: []mop{del("b", "TestDevice", "r2")}, conflicts: []string{"node"}, keep: branch.KeepBranch, absent: []string{"Device:r2"}},
		{name: "deleted on the branch, changed on main, keep base", main: []mop{upd("", "r2", map[string]any{"asn": 5})},
			br: []mop{del("b", "TestDevice", "r2")}, conflicts: []string{"node"}, keep: branch.KeepBase, want: "Device:r2 asn=5"},
		{name: "deleted on main, changed on the branch, keep base", main: []mop{del("", "TestDevice", "r2")},
			br: []mop{upd("b", "r2", map[string]any{"asn": 5})}, conflicts: []string{"node"}, keep: branch.KeepBase, absent: []string{"Device:r2"}},
		{name: "both deleted the same node", main: []mop{del("", "TestDevice", "r2")}, br: []mop{del("b", "TestDevice", "r2")},
			absent: []string{"Device:r2"}},
		{name: "cardinality-one moved on one side", br: []mop{upd("b", "r1", map[string]any{"site": "s2"})},
			want: "Device:r1 site=s2 tags=t1", symmetric: true},
		{name: "cardinality-one moved to the same peer on both sides", main: []mop{upd("", "r1", map[string]any{"site": "s2"})},
			br: []mop{upd("b", "r1", map[string]any{"site": "s2"})}, want: "Device:r1 site=s2 tags=t1"},
		{name: "cardinality-one moved to different peers, keep branch", main: []mop{upd("", "r1", map[string]any{"site": "s3"})},
			br: []mop{upd("b", "r1", map[string]any{"site": "s2"})}, conflicts: []string{"site"}, keep: branch.KeepBranch,
			want: "Device:r1 site=s2 tags=t1"},
		{name: "cardinality-one moved to different peers, keep base", main: []mop{upd("", "r1", map[string]any{"site": "s3"})},
			br: []mop{upd("b", "r1", map[string]any{"site": "s2"})}, conflicts: []string{"site"}, keep: branch.KeepBase,
			want: "Device:r1 site=s3 tags=t1"},
		{name: "cardinality-one set on one side, other attribute on the other", main: []mop{upd("", "r2", map[string]any{"asn": 4})},
			br: []mop{upd("b", "r2", map[string]any{"site": "s3"})}, want: "Device:r2 asn=4 site=s3", symmetric: true},
		{name: "cardinality-many: different peers added on both sides", main: []mop{{"", commands.TypeAddPeers,
			map[string]any{"kind": "TestDevice", "hfid": []string{"r1"}, "name": "tags", "peers": []any{"t2"}}}},
			br:   []mop{{"b", commands.TypeAddPeers, map[string]any{"kind": "TestDevice", "hfid": []string{"r1"}, "name": "tags", "peers": []any{"t3"}}}},
			want: "Device:r1 site=s1 tags=t1,t2,t3", symmetric: true},
		{name: "cardinality-many: removed on one side, added on the other", main: []mop{{"", commands.TypeAddPeers,
			map[string]any{"kind": "TestDevice", "hfid": []string{"r1"}, "name": "tags", "peers": []any{"t2"}}}},
			br:   []mop{{"b", commands.TypeRemovePeers, map[string]any{"kind": "TestDevice", "hfid": []string{"r1"}, "name": "tags", "peers": []any{"t1"}}}},
			want: "Device:r1 site=s1 tags=t2", symmetric: true},
		{name: "cardinality-many replaced on the branch", br: []mop{upd("b", "r1", map[string]any{"tags": []any{"t2", "t3"}})},
			want: "Device:r1 site=s1 tags=t2,t3", symmetric: true},
		{name: "component created with its parent", br: []mop{mk("b", "TestDevice", map[string]any{"name": "r7"}),
			mk("b", "TestInterface", map[string]any{"name": "eth0", "device": "r7"})},
			want: "Interface:r7/eth0", symmetric: true},
		{name: "component added to an existing device", br: []mop{mk("b", "TestInterface", map[string]any{"name": "eth1", "device": "r1"})},
			want: "Device:r1 interfaces=r1/eth1 site=s1 tags=t1", symmetric: true},
		{name: "device deleted with its components (cascade)", main: []mop{mk("", "TestInterface", map[string]any{"name": "eth0", "device": "r2"})},
			br: []mop{del("b", "TestDevice", "r2")}, conflicts: []string{"node"}, keep: branch.KeepBase, want: "Device:r2 interfaces=r2/eth0"},
		{name: "hierarchy: child created under a parent created on the branch",
			br: []mop{mk("b", "TestRegion", map[string]any{"name": "emea"}), mk("b", "TestCity", map[string]any{"name": "paris", "parent": "emea"})}},
		{name: "unique name renamed on one side", br: []mop{upd("b", "r2", map[string]any{"name": "r3"})}, want: "Device:r3", absent: []string{"Device:r2"}, symmetric: true},
		{name: "same unique name created on both sides (Infrahub #4595)", main: []mop{mk("", "TestTag", map[string]any{"name": "dup"})},
			br: []mop{mk("b", "TestTag", map[string]any{"name": "dup"})}, conflicts: []string{"hfid", "name__value"}, keep: branch.KeepBase, want: "Tag:dup"},
		{name: "two attributes in conflict, keep branch", main: []mop{upd("", "r1", map[string]any{"asn": 1, "role": "edge", "contact": "m@x.io"})},
			br: []mop{upd("b", "r1", map[string]any{"asn": 2, "contact": "b@x.io"})}, conflicts: []string{"asn", "contact"}, keep: branch.KeepBranch,
			want: "asn=2 contact=b@x.io"},
		{name: "changes on the branch only, many nodes", br: []mop{upd("b", "r1", map[string]any{"asn": 11}), upd("b", "r2", map[string]any{"asn": 12}),
			mk("b", "TestTag", map[string]any{"name": "t9"})}, want: "Device:r2 asn=12", symmetric: true},
	}
	run := func(t *testing.T, c tcase) {
		f := newNodeFixture(t)
		seed(t, f)
		f.run(t, commands.TypeCreateBranch, map[string]any{"name": "b"})
		apply(t, f, c.br)
		apply(t, f, c.main)
		d, err := f.store.Diff("b")
		if err != nil {
			t.Fatal(err)
		}
		var paths []string
		for _, x := range d.Conflicts {
			paths = append(paths, x.Path)
		}
		sort.Strings(paths)
		if !slices.Equal(paths, c.conflicts) {
			t.Fatalf("conflicts %v, want %v (diff %+v)", paths, c.conflicts, d)
		}
		if len(d.Conflicts) > 0 {
			// Refused while unresolved, and nothing written.
			before := picture(t, f, "")
			_, err := f.try(t, commands.TypeMergeBranch, map[string]any{"branch": "b"})
			if !errors.Is(err, commands.ErrConflict) || !strings.Contains(err.Error(), d.Conflicts[0].ID) {
				t.Fatalf("merge with unresolved conflicts: %v", err)
			}
			if after := picture(t, f, ""); after != before {
				t.Fatalf("a refused merge changed main:\n%s\n%s", before, after)
			}
			for _, x := range d.Conflicts {
				f.run(t, commands.TypeResolveConflict, map[string]any{"branch": "b", "conflict": x.ID, "keep": c.keep})
			}
		}
		res := f.run(t, commands.TypeMergeBranch, map[string]any{"branch": "b"})
		if out := res.Data.(commands.MergeOutcome); out.Status != branch.StatusMerged {
			t.Fatalf("merge answered %+v", out)
		}
		got := picture(t, f, "")
		for _, w := range strings.Split(c.want, "|") {
			if w != "" && !strings.Contains(got, w) {
				t.Errorf("main after the merge lacks %q:\n%s", w, got)
			}
		}
		for _, a := range c.absent {
			if strings.Contains(got, a) {
				t.Errorf("main after the merge holds %q:\n%s", a, got)
			}
		}
		// Every device has at most one site on main, and both ends of each relationship agree.
		mv := f.view(t, branch.Default)
		for _, n := range mv.Dump() {
			if n.Kind == "TestDevice" && len(n.Relationships["site"]) > 1 {
				t.Errorf("device %v has %d sites after the merge", n.HFID, len(n.Relationships["site"]))
			}
		}
		checkMirrors(t, mv)
		// Merged branches are frozen, and merging again writes nothing.
		again := f.run(t, commands.TypeMergeBranch, map[string]any{"branch": "b"})
		if !again.Data.(commands.MergeOutcome).Already || len(again.Positions) != 0 {
			t.Errorf("second merge: %+v", again)
		}
		if _, err := f.try(t, commands.TypeUpdateNode, map[string]any{"branch": "b", "kind": "TestDevice", "hfid": []string{"r1"},
			"data": map[string]any{"asn": 99}}); !errors.Is(err, commands.ErrInvalid) || !strings.Contains(err.Error(), "merged") {
			t.Errorf("write on a merged branch: %v", err)
		}
		if got2 := picture(t, f, ""); got2 != got {
			t.Errorf("main changed after the branch was merged:\n%s\n%s", got, got2)
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { run(t, c) })
		if c.symmetric {
			s := c
			s.main, s.br = swap(c.br), swap(c.main)
			t.Run(c.name+" (swapped)", func(t *testing.T) { run(t, s) })
		}
	}
}

// A rebase after resolving conflicts keeps the resolutions (Infrahub #9654): the branch takes
// main's value where the conflict was resolved for main, keeps its own elsewhere, and its diff
// afterwards shows only its own changes.
func TestRebaseKeepsResolutions(t *testing.T) {
	f := newNodeFixture(t)
	seed(t, f)
	f.run(t, commands.TypeCreateBranch, map[string]any{"name": "b"})
	apply(t, f, []mop{upd("b", "r1", map[string]any{"asn": 2, "contact": "branch@x.io"}), upd("b", "r2", map[string]any{"asn": 22})})
	apply(t, f, []mop{upd("", "r1", map[string]any{"asn": 1, "contact": "main@x.io"}), mk("", "TestTag", map[string]any{"name": "late"})})
	if _, err := f.try(t, commands.TypeRebaseBranch, map[string]any{"branch": "b"}); !errors.Is(err, commands.ErrConflict) {
		t.Fatalf("rebase with unresolved conflicts: %v", err)
	}
	d, _ := f.store.Diff("b")
	for _, c := range d.Conflicts {
		keep := branch.KeepBase
		if c.Path == "contact" {
			keep = branch.KeepBranch
		}
		f.run(t, commands.TypeResolveConflict, map[string]any{"branch": "b", "conflict": c.ID, "keep": keep})
	}
	f.run(t, commands.TypeRebaseBranch, map[string]any{"branch": "b"})
	got := picture(t, f, "b")
	for _, w := range []string{"Device:r1 asn=1 contact=branch@x.io", "Device:r2 asn=22", "Tag:late"} {
		if !strings.Contains(got, w) {
			t.Errorf("branch after the rebase lacks %q:\n%s", w, got)
		}
	}
	d, _ = f.store.Diff("b")
	if len(d.Conflicts) != 0 || d.Counts.Updated != 2 {
		t.Errorf("diff after the rebase: %+v", d)
	}
	f.run(t, commands.TypeMergeBranch, map[string]any{"branch": "b"})
	if got := picture(t, f, ""); !strings.Contains(got, "Device:r1 asn=1 contact=branch@x.io") || !strings.Contains(got, "Device:r2 asn=22") {
		t.Errorf("main after rebase and merge:\n%s", got)
	}
}

// checkMirrors fails when one end of a relationship edge lacks the other end.
func checkMirrors(t *testing.T, v *nodes.View) {
	t.Helper()
	for _, kind := range []string{"TestDevice", "TestSite", "TestTag", "TestInterface"} {
		model, _ := v.Schema.Node(kind)
		for _, id := range v.Nodes(kind) {
			for _, r := range model.Relationships {
				field := nodes.RelField(r.Identifier, r.Direction)
				for _, p := range v.Peers(id, field) {
					if !v.HasPeer(p, nodes.Mirror(field), id) {
						t.Errorf("%s %s has peer %s in %s, which does not list it back", kind, id, p, r.Name)
					}
				}
			}
		}
	}
}

// Random operations on main and on a branch, conflicts resolved at random, then a merge: main
// equals a simple reference model (per field, the branch's final value where the branch changed
// it, resolved for main or the branch where both did, else main's), and both ends of every
// relationship agree. Several seeds; the seed is in the subtest's name.
func TestMergeRandom(t *testing.T) {
	for seed := range uint64(10) {
		t.Run(fmt.Sprint("seed-", seed), func(t *testing.T) { mergeRandom(t, seed) })
	}
}

func mergeRandom(t *testing.T, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 2026))
	f := newNodeFixture(t)
	seed3 := func() {
		for _, s := range []string{"s1", "s2", "s3"} {
			f.create(t, "TestSite", map[string]any{"name": s})
		}
		for _, s := range []string{"t1", "t2", "t3"} {
			f.create(t, "TestTag", map[string]any{"name": s})
		}
	}
	seed3()
	devices := []string{"d0", "d1", "d2", "d3"}
	for _, d := range devices {
		f.create(t, "TestDevice", map[string]any{"name": d, "site": "s1", "tags": []any{"t1"}})
	}
	f.run(t, commands.TypeCreateBranch, map[string]any{"name": "b"})
	base := state(t, f, branch.Default)
	created := 0
	for range 40 {
		on := ""
		if r.IntN(2) == 0 {
			on = "b"
		}
		d := devices[r.IntN(len(devices))]
		switch r.IntN(6) {
		case 0:
			apply(t, f, []mop{upd(on, d, map[string]any{"asn": 1 + r.IntN(3)})})
		case 1:
			apply(t, f, []mop{upd(on, d, map[string]any{"role": []string{"edge", "core"}[r.IntN(2)]})})
		case 2:
			apply(t, f, []mop{upd(on, d, map[string]any{"site": fmt.Sprint("s", 1+r.IntN(3))})})
		case 3:
			apply(t, f, []mop{{on, commands.TypeAddPeers, map[string]any{"kind": "TestDevice", "hfid": []string{d}, "name": "tags", "peers": []any{fmt.Sprint("t", 1+r.IntN(3))}}}})
		case 4:
			apply(t, f, []mop{{on, commands.TypeRemovePeers, map[string]any{"kind": "TestDevice", "hfid": []string{d}, "name": "tags", "peers": []any{fmt.Sprint("t", 1+r.IntN(3))}}}})
		case 5:
			created++
			name := fmt.Sprintf("n%s%d", map[string]string{"": "m", "b": "b"}[on], created)
			apply(t, f, []mop{mk(on, "TestDevice", map[string]any{"name": name, "asn": r.IntN(5) + 1, "site": fmt.Sprint("s", 1+r.IntN(3))})})
		}
	}
	mainNow, branchNow := state(t, f, branch.Default), state(t, f, "b")
	d, err := f.store.Diff("b")
	if err != nil {
		t.Fatal(err)
	}
	// Resolve every conflict at random and remember the choice per node and field.
	choice := map[string]string{} // "device/field" → keep
	names := map[string]string{}
	for _, n := range f.view(t, "b").Dump() {
		names[n.ID] = strings.Join(n.HFID, "/")
	}
	for _, c := range d.Conflicts {
		keep := []string{branch.KeepBase, branch.KeepBranch}[r.IntN(2)]
		choice[names[c.Node]+"/"+c.Path] = keep
		f.run(t, commands.TypeResolveConflict, map[string]any{"branch": "b", "conflict": c.ID, "keep": keep})
	}
	f.run(t, commands.TypeMergeBranch, map[string]any{"branch": "b"})
	got := state(t, f, branch.Default)
	// The reference model.
	want := map[string]string{}
	keys := map[string]bool{}
	for _, m := range []map[string]string{base, mainNow, branchNow} {
		for k := range m {
			keys[k] = true
		}
	}
	for k := range keys {
		b, m, br := base[k], mainNow[k], branchNow[k]
		v := m
		if br != b {
			v = br
			if m != b && m != br {
				field := k // device/field, or device/tags/tag → device/tags
				if parts := strings.Split(k, "/"); len(parts) == 3 {
					field = parts[0] + "/" + parts[1]
				}
				if choice[field] == branch.KeepBase {
					v = m
				}
			}
		}
		if v != "" {
			want[k] = v
		}
	}
	for k := range keys {
		if got[k] != want[k] {
			t.Errorf("seed %d: %s on main after the merge = %q, want %q (base %q, main %q, branch %q)",
				seed, k, got[k], want[k], base[k], mainNow[k], branchNow[k])
		}
	}
	checkMirrors(t, f.view(t, branch.Default))
}

// state is a branch's devices as "device/field" → value: asn, role, site, and one key per tag
// ("d0/tags/t1" → "yes").
func state(t *testing.T, f *nodeFixture, br string) map[string]string {
	t.Helper()
	v := f.view(t, br)
	dump := v.Dump()
	names := map[string]string{}
	for _, n := range dump {
		names[n.ID] = strings.Join(n.HFID, "/")
	}
	out := map[string]string{}
	for _, n := range dump {
		if n.Kind != "TestDevice" {
			continue
		}
		name := names[n.ID]
		out[name+"/exists"] = "yes"
		for _, a := range []string{"asn", "role"} {
			if x, ok := n.Attributes[a]; ok && x.Value != nil {
				out[name+"/"+a] = fmt.Sprint(x.Value)
			}
		}
		for _, p := range n.Relationships["site"] {
			out[name+"/site"] = names[p]
		}
		for _, p := range n.Relationships["tags"] {
			out[name+"/tags/"+names[p]] = "yes"
		}
	}
	return out
}

// Schema changes made on a branch merge with its data, in the same append: main then has the
// branch's new kind and its nodes; a rebase rebuilds the branch's schema over main's.
func TestMergeWithSchemaChanges(t *testing.T) {
	f := newNodeFixture(t)
	seed(t, f)
	f.run(t, commands.TypeCreateBranch, map[string]any{"name": "b"})
	rack := `
version: "1.0"
nodes:
  - name: Rack
    namespace: Test
    human_friendly_id: [name__value]
    attributes:
      - {name: name, kind: Text, unique: true}
`
	raw, _ := json.Marshal(rack)
	f.run(t, commands.TypeLoadSchema, map[string]any{"branch": "b", "schemas": []json.RawMessage{raw}})
	f.run(t, commands.TypeCreateNode, map[string]any{"branch": "b", "kind": "TestRack", "data": map[string]any{"name": "rack-1"}})
	if info, _ := f.store.Branches().Branch("b"); !info.HasSchemaChanges {
		t.Error("the branch does not say it has schema changes")
	}
	// main moves on with a schema load of its own; a rebase keeps both.
	tagx := `
version: "1.0"
nodes:
  - name: Cable
    namespace: Test
    attributes:
      - {name: label, kind: Text}
`
	raw2, _ := json.Marshal(tagx)
	f.run(t, commands.TypeLoadSchema, map[string]any{"schemas": []json.RawMessage{raw2}})
	f.run(t, commands.TypeRebaseBranch, map[string]any{"branch": "b"})
	bs, _ := f.store.Branches().Schema("b")
	if _, ok := bs.Node("TestCable"); !ok {
		t.Error("after the rebase the branch does not see main's new kind")
	}
	if _, ok := bs.Node("TestRack"); !ok {
		t.Error("after the rebase the branch lost its own kind")
	}
	ms, _ := f.store.Branches().Schema(branch.Default)
	if _, ok := ms.Node("TestRack"); ok {
		t.Fatal("main has the branch's kind before the merge")
	}
	f.run(t, commands.TypeMergeBranch, map[string]any{"branch": "b"})
	ms, _ = f.store.Branches().Schema(branch.Default)
	if _, ok := ms.Node("TestRack"); !ok {
		t.Fatal("main lacks the branch's kind after the merge")
	}
	if v := f.view(t, branch.Default); len(v.Nodes("TestRack")) != 1 {
		t.Fatalf("main has %d racks after the merge", len(v.Nodes("TestRack")))
	}
	if _, err := f.try(t, commands.TypeLoadSchema, map[string]any{"branch": "b", "schemas": []json.RawMessage{raw}}); !errors.Is(err, commands.ErrInvalid) {
		t.Errorf("schema load on a merged branch: %v", err)
	}
}
