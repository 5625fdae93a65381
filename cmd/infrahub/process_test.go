package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/events"
)

// binary is the infrahub executable built once for the tests that run it as a child process.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "infrahub-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "infrahub")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building infrahub:", err)
		os.Exit(1)
	}
	http.DefaultTransport = &adminTransport{base: http.DefaultTransport}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// adminTransport sends the test servers' admin API token (INFRAHUB_INITIAL_ADMIN_TOKEN, which
// startChild gives every child) on each loopback request that carries no credentials, so that
// the suites write as the admin. A request with the header anonymousHeader goes without
// credentials: it is anonymous.
type adminTransport struct{ base http.RoundTripper }

const anonymousHeader = "X-Test-Anonymous"

func (a *adminTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	host := r.URL.Hostname()
	loopback := host == "localhost" || net.ParseIP(host).IsLoopback()
	if r.Header.Get(anonymousHeader) != "" {
		r = r.Clone(r.Context())
		r.Header.Del(anonymousHeader)
	} else if loopback && r.Header.Get("X-INFRAHUB-KEY") == "" && r.Header.Get("Authorization") == "" {
		r = r.Clone(r.Context())
		r.Header.Set("X-INFRAHUB-KEY", testAdminToken)
	}
	return a.base.RoundTrip(r)
}

// child is a running `infrahub serve`.
type child struct {
	t    testing.TB
	cmd  *exec.Cmd
	base string
	logs *syncBuffer
	done chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startChild runs `infrahub serve` with env added to a clean environment and waits for /health.
func startChild(t testing.TB, addr string, env map[string]string) *child {
	t.Helper()
	return startRole(t, "serve", addr, env)
}

// startRole runs `infrahub <sub>` (serve or worker) with env added to a clean environment and
// waits for /health.
func startRole(t testing.TB, sub, addr string, env map[string]string) *child {
	t.Helper()
	c := launchRole(t, sub, addr, env)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-c.done:
			t.Fatalf("serve exited before it was ready: %v\n%s", err, c.logs.String())
		default:
		}
		resp, err := http.Get(c.base + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return c
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("serve did not answer 200 on /health within 60s\n%s", c.logs.String())
	return nil
}

// launchChild runs `infrahub serve` with env added to a clean environment, without waiting.
func launchChild(t testing.TB, addr string, env map[string]string) *child {
	t.Helper()
	return launchRole(t, "serve", addr, env)
}

// launchRole runs `infrahub <sub>` with env added to a clean environment, without waiting.
func launchRole(t testing.TB, sub, addr string, env map[string]string) *child {
	t.Helper()
	c := &child{t: t, base: "http://" + addr, logs: &syncBuffer{}, done: make(chan error, 1)}
	c.cmd = exec.Command(binary, sub, "--listen", addr)
	c.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	if _, ok := env["INFRAHUB_INITIAL_ADMIN_TOKEN"]; !ok {
		c.cmd.Env = append(c.cmd.Env, "INFRAHUB_INITIAL_ADMIN_TOKEN="+testAdminToken)
	}
	for k, v := range env {
		c.cmd.Env = append(c.cmd.Env, k+"="+v)
	}
	c.cmd.Stdout, c.cmd.Stderr = c.logs, c.logs
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.done <- c.cmd.Wait() }()
	t.Cleanup(func() {
		if c.cmd.ProcessState == nil {
			_ = c.cmd.Process.Kill()
			<-c.done
		}
		if t.Failed() {
			t.Logf("child log:\n%s", c.logs.String())
		}
	})
	return c
}

// kill sends SIGKILL and waits for the process to end.
func (c *child) kill() {
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.done
}

// stop sends SIGTERM and returns the exit error (nil for a clean shutdown).
func (c *child) stop() error {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-c.done:
		return err
	case <-time.After(30 * time.Second):
		c.kill()
		return fmt.Errorf("serve did not stop within 30s of SIGTERM")
	}
}

type commandResult struct {
	CommandID string            `json:"command_id"`
	Positions []events.Position `json:"positions"`
	Duplicate bool              `json:"duplicate"`
}

// send posts one diagnostic command; err covers transport failures and non-200 answers.
func send(ctx context.Context, client *http.Client, base, id string) (commandResult, int, error) {
	body := fmt.Sprintf(`{"type":"diagnostic.record","id":%q,"payload":{"data":{"n":%q}}}`, id, id)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/commands", bytes.NewBufferString(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return commandResult{}, 0, err
	}
	defer resp.Body.Close()
	var res commandResult
	if resp.StatusCode != http.StatusOK {
		var e map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return res, resp.StatusCode, fmt.Errorf("status %d: %v", resp.StatusCode, e)
	}
	return res, resp.StatusCode, json.NewDecoder(resp.Body).Decode(&res)
}

type status struct {
	Ready     bool            `json:"ready"`
	LogHead   events.Position `json:"log_head"`
	Forwarder struct {
		Position        events.Position `json:"position"`
		Saved           events.Position `json:"saved"`
		PublishedEvents int64           `json:"published_events"`
	} `json:"forwarder"`
	Projections map[string]struct {
		Stats struct {
			Position events.Position `json:"position"`
			Live     bool            `json:"live"`
		} `json:"stats"`
		Counts struct {
			Total  int64            `json:"total"`
			ByType map[string]int64 `json:"by_type"`
		} `json:"counts"`
	} `json:"projections"`
}

func getStatus(t *testing.T, base string) status {
	t.Helper()
	resp, err := http.Get(base + "/api/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s status
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		ok, msg := cond()
		if ok {
			return
		}
		last = msg
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: not reached within %s (last: %s)", what, timeout, last)
}
