package commands_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/internal/testenv"
	"github.com/infrahub-go/infrahub/projections/graph/authzsource"
	"github.com/infrahub-go/infrahub/projections/graph/memory"
)

// resolver resolves permissions from the fixture's Store through the graph read port, as the
// server does.
func (f *nodeFixture) resolver(t *testing.T) *authz.Resolver {
	t.Helper()
	port, err := memory.New(memory.Config{Store: f.store, WaitFor: f.fold.WaitFor})
	if err != nil {
		t.Fatal(err)
	}
	return authz.NewResolver(authzsource.New(port), authz.Config{AllowAnonymous: true})
}

// as is the identity of the account named name, with its permissions.
func (f *nodeFixture) as(t *testing.T, r *authz.Resolver, name string) *authz.Identity {
	t.Helper()
	id, ok := f.view(t, "main").ByHFID(authz.KindGenericAccount, []string{name})
	if !ok {
		t.Fatalf("no account %s", name)
	}
	out, err := r.Resolve(context.Background(), &authz.Identity{AccountID: id.String(), Name: name, AccountType: "User"})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func ensureDefaults(t *testing.T, app *commands.Service) bool {
	t.Helper()
	wrote, err := app.EnsureDefaults(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return wrote
}

var device = authz.Kind{Namespace: "Dcim", Name: "Device"}

// The default groups and roles are Infrahub's and behave as their names say; they are written
// once, and admin joins the Super Administrators once it exists.
func TestAccountDefaults(t *testing.T) {
	f := newNodeFixtureTB(t)
	if !ensureDefaults(t, f.app) {
		t.Fatal("nothing written at first start")
	}
	v := f.view(t, "main")
	for kind, names := range map[string][]string{
		authz.KindAccountGroup: {commands.GroupSuperAdministrators, commands.GroupInfrahubUsers},
		authz.KindAccountRole:  {commands.RoleSuperAdministrator, commands.RoleGeneralAccess, authz.DefaultAnonymousRole},
	} {
		for _, n := range names {
			if _, ok := v.ByHFID(kind, []string{n}); !ok {
				t.Errorf("no %s %q", kind, n)
			}
		}
	}
	if n := v.Count(authz.KindGlobalPermission); n != 8 {
		t.Errorf("%d global permissions, want Infrahub's 8", n)
	}
	// A restart (another application on the same log) writes nothing.
	head := f.head(t)
	if ensureDefaults(t, anotherApp(t, f.log, f.store, f.fold)) || f.head(t) != head {
		t.Fatal("a restart wrote the defaults again")
	}

	// admin is created later (by the accounts start-up): the next EnsureDefaults makes it a
	// super administrator, once.
	f.create(t, "CoreAccount", map[string]any{"name": commands.AdminAccount, "password": "x-not-used-here"})
	f.create(t, "CoreAccount", map[string]any{"name": "emma", "password": "x-not-used-here",
		"member_of_groups": []any{map[string]any{"hfid": []string{commands.GroupInfrahubUsers}}}})
	r := f.resolver(t)
	if authz.Can(f.as(t, r, "admin"), authz.SuperAdmin) {
		t.Fatal("admin is a super administrator before joining the group")
	}
	if !ensureDefaults(t, f.app) {
		t.Fatal("admin not added")
	}
	f.sync(context.Background())
	admin := f.as(t, r, "admin")
	if !authz.Can(admin, authz.ManageAccounts) || !authz.CanKind(admin, device, authz.Delete, true) {
		t.Error("admin is not a super administrator")
	}
	head = f.head(t)
	if ensureDefaults(t, f.app) || f.head(t) != head {
		t.Error("a second start wrote again")
	}
	// An administrator takes admin out of the group: a restart does not put it back.
	f.run(t, commands.TypeRemovePeers, map[string]any{"kind": authz.KindAccountGroup,
		"hfid": []string{commands.GroupSuperAdministrators}, "name": "members", "peers": []any{admin.AccountID}})
	head = f.head(t)
	if ensureDefaults(t, anotherApp(t, f.log, f.store, f.fold)) || f.head(t) != head || authz.Can(f.as(t, r, "admin"), authz.SuperAdmin) {
		t.Error("admin was made a super administrator again")
	}

	// Infrahub Users (General Access): view everything, change other branches only, manage
	// the schema and repositories, merge proposed changes, nothing else.
	emma := f.as(t, r, "emma")
	checks := []struct {
		what string
		got  bool
		want bool
	}{
		{"view on main", authz.CanKind(emma, device, authz.View, true), true},
		{"update on a branch", authz.CanKind(emma, device, authz.Update, false), true},
		{"update on main", authz.CanKind(emma, device, authz.Update, true), false},
		{"manage_schema", authz.Can(emma, authz.ManageSchema), true},
		{"manage_repositories", authz.Can(emma, authz.ManageRepositories), true},
		{"merge_proposed_change", authz.Can(emma, authz.MergeProposedChange), true},
		{"merge_branch", authz.Can(emma, authz.MergeBranch), false},
		{"edit_default_branch", authz.Can(emma, authz.EditDefaultBranch), false},
		{"create an account on a branch", authz.CanKind(emma, authz.Kind{Namespace: "Core", Name: "Account",
			Inherits: []string{"CoreGenericAccount"}}, authz.Create, false), false},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("Infrahub Users: %s = %v, want %v", c.what, c.got, c.want)
		}
	}
	// Anonymous User: view everything, nothing else.
	anon, err := r.Resolve(context.Background(), authz.Anonymous)
	if err != nil {
		t.Fatal(err)
	}
	if !authz.CanKind(anon, device, authz.View, true) || authz.CanKind(anon, device, authz.Update, false) {
		t.Error("the anonymous role does not view-only")
	}
}

// The service catalog's permissions.yml loads over the defaults, and its roles do what their
// names say: operators change anything outside the default branch and proposed changes
// anywhere, view everything, merge, manage repositories and review; they do not edit the
// default branch, manage the schema, accounts or permissions.
func TestServiceCatalogPermissions(t *testing.T) {
	f := newNodeFixtureTB(t)
	ensureDefaults(t, f.app)
	catalog := testenv.Corpus(t, "infrahub-demo-service-catalog")
	if _, err := loadObjectFiles(t, f, corpusPaths(catalog, "permissions.yml")...); err != nil {
		t.Fatal(err)
	}
	john := f.as(t, f.resolver(t), "john")
	proposed := authz.Kind{Namespace: "Core", Name: "ProposedChange"}
	provider := authz.Kind{Namespace: "Organization", Name: "Provider"}
	checks := []struct {
		what string
		got  bool
		want bool
	}{
		{"view a device on main", authz.CanKind(john, device, authz.View, true), true},
		{"update a device on a branch", authz.CanKind(john, device, authz.Update, false), true},
		{"delete a device on a branch", authz.CanKind(john, device, authz.Delete, false), true},
		{"update a device on main", authz.CanKind(john, device, authz.Update, true), false},
		{"create a proposed change on main", authz.CanKind(john, proposed, authz.Create, true), true},
		// the Organization Provider permission is granted to no role
		{"create a provider on main", authz.CanKind(john, provider, authz.Create, true), false},
		{"manage_repositories", authz.Can(john, authz.ManageRepositories), true},
		{"merge_branch", authz.Can(john, authz.MergeBranch), true},
		{"merge_proposed_change", authz.Can(john, authz.MergeProposedChange), true},
		{"review_proposed_change", authz.Can(john, authz.ReviewProposedChange), true},
		{"edit_default_branch", authz.Can(john, authz.EditDefaultBranch), false},
		{"manage_schema", authz.Can(john, authz.ManageSchema), false},
		{"manage_accounts", authz.Can(john, authz.ManageAccounts), false},
		{"manage_permissions", authz.Can(john, authz.ManagePermissions), false},
		{"super_admin", authz.Can(john, authz.SuperAdmin), false},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("john (operator-group): %s = %v, want %v", c.what, c.got, c.want)
		}
	}
}

