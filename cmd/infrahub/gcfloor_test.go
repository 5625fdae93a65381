package main

import (
	"bytes"
	"log/slog"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/gcfloor"
)

// The heap floor is on by default (256 MiB); INFRAHUB_GC_HEAP_FLOOR_BYTES sets it, and Go's own
// GOGC and GOMEMLIMIT reach it so that the operator's setting wins.
func TestConfigGCFloor(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want gcfloor.Config
	}{
		{map[string]string{}, gcfloor.Config{Floor: 256 << 20}},
		{map[string]string{"INFRAHUB_GC_HEAP_FLOOR_BYTES": "0"}, gcfloor.Config{}},
		{map[string]string{"INFRAHUB_GC_HEAP_FLOOR_BYTES": "1073741824"}, gcfloor.Config{Floor: 1 << 30}},
		{map[string]string{"GOGC": "200"}, gcfloor.Config{Floor: 256 << 20, GOGC: "200"}},
		{map[string]string{"GOMEMLIMIT": "4GiB"}, gcfloor.Config{Floor: 256 << 20, GOMEMLIMIT: "4GiB"}},
	} {
		cfg, err := LoadConfig(tc.env)
		if err == nil {
			err = cfg.Resolve()
		}
		if err != nil {
			t.Fatalf("%v: %v", tc.env, err)
		}
		if got := cfg.GCFloor(); got != tc.want {
			t.Errorf("%v: %+v, want %+v", tc.env, got, tc.want)
		}
	}
}

// With GOGC or GOMEMLIMIT in the environment the server leaves the collector alone and says so.
func TestGCFloorOperatorWins(t *testing.T) {
	before := debug.SetGCPercent(150)
	defer debug.SetGCPercent(before)
	for _, env := range []map[string]string{{"GOGC": "150"}, {"GOMEMLIMIT": "8GiB"}} {
		cfg, err := LoadConfig(env)
		if err != nil {
			t.Fatal(err)
		}
		var log bytes.Buffer
		floor, err := gcfloor.Start(cfg.GCFloor(), slog.New(slog.NewTextHandler(&log, nil)))
		if err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		if p := debug.SetGCPercent(150); p != 150 {
			t.Errorf("%v: GOGC became %d", env, p)
		}
		floor.Stop()
		if !strings.Contains(log.String(), "gc heap floor off") {
			t.Errorf("%v: logged %q", env, log.String())
		}
	}
}
