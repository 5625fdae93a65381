package main

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want float64
	}{
		{"one", []float64{3}, 3},
		{"odd, unsorted", []float64{5, 1, 9, 3, 7}, 5},
		{"even: mean of the middle two", []float64{4, 1, 3, 2}, 2.5},
		{"outlier does not move it", []float64{1, 1, 1, 1, 1000}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]float64(nil), tt.in...)
			if got := median(in); got != tt.want {
				t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
			}
			for i := range in {
				if in[i] != tt.in[i] {
					t.Fatalf("median sorted its input: %v", in)
				}
			}
		})
	}
	if !math.IsNaN(median(nil)) {
		t.Error("median of nothing is not NaN")
	}
}

func TestPercentile(t *testing.T) {
	var hundred []float64
	for i := 100; i >= 1; i-- {
		hundred = append(hundred, float64(i))
	}
	tests := []struct {
		name string
		in   []float64
		p    float64
		want float64
	}{
		{"p99 of 1..100", hundred, 99, 99},
		{"p100 is the max", hundred, 100, 100},
		{"p50 nearest rank", hundred, 50, 50},
		{"p1", hundred, 1, 1},
		{"p99 of few samples is the max", []float64{1, 2, 3}, 99, 3},
		{"single", []float64{7}, 99, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.in, tt.p); got != tt.want {
				t.Errorf("percentile(p%v) = %v, want %v", tt.p, got, tt.want)
			}
		})
	}
	if got := p99(hundred); got != 99 {
		t.Errorf("p99 = %v", got)
	}
	for _, p := range []float64{0, -1, 101} {
		if !math.IsNaN(percentile(hundred, p)) {
			t.Errorf("percentile p%v is not NaN", p)
		}
	}
	if !math.IsNaN(p99(nil)) {
		t.Error("p99 of nothing is not NaN")
	}
}

func TestRatio(t *testing.T) {
	if got := ratio(3, 2); got != 1.5 {
		t.Errorf("ratio(3, 2) = %v", got)
	}
	for _, c := range [][2]float64{{1, 0}, {math.NaN(), 1}, {1, math.NaN()}} {
		if !math.IsNaN(ratio(c[0], c[1])) {
			t.Errorf("ratio(%v, %v) is a number", c[0], c[1])
		}
	}
	got := ratios([]float64{2, 9, 4}, []float64{1, 3})
	if len(got) != 2 || got[0] != 2 || got[1] != 3 {
		t.Errorf("ratios = %v, want [2 3] (rounds paired, extra dropped)", got)
	}
}

func TestMillisAndLatencyRound(t *testing.T) {
	r := latencyRound([]time.Duration{3 * time.Millisecond, time.Millisecond, 1500 * time.Microsecond})
	if r.value != 1.5 || len(r.samples) != 3 || r.samples[0] != 3 {
		t.Errorf("latencyRound = %+v", r)
	}
}

func TestParsePressure(t *testing.T) {
	const psi = "some avg10=12.34 avg60=1.00 avg300=0.50 total=123\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
	if v, ok := parsePressure(psi); !ok || v != 12.34 {
		t.Errorf("parsePressure = %v, %v", v, ok)
	}
	for _, bad := range []string{"", "full avg10=1.00", "some avg60=1.00", "some avg10=x"} {
		if _, ok := parsePressure(bad); ok {
			t.Errorf("parsePressure(%q) ok", bad)
		}
	}
}

