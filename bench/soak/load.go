package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Result is what a soak run measured.
type Result struct {
	Clients     int     `json:"clients"`
	ReadPercent int     `json:"read_percent"`
	Duration    string  `json:"duration"`
	Requests    int     `json:"requests"`
	Errors      int     `json:"errors"`
	FirstError  string  `json:"first_error,omitempty"`
	PerSecond   float64 `json:"requests_per_second"`
	Reads       Class   `json:"reads"`
	Writes      Class   `json:"writes"`
	RSSBeforeMB float64 `json:"rss_before_mb"`
	RSSAfterMB  float64 `json:"rss_after_mb"`
}

// Class is the latency of one kind of request, in milliseconds.
type Class struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50_ms"`
	P99   float64 `json:"p99_ms"`
}

// readQuery is a page of sites with a filter, as a list view asks it.
const readQuery = `query ($status: String) { SoakSite(status__value: $status, limit: 20, offset: %d) { count edges { node { id display_label name { value } asn { value } status { value } } } } }`

// load runs the clients until the duration ends and records every request.
func (r *Result) load(ctx context.Context, base string, ids []string, cfg config, stderr io.Writer) {
	ctx, cancel := context.WithTimeout(ctx, cfg.duration)
	defer cancel()
	var (
		mu            sync.Mutex
		reads, writes []float64
		errs          atomic.Int64
		firstErr      atomic.Value
		created       atomic.Int64
		wg            sync.WaitGroup
	)
	started := time.Now()
	for c := 0; c < cfg.clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), 42))
			var myReads, myWrites []float64
			for ctx.Err() == nil {
				isRead := rng.IntN(100) < cfg.reads
				var body, url string
				if isRead {
					q, _ := json.Marshal(map[string]any{"query": fmt.Sprintf(readQuery, rng.IntN(180)),
						"variables": map[string]any{"status": "active"}})
					body, url = string(q), base+"/graphql"
				} else if rng.IntN(2) == 0 {
					body = fmt.Sprintf(`{"type": "node.create", "payload": {"kind": "SoakSite", "data": {"name": "c%d-%d", "status": "active"}}}`,
						c, created.Add(1))
					url = base + "/api/commands"
				} else {
					body = fmt.Sprintf(`{"type": "node.update", "payload": {"kind": "SoakSite", "id": %q, "data": {"description": "d%d"}}}`,
						ids[rng.IntN(len(ids))], rng.IntN(1_000_000))
					url = base + "/api/commands"
				}
				t0 := time.Now()
				_, err := post(context.Background(), url, body)
				ms := float64(time.Since(t0).Microseconds()) / 1000
				if err != nil {
					if ctx.Err() != nil {
						break
					}
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				if isRead {
					myReads = append(myReads, ms)
				} else {
					myWrites = append(myWrites, ms)
				}
			}
			mu.Lock()
			reads, writes = append(reads, myReads...), append(writes, myWrites...)
			mu.Unlock()
		}(c)
	}
	go func() {
		t := time.NewTicker(10 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				fmt.Fprintf(stderr, "soak: %s elapsed, %d errors\n", time.Since(started).Round(time.Second), errs.Load())
			}
		}
	}()
	wg.Wait()
	elapsed := time.Since(started).Seconds()
	r.Reads, r.Writes = classOf(reads), classOf(writes)
	r.Errors = int(errs.Load())
	if e, ok := firstErr.Load().(string); ok {
		r.FirstError = e
	}
	r.Requests = r.Reads.Count + r.Writes.Count + r.Errors
	r.PerSecond = float64(r.Reads.Count+r.Writes.Count) / elapsed
}

func classOf(ms []float64) Class {
	if len(ms) == 0 {
		return Class{}
	}
	slices.Sort(ms)
	at := func(p float64) float64 { return ms[min(len(ms)-1, int(p*float64(len(ms))))] }
	return Class{Count: len(ms), P50: at(0.50), P99: at(0.99)}
}

func (r *Result) print(w io.Writer) {
	fmt.Fprintf(w, "| clients | duration | req/s | errors | reads p50 / p99 | writes p50 / p99 | RSS before → after |\n")
	fmt.Fprintf(w, "|---|---|---|---|---|---|---|\n")
	fmt.Fprintf(w, "| %d (%d %% reads) | %s | %.0f | %d | %.1f / %.1f ms | %.1f / %.1f ms | %.0f → %.0f MB |\n",
		r.Clients, r.ReadPercent, r.Duration, r.PerSecond, r.Errors, r.Reads.P50, r.Reads.P99,
		r.Writes.P50, r.Writes.P99, r.RSSBeforeMB, r.RSSAfterMB)
	if r.FirstError != "" {
		fmt.Fprintf(w, "\nfirst error: %s\n", r.FirstError)
	}
}

func (r *Result) write(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	raw, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(raw, '\n'), 0o644)
}
