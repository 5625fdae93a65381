package rest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"gocloud.dev/blob/memblob"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/queries/rest"
	"github.com/infrahub-go/infrahub/storage"
)

// storageServer serves rest.Storage over a memory bucket; every request acts for id (as the
// authentication middleware would set it).
func storageServer(t *testing.T, id *authz.Identity, maxBytes int64) (*httptest.Server, *storage.Store) {
	t.Helper()
	b := memblob.OpenBucket(nil)
	t.Cleanup(func() { _ = b.Close() })
	st, err := storage.New(storage.Config{Bucket: b, MaxBytes: maxBytes})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	(&rest.Storage{Store: st, MaxBodyBytes: 1 << 20}).Register(mux)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r.WithContext(authz.With(r.Context(), id)))
	}))
	t.Cleanup(srv.Close)
	return srv, st
}

var storageAccount = &authz.Identity{AccountID: "a1", Name: "admin", AccountType: "User"}

// sdkHeaders are the headers of every request of the SDK's client (infrahub_sdk/client.py,
// BaseClient.__init__: {"content-type": "application/json"} and X-INFRAHUB-KEY when an API token
// is configured); ObjectStore adds X-Infrahub-Tracker when asked.
func sdkRequest(t *testing.T, method, url, body string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("content-type", "application/json")
	req.Header.Set("X-INFRAHUB-KEY", "06438eb2-8019-4776-878c-0941b1f1d1ec")
	req.Header.Set("X-Infrahub-Tracker", "upload-artifact")
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, out
}

// The SDK's ObjectStore.upload and ObjectStore.get (infrahub_sdk/object_store.py):
// POST {address}/api/storage/upload/content with payload={"content": content}, answered as
// Infrahub's UploadResponse {"identifier", "checksum"} (backend/infrahub/api/storage.py, the
// checksum is hashlib.md5 of the UTF-8 content); then GET {address}/api/storage/object/{identifier}
// answers the content, which the SDK reads as resp.text.
func TestStorageSDKUploadAndGet(t *testing.T) {
	srv, _ := storageServer(t, storageAccount, 0)
	content := "hostname atl1-edge1\n!\ninterface Ethernet1\n   description \"to atl1-core1\" é\n"
	body, _ := json.Marshal(map[string]string{"content": content})
	code, h, out := sdkRequest(t, "POST", srv.URL+"/api/storage/upload/content", string(body))
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		t.Fatalf("upload: %d %s %s", code, h.Get("Content-Type"), out)
	}
	var up map[string]any
	if err := json.Unmarshal(out, &up); err != nil {
		t.Fatal(err)
	}
	if len(up) != 2 || up["identifier"] != storage.IDOf([]byte(content)) || up["checksum"] != storage.ChecksumOf([]byte(content)) {
		t.Fatalf("upload answered %s", out)
	}
	code, h, out = sdkRequest(t, "GET", srv.URL+"/api/storage/object/"+up["identifier"].(string), "")
	if code != http.StatusOK || string(out) != content {
		t.Fatalf("get: %d %q", code, out)
	}
	if h.Get("Content-Type") != "application/octet-stream" || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("get headers: %v", h)
	}
	// the same content again: the same identifier
	_, _, again := sdkRequest(t, "POST", srv.URL+"/api/storage/upload/content", string(body))
	var up2 map[string]any
	if err := json.Unmarshal(again, &up2); err != nil || up2["identifier"] != up["identifier"] || up2["checksum"] != up["checksum"] {
		t.Fatalf("second upload answered %s", again)
	}
}

