package main

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	testSecretKey  = "test-secret-key-0123456789abcdef"
	testAdminPass  = "Adm1n-Secret-Pass"
	testAdminToken = "06438eb2-8019-4776-878c-0941b1f1d1ec"
	testAlicePass  = "Al1ce-Clear-Pass"
)

// authCall sends a request with a JSON body and headers and answers the status, the headers and
// the decoded body.
func authCall(t *testing.T, base, method, path string, hdr map[string]string, body string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("content-type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if req.Header.Get("X-INFRAHUB-KEY") == "" && req.Header.Get("Authorization") == "" {
		req.Header.Set(anonymousHeader, "1") // no credentials given: anonymous, not the suite's admin
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, resp.Header, out
}

func bearerOf(tok string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + tok}
}

func errMessage(body map[string]any) string {
	errs, _ := body["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	m, _ := errs[0].(map[string]any)
	s, _ := m["message"].(string)
	return s
}

// Accounts and login over a real server, with the requests of the Python SDK
// (opsmill/infrahub-sdk-python infrahub_sdk/client.py, InfrahubClient.login: POST /api/auth/login
// with {"username", "password"}; with refresh=True, POST /api/auth/refresh with
// "Authorization: Bearer <refresh_token>"; a 401 whose error message is "Expired Signature" makes
// it refresh): the admin account exists at first start, passwords are stored hashed and never
// answered, access tokens and API tokens identify their account, an expired access token and a
// revoked refresh token are refused with 401, failed logins are limited with 429, and neither the
// event log nor the server's log holds a clear password or token.
func TestAccountsAndLogin(t *testing.T) {
	data := t.TempDir()
	env := map[string]string{"INFRAHUB_DATA": data, "INFRAHUB_SECURITY_SECRET_KEY": testSecretKey,
		"INFRAHUB_INITIAL_ADMIN_PASSWORD": testAdminPass, "INFRAHUB_INITIAL_ADMIN_TOKEN": testAdminToken,
		"INFRAHUB_LOGIN_MAX_FAILURES_PER_ACCOUNT": "3"}
	addr := freeAddr(t)
	c := startChild(t, addr, env)
	var secrets []string // every clear secret seen: none may be stored or logged

	// The SDK's login.
	code, _, body := authCall(t, c.base, "POST", "/api/auth/login", nil, `{"username": "admin", "password": "`+testAdminPass+`"}`)
	access, _ := body["access_token"].(string)
	refresh, _ := body["refresh_token"].(string)
	if code != 200 || access == "" || refresh == "" || len(body) != 2 {
		t.Fatalf("login: %d %v", code, body)
	}
	secrets = append(secrets, access, refresh)
	claims := map[string]any{}
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(access, ".")[1])
	_ = json.Unmarshal(payload, &claims)
	for _, k := range []string{"sub", "iat", "nbf", "exp", "fresh", "type", "session_id"} {
		if _, ok := claims[k]; !ok {
			t.Errorf("access token claims %v lack %q", claims, k)
		}
	}
	if claims["type"] != "access" {
		t.Errorf("access token type %v", claims["type"])
	}
	if exp, iat := claims["exp"].(float64), claims["iat"].(float64); exp-iat != 3600 {
		t.Errorf("access token lifetime %v s, want 3600", exp-iat)
	}

	// An account created through GraphQL with a bearer token: its password is stored hashed and
	// answered as null.
	mutation := `{"query": "mutation { CoreAccountCreate(data: {name: {value: \"alice\"}, password: {value: \"` + testAlicePass + `\"}}) { ok object { id } } }"}`
	code, _, body = authCall(t, c.base, "POST", "/graphql", bearerOf(access), mutation)
	if code != 200 || body["errors"] != nil {
		t.Fatalf("create alice: %d %v", code, body)
	}
	secrets = append(secrets, testAlicePass, testAdminPass, testAdminToken)
	code, _, body = authCall(t, c.base, "POST", "/graphql", nil, `{"query": "{ CoreAccount { edges { node { name { value } password { value } } } } }"}`)
	if code != 200 || !strings.Contains(mustJSON(body), `"alice"`) || strings.Contains(mustJSON(body), "$2") {
		t.Fatalf("anonymous accounts query: %d %v", code, body)
	}
	for _, edge := range body["data"].(map[string]any)["CoreAccount"].(map[string]any)["edges"].([]any) {
		if v := edge.(map[string]any)["node"].(map[string]any)["password"].(map[string]any)["value"]; v != nil {
			t.Errorf("a password was answered: %v", v)
		}
	}
	for _, path := range []string{"/api/nodes/CoreAccount", "/api/dump", "/api/nodes/InternalAccountToken"} {
		_, _, raw := rawGet(t, c.base+path)
		if strings.Contains(raw, "$2a$") || strings.Contains(raw, "sha256:") || strings.Contains(raw, testAlicePass) {
			t.Errorf("%s answers a password hash or a token digest: %.300s", path, raw)
		}
	}

	// alice logs in; wrong passwords are refused with Infrahub's body, then limited.
	code, _, body = authCall(t, c.base, "POST", "/api/auth/login", nil, `{"username": "alice", "password": "`+testAlicePass+`"}`)
	if code != 200 {
		t.Fatalf("alice login: %d %v", code, body)
	}
	aliceAccess := body["access_token"].(string)
	secrets = append(secrets, aliceAccess, body["refresh_token"].(string))
	for i := 0; i < 3; i++ {
		code, _, body = authCall(t, c.base, "POST", "/api/auth/login", nil, `{"username": "alice", "password": "wrong-guess"}`)
		if code != 401 || errMessage(body) != "Incorrect password" || body["data"] != nil {
			t.Fatalf("wrong password %d: %d %v", i, code, body)
		}
	}
	code, hdr, body := authCall(t, c.base, "POST", "/api/auth/login", nil, `{"username": "alice", "password": "`+testAlicePass+`"}`)
	if code != 429 || hdr.Get("Retry-After") == "" {
		t.Errorf("login after 3 failures: %d Retry-After %q %v; want 429 with Retry-After", code, hdr.Get("Retry-After"), body)
	}

	// The SDK's refresh, then a logout revokes the session: its refresh token is refused.
	code, _, body = authCall(t, c.base, "POST", "/api/auth/refresh", bearerOf(refresh), "")
	if code != 200 || body["access_token"] == nil || len(body) != 1 {
		t.Fatalf("refresh: %d %v", code, body)
	}
	secrets = append(secrets, body["access_token"].(string))
	if code, _, body = authCall(t, c.base, "POST", "/api/auth/refresh", bearerOf(access), ""); code != 401 {
		t.Errorf("refresh with an access token: %d %v", code, body)
	}
	if code, _, body = authCall(t, c.base, "POST", "/api/auth/logout", bearerOf(access), ""); code != 200 {
		t.Fatalf("logout: %d %v", code, body)
	}
	code, _, body = authCall(t, c.base, "POST", "/api/auth/refresh", bearerOf(refresh), "")
	if code != 401 || !strings.Contains(errMessage(body), "invalidated") {
		t.Errorf("refresh after logout: %d %v; want 401 invalidated", code, body)
	}

	// An expired access token: 401 "Expired Signature", which makes the SDK refresh.
	expired, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": claims["sub"], "session_id": claims["session_id"],
		"type": "access", "fresh": false, "iat": time.Now().Add(-2 * time.Hour).Unix(), "exp": time.Now().Add(-time.Hour).Unix()}).
		SignedString([]byte(testSecretKey))
	forged, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": claims["sub"], "session_id": claims["session_id"],
		"type": "access", "exp": time.Now().Add(time.Hour).Unix()}).SignedString([]byte("another-key-0123456789abcdef"))
	query := `{"query": "{ BuiltinTag { count } }"}`
	for name, tc := range map[string]struct {
		hdr  map[string]string
		code int
		msg  string
	}{
		"expired access token":    {bearerOf(expired), 401, "Expired Signature"},
		"token of another key":    {bearerOf(forged), 401, "Invalid token"},
		"refresh token as access": {bearerOf(refresh), 401, "not an access token"},
		"admin API token":         {map[string]string{"X-INFRAHUB-KEY": testAdminToken}, 200, ""},
		"unknown API token":       {map[string]string{"X-INFRAHUB-KEY": "not-a-token"}, 401, "Invalid token"},
		"alice's access token":    {bearerOf(aliceAccess), 200, ""},
		"anonymous":               {nil, 200, ""},
	} {
		code, _, body := authCall(t, c.base, "POST", "/graphql", tc.hdr, query)
		if code != tc.code || !strings.Contains(errMessage(body), tc.msg) {
			t.Errorf("%s: %d %v; want %d %q", name, code, body, tc.code, tc.msg)
		}
	}

	// After a restart: the admin is not created again, the revoked session stays revoked, the
	// key is the same.
	if err := c.stop(); err != nil {
		t.Fatal(err)
	}
	c = startChild(t, addr, env)
	if code, _, body = authCall(t, c.base, "POST", "/api/auth/refresh", bearerOf(refresh), ""); code != 401 {
		t.Errorf("revoked refresh token after a restart: %d %v", code, body)
	}
	if code, _, body = authCall(t, c.base, "POST", "/graphql", bearerOf(aliceAccess), query); code != 200 {
		t.Errorf("alice's access token after a restart: %d %v", code, body)
	}
	code, _, body = authCall(t, c.base, "POST", "/graphql", nil, `{"query": "{ CoreAccount(name__value: \"admin\") { count } }"}`)
	if mustJSON(body) != `{"data":{"CoreAccount":{"count":1}}}` {
		t.Errorf("admin accounts after a restart: %v", body)
	}
	if err := c.stop(); err != nil {
		t.Fatal(err)
	}
	scanForSecrets(t, data, c.logs.String(), secrets)
}

// scanForSecrets fails when a stored file under data or the log holds one of secrets.
func scanForSecrets(t *testing.T, data, logs string, secrets []string) {
	t.Helper()
	_ = filepath.Walk(data, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, s := range secrets {
			if strings.Contains(string(b), s) {
				t.Errorf("%s holds the clear secret %.12s…", path, s)
			}
		}
		return nil
	})
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("the server log holds the clear secret %.12s…", s)
		}
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func rawGet(t *testing.T, url string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}
