package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"
)

// round is one round of a measurement: its value (a rate, a p50 latency or a time) and, for
// latencies, every sample in milliseconds.
type round struct {
	value   float64
	samples []float64
}

// series collects the rounds of one measurement.
type series struct {
	values  []float64
	samples []float64 // pooled over the rounds: the p99 of a latency
	rounds  int
}

func (s *series) add(r round) {
	s.values = append(s.values, r.value)
	s.samples = append(s.samples, r.samples...)
	s.rounds++
}

// measureFunc measures one round; n counts the rounds of this measurement from 0.
type measureFunc func(ctx context.Context, n int) (round, error)

// timeBoxed runs op from clients goroutines until d has passed and returns the completed ops per
// second and the latency of each op. op gets its client number and that client's op count.
func timeBoxed(ctx context.Context, clients int, d time.Duration, op func(ctx context.Context, c, i int) error) (float64, []time.Duration, error) {
	var wg sync.WaitGroup
	lats := make([][]time.Duration, clients)
	errs := make([]error, clients)
	start := time.Now()
	deadline := start.Add(d)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline) && ctx.Err() == nil; i++ {
				t := time.Now()
				if err := op(ctx, c, i); err != nil {
					errs[c] = err
					return
				}
				lats[c] = append(lats[c], time.Since(t))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := errors.Join(append(errs, ctx.Err())...); err != nil {
		return 0, nil, err
	}
	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	if len(all) == 0 {
		return 0, nil, errors.New("no operation completed")
	}
	return float64(len(all)) / elapsed.Seconds(), all, nil
}

