package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/sqlite"
	"github.com/infrahub-go/infrahub/internal/benchschema"
	"github.com/infrahub-go/infrahub/projections"
)

// chainAdmin is an account allowed everything, as bench row 13's admin is.
var chainAdmin = &authz.Identity{AccountID: "18b2c3a4-0000-4000-8000-0000000000ad", Name: "admin", AccountType: "User",
	Permissions: authz.NewPermissions([]authz.GlobalPermission{{Action: authz.SuperAdmin, Decision: authz.AllowAll}}, nil)}

// chainService is the application over a SQLite log folded inline, with benchschema.HTTP loaded and
// one device (chainDevice).
func chainService(tb testing.TB) *Service {
	tb.Helper()
	ctx := context.Background()
	log, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(tb.TempDir(), "e.db")}, slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = log.Close() })
	store, err := nodes.New()
	if err != nil {
		tb.Fatal(err)
	}
	fold := projections.NewInline(log, store)
	s, err := New(Config{Log: log, Catalogue: store.Catalogue(), State: store, WaitFor: fold.WaitFor, Decoded: fold.Decoded})
	if err != nil {
		tb.Fatal(err)
	}
	raw, _ := json.Marshal(benchschema.HTTP)
	p, _ := json.Marshal(LoadSchema{Schemas: []json.RawMessage{raw}})
	if _, err := s.Dispatch(ctx, Command{Type: TypeLoadSchema, Payload: p}); err != nil {
		tb.Fatal(err)
	}
	dev := fmt.Appendf(nil, `{"kind":"BenchDevice","id":%q,"data":{"name":"dev-0001"}}`, chainDevice)
	if _, err := s.Dispatch(ctx, Command{Type: TypeCreateNode, Payload: dev}); err != nil {
		tb.Fatal(err)
	}
	return s
}

// cpuTime is the CPU time (user and system) this process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

const chainDevice = "18b2c3a4-0000-4000-8000-000000000001"

var updateGolden = flag.Bool("update", false, "rewrite testdata/endpoint_golden.txt")

