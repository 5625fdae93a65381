package graphql_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/queries/graphql"
)

// listQuery asks for 1,000 devices with 5 attributes and a cardinality-one relationship (the
// document of issue 5's benchmark).
const listQuery = `{ TestDevice(limit: 1000) { count edges { node { id
	name { value } role { value } asn { value } mgmt { value } mac { value }
	site { node { id display_label } } } } } }`

// deviceQuery asks for one device with its interfaces.
const deviceQuery = `query($name: String!) { TestDevice(name__value: $name) { edges { node { id name { value } role { value }
	interfaces { count edges { node { __typename id name { value } enabled { value } } } } } } } }`

// benchFixture holds 1,000 devices on 10 sites, each with 48 interfaces for device d0000 and 2
// for the others, and a branch where 1 % of the devices changed.
func benchFixture(b *testing.B) *fixture {
	f := newFixture(b, fixtureSchema)
	f.create(b, "", "TestRegion", map[string]any{"name": "europe"})
	for s := range 10 {
		f.create(b, "", "TestSite", map[string]any{"name": fmt.Sprintf("site-%d", s), "parent": "europe"})
	}
	var ops []any
	for i := range 1000 {
		name := fmt.Sprintf("d%04d", i)
		ops = append(ops, map[string]any{"type": "node.create", "ref": name, "payload": map[string]any{"kind": "TestDevice",
			"data": map[string]any{"name": name, "asn": 64512 + i, "mgmt": fmt.Sprintf("10.0.%d.%d/24", i/250, i%250+1),
				"mac": fmt.Sprintf("00:00:5e:00:%02x:%02x", i/256, i%256), "site": fmt.Sprintf("site-%d", i%10)}}})
		ifaces := 2
		if i == 0 {
			ifaces = 48
		}
		for k := range ifaces {
			ops = append(ops, map[string]any{"type": "node.create", "payload": map[string]any{"kind": "TestInterfaceL2",
				"data": map[string]any{"name": fmt.Sprintf("eth%d", k), "vlan": k + 1, "device": map[string]any{"ref": name}}}})
		}
		if len(ops) > 5000 {
			f.command(b, commands.TypeBatch, map[string]any{"operations": ops})
			ops = nil
		}
	}
	f.command(b, commands.TypeBatch, map[string]any{"operations": ops})
	f.command(b, commands.TypeCreateBranch, map[string]any{"name": "one-percent"})
	for i := 0; i < 1000; i += 100 {
		f.command(b, commands.TypeUpdateNode, map[string]any{"branch": "one-percent", "kind": "TestDevice",
			"hfid": []string{fmt.Sprintf("d%04d", i)}, "data": map[string]any{"role": "core", "asn": 65000 + i}})
	}
	return f
}

func benchExec(b *testing.B, f *fixture, req graphql.Request, check func(graphql.Response)) {
	ctx := context.Background()
	check(f.x.Execute(ctx, req))
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		_ = f.x.Execute(ctx, req)
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the CPU time of the process so far (user and system, GC and every goroutine).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkGraphQL runs issue 5's documents through the executor (no HTTP): the list of 1,000
// devices on main and on a branch where 1 % changed, and one device with its 48 interfaces.
func BenchmarkGraphQL(b *testing.B) {
	f := benchFixture(b)
	size := func(b *testing.B, min int) func(graphql.Response) {
		return func(r graphql.Response) {
			if len(r.Errors) > 0 || len(r.Data) < min {
				b.Fatalf("answer: %d bytes, errors %v", len(r.Data), r.Errors)
			}
			b.ReportMetric(float64(len(r.Data)), "bytes/answer")
		}
	}
	b.Run("list-1000-main", func(b *testing.B) {
		benchExec(b, f, graphql.Request{Query: listQuery}, size(b, 100_000))
	})
	b.Run("list-1000-branch", func(b *testing.B) {
		benchExec(b, f, graphql.Request{Query: listQuery, Branch: "one-percent"}, size(b, 100_000))
	})
	b.Run("device-48-interfaces", func(b *testing.B) {
		benchExec(b, f, graphql.Request{Query: deviceQuery, Variables: map[string]any{"name": "d0000"}}, size(b, 3_000))
	})
}

// BenchmarkGraphQLAuthorization is the list of 1,000 devices as the server itself (no identity),
// as anonymous (the anonymous role: view everything), as a super admin, and as an account whose
// object permissions decide per kind (a deny on one namespace, views by namespace and name): the
// cost of authorization on issue 16's target is the ratio of the last three to the first.
func BenchmarkGraphQLAuthorization(b *testing.B) {
	f := benchFixture(b)
	parse := func(ids ...string) []authz.ObjectPermission {
		var out []authz.ObjectPermission
		for _, s := range ids {
			p, err := authz.ParseObject(s)
			if err != nil {
				b.Fatal(err)
			}
			out = append(out, p)
		}
		return out
	}
	super, err := authz.ParseGlobal("global:super_admin:allow_all")
	if err != nil {
		b.Fatal(err)
	}
	who := map[string]*authz.Identity{
		"server": nil,
		"anonymous": {Name: "anonymous", Anonymous: true,
			Permissions: authz.NewPermissions(nil, parse("object:*:*:view:allow_all"))},
		"super-admin": {AccountID: "a1", Name: "admin", AccountType: "User",
			Permissions: authz.NewPermissions([]authz.GlobalPermission{super}, nil)},
		"object-permissions": {AccountID: "a2", Name: "operator", AccountType: "User",
			Permissions: authz.NewPermissions(nil, parse("object:Core:*:view:deny", "object:Test:Device:view:allow_all",
				"object:Test:Site:view:allow_default", "object:Test:*:update:allow_other", "object:*:*:view:allow_all"))},
	}
	// the same executor refuses the list to an account that may not view devices: the runs
	// below go through the check
	denied := authz.With(context.Background(), &authz.Identity{AccountID: "a3", Name: "nobody", AccountType: "User",
		Permissions: authz.NewPermissions(nil, parse("object:Test:Device:view:deny", "object:*:*:view:allow_all"))})
	if r := f.x.Execute(denied, graphql.Request{Query: listQuery}); len(r.Errors) == 0 {
		b.Fatalf("a denied view was answered: %d bytes", len(r.Data))
	}
	for _, name := range []string{"server", "anonymous", "super-admin", "object-permissions"} {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			if id := who[name]; id != nil {
				ctx = authz.With(ctx, id)
			}
			req := graphql.Request{Query: listQuery}
			if r := f.x.Execute(ctx, req); len(r.Errors) > 0 || len(r.Data) < 100_000 {
				b.Fatalf("answer: %d bytes, errors %v", len(r.Data), r.Errors)
			}
			b.ReportAllocs()
			for b.Loop() {
				_ = f.x.Execute(ctx, req)
			}
		})
	}
}
