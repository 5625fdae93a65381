package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"
	"gocloud.dev/blob"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/backoff"
	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/cluster"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/commands/locks"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/bus"
	"github.com/infrahub-go/infrahub/events/forward"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/gcfloor"
	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/projections"
	"github.com/infrahub-go/infrahub/projections/counter"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/projections/graph/authzsource"
	"github.com/infrahub-go/infrahub/projections/graph/memory"
	"github.com/infrahub-go/infrahub/projections/tasks"
	"github.com/infrahub-go/infrahub/queries/authn"
	"github.com/infrahub-go/infrahub/queries/graphql"
	"github.com/infrahub-go/infrahub/queries/httpguard"
	"github.com/infrahub-go/infrahub/queries/rest"
	"github.com/infrahub-go/infrahub/queries/webui"
	"github.com/infrahub-go/infrahub/redact"
	"github.com/infrahub-go/infrahub/task"
	"github.com/infrahub-go/infrahub/tlsconfig"
	"github.com/infrahub-go/infrahub/workers"
	"github.com/infrahub-go/infrahub/workers/gitsync"
)

// Roles of a process. The API role accepts commands; the worker role runs the background work
// (today the forwarder and the projections; git sync and rendering arrive with their issues).
const (
	roleAPI    = "api"
	roleWorker = "worker"
)

func newServe(env map[string]string) *cobra.Command {
	return newRole(env, roleAPI, "serve",
		"Run the API server with the forwarder and the projections (embedded by default)")
}

func newWorker(env map[string]string) *cobra.Command {
	return newRole(env, roleWorker, "worker",
		"Run a worker: the forwarder and the projections, with /health and /metrics")
}

func newRole(env map[string]string, role, use, short string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(env, cmd)
			if err != nil {
				return err
			}
			logger := newLogger(cfg, cmd.ErrOrStderr()).With("role", role)
			cfg.role = role
			floor, err := gcfloor.Start(cfg.GCFloor(), logger)
			if err != nil {
				return fmt.Errorf("INFRAHUB_GC_HEAP_FLOOR_BYTES: %w", err)
			}
			defer floor.Stop()
			setProcs(cfg, logger)
			srv, err := startServer(cmd.Context(), cfg, logger)
			if err != nil {
				return redact.Error(err)
			}
			return redact.Error(srv.serve(cmd.Context()))
		},
	}
	cmd.Flags().String("listen", ":8000", "address to listen on (INFRAHUB_LISTEN)")
	cmd.Flags().Int("workers", -1, "tasks this process runs at once; 0 runs none (INFRAHUB_WORKERS; default: 4 for a worker, 2 for an embedded server, 0 for an API server of a distributed deployment)")
	cmd.Flags().Bool("fail-fast", false, "exit at once when the broker or the cache is unreachable at start instead of retrying (INFRAHUB_FAIL_FAST)")
	if role == roleAPI {
		cmd.Flags().String("ui-dir", "", "folder of a web UI built from Infrahub's frontend/app (its dist folder) to serve on the API's origin (INFRAHUB_UI_DIR)")
	}
	addDataFlag(cmd)
	return cmd
}

