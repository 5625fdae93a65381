package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/infrahub-go/infrahub/backoff"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/redact"
)

// Retries of a dependency that is unreachable at start (broker, cache): 100 ms doubling up to
// dependencyRetryMax; once connected, it is checked every dependencyCheckEvery.
const (
	dependencyRetryMax   = 10 * time.Second
	dependencyCheckEvery = 2 * time.Second
	dependencyCheckLimit = 2 * time.Second
)

// dependency is a service the server needs that may come and go: the broker and the cache. The
// event log and the blob store are opened once at start; their failure stops the start.
type dependency struct {
	name     string // "broker", "cache"
	variable string // the setting that names it
	// connect reaches the service the first time (it may keep what it opened).
	connect func(ctx context.Context) error
	// check tells, once connected, whether the service still answers (the adapters reconnect by
	// themselves; this only reports).
	check func(ctx context.Context) error
	// connected runs once, after the first successful connect.
	connected func()
}

// depStatus is one dependency in /health.
type depStatus struct {
	Variable string     `json:"variable"`
	OK       bool       `json:"ok"`
	Error    string     `json:"error,omitempty"`    // the cause, without secrets
	Since    *time.Time `json:"since,omitempty"`    // when it became unreachable
	Attempts int        `json:"attempts,omitempty"` // connection attempts that failed at start
}

// health tracks the dependencies and whether each has been connected once.
type health struct {
	mu      sync.Mutex
	deps    map[string]*depStatus
	pending int // dependencies never connected yet
	// waiting is pending > 0, read by every request (gate) without taking mu.
	waiting atomic.Bool
}

// add registers a dependency as not yet connected.
func (h *health) add(name, variable string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.deps == nil {
		h.deps = map[string]*depStatus{}
	}
	now := time.Now()
	h.deps[name] = &depStatus{Variable: variable, Error: "connecting", Since: &now}
	h.pending++
	h.waiting.Store(true)
}

// set records the outcome of a connection attempt or check.
func (h *health) set(name string, err error, first bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	d := h.deps[name]
	if err == nil {
		if first {
			h.pending--
			h.waiting.Store(h.pending > 0)
		}
		d.OK, d.Error, d.Since, d.Attempts = true, "", nil, 0
		return
	}
	if d.OK || d.Since == nil {
		now := time.Now()
		d.Since = &now
	}
	d.OK, d.Error = false, redact.String(err.Error())
	if first {
		d.Attempts++
	}
}

// connectedOnce reports whether every dependency has been reached once.
func (h *health) connectedOnce() bool { return !h.waiting.Load() }

// snapshot returns the unreachable dependencies, by name, and a copy of every status.
func (h *health) snapshot() (down []string, all map[string]depStatus) {
	h.mu.Lock()
	defer h.mu.Unlock()
	all = make(map[string]depStatus, len(h.deps))
	for name, d := range h.deps {
		all[name] = *d
		if !d.OK {
			down = append(down, name)
		}
	}
	sort.Strings(down)
	return down, all
}

// unavailable is the error of a request refused while a dependency has never been reached.
func (h *health) unavailable() error {
	down, all := h.snapshot()
	msgs := make([]error, 0, len(down))
	for _, name := range down {
		msgs = append(msgs, fmt.Errorf("%s (%s): %s", name, all[name].Variable, all[name].Error))
	}
	return fmt.Errorf("%w: waiting for %w", fault.ErrUnavailable, errors.Join(msgs...))
}

// keep connects d unless connected already, retrying with backoff until it answers, then checks
// it every dependencyCheckEvery until ctx ends.
func (s *server) keep(ctx context.Context, d dependency, connected bool) {
	wait := backoff.Delay(0, dependencyRetryMax)
	for attempt := 2; !connected; attempt++ {
		if !backoff.Sleep(ctx, wait) {
			return
		}
		err := d.connect(ctx)
		if ctx.Err() != nil {
			return
		}
		s.health.set(d.name, err, true)
		if err == nil {
			break
		}
		wait = backoff.Delay(attempt-1, dependencyRetryMax)
		s.log.Warn(d.name+" unreachable; retrying", "dependency", d.name, "variable", d.variable,
			"attempt", attempt, "retry_in", wait.Round(time.Millisecond), "err", err)
	}
	s.log.Info(d.name+" connected", "dependency", d.name, "variable", d.variable)
	if d.connected != nil {
		d.connected()
	}
	wasDown := false
	for backoff.Sleep(ctx, dependencyCheckEvery) {
		cctx, cancel := context.WithTimeout(ctx, dependencyCheckLimit)
		err := d.check(cctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		s.health.set(d.name, err, false)
		switch {
		case err != nil && !wasDown:
			s.log.Warn(d.name+" unreachable", "dependency", d.name, "variable", d.variable, "err", err)
		case err == nil && wasDown:
			s.log.Info(d.name+" reachable again", "dependency", d.name)
		}
		wasDown = err != nil
	}
}

// gate refuses requests with 503 until every dependency has been reached once (afterwards an
// outage does not stop writes: the log is the outbox and the adapters reconnect). /health,
// /metrics and /api/status always answer.
func (s *server) gate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.health.connectedOnce() && !ungated[r.URL.Path] {
			commands.WriteError(w, s.health.unavailable())
			return
		}
		next.ServeHTTP(w, r)
	})
}

var ungated = map[string]bool{"/health": true, "/metrics": true, "/api/status": true}

// serveHealth answers 200 once the projections have caught up and every dependency answers, 503
// otherwise, naming each dependency and its cause.
func (s *server) serveHealth(w http.ResponseWriter, _ *http.Request) {
	down, all := s.health.snapshot()
	body := map[string]any{"status": "ok"}
	if len(all) > 0 {
		body["dependencies"] = all
	}
	code := http.StatusOK
	switch {
	case len(down) > 0:
		body["status"], code = "unavailable", http.StatusServiceUnavailable
		body["unavailable"] = down
	case !s.ready.Load():
		body["status"], code = "starting", http.StatusServiceUnavailable
	}
	writeJSON(w, code, body)
}
