package authz_test

import (
	"errors"
	"testing"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/fault"
)

func TestIdentifiersRoundTrip(t *testing.T) {
	for _, s := range []string{
		"global:manage_schema:allow_all",
		"global:super_admin:allow_all",
		"global:edit_default_branch:deny",
		"global:update_object_hfid_display_label:allow_all",
		"object:Dcim:Device:update:allow_other",
		"object:*:*:view:allow_all",
		"object:*:*:any:deny",
		"object:Core:ProposedChange:any:allow_default",
	} {
		p, err := authz.Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q): %v", s, err)
		}
		if p.String() != s {
			t.Errorf("Parse(%q).String() = %q", s, p.String())
		}
	}
	o, _ := authz.ParseObject("object:Dcim:Device:update:allow_other")
	if o != (authz.ObjectPermission{Namespace: "Dcim", Name: "Device", Action: authz.Update, Decision: authz.AllowOther}) {
		t.Errorf("ParseObject = %+v", o)
	}
	g, _ := authz.ParseGlobal("global:merge_branch:6")
	if g != (authz.GlobalPermission{Action: authz.MergeBranch, Decision: authz.AllowAll}) {
		t.Errorf("ParseGlobal by number = %+v", g)
	}
}

func TestIdentifiersRefused(t *testing.T) {
	for _, s := range []string{
		"", "global:manage_schema", "global:fly:allow_all", "global:manage_schema:maybe",
		"object:Dcim:Device:update", "object:Dcim:Device:patch:allow_all", "object:Dcim:Device:view:3",
		"object::Device:view:allow_all", "role:admin", "global:manage_schema:allow_all:x",
	} {
		if _, err := authz.Parse(s); !errors.Is(err, fault.ErrInvalid) {
			t.Errorf("Parse(%q) = %v, want an invalid error", s, err)
		}
	}
}

func TestDecisionValuesAreInfrahubs(t *testing.T) {
	want := map[authz.Decision]int{authz.Deny: 1, authz.AllowDefault: 2, authz.AllowOther: 4, authz.AllowAll: 6}
	for d, n := range want {
		if int(d) != n {
			t.Errorf("%s = %d, want %d", d, d, n)
		}
		got, err := authz.DecisionOf(float64(n))
		if err != nil || got != d {
			t.Errorf("DecisionOf(%d) = %v, %v", n, got, err)
		}
	}
	if d, err := authz.DecisionOf(nil); err != nil || d != authz.AllowAll {
		t.Errorf("DecisionOf(nil) = %v, %v; the schema default is allow_all", d, err)
	}
	for _, bad := range []any{float64(3), float64(6.5), "often", true} {
		if _, err := authz.DecisionOf(bad); err == nil {
			t.Errorf("DecisionOf(%v) accepted", bad)
		}
	}
}