// server is one running `infrahub serve`: the adapters, the background loops and HTTP.
type server struct {
	role     string
	cfg      Config
	log      *slog.Logger
	store    logStore
	bus      *bus.Bus
	bucket   *blob.Bucket
	locks    *locks.Redis // nil without INFRAHUB_CACHE_URL
	fwd      *forward.Forwarder
	runner   *projections.Runner
	counter  *counter.Counter
	tasks    *tasks.Projection            // background tasks: what InfrahubTask answers
	pool     atomic.Pointer[workers.Pool] // the tasks this process runs (nil: none)
	catalog  *events.Catalogue
	graph    *nodes.Store         // branches, schemas and nodes: what commands decide against and reads answer from
	branches *branch.State        // graph.Branches()
	app      *commands.Service    // the write side: every command handler
	reads    *memory.Reader       // the graph read port of authz, commands, artifacts, events
	query    graph.Port           // the graph read port GraphQL and REST answer from (queryPort)
	schemas  *graphql.Schemas     // built GraphQL schemas by schema hash: a load's check, then its queries
	auth     *authn.Authenticator // who a request acts for: login tokens and API tokens
	tokens   *authn.TokenCache    // API token verifications auth reuses until the graph's fold changes them
	perms    *authz.Resolver      // what an identity was granted, read through reads
	registry *prometheus.Registry
	listener net.Listener
	ready    atomic.Bool
	// snapshotAt is the position (an events.Position) of the last snapshot written or read.
	snapshotAt atomic.Int64

	health health             // the broker and the cache: /health names them while unreachable
	bg     context.Context    // the background loops' context
	cancel context.CancelFunc // stops the background loops
	wg     sync.WaitGroup

	// forwarding says whether this process forwards alone, only while elected, or besides
	// every other; lease is the forwarder's lease while this process holds it (elected).
	forwarding forwarding
	lease      atomic.Pointer[cluster.Lease]
	presence   *cluster.Presence // nil without INFRAHUB_CACHE_URL

	ui *webui.Handler // the web UI of INFRAHUB_UI_DIR (nil: none)

	neo4j neo4jParts // the Neo4j projection (INFRAHUB_GRAPH_PROJECTION_NEO4J)

	git gitParts   // Git repositories, transforms, artifacts (repositories.go)
	ev  eventParts // events, subscriptions, webhooks, triggers (activity.go)
}

