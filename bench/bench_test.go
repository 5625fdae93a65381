package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/infrahub-go/infrahub/internal/testenv"
)

// TestHarnessQuick runs the whole harness, embedded, with small sizes, against the real
// PostgreSQL and RabbitMQ baselines, and checks that every scenario and baseline has positive
// numbers and that the run left no schema behind.
func TestHarnessQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole harness")
	}
	pgURL, amqpURL, redisURL := testenv.PostgresURL(t), testenv.AMQPURL(t), testenv.RedisURL(t)
	before := benchSchemas(t, pgURL)
	out := filepath.Join(t.TempDir(), "latest.json")
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	start := time.Now()
	err := run(ctx, []string{"--quick", "--rounds", "5", "--pg", pgURL, "--amqp", amqpURL, "--redis", redisURL, "--out", out}, &stdout, &stderr)
	t.Logf("harness took %s; progress:\n%s", time.Since(start).Round(time.Millisecond), stderr.String())
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Mode != "embedded" || !rep.Quick || rep.Rounds != 5 {
		t.Errorf("report header %+v", rep)
	}
	byName := map[string]Result{}
	for _, r := range rep.Results {
		byName[r.Name] = r
	}
	positive := func(name, field string, p *float64) {
		if p == nil || !(*p > 0) {
			t.Errorf("%s: %s is %v, want a positive number", name, field, p)
		}
	}
	for _, sc := range scenarioDefs() {
		r, ok := byName[sc.name]
		if !ok || r.Kind != kindScenario {
			t.Errorf("scenario %s missing from the JSON", sc.name)
			continue
		}
		positive(sc.name, "median", r.Median)
		positive(sc.name, "baseline", r.Baseline)
		positive(sc.name, "ratio", r.Ratio)
		if sc.latency || sc.tail {
			positive(sc.name, "p99", r.P99)
		}
		if sc.tail {
			positive(sc.name, "p50", r.P50)
		}
		if sc.name == "14-http-mixed-16" && len(r.Classes) != 2 {
			t.Errorf("%s: classes %+v, want reads and writes", sc.name, r.Classes)
		}
		for _, c := range r.Classes {
			positive(sc.name+" "+c.Name, "rate", c.Rate)
			positive(sc.name+" "+c.Name, "p99", c.P99)
		}
		if r.Rounds != 5 || len(r.Values) != 5 || len(r.BaseValues) != 5 || r.Target == "" || (r.Pass == nil) != (sc.target.op == "report") {
			t.Errorf("%s: rounds %d, %d values, %d baseline values, target %q, pass %v", sc.name, r.Rounds, len(r.Values), len(r.BaseValues), r.Target, r.Pass)
		}
		if !strings.Contains(stdout.String(), "| "+r.Title+" |") {
			t.Errorf("table lacks the row of %s", sc.name)
		}
	}
	for _, b := range baselineDefs() {
		r, ok := byName[b.name]
		if !ok || r.Kind != kindBaseline {
			t.Errorf("baseline %s missing from the JSON", b.name)
			continue
		}
		positive(b.name, "median", r.Median)
		if r.Rounds < 5 {
			t.Errorf("baseline %s: %d rounds", b.name, r.Rounds)
		}
	}
	for _, m := range missing {
		if byName[m.name].Kind != kindMissing {
			t.Errorf("missing scenario %s not listed", m.name)
		}
	}
	after := benchSchemas(t, pgURL)
	for s := range after {
		if !before[s] {
			t.Errorf("schema %s left behind", s)
		}
	}
}

func benchSchemas(t *testing.T, pgURL string) map[string]bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bench\_%'`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, n := range names {
		out[n] = true
	}
	return out
}
