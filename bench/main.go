// Command bench is the benchmark harness of issue 8: it measures the scenarios that the code
// supports side by side with raw baselines of the same machine (PostgreSQL, RabbitMQ, Go), in
// interleaved rounds, and prints a Markdown table and writes a JSON file.
//
//	go run ./bench [--distributed] [--rounds 5] [--quick] [--only name,name] [--out bench/results/latest.json]
//
// See bench/README.md for how to read the results.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/infrahub-go/infrahub/internal/testenv"
)

// config is the parsed command line.
type config struct {
	distributed bool
	rounds      int
	quick       bool
	pgURL       string
	amqpURL     string
	redisURL    string
	out         string
	cpuProfile  string   // CPU profile of the whole run, written at its end; empty for none
	only        []string // names of scenarios and baselines; empty means all
}

// minRounds is the fewest interleaved rounds a measurement may use.
const minRounds = 5

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	var only string
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&c.distributed, "distributed", false, "log = PostgreSQL, bus = RabbitMQ (default: log = SQLite in a temp dir, bus = mem://)")
	fs.IntVar(&c.rounds, "rounds", minRounds, "interleaved rounds per measurement (at least 5)")
	fs.BoolVar(&c.quick, "quick", false, "small sizes (tests, smoke runs)")
	fs.StringVar(&c.pgURL, "pg", testenv.DefaultPostgresURL, "PostgreSQL (baselines; the log with --distributed); the run works in a fresh schema it drops at the end")
	fs.StringVar(&c.amqpURL, "amqp", testenv.DefaultAMQPURL, "RabbitMQ (baseline; the bus with --distributed)")
	fs.StringVar(&c.redisURL, "redis", testenv.DefaultRedisURL, "Redis (baseline of scenario 12)")
	fs.StringVar(&c.out, "out", "bench/results/latest.json", "JSON results file")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of each round of a scenario (not of its baseline) into this folder as <scenario>-r<round>.pprof (go tool pprof merges several)")
	fs.StringVar(&only, "only", "", "comma-separated names of scenarios or baselines to run (see --list)")
	list := fs.Bool("list", false, "list the scenario and baseline names and exit")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if *list {
		return c, errList
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.rounds < minRounds {
		return c, fmt.Errorf("--rounds %d: at least %d", c.rounds, minRounds)
	}
	if c.out == "" {
		return c, errors.New("--out is empty")
	}
	known := names()
	for _, n := range strings.Split(only, ",") {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		if !slices.Contains(known, n) {
			return c, fmt.Errorf("--only: unknown name %q (known: %s)", n, strings.Join(known, ", "))
		}
		c.only = append(c.only, n)
	}
	return c, nil
}

var errList = errors.New("list requested")

// selected says whether the name is to run.
func (c config) selected(name string) bool {
	return len(c.only) == 0 || slices.Contains(c.only, name)
}

func (c config) mode() string {
	if c.distributed {
		return "distributed"
	}
	return "embedded"
}

func main() {
	// The 1M-node scenarios keep several GB live: collect less often, within a bound that leaves
	// the machine room (GOGC and GOMEMLIMIT, when set, win).
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(16 << 30)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// run is the whole harness: parse, measure, print the table and write the JSON file.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, errList) {
		for _, n := range names() {
			fmt.Fprintln(stdout, n)
		}
		return nil
	}
	if err != nil {
		return err
	}
	rep := Report{Mode: cfg.mode(), Quick: cfg.quick, Rounds: cfg.rounds, StartedAt: time.Now().UTC(),
		GoVersion: runtime.Version(), CPUs: runtime.NumCPU(), CPUPressure: &Pressure{Start: pressureNow()}}
	e, err := setup(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	results, runErr := e.runAll(ctx)
	closeErr := e.close()
	if runErr != nil {
		return errors.Join(runErr, closeErr)
	}
	rep.Results = results
	rep.FinishedAt = time.Now().UTC()
	rep.CPUPressure.End = pressureNow()
	if err := writeMarkdown(stdout, rep); err != nil {
		return err
	}
	if err := writeJSON(cfg.out, rep); err != nil {
		return fmt.Errorf("write %s: %w", cfg.out, err)
	}
	e.progress("wrote %s", cfg.out)
	var failed []string
	for _, r := range results {
		if r.Kind == kindFailed {
			failed = append(failed, r.Name)
		}
	}
	if len(failed) > 0 {
		closeErr = errors.Join(closeErr, fmt.Errorf("scenarios failed: %s", strings.Join(failed, ", ")))
	}
	return closeErr
}
