package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/projections"
	"github.com/infrahub-go/infrahub/projections/graph/neo4j"
	"github.com/infrahub-go/infrahub/redact"
	"github.com/infrahub-go/infrahub/tlsconfig"
)

// neo4jProjection is the name `infrahub replay --projection` knows the Neo4j projection by.
const neo4jProjection = "neo4j"

// neo4jConnectTimeout bounds one attempt to reach Neo4j (connect and first handshake).
const neo4jConnectTimeout = 10 * time.Second

// neo4jDatabaseName is Infrahub's rule for INFRAHUB_DB_DATABASE (backend/infrahub/config.py
// VALID_DATABASE_NAME_REGEX).
var neo4jDatabaseName = regexp.MustCompile(`^[a-z][a-z0-9.]+$`)

// validateNeo4j checks the INFRAHUB_DB_* settings of Neo4j, each error naming its variable
// (never the password).
func (c Config) validateNeo4j() []error {
	var errs []error
	if c.DBProtocol != "bolt" && c.DBProtocol != "neo4j" {
		errs = append(errs, fmt.Errorf("INFRAHUB_DB_PROTOCOL: %q: use bolt or neo4j", c.DBProtocol))
	}
	if strings.TrimSpace(c.DBAddress) == "" || strings.ContainsAny(c.DBAddress, "/@ :") {
		shown := c.DBAddress
		if i := strings.LastIndexByte(shown, '@'); i >= 0 { // user:password@host: show no credentials
			shown = redact.Mask + "@" + shown[i+1:]
		}
		errs = append(errs, fmt.Errorf("INFRAHUB_DB_ADDRESS: %q: use a host name or IPv4 address (no scheme, credentials or port: the port is INFRAHUB_DB_PORT)", shown))
	}
	if c.DBPort <= 0 || c.DBPort > 65535 {
		errs = append(errs, fmt.Errorf("INFRAHUB_DB_PORT: %d: use a port from 1 to 65535", c.DBPort))
	}
	if c.DBDatabase != "" && !neo4jDatabaseName.MatchString(c.DBDatabase) {
		errs = append(errs, fmt.Errorf("INFRAHUB_DB_DATABASE: %q: use lower-case letters, digits and dots, starting with a letter", c.DBDatabase))
	}
	return errs
}

// neo4jDB is the Neo4j database of the INFRAHUB_DB_* settings.
func (c Config) neo4jDB() (neo4j.DB, error) {
	db := neo4j.DB{Protocol: c.DBProtocol, Address: c.DBAddress, Port: c.DBPort, Username: c.DBUsername,
		Password: c.DBPassword, Database: c.DBDatabase, TLS: bool(c.DBTLSEnabled), TLSInsecure: bool(c.DBTLSInsecure)}
	if db.Database == "" {
		db.Database = "neo4j" // Infrahub: database or db_type (neo4j)
	}
	if db.TLS && c.DBTLSCAFile != "" {
		tc, err := tlsconfig.Options{Enabled: true, CAFile: c.DBTLSCAFile, Insecure: db.TLSInsecure}.Client("")
		if err != nil {
			return db, fmt.Errorf("INFRAHUB_DB_TLS_CA_FILE: %w", err)
		}
		db.TLSConfig = tc
	}
	return db, nil
}

// neo4jTarget names the database in errors and logs: address, port and database, never the
// credentials.
func (c Config) neo4jTarget() string {
	db := c.DBDatabase
	if db == "" {
		db = "neo4j"
	}
	if c.graphFromNeo4j {
		return fmt.Sprintf("INFRAHUB_GRAPH_URL=%s INFRAHUB_DB_DATABASE=%s", redact.URL(c.GraphURL), db)
	}
	return fmt.Sprintf("INFRAHUB_DB_ADDRESS=%s INFRAHUB_DB_PORT=%d INFRAHUB_DB_DATABASE=%s", c.DBAddress, c.DBPort, db)
}

// neo4jError names the database of an error and hides the password (the driver's errors do not
// carry it; this holds even if one did).
func neo4jError(cfg Config, what string, err error) error {
	err = redact.Error(fmt.Errorf("neo4j (%s): %s: %w", cfg.neo4jTarget(), what, err))
	if cfg.DBPassword == "" {
		return err
	}
	return secretHidden{err: err, secret: cfg.DBPassword}
}

// secretHidden is an error whose text never shows secret.
type secretHidden struct {
	err    error
	secret string
}