// startServer opens every adapter, starts the forwarder and the projections, and binds the
// listener. Call serve to answer requests until ctx ends. The event log, the blob store and the
// listener must open at once: their failure is an error naming the dependency and its cause. The
// broker and the cache may come later: they are retried with backoff while /health answers 503
// with the cause (with cfg.FailFast their first failure is the error).
func startServer(ctx context.Context, cfg Config, logger *slog.Logger) (_ *server, err error) {
	s := &server{cfg: cfg, role: cfg.role, log: logger, registry: prometheus.NewRegistry(), counter: counter.New()}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	if cfg.UIDir != "" && s.role != roleWorker { // first: a wrong folder stops the start before anything opens
		if s.ui, err = webui.Open(cfg.UIDir); err != nil {
			return nil, fmt.Errorf("INFRAHUB_UI_DIR (--ui-dir): %w", err)
		}
	}
	if s.graph, err = nodes.New(); err != nil {
		return nil, err
	}
	s.catalog = s.graph.Catalogue()
	s.branches = s.graph.Branches()
	logger.Info("starting", "version", version, "events", redact.URL(cfg.EventsURL), "broker", redact.URL(cfg.BrokerURL),
		"cache", redact.URL(cfg.CacheURL), "graph", redact.URL(cfg.GraphURL), "storage", redact.URL(cfg.StorageURL))
	if s.store, err = openLog(ctx, cfg, logger); err != nil {
		return nil, err
	}
	if s.bucket, err = openStorage(ctx, cfg); err != nil {
		return nil, err
	}
	if cfg.CacheURL != "" {
		if s.locks, err = openCache(cfg, logger); err != nil {
			return nil, err
		}
	} else if !strings.HasPrefix(cfg.EventsURL, "sqlite:") {
		logger.Warn("INFRAHUB_CACHE_URL is not set: resource pool allocations take turns within this server only; with several servers on one log, set it to a shared Redis")
	}
	s.forwarding = forwardingOf(cfg)
	if s.forwarding == forwardEvery {
		logger.Warn("INFRAHUB_CACHE_URL is not set: every server on this log forwards it to the broker (consumers skip the duplicates); set it to elect one forwarder")
	}
	deps, connected, err := s.connectDependencies(ctx, cfg, logger)
	if err != nil {
		return nil, err
	}
	if loadSnapshot(ctx, s.bucket, s.graph, s.store, logger) {
		s.snapshotAt.Store(int64(s.graph.Position()))
	}
	var serverTLS *tls.Config
	if cfg.TLSCertFile != "" {
		if serverTLS, err = tlsconfig.Server(cfg.TLSCertFile, cfg.TLSKeyFile); err != nil {
			return nil, fmt.Errorf("INFRAHUB_TLS_CERT_FILE: %w", err)
		}
	}
	if s.listener, err = net.Listen("tcp", cfg.Listen); err != nil {
		return nil, fmt.Errorf("INFRAHUB_LISTEN: %w", err)
	}
	if serverTLS != nil {
		s.listener = tls.NewListener(s.listener, serverTLS)
	}
	s.fwd = &forward.Forwarder{Log: s.store, Checkpoints: s.store, Topic: cfg.EventsTopic(), Logger: logger}
	if s.forwarding == forwardElected { // only the lease holder publishes and moves the checkpoint
		s.fwd.Fence = s.fence
		s.fwd.Checkpoints = fencedCheckpoints{Checkpoints: s.store, fence: s.fence}
	}
	s.runner = &projections.Runner{Log: s.store, Checkpoints: s.store, Logger: logger, Subscribe: s.subscribe}
	if c, ok := s.store.(interface{ Commits() *events.Signal }); ok { // SQLite: what commands append is handed to the runner
		s.fwd.Log = s.runner.Tail(s.store, c.Commits()) // the forwarder takes it from there
	}
	s.schemas = &graphql.Schemas{Max: cfg.Limits.SchemaCache}
	key, err := secretKey(cfg, logger)
	if err != nil {
		return nil, err
	}
	appCfg := commands.Config{Log: s.store, Catalogue: s.catalog, State: s.graph, WaitFor: s.waitGraph,
		ValidateSchema: s.schemas.Check, Limits: cfg.Limits, AnonymousRole: cfg.AnonymousAccessRole}
	// On SQLite, what a command appends is folded into the graph at once when it is the next
	// thing the graph needs (projections.Runner.Handoff); the runner folds the rest from the bus
	// and the log. Not on PostgreSQL: there a committed position may stay unreadable (Head, ReadAll)
	// while an older transaction runs, and a client passing it to another server (min_position)
	// would be refused as beyond that server's head; the runner's fold waits until it is readable.
	onSQLite := strings.HasPrefix(cfg.EventsURL, "sqlite:")
	if onSQLite {
		appCfg.Decoded = func(ctx context.Context, evs []events.Envelope, payloads []any) {
			s.runner.Handoff(ctx, s.graph.Name(), evs, payloads)
		}
		appCfg.Handing = s.runner.Expect
	}
	if cfg.SecretKey != "" || onSQLite {
		appCfg.HashKey = key // a key every server on the log shares (a key of this process would not)
	}
	if s.locks != nil {
		appCfg.Locks = s.locks
	}
	for _, w := range gitsync.Workflows(branch.Default) { // the workflows of gitsync beside the catalogue's
		appCfg.Workflows = append(appCfg.Workflows, commands.Workflow{Name: w.Name, Title: w.Title, Tags: w.Tags, Parameters: w.Parameters})
	}
	if s.app, err = commands.New(appCfg); err != nil {
		return nil, err
	}
	if _, ok := s.catalog.Lookup(task.TypeCreated); !ok { // unless the commands registered them
		task.RegisterEvents(s.catalog)
	}
	s.tasks = tasks.New(s.catalog, cfg.Limits)
	if s.reads, err = memory.New(memory.Config{Store: s.graph, WaitFor: s.waitGraph}); err != nil {
		return nil, err
	}
	if s.query, err = s.queryPort(); err != nil {
		return nil, err
	}
	s.perms = authz.NewResolver(authzsource.New(s.reads), authz.Config{
		AllowAnonymous: bool(cfg.AllowAnonymousAccess), AnonymousRole: cfg.AnonymousAccessRole})
	s.tokens = authn.NewTokenCache(0)
	if s.auth, err = authn.New(authn.Config{Graph: s.reads, Dispatch: s.app.Dispatch, Key: key, Permissions: s.perms, Tokens: s.tokens,
		AccessLifetime:  time.Duration(cfg.AccessTokenLifetime) * time.Second,
		RefreshLifetime: time.Duration(cfg.RefreshTokenLifetime) * time.Second,
		Limits:          cfg.Limits, Logger: logger}); err != nil {
		return nil, err
	}
	if err := startGit(ctx, s); err != nil {
		return nil, err
	}
	if err := startEvents(ctx, s); err != nil {
		return nil, err
	}
	s.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		s.fwd.Collector(), s.runner.Collector())

	s.bg, s.cancel = context.WithCancel(context.Background())
	for i, d := range deps {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.keep(s.bg, d, connected[i])
		}()
	}
	s.loop(s.bg, "snapshots", s.snapshots)
	if s.git.feed != nil {
		s.loop(s.bg, "changes", s.git.feed.Run)
		s.loop(s.bg, "git sync", func(ctx context.Context) error { return gitSyncLoop(ctx, s) })
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.waitReady(s.bg)
	}()
	return s, nil
}

