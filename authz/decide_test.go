package authz_test

import (
	"testing"

	"github.com/infrahub-go/infrahub/authz"
)

// grants builds an identity from identifiers.
func grants(t *testing.T, ids ...string) *authz.Identity {
	t.Helper()
	var g []authz.GlobalPermission
	var o []authz.ObjectPermission
	for _, s := range ids {
		p, err := authz.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		switch x := p.(type) {
		case authz.GlobalPermission:
			g = append(g, x)
		case authz.ObjectPermission:
			o = append(o, x)
		}
	}
	return &authz.Identity{AccountID: "a", Name: "someone", AccountType: "User", Permissions: authz.NewPermissions(g, o)}
}

func TestCanObject(t *testing.T) {
	generalAccess := []string{"global:manage_repositories:allow_all", "global:manage_schema:allow_all",
		"global:merge_proposed_change:allow_all", "object:*:*:view:allow_all", "object:*:*:any:allow_other"}
	cases := []struct {
		name      string
		perms     []string
		ns, kind  string
		action    authz.Action
		onDefault bool
		want      bool
	}{
		{"nothing granted", nil, "Dcim", "Device", authz.View, true, false},
		{"exact allow_all", []string{"object:Dcim:Device:update:allow_all"}, "Dcim", "Device", authz.Update, true, true},
		{"exact, other action", []string{"object:Dcim:Device:update:allow_all"}, "Dcim", "Device", authz.Delete, true, false},
		{"name wildcard", []string{"object:Dcim:*:view:allow_all"}, "Dcim", "Interface", authz.View, true, true},
		{"name wildcard, other namespace", []string{"object:Dcim:*:view:allow_all"}, "Ipam", "Prefix", authz.View, true, false},
		{"namespace wildcard", []string{"object:*:Device:create:allow_all"}, "Dcim", "Device", authz.Create, false, true},
		{"any action", []string{"object:Dcim:Device:any:allow_all"}, "Dcim", "Device", authz.Delete, true, true},
		{"allow_default on default", []string{"object:*:*:any:allow_default"}, "Dcim", "Device", authz.Update, true, true},
		{"allow_default on a branch", []string{"object:*:*:any:allow_default"}, "Dcim", "Device", authz.Update, false, false},
		{"allow_other on a branch", []string{"object:*:*:any:allow_other"}, "Dcim", "Device", authz.Update, false, true},
		{"allow_other on default", []string{"object:*:*:any:allow_other"}, "Dcim", "Device", authz.Update, true, false},
		{"equal specificity adds up", []string{"object:Dcim:Device:any:allow_default", "object:Dcim:Device:any:allow_other"}, "Dcim", "Device", authz.Create, false, true},
		{"deny beats the same pattern", []string{"object:Dcim:Device:any:allow_all", "object:Dcim:Device:any:deny"}, "Dcim", "Device", authz.View, true, false},
		{"deny beats the same pattern, either order", []string{"object:Dcim:Device:any:deny", "object:Dcim:Device:any:allow_all"}, "Dcim", "Device", authz.View, true, false},
		{"specific allow beats wildcard deny", []string{"object:*:*:any:deny", "object:Dcim:Device:update:allow_all"}, "Dcim", "Device", authz.Update, true, true},
		{"wildcard deny stands elsewhere", []string{"object:*:*:any:deny", "object:Dcim:Device:update:allow_all"}, "Dcim", "Interface", authz.Update, true, false},
		{"specific deny beats wildcard allow", []string{"object:*:*:any:allow_all", "object:Dcim:Device:delete:deny"}, "Dcim", "Device", authz.Delete, false, false},
		{"specific deny leaves other actions", []string{"object:*:*:any:allow_all", "object:Dcim:Device:delete:deny"}, "Dcim", "Device", authz.Update, false, true},
		{"view allow with any deny (anonymous role)", []string{"object:*:*:any:deny", "object:*:*:view:allow_all"}, "Dcim", "Device", authz.View, true, true},
		{"view allow with any deny, write", []string{"object:*:*:any:deny", "object:*:*:view:allow_all"}, "Dcim", "Device", authz.Create, false, false},
		{"general access views main", generalAccess, "Dcim", "Device", authz.View, true, true},
		{"general access edits a branch", generalAccess, "Dcim", "Device", authz.Update, false, true},
		{"general access does not edit main", generalAccess, "Dcim", "Device", authz.Update, true, false},
		{"super admin", []string{"global:super_admin:allow_all"}, "Dcim", "Device", authz.Delete, true, true},
		{"super admin denied", []string{"global:super_admin:allow_all", "global:super_admin:deny"}, "Dcim", "Device", authz.Delete, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := grants(t, c.perms...)
			if got := authz.CanObject(id, c.ns, c.kind, c.action, c.onDefault); got != c.want {
				t.Errorf("CanObject(%s%s %s default=%v) = %v, want %v", c.ns, c.kind, c.action, c.onDefault, got, c.want)
			}
		})
	}
}

