package main

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Infrahub's web UI login screen and token handling (opsmill/infrahub frontend/app/src), replayed
// verbatim against a real server with anonymous access off, then on:
//   - entities/config/api/get-config-from-api.ts: GET /api/config, the login screen's first
//     request; entities/authentication/auth-methods.tsx reads sso.enabled, sso.providers and
//     ldap?.enabled, ui/require-auth.tsx reads main.allow_anonymous_access.
//   - entities/authentication/api/login-with-credentials-from-api.ts: POST /api/auth/login with
//     {username, password}; api/token-storage.ts stores access_token and refresh_token;
//     ui/auth-provider.tsx reads the account id from the access token's "sub".
//   - ui/credentials-form.tsx (toLoginError): 401 or 404 is "Invalid username or password".
//   - shared/api/graphql/graphqlClientApollo.tsx: GraphQL with "authorization: Bearer <access>";
//     an error whose extensions.code is TOKEN_EXPIRED makes it refresh and replay, one whose code
//     is AUTHENTICATION_REQUIRED sends the user to /login (shared/api/graphql/errors.ts).
//   - shared/api/rest/client.ts (authMiddleware): a REST 401 makes it refresh and replay.
//   - api/refresh-access-token-from-api.ts: POST /api/auth/refresh with no body and
//     "authorization: Bearer <refresh>", answered {access_token}.
//   - api/logout-from-api.ts: POST /api/auth/logout with "authorization: Bearer <access>".
//   - entities/user-profile/api/get-account-profile-from-api.ts: the GetAccountProfile document.
func TestUILogin(t *testing.T) {
	env := map[string]string{"INFRAHUB_DATA": t.TempDir(), "INFRAHUB_SECURITY_SECRET_KEY": testSecretKey,
		"INFRAHUB_INITIAL_ADMIN_PASSWORD": testAdminPass, "INFRAHUB_INITIAL_ADMIN_TOKEN": testAdminToken,
		"INFRAHUB_ALLOW_ANONYMOUS_ACCESS": "false"}
	c := startChild(t, freeAddr(t), env)
	base := c.base

	// The login screen's configuration, read without credentials.
	code, _, cfg := authCall(t, base, http.MethodGet, "/api/config", nil, "")
	if code != 200 || dig(cfg, "main", "allow_anonymous_access") != false || dig(cfg, "sso", "enabled") != false {
		t.Fatalf("GET /api/config: %d %v", code, cfg)
	}
	if p, ok := dig(cfg, "sso", "providers").([]any); !ok || len(p) != 0 {
		t.Errorf("sso.providers %v: want [] (no SSO button)", dig(cfg, "sso", "providers"))
	}
	if l := dig(cfg, "ldap", "enabled"); l != nil && l != false {
		t.Errorf("ldap.enabled %v: want absent or false (no LDAP form)", l)
	}

	// Anonymous GraphQL is refused with AUTHENTICATION_REQUIRED: the UI goes to /login.
	profileDoc := `query GetAccountProfile {
    AccountProfile {
      id
      display_label
      is_externally_managed
      name {
        value
      }
      label {
        value
      }
      description {
        value
      }
    }
  }`
	profile := mustJSON(map[string]any{"operationName": "GetAccountProfile", "variables": map[string]any{}, "query": profileDoc})
	code, _, body := authCall(t, base, http.MethodPost, "/graphql/main", nil, profile)
	checkGraphQLAuthError(t, "anonymous GraphQL", code, body, "AUTHENTICATION_REQUIRED", map[string]any{})

	// Wrong password and unknown account: a 401 in Infrahub's REST error body, which the form
	// shows as "Invalid username or password".
	for _, creds := range []string{`{"username":"admin","password":"wrong"}`, `{"username":"nobody","password":"wrong"}`} {
		code, _, body = authCall(t, base, http.MethodPost, "/api/auth/login", nil, creds)
		if code != 401 || body["data"] != nil || errMessage(body) == "" ||
			mustJSON(dig(body, "errors")) != `[{"extensions":{"code":401},"message":"`+errMessage(body)+`"}]` {
			t.Errorf("login %s: %d %v; want 401 {data: null, errors: [{message, extensions: {code: 401}}]}", creds, code, body)
		}
	}

	// The login: exactly the UserToken fields the UI stores.
	code, _, body = authCall(t, base, http.MethodPost, "/api/auth/login", nil, `{"username":"admin","password":"`+testAdminPass+`"}`)
	access, _ := body["access_token"].(string)
	refresh, _ := body["refresh_token"].(string)
	if code != 200 || access == "" || refresh == "" || len(body) != 2 {
		t.Fatalf("login: %d %v", code, body)
	}
	claims := map[string]any{}
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(access, ".")[1])
	_ = json.Unmarshal(payload, &claims)
	accountID, _ := claims["sub"].(string)

	// The profile after login: the account of the token's "sub".
	code, _, body = authCall(t, base, http.MethodPost, "/graphql/main", bearerOf(access), profile)
	if code != 200 || body["errors"] != nil || dig(body, "data", "AccountProfile", "id") != accountID ||
		dig(body, "data", "AccountProfile", "name", "value") != "admin" || dig(body, "data", "AccountProfile", "display_label") == nil ||
		dig(body, "data", "AccountProfile", "is_externally_managed") != false {
		t.Fatalf("GetAccountProfile: %d %v (sub %q)", code, body, accountID)
	}

	// An expired access token on GraphQL: TOKEN_EXPIRED, the UI refreshes exactly as its
	// refresh-access-token-from-api.ts does, and replays with the new token.
	expired, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": accountID, "session_id": claims["session_id"],
		"type": "access", "fresh": false, "iat": time.Now().Add(-2 * time.Hour).Unix(), "exp": time.Now().Add(-time.Hour).Unix()}).
		SignedString([]byte(testSecretKey))
	code, _, body = authCall(t, base, http.MethodPost, "/graphql/main", bearerOf(expired), profile)
	checkGraphQLAuthError(t, "expired access token", code, body, "TOKEN_EXPIRED", map[string]any{"expired_at": nil})
	if errMessage(body) != "Expired Signature" {
		t.Errorf("expired token message %q; want Infrahub's \"Expired Signature\" (the SDK refreshes on it)", errMessage(body))
	}
	code, _, body = authCall(t, base, http.MethodPost, "/api/auth/refresh", map[string]string{"authorization": "Bearer " + refresh}, "")
	fresh, _ := body["access_token"].(string)
	if code != 200 || fresh == "" || len(body) != 1 {
		t.Fatalf("refresh: %d %v; want 200 {access_token}", code, body)
	}
	code, _, body = authCall(t, base, http.MethodPost, "/graphql/main", bearerOf(fresh), profile)
	if code != 200 || dig(body, "data", "AccountProfile", "id") != accountID {
		t.Errorf("replay with the refreshed token: %d %v", code, body)
	}

	// The REST client: an expired token is a 401 (integer code), replayed after a refresh.
	code, _, body = authCall(t, base, http.MethodGet, "/api/schema/summary?branch=main", bearerOf(expired), "")
	if code != 401 || mustJSON(dig(body, "errors")) != `[{"extensions":{"code":401},"message":"Expired Signature"}]` {
		t.Errorf("REST with an expired token: %d %v", code, body)
	}
	if code, _, body = authCall(t, base, http.MethodGet, "/api/schema/summary?branch=main", bearerOf(fresh), ""); code != 200 {
		t.Errorf("REST replay with the refreshed token: %d %v", code, body)
	}
	// A garbage token in storage: AUTHENTICATION_REQUIRED (to /login), not a refresh.
	code, _, body = authCall(t, base, http.MethodPost, "/graphql/main", bearerOf("not-a-jwt"), profile)
	checkGraphQLAuthError(t, "invalid token", code, body, "AUTHENTICATION_REQUIRED", map[string]any{})

	// The logout, then the refresh token no longer works: the UI's refresh fails and it goes to
	// /login.
	code, _, body = authCall(t, base, http.MethodPost, "/api/auth/logout", map[string]string{"authorization": "Bearer " + fresh}, "")
	if code != 200 {
		t.Fatalf("logout: %d %v", code, body)
	}
	code, _, body = authCall(t, base, http.MethodPost, "/api/auth/refresh", map[string]string{"authorization": "Bearer " + refresh}, "")
	if code != 401 || !strings.Contains(errMessage(body), "invalidated") {
		t.Errorf("refresh after logout: %d %v; want 401", code, body)
	}
	if err := c.stop(); err != nil {
		t.Fatal(err)
	}

	// Anonymous access on: the UI skips the login page (require-auth.tsx) and its anonymous
	// queries are answered; logging in still works.
	env["INFRAHUB_DATA"], env["INFRAHUB_ALLOW_ANONYMOUS_ACCESS"] = t.TempDir(), "true"
	c = startChild(t, freeAddr(t), env)
	if code, _, cfg = authCall(t, c.base, http.MethodGet, "/api/config", nil, ""); code != 200 || dig(cfg, "main", "allow_anonymous_access") != true {
		t.Errorf("GET /api/config with anonymous access: %d %v", code, dig(cfg, "main"))
	}
	code, _, body = authCall(t, c.base, http.MethodPost, "/graphql/main", nil, `{"query": "{ CoreAccount { count } }"}`)
	if code != 200 || body["errors"] != nil {
		t.Errorf("anonymous GraphQL with anonymous access: %d %v", code, body)
	}
	code, _, body = authCall(t, c.base, http.MethodPost, "/api/auth/login", nil, `{"username":"admin","password":"`+testAdminPass+`"}`)
	if code != 200 || body["access_token"] == nil {
		t.Fatalf("login with anonymous access: %d %v", code, body)
	}
	code, _, body = authCall(t, c.base, http.MethodPost, "/graphql/main", bearerOf(body["access_token"].(string)), profile)
	if code != 200 || dig(body, "data", "AccountProfile", "name", "value") != "admin" {
		t.Errorf("GetAccountProfile with anonymous access: %d %v", code, body)
	}
}

// checkGraphQLAuthError checks a 401 in Infrahub's GraphQL error envelope
// (backend/infrahub/api/exception_handlers.py, _graphql_envelope): {data: null, errors: [{message,
// extensions: {code, http_status, data}}]} with the error catalogue's code.
func checkGraphQLAuthError(t *testing.T, what string, code int, body map[string]any, want string, data map[string]any) {
	t.Helper()
	errs, _ := body["errors"].([]any)
	if code != 401 || body["data"] != nil || len(errs) != 1 || errMessage(body) == "" {
		t.Errorf("%s: %d %v; want 401 with one error", what, code, body)
		return
	}
	ext := dig(errs[0], "extensions")
	if mustJSON(ext) != mustJSON(map[string]any{"code": want, "http_status": 401, "data": data}) {
		t.Errorf("%s: extensions %v; want code %s, http_status 401, data %v", what, ext, want, data)
	}
}
