package main

import (
	"regexp"
	"strings"
	"testing"
)

// gqlAs posts a GraphQL document with the given headers and answers the status and the body.
func gqlAs(t *testing.T, base string, hdr map[string]string, query string) (int, map[string]any) {
	t.Helper()
	code, _, body := authCall(t, base, "POST", "/graphql", hdr, mustJSON(map[string]any{"query": query}))
	return code, body
}

// dig answers the value at a path of keys in a decoded JSON answer (nil when absent).
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

func keyOf(tok string) map[string]string { return map[string]string{"X-INFRAHUB-KEY": tok} }

var uuidLike = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// The account queries and mutations the web UI and the SDK send, over a real server, with
// Infrahub's shapes and errors: AccountProfile (frontend/app/src/entities/authentication/api
// "AccountProfile { id display_label name { value } ... }"; backend/infrahub/graphql/resolvers/
// resolver.py account_resolver), InfrahubAccountToken, InfrahubAccountTokenCreate/Delete and
// InfrahubAccountSelfUpdate (backend/infrahub/graphql/queries/account.py and
// mutations/account.py: a JWT login is required, "This operation requires authentication with a
// JWT token"), InfrahubPermissions (queries/account.py: global_permissions and
// object_permissions with count and edges of {id, name, action, decision, identifier}), and the
// permissions answered on a kind (graphql/types/permission.py).
func TestAccountGraphQL(t *testing.T) {
	data := t.TempDir()
	env := map[string]string{"INFRAHUB_DATA": data, "INFRAHUB_SECURITY_SECRET_KEY": testSecretKey,
		"INFRAHUB_INITIAL_ADMIN_PASSWORD": testAdminPass, "INFRAHUB_INITIAL_ADMIN_TOKEN": testAdminToken}
	c := startChild(t, freeAddr(t), env)
	login := func(name, pass string) map[string]string {
		t.Helper()
		code, _, body := authCall(t, c.base, "POST", "/api/auth/login", nil, mustJSON(map[string]string{"username": name, "password": pass}))
		tok, _ := body["access_token"].(string)
		if code != 200 || tok == "" {
			t.Fatalf("login %s: %d %v", name, code, body)
		}
		return bearerOf(tok)
	}
	ok := func(what string, code int, body map[string]any) {
		t.Helper()
		if code != 200 || body["errors"] != nil {
			t.Fatalf("%s: %d %v", what, code, body)
		}
	}
	admin := login("admin", testAdminPass)
	profile := `{ AccountProfile { id display_label name { value } account_type { value } password { value } } }`

	// AccountProfile: the admin by login and by its API token; anonymous gets Infrahub's error.
	for name, hdr := range map[string]map[string]string{"login": admin, "API token": keyOf(testAdminToken)} {
		code, body := gqlAs(t, c.base, hdr, profile)
		ok("profile by "+name, code, body)
		if dig(body, "data", "AccountProfile", "name", "value") != "admin" || dig(body, "data", "AccountProfile", "password", "value") != nil {
			t.Errorf("profile by %s: %v", name, body)
		}
	}
	code, body := gqlAs(t, c.base, nil, profile)
	if code != 200 || dig(body, "data", "AccountProfile") != nil ||
		errMessage(body) != "Unable to find the node anonymous / CoreGenericAccount in the database." {
		t.Errorf("anonymous profile: %d %v", code, body)
	}

	// A token created through GraphQL: its value is answered once and identifies the admin.
	create := `mutation { InfrahubAccountTokenCreate(data: {name: "ci", expiration: "2999-01-01T00:00:00Z"}) { ok object { id token { value } } } }`
	code, body = gqlAs(t, c.base, admin, create)
	ok("token create", code, body)
	value, _ := dig(body, "data", "InfrahubAccountTokenCreate", "object", "token", "value").(string)
	tokenID, _ := dig(body, "data", "InfrahubAccountTokenCreate", "object", "id").(string)
	if dig(body, "data", "InfrahubAccountTokenCreate", "ok") != true || !uuidLike.MatchString(value) || tokenID == "" {
		t.Fatalf("token create: %v", body)
	}
	code, body = gqlAs(t, c.base, keyOf(value), profile)
	ok("profile by the new token", code, body)
	if dig(body, "data", "AccountProfile", "name", "value") != "admin" {
		t.Errorf("profile by the new token: %v", body)
	}

	// The admin's tokens: the initial one and "ci", never a value nor a digest.
	list := `{ InfrahubAccountToken(limit: 10) { count edges { node { id name expiration } } } }`
	code, body = gqlAs(t, c.base, admin, list)
	ok("token list", code, body)
	raw := mustJSON(body)
	if dig(body, "data", "InfrahubAccountToken", "count") != float64(2) || !strings.Contains(raw, `"name":"ci"`) ||
		!strings.Contains(raw, tokenID) || strings.Contains(raw, value) || strings.Contains(raw, "sha256:") {
		t.Errorf("token list: %s", raw)
	}

	// Without a login (an API token, or anonymous) the token operations are refused as Infrahub does.
	for name, hdr := range map[string]map[string]string{"API token": keyOf(value), "anonymous": nil} {
		for _, q := range []string{list, create} {
			code, body = gqlAs(t, c.base, hdr, q)
			if code != 200 || errMessage(body) != "This operation requires authentication with a JWT token" || strings.Contains(mustJSON(body), `"value"`) {
				t.Errorf("%s %.40s: %d %v", name, q, code, body)
			}
		}
	}

	// Deleting it: the token is refused with 401 from then on; deleting it again is not found.
	del := `mutation { InfrahubAccountTokenDelete(data: {id: "` + tokenID + `"}) { ok } }`
	code, body = gqlAs(t, c.base, admin, del)
	ok("token delete", code, body)
	if code, body = gqlAs(t, c.base, keyOf(value), profile); code != 401 {
		t.Errorf("deleted token: %d %v; want 401", code, body)
	}
	code, body = gqlAs(t, c.base, admin, del)
	if want := "Unable to find the node " + tokenID + " / AccountToken in the database."; errMessage(body) != want {
		t.Errorf("deleting it again: %d %v; want %q", code, body, want)
	}

	// InfrahubPermissions: the admin is a super administrator; anonymous has the anonymous role's.
	perms := `{ InfrahubPermissions { global_permissions { count edges { node { id name action decision identifier } } }
		object_permissions { count edges { node { id namespace name action decision identifier } } } } }`
	code, body = gqlAs(t, c.base, admin, perms)
	ok("admin permissions", code, body)
	raw = mustJSON(body)
	if !strings.Contains(raw, `"identifier":"global:super_admin:allow_all"`) || !strings.Contains(raw, `"action":"super_admin","decision":"6"`) ||
		strings.Contains(raw, `"id":""`) {
		t.Errorf("admin permissions: %s", raw)
	}
	code, body = gqlAs(t, c.base, nil, perms)
	ok("anonymous permissions", code, body)
	raw = mustJSON(body)
	if strings.Contains(raw, "super_admin") || dig(body, "data", "InfrahubPermissions", "global_permissions", "count") != float64(0) {
		t.Errorf("anonymous permissions: %s", raw)
	}

	// A kind's permissions: all allowed for the admin, view only for anonymous.
	kind := `{ BuiltinTag { permissions { count edges { node { kind view create update delete } } } } }`
	for name, tc := range map[string]struct {
		hdr  map[string]string
		want map[string]any
	}{
		"admin":     {admin, map[string]any{"kind": "BuiltinTag", "view": "ALLOW", "create": "ALLOW", "update": "ALLOW", "delete": "ALLOW"}},
		"anonymous": {nil, map[string]any{"kind": "BuiltinTag", "view": "ALLOW", "create": "DENY", "update": "DENY", "delete": "DENY"}},
	} {
		code, body = gqlAs(t, c.base, tc.hdr, kind)
		ok(name+" kind permissions", code, body)
		edges, _ := dig(body, "data", "BuiltinTag", "permissions", "edges").([]any)
		if len(edges) != 1 || mustJSON(dig(edges[0], "node")) != mustJSON(tc.want) {
			t.Errorf("%s kind permissions: %v; want %v", name, body, tc.want)
		}
	}

	// A user's own profile and password; a token of an account deleted since is refused.
	code, body = gqlAs(t, c.base, admin, `mutation { CoreAccountCreate(data: {name: {value: "bob"}, password: {value: "`+testAlicePass+`"}}) { ok object { id } } }`)
	ok("create bob", code, body)
	bobID, _ := dig(body, "data", "CoreAccountCreate", "object", "id").(string)
	bob := login("bob", testAlicePass)
	bobLogins := []map[string]string{bob}
	code, body = gqlAs(t, c.base, bob, `mutation { InfrahubAccountSelfUpdate(data: {password: "B0b-New-Pass", description: "bob's"}) { ok } }`)
	ok("bob self update", code, body)
	bob = login("bob", "B0b-New-Pass")
	bobLogins = append(bobLogins, bob)
	code, body = gqlAs(t, c.base, bob, `{ AccountProfile { description { value } } }`)
	if dig(body, "data", "AccountProfile", "description", "value") != "bob's" {
		t.Errorf("bob's profile after the update: %d %v", code, body)
	}
	code, body = gqlAs(t, c.base, bob, create)
	ok("bob's token", code, body)
	bobToken, _ := dig(body, "data", "InfrahubAccountTokenCreate", "object", "token", "value").(string)
	if code, body = gqlAs(t, c.base, keyOf(bobToken), profile); dig(body, "data", "AccountProfile", "name", "value") != "bob" {
		t.Fatalf("bob's token: %d %v", code, body)
	}
	// A deactivated account's token is refused; an account is deleted with its tokens (they
	// cascade) while its sessions remain without it; then neither its API token nor an access
	// token it still holds is accepted.
	deleteBob := `mutation { CoreAccountDelete(data: {id: "` + bobID + `"}) { ok } }`
	setStatus := func(status string) {
		t.Helper()
		code, body := gqlAs(t, c.base, admin, `mutation { CoreAccountUpdate(data: {id: "`+bobID+`", status: {value: "`+status+`"}}) { ok } }`)
		ok("bob "+status, code, body)
	}
	setStatus("inactive")
	if code, body = gqlAs(t, c.base, keyOf(bobToken), profile); code != 401 || errMessage(body) != "This account has been deactivated" {
		t.Errorf("token of a deactivated account: %d %v; want 401", code, body)
	}
	setStatus("active")
	code, body = gqlAs(t, c.base, admin, deleteBob)
	ok("delete bob with his token and sessions", code, body)
	for name, hdr := range map[string]map[string]string{"token": keyOf(bobToken), "login": bob} {
		if code, body = gqlAs(t, c.base, hdr, profile); code != 401 {
			t.Errorf("%s of a deleted account: %d %v; want 401", name, code, body)
		}
	}

	if err := c.stop(); err != nil {
		t.Fatal(err)
	}
	scanForSecrets(t, data, c.logs.String(), []string{value, bobToken, "B0b-New-Pass"})
}
