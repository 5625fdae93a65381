package commands_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/sqlite"
	"github.com/infrahub-go/infrahub/limits"
)

func newEndpoint(t *testing.T) (*commands.Endpoint, *sqlite.Store) {
	t.Helper()
	log, _, app, _ := newApp(t)
	return &commands.Endpoint{Commands: app, MaxBodyBytes: limits.Default().BodyBytes}, log
}

func post(h http.Handler, method, body string) (int, map[string]any) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, "/api/commands", strings.NewReader(body)))
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, out
}

func TestEndpointErrorsNameTheProblem(t *testing.T) {
	h, store := newEndpoint(t)
	cases := []struct {
		name, method, body string
		status             int
		code, mention      string
	}{
		{"wrong method", http.MethodGet, ``, 405, "method_not_allowed", "POST"},
		{"not JSON", http.MethodPost, `type=x`, 400, "invalid_command", "body"},
		{"missing type", http.MethodPost, `{"payload":{}}`, 400, "invalid_command", `"type" is required`},
		{"unknown type", http.MethodPost, `{"type":"node.explode"}`, 400, "unknown_command", `node.explode`},
		{"unknown field", http.MethodPost, `{"type":"diagnostic.record","colour":"red"}`, 400, "invalid_command", `"colour"`},
		{"unknown payload field", http.MethodPost, `{"type":"diagnostic.record","payload":{"dat":1}}`, 400, "invalid_command", `"dat"`},
		{"two values", http.MethodPost, `{"type":"diagnostic.record"} {}`, 400, "invalid_command", "more than one"},
		{"long id", http.MethodPost, fmt.Sprintf(`{"type":"diagnostic.record","id":%q}`, strings.Repeat("x", 201)), 400, "invalid_command", `"id"`},
	}
	for _, c := range cases {
		status, body := post(h, c.method, c.body)
		e, _ := body["error"].(map[string]any)
		if status != c.status || e["code"] != c.code || !strings.Contains(fmt.Sprint(e["message"]), c.mention) {
			t.Errorf("%s: %d %v; want %d %s mentioning %q", c.name, status, body, c.status, c.code, c.mention)
		}
	}
	if head, _ := store.Head(context.Background()); head != 0 {
		t.Fatalf("rejected commands wrote %d events", head)
	}
}

// A body over the endpoint's limit (limits.BodyBytes) is refused naming the setting, and
// nothing is written.
func TestEndpointBodyLimit(t *testing.T) {
	h, store := newEndpoint(t)
	h.MaxBodyBytes = 64
	status, body := post(h, http.MethodPost, fmt.Sprintf(`{"type":"diagnostic.record","payload":{"data":{"note":%q}}}`, strings.Repeat("x", 100)))
	e, _ := body["error"].(map[string]any)
	if status != http.StatusRequestEntityTooLarge || e["code"] != "limit_exceeded" || !strings.Contains(fmt.Sprint(e["message"]), "INFRAHUB_MAX_BODY_BYTES") {
		t.Fatalf("a body over 64 bytes: %d %v; want 413 limit_exceeded naming INFRAHUB_MAX_BODY_BYTES", status, body)
	}
	if status, _ := post(h, http.MethodPost, `{"type":"diagnostic.record","payload":{"data":{}}}`); status != http.StatusOK {
		t.Fatalf("a body under the limit: %d", status)
	}
	if head, _ := store.Head(context.Background()); head != 1 {
		t.Fatalf("log head %d; want the one command under the limit", head)
	}
}

func TestEndpointAppendsOnceByID(t *testing.T) {
	h, store := newEndpoint(t)
	body := `{"type":"diagnostic.record","id":"abc","payload":{"data":{"device":"atl1-edge1"}}}`
	status, first := post(h, http.MethodPost, body)
	if status != 200 || first["stream"] != string(events.DiagnosticsStream) || first["duplicate"] != nil {
		t.Fatalf("first: %d %v", status, first)
	}
	status, again := post(h, http.MethodPost, body)
	if status != 200 || again["duplicate"] != true || fmt.Sprint(again["positions"]) != fmt.Sprint(first["positions"]) {
		t.Fatalf("again: %d %v", status, again)
	}
	evs, err := store.ReadAll(context.Background(), 0, 10)
	if err != nil || len(evs) != 1 {
		t.Fatalf("log holds %d events, %v", len(evs), err)
	}
	cat := events.NewCatalogueWithCore()
	v, err := cat.Decode(evs[0])
	if err != nil {
		t.Fatal(err)
	}
	if got := string(v.(events.DiagnosticRecorded).Data); got != `{"device":"atl1-edge1"}` || evs[0].Metadata.CommandID != "abc" {
		t.Fatalf("stored %s with command id %q", got, evs[0].Metadata.CommandID)
	}
}

func TestStatusOf(t *testing.T) {
	cases := []struct {
		err    error
		status int
		code   string
	}{
		{fmt.Errorf("x: %w", commands.ErrInvalid), 400, "invalid_command"},
		{fmt.Errorf("x: %w", events.ErrInvalidEvent), 400, "invalid_command"},
		{fmt.Errorf("x: %w", commands.ErrUnknown), 400, "unknown_command"},
		{&events.VersionConflictError{Stream: "s", Expected: 1, Actual: 2}, 409, "version_conflict"},
		{fmt.Errorf("x: %w", context.Canceled), 503, "unavailable"},
		{errors.New("disk on fire"), 500, "internal"},
	}
	for _, c := range cases {
		if status, code := commands.StatusOf(c.err); status != c.status || code != c.code {
			t.Errorf("%v: %d %s, want %d %s", c.err, status, code, c.status, c.code)
		}
	}
}
