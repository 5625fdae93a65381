package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

const permWidgetSchema = `{"version": "1.0", "nodes": [{"name": "Widget", "namespace": "Testing",
 "human_friendly_id": ["name__value"], "attributes": [{"name": "name", "kind": "Text", "unique": true}]}]}`

// permCall sends a request with hdr (nil: anonymous) and answers the status and the JSON body.
func permCall(t *testing.T, base, method, path string, hdr map[string]string, body any) (int, map[string]any) {
	t.Helper()
	h := map[string]string{anonymousHeader: "1"}
	for k, v := range hdr {
		h[k] = v
	}
	raw := ""
	if body != nil {
		b, _ := json.Marshal(body)
		raw = string(b)
	}
	code, _, out := authCall(t, base, method, path, h, raw)
	return code, out
}

func permHead(t *testing.T, base string) float64 {
	t.Helper()
	code, out := permCall(t, base, "GET", "/api/status", map[string]string{"X-INFRAHUB-KEY": testAdminToken}, nil)
	if code != 200 {
		t.Fatalf("status: %d %v", code, out)
	}
	return out["log_head"].(float64)
}

// The permission matrix over HTTP (issue 16, acceptance 1): anonymous, a read-only account, an
// editor limited to the non-default branches (object permission allow_other), a schema manager
// and a super admin, each by login (bearer) and by API token, against every kind of operation;
// each answer is checked on its status and on the log head (a denied write stores nothing).
func TestPermissionMatrix(t *testing.T) {
	c := startChild(t, freeAddr(t), map[string]string{"INFRAHUB_DATA": t.TempDir(), "INFRAHUB_SECURITY_SECRET_KEY": testSecretKey,
		"INFRAHUB_INITIAL_ADMIN_PASSWORD": testAdminPass})
	admin := map[string]string{"X-INFRAHUB-KEY": testAdminToken}
	must := func(typ string, payload any) map[string]any {
		t.Helper()
		code, out := permCall(t, c.base, "POST", "/api/commands", admin, map[string]any{"type": typ, "payload": payload})
		if code != 200 {
			t.Fatalf("setup %s: %d %v", typ, code, out)
		}
		return out
	}
	idOf := func(out map[string]any) string { return out["data"].(map[string]any)["id"].(string) }
	must("schema.load", map[string]any{"schemas": []json.RawMessage{json.RawMessage(permWidgetSchema)}})

	// The roles, from the default permissions.
	code, out := permCall(t, c.base, "POST", "/graphql", admin, map[string]string{"query": `{
	  CoreObjectPermission { edges { node { id namespace { value } name { value } action { value } decision { value } } } }
	  CoreGlobalPermission { edges { node { id action { value } decision { value } } } } }`})
	perm := map[string]string{}
	val := func(n map[string]any, f string) string { return fmt.Sprint(n[f].(map[string]any)["value"]) }
	for _, k := range []string{"CoreObjectPermission", "CoreGlobalPermission"} {
		data, _ := out["data"].(map[string]any)
		edges, _ := data[k].(map[string]any)["edges"].([]any)
		for _, e := range edges {
			n := e.(map[string]any)["node"].(map[string]any)
			d := map[string]string{"1": "deny", "2": "allow_default", "4": "allow_other", "6": "allow_all"}[val(n, "decision")]
			if k == "CoreGlobalPermission" {
				perm["global:"+val(n, "action")+":"+d] = n["id"].(string)
			} else {
				perm["object:"+val(n, "namespace")+":"+val(n, "name")+":"+val(n, "action")+":"+d] = n["id"].(string)
			}
		}
	}
	if code != 200 || perm["object:*:*:view:allow_all"] == "" || perm["global:manage_schema:allow_all"] == "" || perm["object:*:*:any:allow_other"] == "" {
		t.Fatalf("permissions: %d %v", code, out)
	}
	refs := func(names ...string) []any {
		var out []any
		for _, n := range names {
			out = append(out, map[string]any{"id": perm[n]})
		}
		return out
	}
	roles := map[string][]string{
		"reader": {"object:*:*:view:allow_all"},
		"editor": {"object:*:*:view:allow_all", "object:*:*:any:allow_other"},
		"schema": {"object:*:*:view:allow_all", "global:manage_schema:allow_all"},
	}
	creds := map[string]map[string]string{"anonymous": nil, "admin-token": admin}
	code, out = permCall(t, c.base, "POST", "/api/auth/login", nil, map[string]string{"username": "admin", "password": testAdminPass})
	if code != 200 {
		t.Fatalf("admin login: %d %v", code, out)
	}
	creds["admin-login"] = bearerOf(out["access_token"].(string))
	for name, ps := range roles {
		role := idOf(must("node.create", map[string]any{"kind": "CoreAccountRole", "data": map[string]any{"name": name + "-role", "permissions": refs(ps...)}}))
		acc := idOf(must("node.create", map[string]any{"kind": "CoreAccount", "data": map[string]any{"name": name, "password": "Pw-" + name + "-0123"}}))
		must("node.create", map[string]any{"kind": "CoreAccountGroup", "data": map[string]any{"name": name + "-group",
			"roles": []any{map[string]any{"id": role}}, "members": []any{map[string]any{"id": acc}}}})
		tok := fmt.Sprintf("0a1b2c3d-0000-4000-8000-%012d", len(creds))
		must("node.create", map[string]any{"kind": "InternalAccountToken", "data": map[string]any{"name": name, "token": tok, "account": map[string]any{"id": acc}}})
		creds[name+"-token"] = map[string]string{"X-INFRAHUB-KEY": tok}
		code, out := permCall(t, c.base, "POST", "/api/auth/login", nil, map[string]string{"username": name, "password": "Pw-" + name + "-0123"})
		if code != 200 {
			t.Fatalf("login %s: %d %v", name, code, out)
		}
		creds[name+"-login"] = bearerOf(out["access_token"].(string))
	}

	branchDelID := map[string]string{}
	type op struct {
		name   string
		write  bool
		allows []string // the account kinds allowed (the prefix of a credential's name)
		do     func(who string, hdr map[string]string) (int, map[string]any)
	}
	cmd := func(typ string, payload func(who string) any) func(string, map[string]string) (int, map[string]any) {
		return func(who string, hdr map[string]string) (int, map[string]any) {
			return permCall(t, c.base, "POST", "/api/commands", hdr, map[string]any{"type": typ, "payload": payload(who)})
		}
	}
	get := func(path string) func(string, map[string]string) (int, map[string]any) {
		return func(who string, hdr map[string]string) (int, map[string]any) {
			return permCall(t, c.base, "GET", strings.ReplaceAll(path, "WHO", who), hdr, nil)
		}
	}
	widget := func(branch, name string) map[string]any {
		return map[string]any{"kind": "TestingWidget", "branch": branch, "data": map[string]any{"name": name}}
	}
	everyone := []string{"anonymous", "reader", "editor", "schema", "admin"}
	accounts := []string{"reader", "editor", "schema", "admin"}
	ops := []op{
		{"query a kind", false, everyone, func(who string, hdr map[string]string) (int, map[string]any) {
			code, out := permCall(t, c.base, "POST", "/graphql", hdr, map[string]string{"query": `{ TestingWidget { count } }`})
			if out["errors"] != nil {
				return http.StatusForbidden, out
			}
			return code, out
		}},
		{"REST nodes", false, everyone, get("/api/nodes/TestingWidget")},
		{"REST dump", false, everyone, get("/api/dump")},
		{"REST diff", false, everyone, get("/api/diff?branch=b-WHO")},
		{"create on main", true, []string{"admin"}, cmd("node.create", func(who string) any { return widget("", "main-"+who) })},
		{"update on main", true, []string{"admin"}, cmd("node.update", func(who string) any {
			return map[string]any{"kind": "TestingWidget", "hfid": []string{"u-" + who}, "data": map[string]any{"name": "u2-" + who}}
		})},
		{"delete on main", true, []string{"admin"}, cmd("node.delete", func(who string) any {
			return map[string]any{"kind": "TestingWidget", "hfid": []string{"d-" + who}}
		})},
		{"create on a branch", true, []string{"editor", "admin"}, cmd("node.create", func(who string) any { return widget("b-"+who, "br-"+who) })},
		{"update on a branch", true, []string{"editor", "admin"}, cmd("node.update", func(who string) any {
			return map[string]any{"kind": "TestingWidget", "branch": "b-" + who, "hfid": []string{"bu-" + who}, "data": map[string]any{"name": "bu2-" + who}}
		})},
		{"delete on a branch", true, []string{"editor", "admin"}, cmd("node.delete", func(who string) any {
			return map[string]any{"branch": "b-" + who, "id": branchDelID[who]}
		})},
		{"object load on a branch", true, []string{"editor", "admin"}, cmd("object.load", func(who string) any {
			return map[string]any{"branch": "b-" + who, "files": []any{map[string]any{"name": "w.yml", "content": "---\napiVersion: infrahub.app/v1\nkind: Object\nspec:\n  kind: TestingWidget\n  data:\n    - name: obj-" + who + "\n"}}}
		})},
		{"object load on main", true, []string{"admin"}, cmd("object.load", func(who string) any {
			return map[string]any{"files": []any{map[string]any{"name": "w.yml", "content": "---\napiVersion: infrahub.app/v1\nkind: Object\nspec:\n  kind: TestingWidget\n  data:\n    - name: objm-" + who + "\n"}}}
		})},
		{"schema load", true, []string{"schema", "admin"}, func(who string, hdr map[string]string) (int, map[string]any) {
			s := strings.Replace(permWidgetSchema, `"name": "Widget"`, `"name": "Gadget`+strings.ToUpper(who[:1])+strings.ReplaceAll(who[1:], "-", "")+`"`, 1)
			return permCall(t, c.base, "POST", "/api/schema/load", hdr, map[string]any{"schemas": []json.RawMessage{json.RawMessage(s)}})
		}},
		{"branch create", true, accounts, cmd("branch.create", func(who string) any { return map[string]any{"name": "new-" + who} })},
		{"branch rebase", true, []string{"admin"}, cmd("branch.rebase", func(who string) any { return map[string]any{"branch": "r-" + who} })},
		{"branch merge", true, []string{"admin"}, cmd("branch.merge", func(who string) any { return map[string]any{"branch": "m-" + who} })},
		{"branch delete", true, []string{"admin"}, cmd("branch.delete", func(who string) any { return map[string]any{"name": "x-" + who} })},
	}

	// What each identity acts on, made by the admin.
	for who := range creds {
		for _, b := range []string{"b-", "r-", "m-", "x-"} {
			must("branch.create", map[string]any{"name": b + who})
		}
		must("node.create", widget("", "u-"+who))
		must("node.create", widget("", "d-"+who))
		must("node.create", widget("b-"+who, "bu-"+who))
		branchDelID[who] = idOf(must("node.create", widget("b-"+who, "bd-"+who)))
		must("node.create", widget("m-"+who, "merged-"+who))
	}

	for who, hdr := range creds {
		kind := strings.Split(who, "-")[0]
		for _, o := range ops {
			allowed := false
			for _, a := range o.allows {
				allowed = allowed || a == kind
			}
			before := permHead(t, c.base)
			code, out := o.do(who, hdr)
			after := permHead(t, c.base)
			switch {
			case allowed && code != 200:
				t.Errorf("%s: %s: want allowed, got %d %v", who, o.name, code, out)
			case !allowed && code != http.StatusForbidden:
				t.Errorf("%s: %s: want 403, got %d %v", who, o.name, code, out)
			case !allowed && after != before:
				t.Errorf("%s: %s: denied, yet the log moved from %v to %v", who, o.name, before, after)
			case allowed && o.write && after == before:
				t.Errorf("%s: %s: allowed, yet nothing was stored", who, o.name)
			}
		}
	}
}

