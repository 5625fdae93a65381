// Command soak runs a bounded mixed load against a real embedded server, as users would: it
// builds and starts `infrahub serve` in a temporary directory, loads a small schema and some
// data, then runs N clients for a fixed time, each request a GraphQL read (70 %) or a write
// (30 %, node.create or node.update through POST /api/commands), over loopback. It prints the
// throughput, the errors, p50/p99 per class and the server's RSS before and after, and writes
// them as JSON.
//
//	go run ./bench/soak [--duration 60s] [--clients 16] [--reads 70] [--out bench/results/soak.json]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

type config struct {
	duration time.Duration
	clients  int
	reads    int // percent of requests that are reads
	out      string
	binary   string // an infrahub binary; empty builds ./cmd/infrahub
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&c.duration, "duration", 60*time.Second, "length of the load (at most 10m)")
	fs.IntVar(&c.clients, "clients", 16, "concurrent clients (1 to 256)")
	fs.IntVar(&c.reads, "reads", 70, "percent of requests that are GraphQL reads (0 to 100)")
	fs.StringVar(&c.out, "out", "bench/results/soak.json", "JSON results file (empty: none)")
	fs.StringVar(&c.binary, "binary", "", "infrahub binary to run (default: build ./cmd/infrahub)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	switch {
	case c.duration <= 0 || c.duration > 10*time.Minute:
		return c, fmt.Errorf("--duration %s: between 0 and 10m", c.duration)
	case c.clients < 1 || c.clients > 256:
		return c, fmt.Errorf("--clients %d: between 1 and 256", c.clients)
	case c.reads < 0 || c.reads > 100:
		return c, fmt.Errorf("--reads %d: between 0 and 100", c.reads)
	}
	return c, nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	srv, err := start(ctx, cfg.binary, stderr)
	if err != nil {
		return err
	}
	defer srv.stop()
	fmt.Fprintln(stderr, "soak: loading the schema and 200 sites")
	ids, err := seed(ctx, srv.base)
	if err != nil {
		return err
	}
	res := Result{Clients: cfg.clients, ReadPercent: cfg.reads, Duration: cfg.duration.String()}
	res.RSSBeforeMB = srv.rssMB()
	fmt.Fprintf(stderr, "soak: %d clients for %s (%d %% reads)\n", cfg.clients, cfg.duration, cfg.reads)
	res.load(ctx, srv.base, ids, cfg, stderr)
	res.RSSAfterMB = srv.rssMB()
	if !srv.alive() {
		return errors.New("the server died during the load")
	}
	res.print(stdout)
	if cfg.out != "" {
		return res.write(cfg.out)
	}
	return nil
}