// errorsOf reads Infrahub's error body, which the SDK reads on 401 and 403
// ([error.get("message") for error in response.get("errors")]).
func errorsOf(t *testing.T, out []byte) (messages []string, codes []float64) {
	t.Helper()
	var body struct {
		Data   any `json:"data"`
		Errors []struct {
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(out, &body); err != nil || body.Data != nil || len(body.Errors) == 0 {
		t.Fatalf("not Infrahub's error body: %s (%v)", out, err)
	}
	for _, e := range body.Errors {
		messages = append(messages, e.Message)
		c, _ := e.Extensions["code"].(float64)
		codes = append(codes, c)
	}
	return messages, codes
}

func TestStorageErrors(t *testing.T) {
	srv, _ := storageServer(t, storageAccount, 16)
	missing := storage.IDOf([]byte("never stored"))
	cases := []struct {
		name, method, path, body string
		status                   int
		message                  string
	}{
		{"missing object", "GET", "/api/storage/object/" + missing, "", 404, missing},
		{"not a UUID", "GET", "/api/storage/object/config.txt", "", 400, `"config.txt" is not a UUID`},
		{"no content", "POST", "/api/storage/upload/content", `{}`, 400, "field content is required"},
		{"content not a string", "POST", "/api/storage/upload/content", `{"content": 1}`, 400, "body"},
		{"unknown field", "POST", "/api/storage/upload/content", `{"content": "x", "name": "y"}`, 400, `unknown field "name"`},
		{"too large", "POST", "/api/storage/upload/content", `{"content": "0123456789abcdefg"}`, 413, "INFRAHUB_STORAGE_MAX_BYTES"},
		{"body too large", "POST", "/api/storage/upload/content", `{"content": "` + strings.Repeat("x", 1<<20) + `"}`, 413, "INFRAHUB_MAX_BODY_BYTES"},
		{"file not multipart", "POST", "/api/storage/upload/file", `{}`, 400, "multipart/form-data"},
	}
	for _, c := range cases {
		code, _, out := sdkRequest(t, c.method, srv.URL+c.path, c.body)
		if code != c.status {
			t.Errorf("%s: %d %s; want %d", c.name, code, out, c.status)
			continue
		}
		messages, codes := errorsOf(t, out)
		if !strings.Contains(messages[0], c.message) || codes[0] != float64(c.status) {
			t.Errorf("%s: %v %v; want a message with %q", c.name, messages, codes, c.message)
		}
	}
}

// multipartBody is a form with the file in the field "file" as httpx sends
// files={"file": (name, content, "text/plain")}, with other fields before it.
func multipartBody(t *testing.T, field, name, content string) (string, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.WriteField("comment", "ignored"); err != nil {
		t.Fatal(err)
	}
	fw, err := mw.CreateFormFile(field, name)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.WriteString(fw, content)
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType(), &buf
}

// POST /api/storage/upload/file (Infrahub's upload_file: UploadFile in the field "file") stores
// the file's bytes and answers {"identifier", "checksum"}.
func TestStorageUploadFile(t *testing.T) {
	srv, st := storageServer(t, storageAccount, 64)
	upload := func(field, content string) (int, []byte) {
		ct, body := multipartBody(t, field, "startup-config.txt", content)
		req, _ := http.NewRequest("POST", srv.URL+"/api/storage/upload/file", body)
		req.Header.Set("Content-Type", ct)
		req.Header.Set("X-INFRAHUB-KEY", "06438eb2-8019-4776-878c-0941b1f1d1ec")
		code, _, out := do(t, req)
		return code, out
	}
	content := "\x00\x01binary\xff content"
	code, out := upload("file", content)
	if code != http.StatusOK {
		t.Fatalf("upload: %d %s", code, out)
	}
	var up map[string]string
	if err := json.Unmarshal(out, &up); err != nil || up["identifier"] != storage.IDOf([]byte(content)) ||
		up["checksum"] != storage.ChecksumOf([]byte(content)) {
		t.Fatalf("upload answered %s", out)
	}
	got, err := st.Get(t.Context(), up["identifier"])
	if err != nil || string(got) != content {
		t.Fatalf("stored %q, %v", got, err)
	}
	code, out = upload("document", content)
	if msgs, _ := errorsOf(t, out); code != http.StatusBadRequest || !strings.Contains(msgs[0], "field file is missing") {
		t.Fatalf("without the field file: %d %s", code, out)
	}
	code, out = upload("file", strings.Repeat("x", 65))
	if msgs, _ := errorsOf(t, out); code != http.StatusRequestEntityTooLarge || !strings.Contains(msgs[0], "INFRAHUB_STORAGE_MAX_BYTES") {
		t.Fatalf("too large: %d %s", code, out)
	}
	req, _ := http.NewRequest("POST", srv.URL+"/api/storage/upload/file", strings.NewReader("--x\r\nbroken"))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	code, _, out = do(t, req)
	if msgs, _ := errorsOf(t, out); code != http.StatusBadRequest || !strings.Contains(msgs[0], "body") {
		t.Fatalf("broken multipart: %d %s", code, out)
	}
}

// Anonymous requests read objects (the authentication middleware has let them through: anonymous
// access is allowed) but may not upload, as Infrahub's get_current_user refuses anonymous POSTs;
// the refusal is a 403 in Infrahub's error body, whose messages the SDK raises as
// AuthenticationError.
func TestStorageAnonymous(t *testing.T) {
	srv, st := storageServer(t, authz.Anonymous, 0)
	obj, err := st.Put(t.Context(), []byte("artifact"))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/api/storage/object/"+obj.ID, nil)
	if code, _, out := do(t, req); code != http.StatusOK || string(out) != "artifact" {
		t.Fatalf("anonymous get: %d %s", code, out)
	}
	req, _ = http.NewRequest("POST", srv.URL+"/api/storage/upload/content", strings.NewReader(`{"content": "x"}`))
	req.Header.Set("Content-Type", "application/json")
	code, _, out := do(t, req)
	if msgs, codes := errorsOf(t, out); code != http.StatusForbidden || codes[0] != 403 || !strings.Contains(msgs[0], "sign in") {
		t.Fatalf("anonymous upload/content: %d %s", code, out)
	}
	ct, body := multipartBody(t, "file", "a.txt", "x")
	req, _ = http.NewRequest("POST", srv.URL+"/api/storage/upload/file", body)
	req.Header.Set("Content-Type", ct)
	if code, _, out := do(t, req); code != http.StatusForbidden {
		t.Fatalf("anonymous upload/file: %d %s", code, out)
	}
	if ok, _ := st.Exists(t.Context(), storage.IDOf([]byte("x"))); ok {
		t.Fatal("an anonymous upload was stored")
	}
}
