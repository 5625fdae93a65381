package main

import (
	"bytes"
	"log/slog"
	"runtime"
	"strings"
	"testing"
)

// A server runs one processor more than Go's default unless INFRAHUB_EXTRA_PROCS says otherwise
// or the operator set GOMAXPROCS, and its start log says which applies; a bad value is refused.
func TestSetProcs(t *testing.T) {
	def := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(def)
	for _, tc := range []struct {
		env  map[string]string
		want int
		says string
	}{
		{map[string]string{}, def + 1, "INFRAHUB_EXTRA_PROCS"},
		{map[string]string{"INFRAHUB_EXTRA_PROCS": "3"}, def + 3, "INFRAHUB_EXTRA_PROCS"},
		{map[string]string{"INFRAHUB_EXTRA_PROCS": "0"}, def, "Go's default"},
		{map[string]string{"GOMAXPROCS": "1"}, def, "GOMAXPROCS"}, // the runtime read it at start, not this map
	} {
		runtime.GOMAXPROCS(def)
		cfg, err := LoadConfig(tc.env)
		if err == nil {
			err = cfg.Resolve()
		}
		if err != nil {
			t.Fatalf("%v: %v", tc.env, err)
		}
		var log bytes.Buffer
		n := setProcs(cfg, slog.New(slog.NewTextHandler(&log, nil)))
		if n != tc.want || runtime.GOMAXPROCS(0) != tc.want || !strings.Contains(log.String(), tc.says) {
			t.Errorf("%v: %d processors (runtime %d), log %q; want %d and %q", tc.env, n, runtime.GOMAXPROCS(0), log.String(), tc.want, tc.says)
		}
	}
	for _, bad := range []string{"-1", "65"} {
		cfg, err := LoadConfig(map[string]string{"INFRAHUB_EXTRA_PROCS": bad})
		if err == nil {
			err = cfg.Resolve()
		}
		if err == nil || !strings.Contains(err.Error(), "INFRAHUB_EXTRA_PROCS") {
			t.Errorf("INFRAHUB_EXTRA_PROCS=%s: %v, want a refusal naming it", bad, err)
		}
	}
}