func (e secretHidden) Error() string { return strings.ReplaceAll(e.err.Error(), e.secret, redact.Mask) }
func (e secretHidden) Unwrap() error { return e.err }

// openNeo4j connects to the Neo4j database of cfg (within neo4jConnectTimeout) and makes its
// projector; the caller closes the connection.
func openNeo4j(ctx context.Context, cfg Config, logger *slog.Logger) (*neo4j.DriverConn, *neo4j.Projector, error) {
	db, err := cfg.neo4jDB()
	if err != nil {
		return nil, nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, neo4jConnectTimeout)
	defer cancel()
	conn, err := neo4j.Open(cctx, db)
	if err != nil {
		return nil, nil, neo4jError(cfg, "unreachable", err)
	}
	p, err := neo4j.New(neo4j.Config{Conn: conn, Retryable: neo4j.IsRetryable, Logger: logger})
	if err != nil {
		_ = conn.Close(ctx)
		return nil, nil, err
	}
	return conn, p, nil
}

// replayNeo4j rebuilds the Neo4j projection from position 0 of the log: it connects (failing at
// once, naming INFRAHUB_DB_ADDRESS, when Neo4j is unreachable), deletes the projection's vertices
// and checkpoint, creates the constraints and indexes, then folds the whole log in batches, each
// in one transaction with the projector's checkpoint.
func replayNeo4j(cmd *cobra.Command, cfg Config, store logStore, batch int) error {
	ctx := cmd.Context()
	conn, p, err := openNeo4j(ctx, cfg, newLogger(cfg, cmd.ErrOrStderr()))
	if err != nil {
		return fmt.Errorf("replay %s: %w", neo4jProjection, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	head, err := store.Head(ctx)
	if err != nil {
		return err
	}
	bar := newBar(cmd.ErrOrStderr(), int64(head), "replaying "+neo4jProjection)
	runner := &projections.Runner{Log: store, Checkpoints: p.Checkpoints(), BatchSize: batch}
	stats, err := runner.Rebuild(ctx, p, func(pos, _ events.Position) { _ = bar.Set64(int64(pos)) })
	_ = bar.Finish()
	if err != nil {
		return fmt.Errorf("replay %s: %w", neo4jProjection, neo4jError(cfg, "replay", err))
	}
	fmt.Fprintf(cmd.OutOrStdout(), "replayed %d events into %s (%s) in %s: %.0f events/s\n", stats.Events, neo4jProjection,
		cfg.neo4jTarget(), stats.Duration.Round(time.Millisecond), stats.EventsPerSecond)
	return nil
}

// neo4jParts is serve's Neo4j projection (INFRAHUB_GRAPH_PROJECTION_NEO4J): its own runner, on
// the projector's checkpoint in Neo4j, started once both Neo4j and the broker are connected.
type neo4jParts struct {
	mu      sync.Mutex
	conn    *neo4j.DriverConn
	proj    *neo4j.Projector
	runner  *projections.Runner
	waiting int // of Neo4j and the broker, how many are not connected yet
}

// neo4jDependency is the Neo4j database as a dependency of serve: connected and retried with
// backoff like the broker (with INFRAHUB_FAIL_FAST, its first failure stops the start).
func (n *neo4jParts) dependency(s *server, cfg Config, logger *slog.Logger) dependency {
	n.waiting = 2
	variable := "INFRAHUB_DB_ADDRESS"
	if cfg.graphFromNeo4j {
		variable = "INFRAHUB_GRAPH_URL"
	}
	return dependency{name: neo4jProjection, variable: variable,
		connect: func(ctx context.Context) error {
			conn, p, err := openNeo4j(ctx, cfg, logger)
			if err != nil {
				return err
			}
			if err := p.Init(ctx); err != nil {
				_ = conn.Close(ctx)
				return neo4jError(cfg, "create the schema", err)
			}
			n.mu.Lock()
			n.conn, n.proj = conn, p
			n.runner = &projections.Runner{Log: s.store, Checkpoints: p.Checkpoints(), Logger: logger, Subscribe: s.subscribe}
			n.mu.Unlock()
			return nil
		},
		check: func(ctx context.Context) error {
			if err := n.conn.Driver.VerifyConnectivity(ctx); err != nil {
				return neo4jError(cfg, "unreachable", err)
			}
			return nil
		},
		connected: func() { n.ready(s) },
	}
}

// neo4jReady is called once Neo4j is connected and once the broker is: the second call starts
// the projection (its runner subscribes to the bus).
func (n *neo4jParts) ready(s *server) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.waiting == 0 {
		return // no Neo4j projection
	}
	if n.waiting--; n.waiting > 0 {
		return
	}
	r, p := n.runner, n.proj
	s.loop(s.bg, "projection "+p.Name(), func(ctx context.Context) error { return r.Run(ctx, p) })
}

// neo4jStatus is the Neo4j projection in /api/status (nil when not connected yet).
func (n *neo4jParts) status(cfg Config) (string, any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.runner == nil {
		return neo4j.DefaultName, map[string]any{"connected": false, "target": cfg.neo4jTarget()}
	}
	return n.proj.Name(), map[string]any{"connected": true, "target": cfg.neo4jTarget(), "stats": n.runner.Stats(n.proj.Name())}
}

// closeNeo4j ends the driver (after the background loops stopped).
func (n *neo4jParts) close() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = n.conn.Close(ctx)
		cancel()
	}
}