// connectDependencies makes a first attempt at the broker and the cache (the event log is open
// already: it is only checked from now on). With cfg.FailFast a
// failure is the error; otherwise the dependency is retried in the background (keep).
func (s *server) connectDependencies(ctx context.Context, cfg Config, logger *slog.Logger) ([]dependency, []bool, error) {
	deps := []dependency{{
		// Opened above; checked so that /health names it while it is away.
		name: "events", variable: "INFRAHUB_EVENTS_URL",
		connect: func(context.Context) error { return nil },
		check: func(ctx context.Context) error {
			if _, err := s.store.Head(ctx); err != nil {
				return fmt.Errorf("%w: event log: %w", fault.ErrUnavailable, err)
			}
			return nil
		},
	}, {
		name: "broker", variable: "INFRAHUB_BROKER_URL",
		connect: func(ctx context.Context) (err error) {
			s.bus, err = openBus(ctx, cfg, logger)
			return err
		},
		check:     func(context.Context) error { return s.bus.Check() },
		connected: s.startBackground,
	}}
	if s.locks != nil {
		deps = append(deps, dependency{name: "cache", variable: "INFRAHUB_CACHE_URL",
			connect: func(ctx context.Context) error {
				ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				defer cancel()
				return s.locks.Ping(ctx)
			},
			check: s.locks.Ping,
		})
	}
	if cfg.GraphProjectionNeo4j {
		deps = append(deps, s.neo4j.dependency(s, cfg, logger))
	}
	connected := make([]bool, len(deps))
	for i, d := range deps {
		s.health.add(d.name, d.variable)
		err := d.connect(ctx)
		s.health.set(d.name, err, true)
		switch {
		case err == nil:
			connected[i] = true
		case bool(cfg.FailFast):
			return nil, nil, redact.Error(fmt.Errorf("%s (%s): %w (INFRAHUB_FAIL_FAST is set: not retrying)", d.name, d.variable, err))
		default:
			logger.Warn(d.name+" unreachable at start; retrying in the background while /health answers 503",
				"dependency", d.name, "variable", d.variable, "err", err)
		}
	}
	return deps, connected, nil
}

// startBackground starts the projections, then (once the task queues are declared: the
// forwarder routes each new task to the work queue) the forwarder and the task workers, once the
// broker is connected.
func (s *server) startBackground() {
	s.fwd.Publisher = s.bus.Publisher()
	s.fwd.Routes = []forward.Route{workers.RouteTo(s.cfg.TasksTopic())}
	for _, p := range s.projectors() {
		s.loop(s.bg, "projection "+p.Name(), func(ctx context.Context) error { return s.runner.Run(ctx, p) })
	}
	runEvents(s)
	s.neo4j.ready(s)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for attempt := 0; ; attempt++ {
			err := s.startTasks()
			if err == nil {
				break
			}
			if s.bg.Err() != nil {
				return
			}
			d := backoff.Delay(attempt, 5*time.Second)
			s.log.Warn("declaring the task queues; retrying", "err", err, "retry_in", d)
			if !backoff.Sleep(s.bg, d) {
				return
			}
		}
		s.startForwarder()
		if head, err := s.store.Head(s.bg); err == nil && s.runner.WaitFor(s.bg, tasks.Name, head) == nil {
			s.requeueTasks(s.bg)
		}
	}()
}

// loop runs f until the server stops; a failure is logged and f restarted.
func (s *server) loop(ctx context.Context, name string, f func(context.Context) error) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for ctx.Err() == nil {
			err := f(ctx)
			if ctx.Err() != nil {
				return
			}
			s.log.Error(name+" stopped; restarting", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}()
}

