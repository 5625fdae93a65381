package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/internal/benchschema"
)

// BenchmarkHTTPCreate16 is bench row 13 (issue 22) inside one process, so that a CPU profile
// (-cpuprofile) sees the server and the load together as the row's 2 cores do: 16 clients POST
// /api/commands node.create of a BenchInterface (4 attributes, its device by id) on the
// default branch to an embedded `infrahub serve` (SQLite log, in-process bus) run in this
// process. Run with:
//
//	go test ./cmd/infrahub/ -run XXX -bench HTTPCreate16 -benchtime 20000x -cpuprofile cpu.out
func BenchmarkHTTPCreate16(b *testing.B) {
	srv, devices := startInProcess(b)
	client := &http.Client{Timeout: 30 * time.Second, Transport: loadTransport()}
	const clients = 16
	var next atomic.Int64
	lats := make([][]time.Duration, clients)
	var wg sync.WaitGroup
	cpu0 := cpuTime()
	b.ResetTimer()
	began := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(b.N); i = next.Add(1) - 1 {
				body := fmt.Appendf(nil, `{"type":"node.create","payload":{"kind":"BenchInterface","data":{"name":"http-%d","description":"created over HTTP","mtu":9000,"enabled":true,"device":{"id":%q}}}}`,
					i, devices[int(i)%len(devices)])
				t := time.Now()
				if err := postOK(client, srv+"/api/commands", body); err != nil {
					b.Error(err)
					return
				}
				lats[c] = append(lats[c], time.Since(t))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(began)
	b.StopTimer()
	cpu := cpuTime() - cpu0
	all := slices.Concat(lats...)
	slices.Sort(all)
	if len(all) > 0 {
		b.ReportMetric(float64(len(all))/elapsed.Seconds(), "creates/s")
		b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(cpu.Microseconds())/float64(len(all)), "cpu-us/create")
	}
}

// cpuTime is the CPU time (user and system) this process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// startInProcess runs `infrahub serve` in this process (SQLite in a temporary folder, the
// in-process bus) with the bench schema and 100 devices, and answers its base URL and the
// devices' ids. The server stops when b ends.
func startInProcess(b *testing.B) (string, []string) {
	b.Helper()
	addr := freeAddr(b)
	ctx, cancel := context.WithCancel(context.Background())
	env := map[string]string{"INFRAHUB_DATA": b.TempDir(), "INFRAHUB_INITIAL_ADMIN_TOKEN": testAdminToken, "INFRAHUB_LOG_LEVEL": "warn"}
	for _, k := range []string{"GOGC", "GOMEMLIMIT", "INFRAHUB_GC_HEAP_FLOOR_BYTES"} { // the collector as `infrahub serve` has it
		if v, ok := os.LookupEnv(k); ok {
			env[k] = v
		}
	}
	root := newRoot(env)
	root.SetArgs([]string{"serve", "--listen", addr})
	root.SetOut(io.Discard)
	root.SetErr(io.Discard)
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	b.Cleanup(func() {
		cancel()
		<-done
	})
	base := "http://" + addr
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(base + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			b.Fatalf("serve did not answer 200 on /health within 60s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	schema, _ := json.Marshal(map[string]any{"schemas": []string{benchschema.HTTP}})
	if err := postOK(http.DefaultClient, base+"/api/schema/load", schema); err != nil {
		b.Fatal(err)
	}
	var ops []any
	for i := range 100 {
		ops = append(ops, map[string]any{"type": "node.create", "payload": map[string]any{"kind": "BenchDevice",
			"data": map[string]any{"name": fmt.Sprintf("dev-%04d", i)}}})
	}
	out := benchPost(b, base, "batch", map[string]any{"operations": ops})
	var res struct {
		Data struct {
			Nodes []struct {
				ID string `json:"id"`
			} `json:"nodes"`
		} `json:"data"`
	}
	if err := json.Unmarshal(out, &res); err != nil || len(res.Data.Nodes) != 100 {
		b.Fatalf("batch: %v %.300s", err, out)
	}
	ids := make([]string, len(res.Data.Nodes))
	for i, n := range res.Data.Nodes {
		ids[i] = n.ID
	}
	return base, ids
}

// loadTransport keeps a connection per client open (the default keeps 2 idle per host) and
// sends the admin's token.
func loadTransport() http.RoundTripper {
	tr := http.DefaultTransport.(*adminTransport).base.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 64, 64
	return &adminTransport{base: tr}
}

// postOK posts body and drains the answer; a status other than 200 is an error.
func postOK(c *http.Client, url string, body []byte) error {
	resp, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: %s %s", url, resp.Status, out)
	}
	return nil
}
