package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sampleReport() Report {
	pass, fail := true, false
	start := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	return Report{Mode: "embedded", Quick: true, Rounds: 5, StartedAt: start, FinishedAt: start.Add(42 * time.Second),
		GoVersion: "go1.26", CPUs: 2, CPUPressure: &Pressure{Start: num(12.5), End: num(3)},
		Results: []Result{
			{Name: "pg-insert-1", Kind: kindBaseline, Title: "insert | 1 client", Unit: "ms", Median: num(0.25), P99: num(2.5), Rounds: 5},
			{Name: "1-append-8", Kind: kindScenario, Title: "1. append", Unit: "events/s", Median: num(4000),
				Baseline: num(5000), BaselineName: "pg-insert-8", Ratio: num(0.8), Rounds: 5, Target: "≥ 0.8× baseline",
				Pass: &pass, CPUPressure: &Pressure{Start: num(1), End: num(2)}, Note: "a\nnote"},
			{Name: "2-group", Kind: kindScenario, Title: "2. group", Unit: "events/s", Median: num(math.NaN()),
				Baseline: num(1), Ratio: num(math.Inf(1)), Rounds: 5, Pass: &fail},
			{Name: "5-apply", Kind: kindMissing, Title: "5. apply", Note: "not measured: no graph"},
		}}
}

func TestWriteMarkdown(t *testing.T) {
	var b bytes.Buffer
	if err := writeMarkdown(&b, sampleReport()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"Mode: embedded (quick), 5 rounds",
		"took 42s",
		"CPU pressure (some avg10) 12.5% → 3.00%",
		"| scenario | value | unit | baseline | ratio | target | pass | rounds | note |",
		"| insert \\| 1 client | 0.250 (p99 2.50) | ms | — | — | — | — | 5 | — |",
		"| 1. append | 4000 | events/s | 5000 (pg-insert-8) | 0.800× | ≥ 0.8× baseline | pass | 5 | a note [cpu 1.00%→2.00%] |",
		"| 2. group | — | events/s | 1.00 | — | — | FAIL | 5 | — |",
		"| 5. apply | — | — | — | — | — | — | — | not measured: no graph |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	rows := 0
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "| ") {
			if n := strings.Count(strings.ReplaceAll(line, "\\|", ""), "|"); n != 10 {
				t.Errorf("row has %d separators, want 10: %s", n, line)
			}
			rows++
		}
	}
	if rows != 5 {
		t.Errorf("%d rows, want header + 4", rows)
	}
}

func TestWriteJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "latest.json")
	if err := writeJSON(path, sampleReport()); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Mode    string           `json:"mode"`
		Results []map[string]any `json:"results"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if got.Mode != "embedded" || len(got.Results) != 4 {
		t.Fatalf("got %+v", got)
	}
	s := got.Results[1]
	for key, want := range map[string]any{"name": "1-append-8", "kind": "scenario", "unit": "events/s", "median": 4000.0,
		"baseline": 5000.0, "ratio": 0.8, "rounds": 5.0, "target": "≥ 0.8× baseline", "pass": true} {
		if s[key] != want {
			t.Errorf("%s = %v, want %v", key, s[key], want)
		}
	}
	if cp, ok := s["cpu_pressure"].(map[string]any); !ok || cp["start"] != 1.0 || cp["end"] != 2.0 {
		t.Errorf("cpu_pressure = %v", s["cpu_pressure"])
	}
	if _, ok := s["p99"]; ok {
		t.Error("a throughput row has a p99")
	}
	if got.Results[0]["p99"] != 2.5 {
		t.Errorf("latency p99 = %v", got.Results[0]["p99"])
	}
	// NaN and Inf are not JSON: they are left out.
	if _, ok := got.Results[2]["median"]; ok {
		t.Error("NaN median written")
	}
	if _, ok := got.Results[2]["ratio"]; ok {
		t.Error("Inf ratio written")
	}
}

func TestFmtNum(t *testing.T) {
	for in, want := range map[float64]string{1234.6: "1235", 12.34: "12.3", 1.234: "1.23", 0.1234: "0.123", -2: "-2.00"} {
		if got := fmtNum(&in); got != want {
			t.Errorf("fmtNum(%v) = %q, want %q", in, got, want)
		}
	}
	if fmtNum(nil) != "—" {
		t.Error("nil is not a dash")
	}
}

func TestParseFlags(t *testing.T) {
	c, err := parseFlags(nil, io.Discard)
	if err != nil || c.rounds != 5 || c.distributed || c.quick || c.out != "bench/results/latest.json" || len(c.only) != 0 {
		t.Fatalf("defaults: %+v, %v", c, err)
	}
	if !c.selected("1-append-8") {
		t.Error("nothing selected by default")
	}
	c, err = parseFlags([]string{"--distributed", "--rounds", "7", "--quick", "--only", "1-append-8, pg-copy"}, io.Discard)
	if err != nil || !c.distributed || c.rounds != 7 || !c.quick || len(c.only) != 2 {
		t.Fatalf("parsed %+v, %v", c, err)
	}
	if !c.selected("pg-copy") || c.selected("6-bus") {
		t.Error("--only not applied")
	}
	for _, args := range [][]string{{"--rounds", "4"}, {"--only", "nope"}, {"--out", ""}, {"extra"}} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	if _, err := parseFlags([]string{"-h"}, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
}