// waitReady marks the server ready once the projections caught up with the log as it was at
// start, so that a 200 from /health means reads are current.
func (s *server) waitReady(ctx context.Context) {
	head, err := s.store.Head(ctx)
	for err != nil && ctx.Err() == nil {
		s.log.Warn("reading the log head", "err", err)
		time.Sleep(time.Second)
		head, err = s.store.Head(ctx)
	}
	for _, p := range s.projectors() {
		if err := s.runner.WaitFor(ctx, p.Name(), head); err != nil {
			return
		}
	}
	if s.role != roleWorker {
		if wrote, err := s.app.EnsureDefaults(ctx); err != nil {
			s.log.Warn("writing the defaults", "err", err)
		} else if wrote {
			s.log.Info("created the defaults (account groups and roles, IP namespace)")
		}
		if wrote, err := s.app.EnsureAdmin(ctx, s.cfg.InitialAdminPassword, s.cfg.InitialAdminToken); err != nil {
			s.log.Warn("creating the admin account", "err", err)
		} else if wrote {
			s.log.Info("created the admin account", "account", commands.AdminName, "token", s.cfg.InitialAdminToken != "")
			if _, err := s.app.EnsureSuperAdministrator(ctx, commands.AdminName); err != nil {
				s.log.Warn("adding the admin account to the Super Administrators", "err", err)
			}
		}
	}
	if ctx.Err() != nil {
		return
	}
	s.ready.Store(true)
	s.log.Info("ready", "listen", s.listener.Addr().String(), "log_head", head)
}

// serve answers HTTP until ctx ends, then shuts down gracefully.
func (s *server) serve(ctx context.Context) error {
	if err := s.startPresence(); err != nil {
		s.close()
		return err
	}
	h, err := s.routes()
	if err != nil {
		s.close()
		return err
	}
	stopDebug, err := startDebug(s.cfg.DebugListen, func(h http.Handler) http.Handler {
		return s.credentialsReady(s.auth.Middleware(h))
	}, s.log)
	if err != nil {
		s.close()
		return err
	}
	defer stopDebug()
	err = serveHTTP(ctx, s.listener, h, s.cfg.Limits, s.log, func() {
		s.log.Info("shutting down")
		s.ready.Store(false)
		if s.ev.sub != nil {
			s.ev.sub.Close() // streams never end on their own: end them before waiting for the requests
		}
	})
	s.close()
	if err != nil {
		return err
	}
	s.log.Info("stopped")
	return nil
}

// serveHTTP answers HTTP on ln with h until ctx ends (then calls stopping), and stops without
// waiting on any request for long: new connections are refused at once, the requests in flight
// get lim.ShutdownGrace to finish, then their contexts are cancelled and their connections closed.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler, lim limits.Limits, log *slog.Logger, stopping func()) error {
	// Every request's context derives from base: cancelled when the grace is over, so that
	// handlers still running stop.
	base, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()
	srv := &http.Server{Handler: h,
		ReadHeaderTimeout: min(10*time.Second, lim.ReadTimeout), ReadTimeout: lim.ReadTimeout,
		WriteTimeout: lim.WriteTimeout, IdleTimeout: lim.IdleTimeout,
		BaseContext: func(net.Listener) context.Context { return base },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http: %w", err)
	case <-ctx.Done():
	}
	stopping()
	sctx, cancel := context.WithTimeout(context.Background(), lim.ShutdownGrace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		log.Warn("requests still running after the shutdown grace: cancelling them and closing their connections",
			"grace", lim.ShutdownGrace.String())
		cancelBase()
		err = srv.Close()
	}
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("http shutdown: %w", err)
	}
	return nil
}

// close stops the loops (the forwarder saves its checkpoint) and closes the adapters.
func (s *server) close() {
	if s.ev.sub != nil {
		s.ev.sub.Close() // hijacked WebSockets and SSE streams: the HTTP server does not track them
	}
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
	s.neo4j.close()
	if s.bucket != nil && s.graph != nil && s.graph.Position() > events.Position(s.snapshotAt.Load()) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if err := saveSnapshot(ctx, s.bucket, s.graph); err != nil {
			s.log.Error("final snapshot", "err", err)
		}
		cancel()
	}
	if s.listener != nil {
		_ = s.listener.Close()
	}
	if s.bucket != nil {
		_ = s.bucket.Close()
	}
	if s.bus != nil {
		_ = s.bus.Close()
	}
	if s.store != nil {
		_ = s.store.Close()
	}
	if s.ui != nil {
		_ = s.ui.Close()
	}
	if s.locks != nil {
		_ = s.locks.Close()
	}
}

