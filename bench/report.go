package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Kinds of result rows.
const (
	kindScenario = "scenario"
	kindBaseline = "baseline"
	kindMissing  = "missing" // a scenario of issue 8 whose feature does not exist yet
	kindFailed   = "failed"  // a scenario that returned an error; the note says which
)

// target is what a scenario must meet: a ratio to its baseline at least (atLeast) or at most
// (atMost) value, (plus) a median at most the baseline's median plus value, in the unit, or an
// absolute bound on the median (valueAtLeast, valueAtMost) or on the p99 of a latency
// (p99AtMost), or both a ratio at least value and a p99 at most p99 (atLeastP99), or nothing
// (report: the row has no pass); with an absolute bound the baseline is for scale.
type target struct {
	op    string // "atLeast", "atMost", "plus"
	value float64
	unit  string // for "plus"
	p99   float64
}

func (t target) String() string {
	switch t.op {
	case "atLeast":
		return fmt.Sprintf("≥ %g× baseline", t.value)
	case "atMost":
		return fmt.Sprintf("≤ %g× baseline", t.value)
	case "plus":
		return fmt.Sprintf("≤ baseline + %g %s", t.value, t.unit)
	case "valueAtLeast":
		return fmt.Sprintf("≥ %g %s", t.value, t.unit)
	case "valueAtMost":
		return fmt.Sprintf("≤ %g %s", t.value, t.unit)
	case "p99AtMost":
		return fmt.Sprintf("p99 ≤ %g %s", t.value, t.unit)
	case "atLeastP99":
		return fmt.Sprintf("≥ %g× baseline and p99 ≤ %g %s", t.value, t.p99, t.unit)
	case "report":
		return "report only"
	}
	return ""
}

// met says whether a median (or, for p99AtMost, a p99) and baseline with the given ratio meet
// the target.
func (t target) met(median, p99, baseline, ratio float64) bool {
	switch t.op {
	case "p99AtMost":
		return p99 <= t.value
	case "atLeastP99":
		return ratio >= t.value && p99 > 0 && p99 <= t.p99
	case "atLeast":
		return ratio >= t.value
	case "atMost":
		return ratio <= t.value
	case "plus":
		return median <= baseline+t.value
	case "valueAtLeast":
		return median >= t.value
	case "valueAtMost":
		return median <= t.value
	}
	return false
}

// Pressure is CPU pressure (/proc/pressure/cpu, some avg10, percent) around a measurement.
type Pressure struct {
	Start *float64 `json:"start,omitempty"`
	End   *float64 `json:"end,omitempty"`
}

// Result is one row of the table and one object of the JSON file.
type Result struct {
	Name         string        `json:"name"`
	Kind         string        `json:"kind"`
	Title        string        `json:"title"`
	Unit         string        `json:"unit,omitempty"`
	Median       *float64      `json:"median,omitempty"`
	P50          *float64      `json:"p50,omitempty"` // of a rate's ops (latency ms), when measured
	P99          *float64      `json:"p99,omitempty"`
	Baseline     *float64      `json:"baseline,omitempty"`
	BaselineName string        `json:"baseline_name,omitempty"`
	Ratio        *float64      `json:"ratio,omitempty"`
	Rounds       int           `json:"rounds,omitempty"`
	Target       string        `json:"target,omitempty"`
	Pass         *bool         `json:"pass,omitempty"`
	CPUPressure  *Pressure     `json:"cpu_pressure,omitempty"`
	Values       []float64     `json:"values,omitempty"`          // the value of each round, in order
	BaseValues   []float64     `json:"baseline_values,omitempty"` // the baseline's value in the same rounds
	Note         string        `json:"note,omitempty"`
	Classes      []ClassResult `json:"classes,omitempty"` // a mixed load's classes of requests
}

// Report is the JSON file.
type Report struct {
	Mode        string    `json:"mode"` // embedded or distributed
	Quick       bool      `json:"quick"`
	Rounds      int       `json:"rounds"`
	StartedAt   time.Time `json:"started_at"`
	FinishedAt  time.Time `json:"finished_at"`
	GoVersion   string    `json:"go_version"`
	CPUs        int       `json:"cpus"`
	CPUPressure *Pressure `json:"cpu_pressure,omitempty"`
	Results     []Result  `json:"results"`
}

// num returns a pointer to x, or nil when x is not a finite number (JSON has no NaN).
func num(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

func pressureNow() *float64 {
	if v, ok := cpuPressure(); ok {
		return &v
	}
	return nil
}

// writeJSON writes r to path, creating its folder.
func writeJSON(path string, r Report) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// fmtNum prints about three significant digits; "—" for a missing number.
func fmtNum(p *float64) string {
	if p == nil {
		return "—"
	}
	x := *p
	switch a := math.Abs(x); {
	case a >= 100:
		return fmt.Sprintf("%.0f", x)
	case a >= 10:
		return fmt.Sprintf("%.1f", x)
	case a >= 1:
		return fmt.Sprintf("%.2f", x)
	default:
		return fmt.Sprintf("%.3f", x)
	}
}

// writeMarkdown prints the table of r.
func writeMarkdown(w io.Writer, r Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Mode: %s%s, %d rounds, %s, %d CPUs, started %s, took %s",
		r.Mode, map[bool]string{true: " (quick)", false: ""}[r.Quick], r.Rounds, r.GoVersion, r.CPUs,
		r.StartedAt.UTC().Format(time.RFC3339), r.FinishedAt.Sub(r.StartedAt).Round(time.Second))
	if p := r.CPUPressure; p != nil {
		fmt.Fprintf(&b, ", CPU pressure (some avg10) %s%% → %s%%", fmtNum(p.Start), fmtNum(p.End))
	}
	b.WriteString("\n\n| scenario | value | unit | baseline | ratio | target | pass | rounds | note |\n")
	b.WriteString("|---|---:|---|---:|---:|---|---|---:|---|\n")
	for _, x := range r.Results {
		value := fmtNum(x.Median)
		if x.P50 != nil && x.P99 != nil {
			value += " (p50 " + fmtNum(x.P50) + " ms, p99 " + fmtNum(x.P99) + " ms)"
		} else if x.P99 != nil {
			value += " (p99 " + fmtNum(x.P99) + ")"
		}
		base := fmtNum(x.Baseline)
		if x.BaselineName != "" && x.Baseline != nil {
			base += " (" + x.BaselineName + ")"
		}
		pass := "—"
		if x.Pass != nil {
			pass = map[bool]string{true: "pass", false: "FAIL"}[*x.Pass]
		}
		rounds := "—"
		if x.Rounds > 0 {
			rounds = fmt.Sprint(x.Rounds)
		}
		ratioText := fmtNum(x.Ratio)
		if x.Ratio != nil {
			ratioText += "×"
		}
		note := x.Note
		if p := x.CPUPressure; p != nil {
			note = strings.TrimSpace(note + fmt.Sprintf(" [cpu %s%%→%s%%]", fmtNum(p.Start), fmtNum(p.End)))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			cell(x.Title), value, cell(x.Unit), base, ratioText, cell(x.Target), pass, rounds, cell(note))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// cell keeps a table cell on one line and out of the table's syntax.
func cell(s string) string {
	if s == "" {
		return "—"
	}
	return strings.NewReplacer("|", "\\|", "\n", " ").Replace(s)
}
