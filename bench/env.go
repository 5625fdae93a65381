package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/bus"
	"github.com/infrahub-go/infrahub/events/postgres"
	"github.com/infrahub-go/infrahub/events/sqlite"
	"github.com/infrahub-go/infrahub/internal/testenv"
)

// sizes of the work, full or --quick.
type sizes struct {
	window    time.Duration // length of a time-boxed round (throughput and latency)
	bulk      int           // events of scenario 4 and rows of the 100-row insert baseline
	copyRows  int           // rows of the COPY baseline
	busEvents int           // events through the forwarder (scenario 6), in messages of 100
	replay    int           // events replayed (scenario 10a)
	mapN      int           // structs inserted into a Go map
	jsonN     int           // payloads decoded
	graphN    int           // node events of scenarios 5, 10b and 11
	diffN     int           // devices under scenario 9's 10k-change diff and merge
	diffBigN  int           // devices under scenario 9's 10-change diff
	diffMany  int           // changes of the large diff and of the merge
	artN      int           // devices of the target group of scenarios 15 and 16
}

func sizesFor(quick bool) sizes {
	if quick {
		return sizes{window: 150 * time.Millisecond, bulk: 10_000, copyRows: 10_000, busEvents: 5_000,
			replay: 100_000, mapN: 100_000, jsonN: 100_000, graphN: 20_000, diffN: 10_000, diffBigN: 50_000, diffMany: 1_000, artN: 50}
	}
	return sizes{window: 2 * time.Second, bulk: 100_000, copyRows: 100_000, busEvents: 100_000,
		replay: 1_000_000, mapN: 1_000_000, jsonN: 1_000_000, graphN: 1_000_000, diffN: 100_000, diffBigN: 1_000_000, diffMany: 10_000, artN: 1_000}
}

// logStore is what the scenarios need from a log adapter.
type logStore interface {
	events.Store
	events.Checkpoints
}

// env holds the services of one run.
type env struct {
	cfg   config
	sz    sizes
	out   io.Writer // progress lines
	start time.Time
	quiet *slog.Logger
	runID string

	schema  string            // PostgreSQL schema of this run (raw tables; the log when distributed)
	pgStore *postgres.Store   // migrations of schema; the log when distributed
	pool    *pgxpool.Pool     // baselines: a pool of its own, sized for the clients
	store   logStore          // the log under test
	bus     *bus.Bus          // the bus under test
	app     *commands.Service // scenario 3 dispatches to it
	nodes   *nodeWorld        // scenario 4's node Store and commands, made on first use
	graph   *graphLog         // the node events of scenarios 5, 10b and 11, made on first use
	point   *pointReadServer
	gql     *gqlWorld  // scenarios 7 and 8: infrahub serve processes, made on first use
	gqlErr  error      // why they could not be made (once is enough)
	load    *loadConns // scenarios 13 and 14: a connection per client
	bin     string     // the infrahub binary built from this checkout (scenarios 7, 8, 15, 16)
	binErr  error
	art     *artWorld // scenarios 15 and 16: a server with the generated catalog repository
	artErr  error
	diffs   map[int]*diffWorld // scenario 9's worlds by size
	filled  *nodes.Store       // a Store holding the graph log (scenario 5's last, for 10b, 11b and 12)
	heaps   []float64          // MB of heap each of scenario 5's rounds took (scenario 11)
	closers []func() error     // logs opened by scenarios
	tmp     string

	schemas   []string // dropped at the end
	exchanges []string // AMQP topology deleted at the end
	queues    []string
	seq       atomic.Int64 // unique ids for streams of each round

	baselines map[string]*series
}