// A request without credentials is anonymous, never trusted: it reads (anonymous access is
// allowed by default) and may not write. With INFRAHUB_ALLOW_ANONYMOUS_ACCESS=false it gets 401
// on everything but login, /health, /api/config and /api/info.
func TestAnonymousIsNotTrusted(t *testing.T) {
	c := startChild(t, freeAddr(t), map[string]string{"INFRAHUB_DATA": t.TempDir()})
	if code, out := permCall(t, c.base, "POST", "/api/commands", nil, map[string]any{"type": "branch.create", "payload": map[string]any{"name": "anon"}}); code != http.StatusForbidden {
		t.Errorf("anonymous branch.create: %d %v", code, out)
	}
	if code, out := permCall(t, c.base, "POST", "/graphql", nil, map[string]string{"query": `{ CoreAccount { count } }`}); code != 200 || out["errors"] != nil {
		t.Errorf("anonymous read: %d %v", code, out)
	}
	closed := startChild(t, freeAddr(t), map[string]string{"INFRAHUB_DATA": t.TempDir(), "INFRAHUB_ALLOW_ANONYMOUS_ACCESS": "false"})
	for _, p := range []string{"/api/dump", "/api/schema", "/api/branches", "/api/nodes/CoreAccount"} {
		if code, out := permCall(t, closed.base, "GET", p, nil, nil); code != http.StatusUnauthorized {
			t.Errorf("anonymous GET %s with anonymous access off: %d %v", p, code, out)
		}
	}
	if code, out := permCall(t, closed.base, "POST", "/graphql", nil, map[string]string{"query": `{ CoreAccount { count } }`}); code != http.StatusUnauthorized {
		t.Errorf("anonymous GraphQL with anonymous access off: %d %v", code, out)
	}
	for _, p := range []string{"/health", "/api/config", "/api/info"} {
		if code, out := permCall(t, closed.base, "GET", p, nil, nil); code != 200 {
			t.Errorf("GET %s with anonymous access off: %d %v", p, code, out)
		}
	}
	if code, out := permCall(t, closed.base, "GET", "/api/dump", map[string]string{"X-INFRAHUB-KEY": testAdminToken}, nil); code != 200 {
		t.Errorf("admin GET /api/dump with anonymous access off: %d %v", code, out)
	}
}