// The endpoint answers every request with the same status, headers and bytes as it did before
// its fast paths (testdata/endpoint_golden.txt was written by the endpoint that decoded every
// payload through encoding/json): node.creates that succeed, and the refusals of their envelope,
// payload, data and authorization.
func TestEndpointGolden(t *testing.T) {
	s := chainService(t)
	e := &Endpoint{Commands: s}
	none := &authz.Identity{AccountID: "18b2c3a4-0000-4000-8000-0000000000ee", Name: "reader", AccountType: "User",
		Permissions: authz.NewPermissions(nil, nil)}
	// editor may write on the default branch, but no kind
	editor := &authz.Identity{AccountID: "18b2c3a4-0000-4000-8000-0000000000ed", Name: "editor", AccountType: "User",
		Permissions: authz.NewPermissions([]authz.GlobalPermission{{Action: authz.EditDefaultBranch, Decision: authz.AllowAll}}, nil)}
	id := func(n int) string { return fmt.Sprintf("18b2c3a4-0000-4000-8000-%012d", 100+n) }
	iface := func(n int, extra string) string {
		return fmt.Sprintf(`{"type":"node.create","payload":{"kind":"BenchInterface","id":%q,"data":{"name":"if-%d","description":"created over HTTP","mtu":9000,"enabled":true,"device":{"id":%q}}%s}}`,
			id(n), n, chainDevice, extra)
	}
	cases := []struct {
		method, body string
		who          *authz.Identity
	}{
		{"POST", iface(1, ""), chainAdmin},
		{"POST", iface(2, `,"branch":"main"`), chainAdmin},
		{"POST", iface(3, ""), nil},
		{"POST", iface(1, ""), chainAdmin}, // the same id again
		{"POST", iface(4, `,"extra":1`), chainAdmin},
		{"POST", iface(5, `,"branch":"nope"`), chainAdmin},
		{"POST", iface(6, ""), none},
		{"POST", iface(7, `,"branch":null`), chainAdmin},
		{"POST", iface(8, `,"Branch":"main"`), chainAdmin},
		{"POST", strings.Replace(iface(9, ""), `"kind"`, `"Kind"`, 1), chainAdmin},
		{"POST", strings.Replace(iface(10, ""), `"name":"if-10"`, `"na\u006de":"if-10"`, 1), chainAdmin},
		{"POST", strings.Replace(iface(11, ""), `"mtu":9000`, `"mtu":9000,"mtu":1400`, 1), chainAdmin},
		{"POST", strings.Replace(iface(12, ""), `"mtu":9000`, `"mtu":"big"`, 1), chainAdmin},
		{"POST", strings.Replace(iface(13, ""), `"mtu":9000`, `"speed":10`, 1), chainAdmin},
		{"POST", strings.Replace(iface(14, ""), `"name":"if-14",`, ``, 1), chainAdmin},
		{"POST", strings.Replace(iface(15, ""), `BenchInterface`, `BenchNothing`, 1), chainAdmin},
		{"POST", strings.Replace(iface(16, ""), id(16), "not-a-uuid", 1), chainAdmin},
		{"POST", strings.Replace(iface(17, ""), `"device":{"id":"`+chainDevice+`"}`, `"device":{"id":"18b2c3a4-0000-4000-8000-0000000000ff"}`, 1), chainAdmin},
		{"POST", strings.Replace(iface(18, ""), `"name":"if-18"`, `"name":"<if-18>"`, 1), chainAdmin},
		{"POST", strings.Replace(iface(19, ""), `"name":"if-19"`, `"name":"if-\u00e9"`, 1), chainAdmin},
		{"POST", `{"type":"node.create","payload":{"kind":"BenchInterface","data":null}}`, chainAdmin},
		{"POST", `{"type":"node.create","payload":{"kind":"BenchInterface","data":[]}}`, chainAdmin},
		{"POST", `{"type":"node.create","payload":{"kind":"BenchInterface"}}`, chainAdmin},
		{"POST", `{"type":"node.create","payload":{"kind":"BenchInterface","data":{}}}`, chainAdmin},
		{"POST", `{"type":"node.create","payload":[]}`, chainAdmin},
		{"POST", `{"type":"node.create","payload":null}`, chainAdmin},
		{"POST", `{"type":"node.create","payload":"x"}`, chainAdmin},
		{"POST", `{"type":"node.create"}`, chainAdmin},
		{"POST", `{"type":"node.create","payload":{"kind":"BenchInterface","data":{"name":1}},"x":1}`, chainAdmin},
		{"POST", `{"type":"node.nothing","payload":{}}`, chainAdmin},
		{"POST", `{"payload":{}}`, chainAdmin},
		{"POST", `{"type":"node.create","payload":{}`, chainAdmin},
		{"POST", ``, chainAdmin},
		{"POST", `{"type":"node.create","payload":{}} {}`, chainAdmin},
		{"POST", `{"type":"node.create","payload":{"kind":"BenchInterface","data":{"name":"x"}}, "id":"` + strings.Repeat("x", 201) + `"}`, chainAdmin},
		{"POST", strings.Replace(iface(20, ""), `"type":"node.create",`, `"type":"node.create","id":"cmd-20",`, 1), chainAdmin},
		{"POST", strings.Replace(iface(20, ""), `"type":"node.create",`, `"type":"node.create","id":"cmd-20",`, 1), chainAdmin},
		{"POST", strings.Replace(iface(21, ""), `"type":"node.create",`, `"type":"node.create","id":"cmd-20",`, 1), chainAdmin},
		{"POST", `{"type":"node.update","payload":{"id":"` + id(1) + `","data":{"mtu":1400}}}`, chainAdmin},
		{"POST", `{"type":"node.delete","payload":{"id":"` + id(2) + `"}}`, chainAdmin},
		{"POST", `{"type":"node.delete","payload":{"id":"` + id(2) + `","extra":true}}`, chainAdmin},
		{"GET", ``, chainAdmin},
		{"PUT", iface(22, ""), chainAdmin},
		{"POST", iface(23, ""), editor},
		{"POST", iface(24, `,"branch":"nope"`), editor},
		{"POST", strings.Replace(iface(25, ""), `BenchInterface`, `BenchNothing`, 1), editor},
		{"POST", `{"type":"node.delete","payload":{"id":"` + id(1) + `"}}`, editor},
	}
	var out bytes.Buffer
	for i, c := range cases {
		r := httptest.NewRequest(c.method, "/api/commands", strings.NewReader(c.body))
		if c.who != nil {
			r = r.WithContext(authz.With(r.Context(), c.who))
		}
		w := httptest.NewRecorder()
		e.ServeHTTP(w, r)
		if i == 0 { // the same request beyond a small body limit
			r := httptest.NewRequest(c.method, "/api/commands", strings.NewReader(c.body))
			w := httptest.NewRecorder()
			(&Endpoint{Commands: s, MaxBodyBytes: 64}).ServeHTTP(w, r.WithContext(authz.With(r.Context(), c.who)))
			fmt.Fprintf(&out, "## limit 64\n%d %v\n%s", w.Code, w.Header(), w.Body.Bytes())
		}
		fmt.Fprintf(&out, "## %d %s %s\n%d %v\n%s", i, c.method, c.body, w.Code, w.Header(), w.Body.Bytes())
	}
	golden := filepath.Join("testdata", "endpoint_golden.txt")
	if *updateGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		gl, wl := strings.Split(out.String(), "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Errorf("line %d:\n got %s\nwant %s", i+1, g, w)
			}
		}
	}
}