// graphNeo4jURL is INFRAHUB_GRAPH_URL naming a Neo4j database: where the reads the Neo4j Reader
// implements are answered from.
type graphNeo4jURL struct {
	protocol string // bolt or neo4j
	tls      bool   // the +s schemes
	host     string
	port     int
	database string // the URL's path ("" when none)
}

// graphNeo4j parses INFRAHUB_GRAPH_URL when it names Neo4j (nil for memory://): neo4j://,
// neo4j+s://, bolt:// or bolt+s://, a host, an optional port (7687) and an optional database
// path. A user in the URL is refused (the password must not sit in a URL: use
// INFRAHUB_DB_USERNAME and INFRAHUB_DB_PASSWORD), and so are a query or fragment. Errors name
// INFRAHUB_GRAPH_URL and show no credentials.
func (c Config) graphNeo4j() (*graphNeo4jURL, error) {
	u, err := url.Parse(c.GraphURL)
	if err != nil {
		return nil, nil // Validate's scheme check reports it
	}
	g := &graphNeo4jURL{}
	switch u.Scheme {
	case "neo4j", "bolt":
		g.protocol = u.Scheme
	case "neo4j+s", "bolt+s":
		g.protocol, g.tls = strings.TrimSuffix(u.Scheme, "+s"), true
	default:
		return nil, nil
	}
	shown := redact.URL(c.GraphURL)
	if u.User != nil {
		return nil, fmt.Errorf("INFRAHUB_GRAPH_URL: %q: no user or password in the URL: set INFRAHUB_DB_USERNAME and INFRAHUB_DB_PASSWORD", shown)
	}
	if u.Opaque != "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("INFRAHUB_GRAPH_URL: %q: use %s://host[:port][/database] (no query or fragment)", shown, u.Scheme)
	}
	g.host = u.Hostname()
	if g.host == "" {
		return nil, fmt.Errorf("INFRAHUB_GRAPH_URL: %q: no host: use %s://host[:port][/database]", shown, u.Scheme)
	}
	g.port = 7687
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return nil, fmt.Errorf("INFRAHUB_GRAPH_URL: %q: port %q: use a port from 1 to 65535", shown, p)
		}
		g.port = n
	}
	g.database = strings.TrimPrefix(u.Path, "/")
	if g.database != "" && !neo4jDatabaseName.MatchString(g.database) {
		return nil, fmt.Errorf("INFRAHUB_GRAPH_URL: %q: database %q: use lower-case letters, digits and dots, starting with a letter", shown, g.database)
	}
	return g, nil
}

// applyGraphNeo4j makes INFRAHUB_GRAPH_URL=neo4j://… the Neo4j database of the INFRAHUB_DB_*
// settings (its protocol, host, port, TLS and database win over theirs) and turns the Neo4j
// projection on: the reads answered from Neo4j need the projector folding the log into it.
func (c *Config) applyGraphNeo4j() {
	g, err := c.graphNeo4j()
	if err != nil || g == nil {
		return
	}
	c.DBProtocol, c.DBAddress, c.DBPort = g.protocol, g.host, g.port
	if g.tls {
		c.DBTLSEnabled = true
	}
	if g.database != "" {
		c.DBDatabase = g.database
	}
	c.GraphProjectionNeo4j = true
	c.graphFromNeo4j = true
}