func setup(ctx context.Context, cfg config, out io.Writer) (e *env, err error) {
	e = &env{cfg: cfg, sz: sizesFor(cfg.quick), out: out, start: time.Now(), runID: testenv.RandomHex(4),
		quiet:     slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelError})),
		baselines: map[string]*series{}, diffs: map[int]*diffWorld{}}
	defer func() {
		if err != nil {
			err = errors.Join(err, e.close())
		}
	}()
	e.progress("mode %s, %d rounds, quick=%v, run id %s", cfg.mode(), cfg.rounds, cfg.quick, e.runID)
	if e.tmp, err = os.MkdirTemp("", "infrahub-bench-*"); err != nil {
		return e, err
	}
	e.schema = "bench_" + e.runID
	e.schemas = append(e.schemas, e.schema)
	e.pgStore, err = postgres.Open(ctx, postgres.Config{URL: cfg.pgURL, Schema: e.schema, MaxConns: 8}, e.quiet)
	if err != nil {
		return e, fmt.Errorf("PostgreSQL at %s (needed for the baselines in both modes): %w", redactURL(cfg.pgURL), err)
	}
	pcfg, err := pgxpool.ParseConfig(cfg.pgURL)
	if err != nil {
		return e, err
	}
	pcfg.MaxConns = 16
	pcfg.ConnConfig.RuntimeParams["search_path"] = e.schema
	if e.pool, err = pgxpool.NewWithConfig(ctx, pcfg); err != nil {
		return e, err
	}
	if _, err = e.pool.Exec(ctx, `CREATE TABLE raw_events (LIKE events INCLUDING ALL);
		CREATE TABLE raw_copy (LIKE events INCLUDING ALL);
		CREATE SEQUENCE raw_position`); err != nil {
		return e, fmt.Errorf("create raw tables: %w", err)
	}
	if err := checkAMQP(cfg.amqpURL); err != nil {
		return e, fmt.Errorf("RabbitMQ at %s (needed for the publish baseline in both modes): %w", redactURL(cfg.amqpURL), err)
	}
	busURL := "mem://"
	if cfg.distributed {
		e.store = e.pgStore
		busURL = cfg.amqpURL
	} else {
		s, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(e.tmp, "events.db")}, e.quiet)
		if err != nil {
			return e, err
		}
		e.store = s
	}
	if e.bus, err = bus.New(ctx, bus.Config{URL: busURL, ConnectionName: "infrahub-bench"}, e.quiet); err != nil {
		return e, err
	}
	if _, e.app, _, err = newApp(e.store); err != nil {
		return e, err
	}
	return e, nil
}

func checkAMQP(raw string) error {
	conn, err := amqp.DialConfig(raw, amqp.Config{Dial: amqp.DefaultDial(5 * time.Second)})
	if err != nil {
		return err
	}
	return conn.Close()
}

// close releases everything setup and the scenarios opened, and drops what they created.
func (e *env) close() error {
	var errs []error
	if e.gql != nil {
		errs = append(errs, e.gql.stop())
	}
	if e.art != nil {
		errs = append(errs, e.art.stop())
	}
	if e.point != nil {
		errs = append(errs, e.point.srv.Close())
	}
	for _, c := range e.closers {
		errs = append(errs, c())
	}
	if e.bus != nil {
		errs = append(errs, e.bus.Close())
	}
	if e.store != nil && e.store != logStore(e.pgStore) {
		errs = append(errs, e.store.Close())
	}
	if e.pgStore != nil {
		errs = append(errs, e.pgStore.Close())
	}
	if e.pool != nil {
		e.pool.Close()
	}
	if len(e.exchanges)+len(e.queues) > 0 {
		errs = append(errs, deleteTopology(e.cfg.amqpURL, e.exchanges, e.queues))
	}
	if len(e.schemas) > 0 {
		errs = append(errs, dropSchemas(e.cfg.pgURL, e.schemas))
	}
	if e.tmp != "" {
		errs = append(errs, os.RemoveAll(e.tmp))
	}
	return errors.Join(errs...)
}

func dropSchemas(raw string, schemas []string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, raw)
	if err != nil {
		return fmt.Errorf("drop schemas: %w", err)
	}
	defer conn.Close(ctx)
	for _, s := range schemas {
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{s}.Sanitize()+" CASCADE"); err != nil {
			return fmt.Errorf("drop schema %s: %w", s, err)
		}
	}
	return nil
}

func deleteTopology(raw string, exchanges, queues []string) error {
	conn, err := amqp.Dial(raw)
	if err != nil {
		return fmt.Errorf("delete AMQP topology: %w", err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("delete AMQP topology: %w", err)
	}
	defer ch.Close()
	var errs []error
	for _, q := range queues {
		if _, err := ch.QueueDelete(q, false, false, false); err != nil {
			errs = append(errs, fmt.Errorf("delete queue %s: %w", q, err))
		}
	}
	for _, x := range exchanges {
		if err := ch.ExchangeDelete(x, false, false); err != nil {
			errs = append(errs, fmt.Errorf("delete exchange %s: %w", x, err))
		}
	}
	return errors.Join(errs...)
}

// progress prints a line on stderr with the time since the start.
func (e *env) progress(format string, args ...any) {
	fmt.Fprintf(e.out, "[bench %6.1fs] %s\n", time.Since(e.start).Seconds(), fmt.Sprintf(format, args...))
}

// next returns a number unique within the run (stream names of each round).
func (e *env) next() int64 { return e.seq.Add(1) }

// redactURL hides a password in raw.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