// routes builds the HTTP API from the application (commands) and the graph read port: GraphQL
// and REST read through the one port. Every route is behind the guard (deadline, JSON writes,
// CORS) and the check of the positions a read names.
func (s *server) routes() (http.Handler, error) {
	lim := s.cfg.Limits
	guard, err := httpguard.New(httpguard.Config{RequestTimeout: lim.RequestTimeout, Origins: s.cfg.CORSOrigins})
	if err != nil {
		return nil, fmt.Errorf("INFRAHUB_CORS_ORIGINS: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", s.serveHealth)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
	var workers func(context.Context) []graphql.WorkerInfo
	if s.presence != nil {
		workers = s.workers
	}
	if s.role != roleWorker {
		cmds := &commands.Endpoint{Commands: s.app, Logger: s.log, MaxBodyBytes: lim.BodyBytes}
		mux.Handle("/api/commands", cmds)      // any method: the endpoint answers 405 itself
		mux.Handle("POST /api/commands", cmds) // found among the POST routes without trying their wildcards (2 allocations)
		(&graphql.Handler{X: s.executor(s.query, workers)}).Register(mux)
		(&rest.Storage{Store: s.git.objects, MaxBodyBytes: lim.BodyBytes}).Register(mux)
		s.git.handlers.Register(mux)
		s.ev.sub.Register(mux) // GET /api/events/stream
		api := &rest.API{State: s.branches, Commands: s.app, Default: branch.Default, MaxBodyBytes: lim.BodyBytes}
		api.Register(mux)
		s.auth.Register(mux)
		if s.ui != nil {
			// The least specific pattern: every path no API route takes (the API's own /api/
			// answers its JSON 404 still).
			s.ui.Register(mux)
		}
	}
	mux.HandleFunc("GET /api/status", s.status)
	(&rest.Branches{State: s.branches, Graph: s.query}).Register(mux)
	(&rest.Objects{State: s.branches, Default: branch.Default, Limits: lim}).Register(mux)
	(&rest.Dump{Graph: s.query, Default: branch.Default}).Register(mux)
	(&rest.Diffs{Graph: s.query}).Register(mux)
	(&rest.Nodes{Graph: s.query, Default: branch.Default, State: s.branches}).Register(mux)
	(&rest.Menu{Graph: s.query, State: s.branches, Default: branch.Default}).Register(mux)
	// the deployment id is the one GraphQL's InfrahubInfo answers
	(&rest.App{Version: version, DeploymentID: "infrahub-go", AllowAnonymousAccess: bool(s.cfg.AllowAnonymousAccess),
		AnonymousAccessRole: s.cfg.AnonymousAccessRole}).Register(mux)
	positions := &httpguard.Positions{Head: s.store.Head, Wait: s.query, MaxWait: lim.MinPositionWait, Logger: s.log}
	var h http.Handler = positions.Wrap(mux)
	if s.role != roleWorker {
		h = s.ev.sub.Wrap(h)                         // WebSocket upgrades of /graphql and /graphql/{branch}
		h = s.credentialsReady(s.auth.Middleware(h)) // who asks, with what permissions (resolved once per request)
		if s.ui != nil {
			// The UI's files skip authentication (its login page must load without credentials); a
			// browser's page load of /graphql is the UI's GraphQL sandbox.
			h = s.ui.Public(mux, h, "/graphql")
		}
	}
	return s.gate(guard.Wrap(h)), nil
}

// executor is the GraphQL executor of the API (g: s.query) and of stored queries, transforms
// and artifacts (g: s.reads), reading the graph from g.
func (s *server) executor(g graph.Port, workers func(context.Context) []graphql.WorkerInfo) *graphql.Executor {
	return &graphql.Executor{Graph: g, Schemas: s.schemas, Limits: s.cfg.Limits, Default: branch.Default, Version: version,
		SchemaOf: schemaOf(s),
		Branches: s.branches.Branches, Dispatch: s.app.Dispatch, WorkerID: workerID(), Workers: workers, Resolve: s.perms.Resolve,
		Tasks: s.tasks, CheckRepository: repoChecker{s}.Check, Events: s.ev.lister(),
	}
}

// credentialsReady answers 503 to requests carrying credentials until the server is ready: the
// accounts and tokens they name are read from the graph, which may not have caught up with the
// log yet after a restart (a valid token must not be refused as unknown). The paths that always
// answer (/health, /metrics, /api/status) are served as to an anonymous caller until then.
func (s *server) credentialsReady(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.ready.Load() && (r.Header.Get("X-INFRAHUB-KEY") != "" || r.Header.Get("Authorization") != "") {
			if !ungated[r.URL.Path] {
				commands.WriteError(w, fmt.Errorf("%w: the server is catching up with the log: credentials are checked once it is ready", fault.ErrUnavailable))
				return
			}
			// /health, /metrics and /api/status always answer: as to an anonymous caller, rather
			// than refusing a token the graph may not hold yet.
			r = r.Clone(r.Context())
			r.Header.Del("X-INFRAHUB-KEY")
			r.Header.Del("Authorization")
		}
		next.ServeHTTP(w, r)
	})
}

