package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events/bus"
	"github.com/infrahub-go/infrahub/internal/benchschema"
	"github.com/infrahub-go/infrahub/projections"
	"github.com/infrahub-go/infrahub/projections/counter"
)

// Scenarios 7 and 8 measure the product as users meet it: the infrahub binary, built from this
// checkout and started with `serve` (embedded: SQLite and the in-process bus; --distributed: two
// servers on PostgreSQL and RabbitMQ, writes on the first and reads on the second), answering
// GraphQL over loopback HTTP.

const (
	gqlDevices    = 1000
	gqlInterfaces = 48 // of the device of scenario 8c
	gqlBranch     = "bench-one-percent"
)

// gqlListQuery is scenario 8's document: every device with 5 attributes and its site.
const gqlListQuery = `{ BenchDevice { count edges { node { id
	name { value } description { value } serial { value } asn { value } enabled { value }
	site { node { id display_label } } } } } }`

// gqlDeviceQuery is one device with its interfaces.
const gqlDeviceQuery = `query($name: String!) { BenchDevice(name__value: $name) { edges { node { id name { value } serial { value }
	interfaces { count edges { node { id name { value } description { value } mtu { value } enabled { value } } } } } } } }`

// gqlVisibleQuery reads back the description scenario 7 writes.
const gqlVisibleQuery = `query($id: ID!) { BenchDevice(ids: [$id]) { edges { node { description { value } } } } }`

// serverProc is one `infrahub serve` child process.
type serverProc struct {
	base  string
	cmd   *exec.Cmd
	log   string
	debug string // http://host:port of its profiles (INFRAHUB_DEBUG_LISTEN) with --cpuprofile, else ""
}

// gqlWorld is the servers of scenarios 7 and 8, loaded with their data.
type gqlWorld struct {
	servers []*serverProc
	writer  *serverProc
	reader  *serverProc
	devices []string // ids
	client  *http.Client
	list    []byte // scenario 8's answer on main (the body of the HTTP baseline)
}

func (e *env) gqlWorld(ctx context.Context) (*gqlWorld, error) {
	if e.gql != nil {
		return e.gql, nil
	}
	if e.gqlErr != nil {
		return nil, e.gqlErr
	}
	bin, err := e.infrahubBinary(ctx)
	if err != nil {
		e.gqlErr = err
		return nil, err
	}
	token := rand.Text() // the servers' admin API token: every write of the scenarios is the admin's
	w := &gqlWorld{client: &http.Client{Timeout: 30 * time.Second, Transport: adminKey{token: token, base: http.DefaultTransport}}}
	e.gql = w // close stops whatever started, even on a later error
	environ := map[string]string{"INFRAHUB_LOG_LEVEL": "error", "INFRAHUB_INITIAL_ADMIN_TOKEN": token}
	instances := 1
	if e.cfg.distributed {
		instances = 2
		u, err := url.Parse(e.cfg.pgURL)
		if err != nil {
			return nil, err
		}
		schema := e.schema + "_gql"
		e.schemas = append(e.schemas, schema)
		q := u.Query()
		q.Set("schema", schema)
		u.RawQuery = q.Encode()
		ns := "bench-gql-" + e.runID
		topic := ns + ".events"
		environ["INFRAHUB_EVENTS_URL"] = u.String()
		environ["INFRAHUB_BROKER_URL"] = e.cfg.amqpURL
		environ["INFRAHUB_BROKER_NAMESPACE"] = ns
		e.exchanges = append(e.exchanges, topic)
		for i := range instances {
			inst := fmt.Sprintf("bench-%d", i+1)
			e.queues = append(e.queues, bus.QueueName(topic, projections.ConsumerName(counter.Name)+"@"+inst),
				bus.QueueName(topic, projections.ConsumerName(nodes.Name)+"@"+inst))
		}
	}
	for i := range instances {
		env := map[string]string{"INFRAHUB_DATA": filepath.Join(e.tmp, fmt.Sprintf("server-%d", i+1)),
			"INFRAHUB_INSTANCE": fmt.Sprintf("bench-%d", i+1)}
		for k, v := range environ {
			env[k] = v
		}
		if e.cfg.cpuProfile != "" {
			if env["INFRAHUB_DEBUG_LISTEN"], err = freePort(); err != nil {
				return nil, err
			}
		}
		s, err := startServer(ctx, bin, env, filepath.Join(e.tmp, fmt.Sprintf("server-%d.log", i+1)))
		if s != nil {
			w.servers = append(w.servers, s)
		}
		if err != nil {
			return nil, err
		}
	}
	w.writer, w.reader = w.servers[0], w.servers[len(w.servers)-1]
	e.progress("graphql: loading %d devices (one with %d interfaces) and a branch where 1 %% of them changed", gqlDevices, gqlInterfaces)
	if err := w.load(ctx); err != nil {
		return nil, err
	}
	return w, nil
}