// BenchmarkEndpointChain is POST /api/commands of one node.create (bench row 13's) outside the
// branch's turn: the endpoint reads the body, the Service authorizes it for an account (the
// kind's schema read from the branch's view), the handler decodes and prepares the payload
// (createInput), the endpoint writes the answer. The turn is replaced by a fixed answer.
func BenchmarkEndpointChain(b *testing.B) {
	s := chainService(b)
	res := Result{Stream: "node-18b2c3a4-0000-4000-8000-000000000002", Positions: []events.Position{123456, 123457}, StreamVersion: 1,
		Data: NodeOutcome{ID: "18b2c3a4-0000-4000-8000-000000000002", Kind: "BenchInterface", HFID: []string{"dev-0001", "http-12345"},
			DisplayLabel: "http-12345", Outcome: "created"}}
	var kept CreateNode
	s.handlers[TypeCreateNode] = func(_ context.Context, cmd Command) (Result, error) {
		in, _, err := s.createInput(cmd.Payload)
		if err != nil {
			return Result{}, err
		}
		kept = in
		return res, nil
	}
	body := fmt.Appendf(nil, `{"type":"node.create","payload":{"kind":"BenchInterface","data":{"name":"http-12345","description":"created over HTTP","mtu":9000,"enabled":true,"device":{"id":%q}}}}`, chainDevice)
	e := &Endpoint{Commands: s}
	rd := bytes.NewReader(body)
	r, _ := http.NewRequestWithContext(authz.With(context.Background(), chainAdmin), http.MethodPost, "/api/commands", nil)
	r.Body = io.NopCloser(rd)
	w := &sinkWriter{h: http.Header{}}
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		rd.Reset(body)
		clear(w.h)
		w.n = 0
		e.ServeHTTP(w, r)
	}
	// The CPU time of the process (the collector's included) per request: wall time is what
	// neighbours on the machine leave of it.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
	if w.n == 0 || w.h.Get("Content-Type") != "application/json" || kept.Kind != "BenchInterface" {
		b.Fatalf("answer: %d bytes, %v, %+v", w.n, w.h, kept)
	}
	runtime.KeepAlive(kept)
}