// workerID names this process in GraphQL's InfrahubStatus: its host name and process id.
func workerID() string {
	host, err := os.Hostname()
	if err != nil {
		host = "infrahub"
	}
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}

// projectors lists the projections this process keeps.
func (s *server) projectors() []projections.Projector {
	ps := []projections.Projector{s.counter, graphFold{Store: s.graph, tokens: s.tokens, perms: s.perms}, s.tasks}
	if s.git.feed != nil {
		ps = append(ps, s.git.feed)
	}
	if s.ev.index != nil {
		ps = append(ps, s.ev.index)
	}
	return ps
}

// waitGraph waits until the graph projection has folded a log position.
func (s *server) waitGraph(ctx context.Context, pos events.Position) error {
	return s.runner.WaitFor(ctx, s.graph.Name(), pos)
}

// status reports the log head, the forwarder and every projection: the operator's view of
// whether reads are current.
func (s *server) status(w http.ResponseWriter, r *http.Request) {
	head, err := s.store.Head(r.Context())
	if err != nil {
		commands.WriteError(w, err)
		return
	}
	var workerStats any // null when this process runs no tasks
	if p := s.pool.Load(); p != nil {
		workerStats = map[string]any{"id": p.ID(), "concurrency": s.cfg.taskConcurrency(s.role), "stats": p.Stats()}
	}
	projs := map[string]any{
		counter.Name:   map[string]any{"stats": s.runner.Stats(counter.Name), "counts": s.counter.Snapshot()},
		s.graph.Name(): map[string]any{"stats": s.runner.Stats(s.graph.Name()), "snapshot_position": s.snapshotAt.Load()},
		tasks.Name:     map[string]any{"stats": s.runner.Stats(tasks.Name), "tasks": s.tasks.Len(), "skipped": s.tasks.Skipped()},
	}
	if s.cfg.GraphProjectionNeo4j {
		name, st := s.neo4j.status(s.cfg)
		projs[name] = st
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"version":     version,
		"role":        s.role,
		"ready":       s.ready.Load(),
		"log_head":    head,
		"forwarder":   s.forwarderStatus(r.Context()),
		"workers":     workerStats,
		"projections": projs,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func newLogger(cfg Config, w interface{ Write([]byte) (int, error) }) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	// Every line goes through redact: no URL password or secret parameter reaches the log.
	if cfg.LogFormat == "json" {
		return slog.New(redact.Handler(slog.NewJSONHandler(w, opts)))
	}
	return slog.New(redact.Handler(slog.NewTextHandler(w, opts)))
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "infrahub"
	}
	return h
}

// snapshotInterval is how often the graph projection is snapshotted when it changed.
const snapshotInterval = 5 * time.Minute

// snapshots writes the graph projection's snapshot every snapshotInterval when it moved, so that
// a restart replays only the tail of the log.
func (s *server) snapshots(ctx context.Context) error {
	t := time.NewTicker(snapshotInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		pos := s.graph.Position()
		if pos <= events.Position(s.snapshotAt.Load()) {
			continue
		}
		if err := saveSnapshot(ctx, s.bucket, s.graph); err != nil {
			s.log.Error("snapshot", "err", err)
			continue
		}
		s.snapshotAt.Store(int64(pos))
		s.log.Info("snapshot written", "position", pos)
	}
}