// The cost of resolving an account's permissions through the graph read port when nothing is
// cached (after a write), for the service catalog's john (one group, two roles, 7 permissions).
func BenchmarkResolveThroughGraphPort(b *testing.B) {
	f := newNodeFixtureTB(b)
	if _, err := f.app.EnsureDefaults(context.Background()); err != nil {
		b.Fatal(err)
	}
	catalog := testenv.Corpus(b, "infrahub-demo-service-catalog")
	f.runTB(b, commands.TypeLoadObjects, commands.LoadObjects{Files: []commands.ObjectFile{{Name: "permissions.yml",
		Content: string(must(os.ReadFile(filepath.Join(catalog, "permissions.yml"))))}}})
	v, err := f.store.View("main", 0)
	if err != nil {
		b.Fatal(err)
	}
	id, _ := v.ByHFID(authz.KindGenericAccount, []string{"john"})
	john := &authz.Identity{AccountID: id.String(), Name: "john"}
	port, err := memory.New(memory.Config{Store: f.store, WaitFor: f.fold.WaitFor})
	if err != nil {
		b.Fatal(err)
	}
	src := authzsource.New(port)
	for b.Loop() {
		got, err := authz.NewResolver(src, authz.Config{}).Resolve(context.Background(), john)
		if err != nil || !authz.Can(got, authz.MergeBranch) {
			b.Fatal("john cannot merge", err)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