func TestTargets(t *testing.T) {
	tests := []struct {
		t                        target
		median, base, ratio, p99 float64
		want                     bool
	}{
		{target{op: "atLeast", value: 0.8}, 80, 100, 0.8, 0, true},
		{target{op: "atLeast", value: 0.8}, 79, 100, 0.79, 0, false},
		{target{op: "atMost", value: 1.25}, 1.2, 1, 1.2, 0, true},
		{target{op: "atMost", value: 1.25}, 1.3, 1, 1.3, 0, false},
		{target{op: "plus", value: 0.3, unit: "ms"}, 1.3, 1.0, 1.3, 0, true},
		{target{op: "plus", value: 0.3, unit: "ms"}, 1.31, 1.0, 1.31, 0, false},
		{target{op: "atLeast", value: 1}, 1, 1, math.NaN(), 0, false},
		{target{op: "valueAtLeast", value: 350_000, unit: "events/s"}, 350_000, 1, 0.1, 0, true},
		{target{op: "valueAtLeast", value: 350_000, unit: "events/s"}, 349_999, 1e9, 1e6, 0, false},
		{target{op: "valueAtMost", value: 3, unit: "s"}, 3, 100, 0.03, 0, true},
		{target{op: "valueAtMost", value: 3, unit: "s"}, 3.1, 0.001, 3100, 0, false},
		{t: target{op: "p99AtMost", value: 10, unit: "ms"}, median: 50, base: 1, ratio: 50, p99: 10, want: true},
		{t: target{op: "p99AtMost", value: 10, unit: "ms"}, median: 1, base: 1, ratio: 1, p99: 10.5, want: false},
	}
	for _, tt := range tests {
		if got := tt.t.met(tt.median, tt.p99, tt.base, tt.ratio); got != tt.want {
			t.Errorf("%s met(%v, p99 %v, %v, %v) = %v", tt.t, tt.median, tt.p99, tt.base, tt.ratio, got)
		}
	}
	if got := (target{op: "plus", value: 0.3, unit: "ms"}).String(); got != "≤ baseline + 0.3 ms" {
		t.Errorf("String = %q", got)
	}
}

// The ratio of a scenario is the median of the ratios of its rounds, not the ratio of medians:
// each round's pair ran side by side on the same machine state.
func TestScenarioResult(t *testing.T) {
	b := &series{values: []float64{100, 200, 100, 200, 100}, rounds: 5}
	s := &series{values: []float64{90, 150, 80, 190, 95}, samples: []float64{1, 2, 3}, rounds: 5}
	sp := spec{name: "x", title: "X", unit: "events/s", baseline: "b", target: target{op: "atLeast", value: 0.8}, latency: true}
	r := scenarioResult(sp, b, s, nil)
	// per-round ratios 0.9 0.75 0.8 0.95 0.95 -> median 0.9
	if r.Ratio == nil || math.Abs(*r.Ratio-0.9) > 1e-9 {
		t.Fatalf("ratio = %v, want 0.9", r.Ratio)
	}
	if *r.Median != 95 || *r.Baseline != 100 || r.Rounds != 5 || r.Pass == nil || !*r.Pass {
		t.Errorf("result = %+v", r)
	}
	if r.P99 == nil || *r.P99 != 3 {
		t.Errorf("p99 = %v", r.P99)
	}
	sp.latency = false
	if r := scenarioResult(sp, b, s, nil); r.P99 != nil {
		t.Errorf("a throughput has a p99: %v", *r.P99)
	}
}

// With --cpuprofile, each round of a scenario leaves a CPU profile named after it; without, the
// measurement runs as is.
func TestProfiledRounds(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "prof")
	e := &env{cfg: config{cpuProfile: dir}}
	f := e.profiled("13-http-create-16", func(context.Context, int) (round, error) { return round{value: 7}, nil })
	for n := range 2 {
		r, err := f(context.Background(), n)
		if err != nil || r.value != 7 {
			t.Fatalf("round %d: %v %v", n, r, err)
		}
	}
	for _, name := range []string{"13-http-create-16-r1.pprof", "13-http-create-16-r2.pprof"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	calls := 0
	plain := (&env{}).profiled("x", func(context.Context, int) (round, error) { calls++; return round{}, nil })
	if _, err := plain(context.Background(), 0); err != nil || calls != 1 {
		t.Fatalf("without --cpuprofile: %v, %d calls", err, calls)
	}
}