// fixedWork runs n ops shared by clients goroutines and returns the time they took. op gets its
// client number and that client's op count.
func fixedWork(ctx context.Context, clients, n int, op func(ctx context.Context, c, i int) error) (time.Duration, error) {
	var wg sync.WaitGroup
	var left atomic.Int64
	left.Store(int64(n))
	errs := make([]error, clients)
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; left.Add(-1) >= 0; i++ {
				if err := op(ctx, c, i); err != nil {
					errs[c] = err
					left.Store(0)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	return elapsed, errors.Join(append(errs, ctx.Err())...)
}

// rateRound is a round of a throughput measurement in ops/s.
func rateRound(rate float64) round { return round{value: rate} }

// latencyRound is a round of a latency measurement: its p50 in ms and its samples.
func latencyRound(lats []time.Duration) round {
	ms := millis(lats)
	return round{value: median(ms), samples: ms}
}

// pair measures a baseline and a scenario in interleaved rounds; the order alternates from round
// to round so that a drift of the machine weighs on both alike.
func (e *env) pair(ctx context.Context, sp spec, def baselineDef, base, scen measureFunc) (b, s *series, err error) {
	b, s = &series{}, &series{}
	for n := range e.cfg.rounds {
		steps := []struct {
			into *series
			f    measureFunc
		}{{b, base}, {s, e.profiled(sp.name, scen)}}
		if n%2 == 1 {
			steps[0], steps[1] = steps[1], steps[0]
		}
		for _, st := range steps {
			r, err := st.f(ctx, n)
			if err != nil {
				return nil, nil, fmt.Errorf("%s round %d: %w", sp.name, n+1, err)
			}
			st.into.add(r)
		}
		e.progress("%s round %d/%d: %s %s %s, scenario %s %s", sp.name, n+1, e.cfg.rounds,
			def.name, fmtNum(num(b.values[n])), def.unit, fmtNum(num(s.values[n])), sp.unit)
	}
	e.recordBaseline(def.name, b)
	return b, s, nil
}

// alone measures one thing for the configured rounds.
func (e *env) alone(ctx context.Context, name string, f measureFunc, unit string) (*series, error) {
	s := &series{}
	for n := range e.cfg.rounds {
		r, err := f(ctx, n)
		if err != nil {
			return nil, fmt.Errorf("%s round %d: %w", name, n+1, err)
		}
		s.add(r)
		e.progress("%s round %d/%d: %s %s", name, n+1, e.cfg.rounds, fmtNum(num(r.value)), unit)
	}
	return s, nil
}

// recordBaseline pools the rounds of a baseline measured beside several scenarios.
func (e *env) recordBaseline(name string, s *series) {
	p, ok := e.baselines[name]
	if !ok {
		p = &series{}
		e.baselines[name] = p
	}
	p.values = append(p.values, s.values...)
	p.samples = append(p.samples, s.samples...)
	p.rounds += s.rounds
}

// spec describes a scenario row.
type spec struct {
	name, title, unit string
	baseline          string // name of the baseline
	target            target
	latency           bool // the value is a p50 latency; report the p99 too
	tail              bool // the value is a rate whose rounds carry each op's latency: report their p50 and p99
	note              string
}

// scenarioResult turns a measured pair into a row. The ratio is the median of the per-round
// ratios scenario/baseline (both measured in the same round).
func scenarioResult(sp spec, b, s *series, pr *Pressure) Result {
	med, bmed := median(s.values), median(b.values)
	rt := median(ratios(s.values, b.values))
	r := Result{Name: sp.name, Kind: kindScenario, Title: sp.title, Unit: sp.unit, Median: num(med),
		Baseline: num(bmed), BaselineName: sp.baseline, Ratio: num(rt), Rounds: s.rounds,
		Target: sp.target.String(), CPUPressure: pr, Values: s.values, BaseValues: b.values, Note: sp.note}
	var tail float64
	if sp.latency || sp.tail {
		tail = p99(s.samples)
		r.P99 = num(tail)
	}
	if sp.tail {
		r.P50 = num(median(s.samples))
	}
	if sp.target.op != "report" {
		pass := sp.target.met(med, tail, bmed, rt)
		r.Pass = &pass
	}
	return r
}

// baselineResult turns a baseline's pooled rounds into a row.
func baselineResult(def baselineDef, s *series, pr *Pressure) Result {
	r := Result{Name: def.name, Kind: kindBaseline, Title: def.title, Unit: def.unit,
		Median: num(median(s.values)), Rounds: s.rounds, CPUPressure: pr, Values: s.values, Note: def.note}
	if def.latency {
		r.P99 = num(p99(s.samples))
	}
	return r
}

// profiled wraps a scenario's measurement so that, with --cpuprofile, each round writes the
// CPU profile of this process into that folder as <name>-r<round>.pprof and, when the scenario's
// servers run by then, each server's as <name>-r<round>-server<i>.pprof (taken from its
// INFRAHUB_DEBUG_LISTEN over the round's window, so for the time-boxed HTTP rounds).
func (e *env) profiled(name string, f measureFunc) measureFunc {
	dir := e.cfg.cpuProfile
	if dir == "" {
		return f
	}
	return func(ctx context.Context, n int) (round, error) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return round{}, fmt.Errorf("--cpuprofile: %w", err)
		}
		prefix := filepath.Join(dir, fmt.Sprintf("%s-r%d", name, n+1))
		file, err := os.Create(prefix + ".pprof")
		if err != nil {
			return round{}, fmt.Errorf("--cpuprofile: %w", err)
		}
		defer file.Close()
		var wg sync.WaitGroup
		defer wg.Wait()
		if e.gql != nil {
			for i, s := range e.gql.servers {
				if s.debug == "" {
					continue
				}
				wg.Go(func() {
					if err := saveServerProfile(ctx, e.gql.client, s.debug, e.sz.window, fmt.Sprintf("%s-server%d.pprof", prefix, i+1)); err != nil {
						e.progress("--cpuprofile: server %d: %v", i+1, err)
					}
				})
			}
		}
		if err := pprof.StartCPUProfile(file); err != nil {
			return round{}, fmt.Errorf("--cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
		return f(ctx, n)
	}
}

// saveServerProfile writes the CPU profile of the server at debug over the next window (at least
// a second) into path; client carries the servers' admin token (the profiles are a super
// administrator's).
func saveServerProfile(ctx context.Context, client *http.Client, debug string, window time.Duration, path string) error {
	secs := max(1, int(window.Round(time.Second)/time.Second))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", debug, secs), nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", req.URL, resp.Status)
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, resp.Body); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