func TestCanGlobal(t *testing.T) {
	cases := []struct {
		name  string
		perms []string
		g     authz.Global
		want  bool
	}{
		{"not granted", []string{"global:manage_schema:allow_all"}, authz.MergeBranch, false},
		{"granted", []string{"global:manage_schema:allow_all"}, authz.ManageSchema, true},
		{"deny preempts", []string{"global:manage_schema:allow_all", "global:manage_schema:deny"}, authz.ManageSchema, false},
		{"deny preempts, either order", []string{"global:manage_schema:deny", "global:manage_schema:allow_all"}, authz.ManageSchema, false},
		{"object permissions grant no global", []string{"object:*:*:any:allow_all"}, authz.EditDefaultBranch, false},
		{"super admin holds every global", []string{"global:super_admin:allow_all"}, authz.ManagePermissions, true},
		{"super admin despite a deny of another", []string{"global:super_admin:allow_all", "global:merge_branch:deny"}, authz.MergeBranch, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := authz.Can(grants(t, c.perms...), c.g); got != c.want {
				t.Errorf("Can(%s) = %v, want %v", c.g, got, c.want)
			}
		})
	}
}

func TestAnonymousNeverWrites(t *testing.T) {
	anon := *authz.Anonymous
	anon.Permissions = grants(t, "object:*:*:any:allow_all", "global:super_admin:allow_all", "global:edit_default_branch:allow_all").Permissions
	if !authz.CanObject(&anon, "Dcim", "Device", authz.View, true) {
		t.Error("anonymous with a view grant may not view")
	}
	for _, a := range []authz.Action{authz.Create, authz.Update, authz.Delete, authz.Any} {
		for _, def := range []bool{true, false} {
			if authz.CanObject(&anon, "Dcim", "Device", a, def) {
				t.Errorf("anonymous may %s (default=%v)", a, def)
			}
		}
	}
	for _, g := range authz.Globals {
		if authz.Can(&anon, g) {
			t.Errorf("anonymous holds %s", g)
		}
	}
	if authz.CanObject(authz.Anonymous, "Dcim", "Device", authz.View, true) {
		t.Error("unresolved anonymous may view")
	}
}

func TestNoIdentityNoRights(t *testing.T) {
	if authz.CanObject(nil, "Dcim", "Device", authz.View, true) || authz.Can(nil, authz.MergeBranch) {
		t.Error("a nil identity is allowed")
	}
	unresolved := &authz.Identity{AccountID: "a", Name: "x"}
	if authz.CanObject(unresolved, "Dcim", "Device", authz.View, true) || authz.Can(unresolved, authz.MergeBranch) {
		t.Error("an unresolved identity is allowed")
	}
	if !authz.Can(authz.System, authz.ManageSchema) || !authz.CanObject(authz.System, "Core", "Account", authz.Create, true) {
		t.Error("the server itself is refused")
	}
}

func TestKindDecision(t *testing.T) {
	account := authz.Kind{Namespace: "Core", Name: "Account", Inherits: []string{"LineageOwner", "CoreGenericAccount"}}
	objPerm := authz.Kind{Namespace: "Core", Name: "ObjectPermission", Inherits: []string{"CoreBasePermission"}}
	device := authz.Kind{Namespace: "Dcim", Name: "Device"}
	editor := grants(t, "object:*:*:any:allow_all")
	if authz.CanKind(editor, account, authz.Update, false) {
		t.Error("object permissions let an account be changed without manage_accounts")
	}
	if !authz.CanKind(editor, account, authz.View, true) {
		t.Error("viewing accounts needs more than an object permission")
	}
	admins := grants(t, "global:manage_accounts:allow_all")
	if !authz.CanKind(admins, account, authz.Create, true) || authz.CanKind(admins, objPerm, authz.Create, true) {
		t.Error("manage_accounts does not decide accounts alone")
	}
	if !authz.CanKind(grants(t, "global:manage_permissions:allow_all"), objPerm, authz.Delete, false) {
		t.Error("manage_permissions does not allow changing permissions")
	}
	branchOnly := grants(t, "object:*:*:any:allow_other")
	if got := authz.KindDecision(branchOnly, device, authz.Update, true); got != authz.DecideAllowOther {
		t.Errorf("on main: %s, want ALLOW_OTHER", got)
	}
	if got := authz.KindDecision(branchOnly, device, authz.Update, false); got != authz.DecideAllow {
		t.Errorf("on a branch: %s, want ALLOW", got)
	}
	if got := authz.KindDecision(grants(t, "object:*:*:any:allow_default"), device, authz.Update, false); got != authz.DecideAllowDefault {
		t.Errorf("allow_default on a branch: %s, want ALLOW_DEFAULT", got)
	}
	if got := authz.KindDecision(grants(t), device, authz.View, true); got != authz.DecideDeny {
		t.Errorf("nothing granted: %s", got)
	}
}
