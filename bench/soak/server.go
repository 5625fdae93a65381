package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// adminToken is the API token the server gives its admin at first start; the load sends it.
var adminToken = rand.Text()

// server is a running `infrahub serve` in a temporary directory.
type server struct {
	cmd  *exec.Cmd
	dir  string
	base string
	done chan error
}

func start(ctx context.Context, binary string, stderr io.Writer) (*server, error) {
	dir, err := os.MkdirTemp("", "soak-*")
	if err != nil {
		return nil, err
	}
	if binary == "" {
		binary = filepath.Join(dir, "infrahub")
		fmt.Fprintln(stderr, "soak: building ./cmd/infrahub")
		build := exec.CommandContext(ctx, "go", "build", "-o", binary, "./cmd/infrahub")
		build.Stdout, build.Stderr = stderr, stderr
		if err := build.Run(); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("build: %w", err)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	s := &server{dir: dir, base: "http://" + addr, done: make(chan error, 1)}
	s.cmd = exec.Command(binary, "serve", "--listen", addr)
	s.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"INFRAHUB_DATA=" + filepath.Join(dir, "data"), "INFRAHUB_LOG_LEVEL=warn", "INFRAHUB_INITIAL_ADMIN_TOKEN=" + adminToken}
	s.cmd.Stdout, s.cmd.Stderr = io.Discard, stderr
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	go func() { s.done <- s.cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if !s.alive() {
			s.stop()
			return nil, fmt.Errorf("serve exited before it was ready")
		}
		if resp, err := http.Get(s.base + "/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.stop()
	return nil, fmt.Errorf("serve did not become ready within 60 s")
}

func (s *server) alive() bool {
	select {
	case err := <-s.done:
		s.done <- err
		return false
	default:
		return true
	}
}

func (s *server) stop() {
	if s.alive() {
		_ = s.cmd.Process.Signal(os.Interrupt)
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	}
	os.RemoveAll(s.dir)
}

// rssMB reads the server's resident set size from /proc (0 where there is none).
func (s *server) rssMB() float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

const soakSchema = `{"schemas": [{"version": "1.0", "nodes": [{"name": "Site", "namespace": "Soak",
  "human_friendly_id": ["name__value"], "display_label": "name__value",
  "attributes": [{"name": "name", "kind": "Text", "unique": true}, {"name": "description", "kind": "Text", "optional": true},
    {"name": "status", "kind": "Text", "optional": true}, {"name": "asn", "kind": "Number", "optional": true}]}]}]}`

// seed loads the schema and 200 sites and answers their ids.
func seed(ctx context.Context, base string) ([]string, error) {
	if _, err := post(ctx, base+"/api/schema/load", soakSchema); err != nil {
		return nil, fmt.Errorf("schema load: %w", err)
	}
	ids := make([]string, 0, 200)
	for i := 0; i < 200; i++ {
		out, err := post(ctx, base+"/api/commands", fmt.Sprintf(
			`{"type": "node.create", "payload": {"kind": "SoakSite", "data": {"name": "seed-%d", "asn": %d, "status": "active"}}}`, i, 64512+i))
		if err != nil {
			return nil, fmt.Errorf("seed: %w", err)
		}
		var res struct {
			Data struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		if err := json.Unmarshal(out, &res); err != nil || res.Data.ID == "" {
			return nil, fmt.Errorf("seed: no node id in %s", out)
		}
		ids = append(ids, res.Data.ID)
	}
	return ids, nil
}

// post sends a JSON body and answers the body of a 200, or an error naming the status.
func post(ctx context.Context, url, body string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader([]byte(body)))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-INFRAHUB-KEY", adminToken) // the load writes as the admin, as infrahubctl with INFRAHUB_API_TOKEN
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return out, fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(out))
	}
	return out, nil
}
