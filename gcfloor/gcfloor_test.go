package gcfloor

import (
	"bytes"
	"errors"
	"log/slog"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"testing"
)

const mib = 1 << 20

func TestPercent(t *testing.T) {
	for _, tc := range []struct {
		name               string
		live, roots, floor uint64
		want               int
	}{
		{"off", 50 * mib, 0, 0, 100},
		{"live above the floor: Go's default", 300 * mib, 0, 256 * mib, 100},
		{"live equal to the floor", 256 * mib, 0, 256 * mib, 100},
		{"small live heap: goal live + floor", 64 * mib, 0, 256 * mib, 400},
		{"roots count in the pacer's base", 60 * mib, 4 * mib, 256 * mib, 400},
		{"rounded down: the goal stays within live + floor", 100 * mib, 0, 256 * mib, 256},
		// 1 MiB live: 25600 % would make the runtime's minimum heap 4 MiB × 256 = 1 GiB;
		// the cap keeps that minimum at live + floor.
		{"tiny live heap: the minimum heap stays within live + floor", 1 * mib, 0, 256 * mib, 6425},
		{"nothing live", 0, 0, 256 * mib, 6400},
		{"huge floor fits int32", 1, 0, MaxFloor, 26_214_400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Percent(tc.live, tc.roots, tc.floor)
			if got != tc.want {
				t.Fatalf("Percent(%d, %d, %d) = %d, want %d", tc.live, tc.roots, tc.floor, got, tc.want)
			}
			// The goal the runtime derives: base × (1 + p/100) − roots, at least the minimum heap.
			base := tc.live + tc.roots
			goal := max(tc.live+base*uint64(got)/100, heapMinimum*uint64(got)/100)
			if tc.floor > 0 && goal > max(tc.live+tc.floor, 2*tc.live+tc.roots) {
				t.Fatalf("goal %d is above max(live + floor, 2 × live + roots)", goal)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	for _, f := range []int64{0, 1, DefaultFloor, MaxFloor} {
		if err := (Config{Floor: f}).Validate(); err != nil {
			t.Fatalf("floor %d: %v", f, err)
		}
	}
	for _, f := range []int64{-1, MaxFloor + 1} {
		if err := (Config{Floor: f}).Validate(); !errors.Is(err, ErrFloor) {
			t.Fatalf("floor %d: %v, want ErrFloor", f, err)
		}
		if _, err := Start(Config{Floor: f}, slog.New(slog.DiscardHandler)); !errors.Is(err, ErrFloor) {
			t.Fatalf("Start with floor %d: %v, want ErrFloor", f, err)
		}
	}
}

func gogc() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int(s[0].Value.Uint64())
}

// logged starts a floor with c and answers it and what it logged.
func logged(t *testing.T, c Config) (*Floor, string) {
	t.Helper()
	var buf bytes.Buffer
	f, err := Start(c, slog.New(slog.NewTextHandler(&buf, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Stop)
	return f, buf.String()
}

// The operator's GOGC or GOMEMLIMIT, or a floor of 0, leave the collector alone.
func TestOperatorWins(t *testing.T) {
	before := debug.SetGCPercent(77)
	defer debug.SetGCPercent(before)
	for _, tc := range []struct {
		c    Config
		logs string
	}{
		{Config{Floor: DefaultFloor, GOGC: "50"}, "GOGC=50"},
		{Config{Floor: DefaultFloor, GOGC: "off"}, "GOGC=off"},
		{Config{Floor: DefaultFloor, GOMEMLIMIT: "2GiB"}, "GOMEMLIMIT=2GiB"},
		{Config{Floor: 0}, "INFRAHUB_GC_HEAP_FLOOR_BYTES=0"},
	} {
		f, out := logged(t, tc.c)
		runtime.GC()
		if p := gogc(); p != 77 {
			t.Fatalf("%+v: GOGC became %d", tc.c, p)
		}
		if !strings.Contains(out, "gc heap floor off") || !strings.Contains(out, tc.logs) {
			t.Fatalf("%+v logged %q", tc.c, out)
		}
		f.Stop()
		if p := gogc(); p != 77 {
			t.Fatalf("%+v: Stop set GOGC %d", tc.c, p)
		}
	}
}

var sink [][]byte

// A running floor raises GOGC over a small live heap after each cycle, and Stop gives the
// previous percent back.
func TestFloorFollowsCycles(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	f, out := logged(t, Config{Floor: 512 * mib})
	if !strings.Contains(out, "gc heap floor on") || !strings.Contains(out, "floor_bytes=536870912") {
		t.Fatalf("logged %q", out)
	}
	second, out := logged(t, Config{Floor: 1 * mib})
	if !strings.Contains(out, "already running") {
		t.Fatalf("second Start logged %q", out)
	}
	for i := 0; ; i++ {
		sink = append(sink, make([]byte, 1<<20)) // about 16 MiB live at most
		if len(sink) > 16 {
			sink = sink[1:]
		}
		runtime.GC()
		runtime.Gosched()
		state.mu.Lock()
		cycles := state.cycles
		state.mu.Unlock()
		if cycles >= 3 {
			break
		}
		if i == 10000 {
			t.Fatal("the sentinel's cleanup never ran")
		}
	}
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(live)
	if p := gogc(); p <= 100 || p > Percent(live[0].Value.Uint64()/2, 0, 512*mib) {
		t.Fatalf("GOGC %d with %d bytes live and a floor of 512 MiB", p, live[0].Value.Uint64())
	}
	second.Stop()
	if p := gogc(); p <= 100 {
		t.Fatalf("the first floor still runs, yet GOGC is %d", p)
	}
	f.Stop()
	f.Stop()
	if p := gogc(); p != 100 {
		t.Fatalf("after Stop GOGC is %d, want the 100 from before", p)
	}
	sink = nil
}