// infrahubBinary builds ./cmd/infrahub from this checkout once and answers its path.
func (e *env) infrahubBinary(ctx context.Context) (string, error) {
	if e.bin != "" || e.binErr != nil {
		return e.bin, e.binErr
	}
	bin := filepath.Join(e.tmp, "infrahub")
	e.progress("building the infrahub binary")
	gomod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil || len(bytes.TrimSpace(gomod)) == 0 {
		e.binErr = fmt.Errorf("go env GOMOD: %v (run the harness inside the repository)", err)
		return "", e.binErr
	}
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/infrahub")
	build.Dir = filepath.Dir(string(bytes.TrimSpace(gomod)))
	if out, err := build.CombinedOutput(); err != nil {
		e.binErr = fmt.Errorf("go build ./cmd/infrahub: %w\n%s", err, out)
		return "", e.binErr
	}
	e.bin = bin
	return bin, nil
}

// freePort returns a loopback address nothing listens on now.
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

func startServer(ctx context.Context, bin string, env map[string]string, logPath string) (*serverProc, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "--listen", addr)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		return nil, fmt.Errorf("start %s serve: %w", bin, err)
	}
	_ = logf.Close()
	s := &serverProc{base: "http://" + addr, cmd: cmd, log: logPath}
	if d := env["INFRAHUB_DEBUG_LISTEN"]; d != "" {
		s.debug = "http://" + d
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(s.base + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			out, _ := os.ReadFile(logPath)
			return s, fmt.Errorf("infrahub serve on %s did not become healthy in 60 s: %s", addr, tail(out))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func tail(b []byte) string {
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// stop ends the servers (SIGTERM, then SIGKILL after 10 s).
func (w *gqlWorld) stop() error {
	var errs []error
	for _, s := range w.servers {
		if s.cmd.Process == nil {
			continue
		}
		_ = s.cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- s.cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = s.cmd.Process.Kill()
			<-done
			errs = append(errs, fmt.Errorf("infrahub serve at %s did not stop in 10 s", s.base))
		}
	}
	return errors.Join(errs...)
}

// post sends a JSON body and decodes a JSON answer, failing on a non-2xx status.
func (w *gqlWorld) post(ctx context.Context, u string, body any, out any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("POST %s: %s: %.500s", u, resp.Status, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("POST %s: %w", u, err)
		}
	}
	return nil
}

func (w *gqlWorld) command(ctx context.Context, typ string, payload any) (map[string]any, error) {
	var out map[string]any
	err := w.post(ctx, w.writer.base+"/api/commands", map[string]any{"type": typ, "payload": payload}, &out)
	return out, err
}

// gqlAnswer is a GraphQL answer.
type gqlAnswer struct {
	Data   json.RawMessage  `json:"data"`
	Errors []map[string]any `json:"errors"`
}

func (w *gqlWorld) query(ctx context.Context, s *serverProc, branch, query string, vars map[string]any) (gqlAnswer, error) {
	u := s.base + "/graphql"
	if branch != "" {
		u += "/" + branch
	}
	var a gqlAnswer
	if err := w.post(ctx, u, map[string]any{"query": query, "variables": vars}, &a); err != nil {
		return a, err
	}
	if len(a.Errors) > 0 {
		return a, fmt.Errorf("GraphQL errors: %v", a.Errors)
	}
	return a, nil
}

// load writes the schema, 10 sites, the devices (the first with its interfaces) and a branch on
// which 1 % of the devices changed, then waits until the reader sees all of it.
func (w *gqlWorld) load(ctx context.Context) error {
	if err := w.post(ctx, w.writer.base+"/api/schema/load", map[string]any{"schemas": []string{benchschema.HTTP}}, nil); err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	var ops []any
	for s := range 10 {
		ops = append(ops, map[string]any{"type": "node.create", "payload": map[string]any{"kind": "BenchSite",
			"data": map[string]any{"name": fmt.Sprintf("site-%d", s)}}})
	}
	for i := range gqlDevices {
		name := fmt.Sprintf("dev-%04d", i)
		ops = append(ops, map[string]any{"type": "node.create", "ref": name, "payload": map[string]any{"kind": "BenchDevice",
			"data": map[string]any{"name": name, "description": "a benchmark device", "serial": fmt.Sprintf("SN%08d", i),
				"asn": 64512 + i, "enabled": i%2 == 0, "site": []string{fmt.Sprintf("site-%d", i%10)}}}})
	}
	for k := range gqlInterfaces {
		ops = append(ops, map[string]any{"type": "node.create", "payload": map[string]any{"kind": "BenchInterface",
			"data": map[string]any{"name": fmt.Sprintf("Ethernet%d", k+1), "description": "uplink", "device": map[string]any{"ref": "dev-0000"}}}})
	}
	out, err := w.command(ctx, "batch", map[string]any{"operations": ops})
	if err != nil {
		return fmt.Errorf("devices: %w", err)
	}
	data, _ := out["data"].(map[string]any)
	list, _ := data["nodes"].([]any)
	for _, n := range list {
		n := n.(map[string]any)
		if n["kind"] == "BenchDevice" {
			w.devices = append(w.devices, n["id"].(string))
		}
	}
	if len(w.devices) != gqlDevices {
		return fmt.Errorf("the batch answered %d devices, want %d: %.300v", len(w.devices), gqlDevices, out)
	}
	if _, err := w.command(ctx, "branch.create", map[string]any{"name": gqlBranch}); err != nil {
		return err
	}
	for i := 0; i < gqlDevices; i += 100 {
		if _, err := w.command(ctx, "node.update", map[string]any{"branch": gqlBranch, "kind": "BenchDevice", "id": w.devices[i],
			"data": map[string]any{"description": "changed on the branch", "asn": 65000 + i}}); err != nil {
			return err
		}
	}
	// The reader (another process when distributed) has folded everything once the branch
	// answers its own change.
	deadline := time.Now().Add(30 * time.Second)
	for {
		a, err := w.query(ctx, w.reader, gqlBranch, gqlVisibleQuery, map[string]any{"id": w.devices[gqlDevices-100]})
		if err == nil && strings.Contains(string(a.Data), "changed on the branch") {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the reader did not see the branch's changes in 30 s (last: %v %s)", err, a.Data)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, br := range []string{"", gqlBranch} {
		a, err := w.query(ctx, w.reader, br, gqlListQuery, nil)
		if err != nil {
			return err
		}
		var page struct {
			BenchDevice struct {
				Count int
				Edges []any
			}
		}
		if err := json.Unmarshal(a.Data, &page); err != nil || page.BenchDevice.Count != gqlDevices || len(page.BenchDevice.Edges) != gqlDevices {
			return fmt.Errorf("list on %q: count %d, %d edges (%v)", br, page.BenchDevice.Count, len(page.BenchDevice.Edges), err)
		}
		if br == "" {
			w.list, _ = json.Marshal(a)
		}
	}
	return nil
}

// gqlLatency measures the p50 of one GraphQL document on the reader, 1 client.
func (e *env) gqlLatency(branch, query string, vars map[string]any) measureFunc {
	return func(ctx context.Context, _ int) (round, error) {
		w, err := e.gqlWorld(ctx)
		if err != nil {
			return round{}, err
		}
		body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		u := w.reader.base + "/graphql"
		if branch != "" {
			u += "/" + branch
		}
		_, lats, err := timeBoxed(ctx, 1, e.sz.window, func(ctx context.Context, _, _ int) error {
			return fetch(ctx, w.client, http.MethodPost, u, body)
		})
		if err != nil {
			return round{}, err
		}
		return latencyRound(lats), nil
	}
}

// fetch sends a request and reads the whole answer, failing on a non-2xx status.
func fetch(ctx context.Context, c *http.Client, method, u string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s", method, u, resp.Status)
	}
	return err
}

// writeToVisible measures, for one client, the time from sending a node.update to the writer
// until a GraphQL query on the reader (the other server when distributed) returns the new value.
func (e *env) writeToVisible() measureFunc {
	return func(ctx context.Context, n int) (round, error) {
		w, err := e.gqlWorld(ctx)
		if err != nil {
			return round{}, err
		}
		_, lats, err := timeBoxed(ctx, 1, e.sz.window, func(ctx context.Context, _, i int) error {
			id := w.devices[(n*7919+i)%len(w.devices)]
			value := fmt.Sprintf("r%d-%d-%s", n, i, e.runID)
			if _, err := w.command(ctx, "node.update", map[string]any{"kind": "BenchDevice", "id": id,
				"data": map[string]any{"description": value}}); err != nil {
				return err
			}
			for deadline := time.Now().Add(5 * time.Second); ; {
				a, err := w.query(ctx, w.reader, "", gqlVisibleQuery, map[string]any{"id": id})
				if err != nil {
					return err
				}
				if bytes.Contains(a.Data, []byte(value)) {
					return nil
				}
				if time.Now().After(deadline) {
					return fmt.Errorf("the update of %s was not visible on the reader after 5 s", id)
				}
			}
		})
		if err != nil {
			return round{}, err
		}
		return latencyRound(lats), nil
	}
}

// httpJSON is scenario 8's baseline: a plain net/http handler writing the same bytes as the
// GraphQL answer of the list, read by the same client: the floor of HTTP and of the answer's
// size on this machine.
func httpJSON(ctx context.Context, e *env) (measureFunc, func(), error) {
	w, err := e.gqlWorld(ctx)
	if err != nil {
		return nil, nil, err
	}
	body := w.list
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		rw.Header().Set("Content-Type", "application/json")
		_, _ = rw.Write(body)
	})}
	go func() { _ = srv.Serve(l) }()
	u := "http://" + l.Addr().String() + "/graphql"
	query, _ := json.Marshal(map[string]any{"query": gqlListQuery})
	return func(ctx context.Context, _ int) (round, error) {
		_, lats, err := timeBoxed(ctx, 1, e.sz.window, func(ctx context.Context, _, _ int) error {
			return fetch(ctx, w.client, http.MethodPost, u, query)
		})
		if err != nil {
			return round{}, err
		}
		return latencyRound(lats), nil
	}, func() { _ = srv.Close() }, nil
}

// gqlListMain is scenario 8b's reference: scenario 8's list on the default branch, measured in
// the same rounds as the branch's.
func gqlListMain(_ context.Context, e *env) (measureFunc, func(), error) {
	return e.gqlLatency("", gqlListQuery, nil), func() {}, nil
}

// adminKey sends the admin's API token with every request (X-INFRAHUB-KEY), as infrahubctl sends
// INFRAHUB_API_TOKEN.
type adminKey struct {
	token string
	base  http.RoundTripper
}

func (a adminKey) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-INFRAHUB-KEY", a.token)
	return a.base.RoundTrip(r)
}
