package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/infrahub-go/infrahub/cluster"
	"github.com/infrahub-go/infrahub/gcfloor"
	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/queries/httpguard"
	"github.com/infrahub-go/infrahub/redact"
)

// Bool is a boolean setting that accepts 1/0/true/false/True/False (and TRUE/FALSE).
type Bool bool

// UnmarshalText implements encoding.TextUnmarshaler.
func (b *Bool) UnmarshalText(text []byte) error {
	switch strings.TrimSpace(string(text)) {
	case "1", "true", "True", "TRUE":
		*b = true
	case "0", "false", "False", "FALSE", "":
		*b = false
	default:
		return fmt.Errorf("%q is not a boolean (use 1/0/true/false)", string(text))
	}
	return nil
}

// Config is every setting of the binary, read from INFRAHUB_* variables and overridden by flags.
// Only this package reads the environment (ARCHITECTURE §3).
type Config struct {
	Listen    string `env:"INFRAHUB_LISTEN" envDefault:":8000"`
	DataDir   string `env:"INFRAHUB_DATA" envDefault:"./data"`
	LogLevel  string `env:"INFRAHUB_LOG_LEVEL" envDefault:"info"`
	LogFormat string `env:"INFRAHUB_LOG_FORMAT" envDefault:"text"`
	// DebugListen serves Go's profiles (net/http/pprof) on this loopback address; off when empty.
	DebugListen string `env:"INFRAHUB_DEBUG_LISTEN"`
	// Instance names this process to the broker (each instance has its own queue per
	// projection) and to the other processes (presence, the forwarder lease). When unset, a
	// unique one is generated at each start (host name + "-" + 6 random hex digits) and its
	// queues expire soon after it stops (generatedQueueExpiry).
	Instance string `env:"INFRAHUB_INSTANCE"`
	// ForwarderLeaseTTL is the time to live of the forwarder's lease in Redis (with
	// INFRAHUB_CACHE_URL and a shared broker, only the lease holder forwards): a new leader
	// takes over within about this long after the old one died or froze.
	ForwarderLeaseTTL time.Duration `env:"INFRAHUB_FORWARDER_LEASE_TTL" envDefault:"5s"`
	// FailFast stops the start when the broker or the cache is unreachable, instead of retrying.
	FailFast Bool `env:"INFRAHUB_FAIL_FAST"`
	// The collector's heap floor (package gcfloor): the heap may grow to max(2 × live, live +
	// floor) between cycles; 0 disables it, and so does either of Go's own GOGC and GOMEMLIMIT.
	GCHeapFloor int64  `env:"INFRAHUB_GC_HEAP_FLOOR_BYTES" envDefault:"268435456"`
	GOGC        string `env:"GOGC"`
	GOMEMLIMIT  string `env:"GOMEMLIMIT"`
	// ExtraProcs is how many processors (Go's Ps) the server runs beyond Go's default of one per
	// CPU it may use (procs.go); Go's own GOMAXPROCS wins over it.
	ExtraProcs int    `env:"INFRAHUB_EXTRA_PROCS" envDefault:"1"`
	GOMAXPROCS string `env:"GOMAXPROCS"`
	// Workers is how many tasks this process runs at once (0: none); -1 picks by role
	// (taskConcurrency).
	Workers int `env:"INFRAHUB_WORKERS" envDefault:"-1"`

	// URLs selecting the adapters (ARCHITECTURE §4). Empty ones default under DataDir.
	EventsURL string `env:"INFRAHUB_EVENTS_URL"`
	BrokerURL string `env:"INFRAHUB_BROKER_URL" envDefault:"mem://"`
	// BrokerNamespace prefixes the bus topics, so that several deployments can share a broker.
	BrokerNamespace string `env:"INFRAHUB_BROKER_NAMESPACE" envDefault:"infrahub"`
	GraphURL        string `env:"INFRAHUB_GRAPH_URL" envDefault:"memory://"`
	StorageURL      string `env:"INFRAHUB_STORAGE_URL"`
	CacheURL        string `env:"INFRAHUB_CACHE_URL"`
	GitDir          string `env:"INFRAHUB_GIT_REPOSITORIES_DIRECTORY"`

	// Git repositories (Infrahub's INFRAHUB_GIT_* settings): how often the repositories are
	// fetched (seconds; 0: never, only on demand), the author of the commits made here.
	GitSyncInterval int    `env:"INFRAHUB_GIT_SYNC_INTERVAL" envDefault:"60"`
	GitUserName     string `env:"INFRAHUB_GIT_USER_NAME" envDefault:"Infrahub"`
	GitUserEmail    string `env:"INFRAHUB_GIT_USER_EMAIL" envDefault:"infrahub@opsmill.com"`
	// GitTimeout bounds one fetch or push (seconds); GitMaxFileBytes one file read from a
	// repository (a schema, object file, query or template).
	GitTimeout      int   `env:"INFRAHUB_GIT_TIMEOUT" envDefault:"120"`
	GitMaxFileBytes int64 `env:"INFRAHUB_GIT_MAX_FILE_BYTES" envDefault:"10485760"`

	// The Neo4j database, with Infrahub's INFRAHUB_DB_* names and defaults (backend/infrahub/
	// config.py DatabaseSettings): the target of `infrahub replay --projection neo4j` and, with
	// GraphProjectionNeo4j, of serve's Neo4j projection. Database empty is Infrahub's default
	// (the database named after INFRAHUB_DB_TYPE: neo4j). The password is never logged.
	DBProtocol string `env:"INFRAHUB_DB_PROTOCOL" envDefault:"bolt"`
	DBAddress  string `env:"INFRAHUB_DB_ADDRESS" envDefault:"localhost"`
	DBPort     int    `env:"INFRAHUB_DB_PORT" envDefault:"7687"`
	DBUsername string `env:"INFRAHUB_DB_USERNAME" envDefault:"neo4j"`
	DBPassword string `env:"INFRAHUB_DB_PASSWORD" envDefault:"admin"`
	DBDatabase string `env:"INFRAHUB_DB_DATABASE"`
	// GraphProjectionNeo4j makes serve also fold the log into that Neo4j database (reads stay in
	// memory). INFRAHUB_GRAPH_URL=neo4j://host:port implies it and also answers the reads the
	// Neo4j Reader implements from Neo4j (graphNeo4j).
	GraphProjectionNeo4j Bool `env:"INFRAHUB_GRAPH_PROJECTION_NEO4J"`

	DBTLSEnabled      Bool   `env:"INFRAHUB_DB_TLS_ENABLED"`
	DBTLSCAFile       string `env:"INFRAHUB_DB_TLS_CA_FILE"`
	DBTLSInsecure     Bool   `env:"INFRAHUB_DB_TLS_INSECURE"`
	BrokerTLSEnabled  Bool   `env:"INFRAHUB_BROKER_TLS_ENABLED"`
	BrokerTLSCAFile   string `env:"INFRAHUB_BROKER_TLS_CA_FILE"`
	BrokerTLSInsecure Bool   `env:"INFRAHUB_BROKER_TLS_INSECURE"`
	CacheTLSEnabled   Bool   `env:"INFRAHUB_CACHE_TLS_ENABLED"`
	CacheTLSCAFile    string `env:"INFRAHUB_CACHE_TLS_CA_FILE"`
	CacheTLSInsecure  Bool   `env:"INFRAHUB_CACHE_TLS_INSECURE"`

	// TLSCertFile and TLSKeyFile make the HTTP server answer HTTPS (both or neither).
	TLSCertFile string `env:"INFRAHUB_TLS_CERT_FILE"`
	TLSKeyFile  string `env:"INFRAHUB_TLS_KEY_FILE"`

	// UIDir is the folder of a web UI built from Infrahub's frontend/app (its dist folder, holding
	// index.html) that `infrahub serve` answers on the API's origin; none by default.
	UIDir string `env:"INFRAHUB_UI_DIR"`

	// CORSOrigins are the browser origins (scheme://host[:port]) allowed to call the API from
	// another site; none by default (CORS denied).
	CORSOrigins []string `env:"INFRAHUB_CORS_ORIGINS" envSeparator:","`

	// Authentication (Infrahub's INFRAHUB_SECURITY_* settings).
	SecretKey            string `env:"INFRAHUB_SECURITY_SECRET_KEY"`
	AccessTokenLifetime  int    `env:"INFRAHUB_SECURITY_ACCESS_TOKEN_LIFETIME" envDefault:"3600"`     // seconds
	RefreshTokenLifetime int    `env:"INFRAHUB_SECURITY_REFRESH_TOKEN_LIFETIME" envDefault:"2592000"` // seconds (30 days)
	InitialAdminPassword string `env:"INFRAHUB_INITIAL_ADMIN_PASSWORD" envDefault:"infrahub"`
	InitialAdminToken    string `env:"INFRAHUB_INITIAL_ADMIN_TOKEN"`
	// AllowAnonymousAccess lets requests without credentials read what the anonymous role
	// (AnonymousAccessRole) may view; they never write.
	AllowAnonymousAccess Bool   `env:"INFRAHUB_ALLOW_ANONYMOUS_ACCESS" envDefault:"true"`
	AnonymousAccessRole  string `env:"INFRAHUB_ANONYMOUS_ACCESS_ROLE" envDefault:"Anonymous User"`

	// Limits are every bound a request can meet (package limits holds their variables).
	Limits limits.Limits

	// role is the process's role (roleAPI, roleWorker), set by its subcommand.
	role string

	// instanceGenerated records that Instance was generated (INFRAHUB_INSTANCE unset).
	instanceGenerated bool

	// graphFromNeo4j records that INFRAHUB_GRAPH_URL names Neo4j (applyGraphNeo4j): the query
	// paths answer the reads the Neo4j Reader implements from it.
	graphFromNeo4j bool
}

// LoadConfig reads the environment given as KEY=VALUE pairs. Errors name the variable.
func LoadConfig(environ map[string]string) (Config, error) {
	var c Config
	opts := env.Options{Environment: environ}
	if err := env.ParseWithOptions(&c, opts); err != nil {
		return c, namedEnvError(err)
	}
	// Infrahub reads these under INFRAHUB_SECURITY_ too.
	if v, ok := environ["INFRAHUB_SECURITY_INITIAL_ADMIN_PASSWORD"]; ok && environ["INFRAHUB_INITIAL_ADMIN_PASSWORD"] == "" {
		c.InitialAdminPassword = v
	}
	if v, ok := environ["INFRAHUB_SECURITY_INITIAL_ADMIN_TOKEN"]; ok && c.InitialAdminToken == "" {
		c.InitialAdminToken = v
	}
	origins := c.CORSOrigins[:0]
	for _, o := range c.CORSOrigins {
		if o = strings.TrimSpace(o); o != "" {
			origins = append(origins, o)
		}
	}
	c.CORSOrigins = origins
	return c, nil
}

// namedEnvError rewrites the env library's field names into variable names.
func namedEnvError(err error) error {
	keys := map[string]string{}
	for _, t := range []reflect.Type{reflect.TypeOf(Config{}), reflect.TypeOf(limits.Limits{})} {
		for i := 0; i < t.NumField(); i++ {
			keys[t.Field(i).Name], _, _ = strings.Cut(t.Field(i).Tag.Get("env"), ",")
		}
	}
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return err
	}
	out := make([]error, 0, len(agg.Errors))
	for _, e := range agg.Errors {
		var pe env.ParseError
		if errors.As(e, &pe) {
			out = append(out, fmt.Errorf("%s: %v", keys[pe.Name], unwrapAll(pe.Err)))
			continue
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

func unwrapAll(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

// Resolve fills defaults that depend on other settings and checks every value.
func (c *Config) Resolve() error {
	if c.EventsURL == "" {
		c.EventsURL = "sqlite://" + filepath.ToSlash(filepath.Join(c.DataDir, "events.db"))
	}
	if c.StorageURL == "" {
		c.StorageURL = "file://" + filepath.ToSlash(filepath.Join(c.DataDir, "storage"))
	}
	if c.Instance == "" {
		c.Instance = hostname() + "-" + randomHex(3)
		c.instanceGenerated = true
	}
	if c.GitDir == "" {
		c.GitDir = filepath.Join(c.DataDir, "git")
	}
	c.applyGraphNeo4j()
	return c.Validate()
}

var brokerNamespace = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$`)

// QueueExpiry is how long RabbitMQ keeps a projection queue of this instance once unused.
func (c Config) QueueExpiry() time.Duration {
	if c.instanceGenerated {
		return generatedQueueExpiry
	}
	return queueExpiry
}

// GCFloor is the collector's heap floor of a server (gcfloor.Start).
func (c Config) GCFloor() gcfloor.Config {
	return gcfloor.Config{Floor: c.GCHeapFloor, GOGC: c.GOGC, GOMEMLIMIT: c.GOMEMLIMIT}
}

// EventsTopic is the bus topic of the log's batches.
func (c Config) EventsTopic() string { return c.BrokerNamespace + ".events" }

// Validate reports every bad setting, each naming its variable.
func (c Config) Validate() error {
	var errs []error
	if err := c.Limits.Validate(); err != nil {
		errs = append(errs, err)
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		errs = append(errs, errors.New("INFRAHUB_TLS_CERT_FILE and INFRAHUB_TLS_KEY_FILE: set both to serve HTTPS, or neither"))
	}
	check := func(key, raw string, schemes ...string) {
		u, err := url.Parse(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not a URL: %v", key, redact.URL(raw), urlCause(err)))
			return
		}
		for _, s := range schemes {
			if u.Scheme == s {
				return
			}
		}
		errs = append(errs, fmt.Errorf("%s: scheme %q of %q is not supported (use %s)", key, u.Scheme, redact.URL(raw), strings.Join(schemes, ", ")))
	}
	check("INFRAHUB_EVENTS_URL", c.EventsURL, "sqlite", "postgres", "postgresql")
	check("INFRAHUB_BROKER_URL", c.BrokerURL, "mem", "amqp", "amqps")
	check("INFRAHUB_GRAPH_URL", c.GraphURL, "memory", "neo4j", "neo4j+s", "bolt", "bolt+s")
	if _, err := c.graphNeo4j(); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.validateNeo4j()...)
	if c.GitTimeout <= 0 {
		errs = append(errs, fmt.Errorf("INFRAHUB_GIT_TIMEOUT: %d: use a positive number of seconds", c.GitTimeout))
	}
	if c.GitMaxFileBytes <= 0 {
		errs = append(errs, fmt.Errorf("INFRAHUB_GIT_MAX_FILE_BYTES: %d: use a positive number of bytes", c.GitMaxFileBytes))
	}
	if c.GitSyncInterval < 0 {
		errs = append(errs, fmt.Errorf("INFRAHUB_GIT_SYNC_INTERVAL: %d: use a number of seconds (0: fetch only on demand)", c.GitSyncInterval))
	}
	check("INFRAHUB_STORAGE_URL", c.StorageURL, "file", "s3", "mem")
	if c.CacheURL != "" {
		check("INFRAHUB_CACHE_URL", c.CacheURL, "redis", "rediss")
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("INFRAHUB_LISTEN (--listen): %q: %v", c.Listen, err))
	}
	if err := validateDebugListen(c.DebugListen); err != nil {
		errs = append(errs, err)
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
		errs = append(errs, fmt.Errorf("INFRAHUB_LOG_LEVEL: %q: use debug, info, warn or error", c.LogLevel))
	}
	if c.Workers < -1 || c.Workers > maxWorkers {
		errs = append(errs, fmt.Errorf("INFRAHUB_WORKERS (--workers): %d: use 0 (no tasks) to %d", c.Workers, maxWorkers))
	}
	if !brokerNamespace.MatchString(c.BrokerNamespace) {
		errs = append(errs, fmt.Errorf("INFRAHUB_BROKER_NAMESPACE: %q: use letters, digits, '.', '-' and '_'", c.BrokerNamespace))
	}
	for _, o := range c.CORSOrigins {
		if _, err := httpguard.ParseOrigin(o); err != nil {
			errs = append(errs, fmt.Errorf("INFRAHUB_CORS_ORIGINS: %w", err))
		}
	}
	if c.AccessTokenLifetime <= 0 || c.RefreshTokenLifetime <= 0 {
		errs = append(errs, errors.New("INFRAHUB_SECURITY_ACCESS_TOKEN_LIFETIME and INFRAHUB_SECURITY_REFRESH_TOKEN_LIFETIME must be positive (seconds)"))
	}
	if c.SecretKey != "" && len(c.SecretKey) < 16 {
		errs = append(errs, errors.New("INFRAHUB_SECURITY_SECRET_KEY: at least 16 characters"))
	}
	if strings.TrimSpace(c.AnonymousAccessRole) == "" {
		errs = append(errs, errors.New("INFRAHUB_ANONYMOUS_ACCESS_ROLE: empty: name the account role of anonymous requests"))
	}
	if c.ForwarderLeaseTTL < cluster.MinTTL || c.ForwarderLeaseTTL > cluster.MaxTTL {
		errs = append(errs, fmt.Errorf("INFRAHUB_FORWARDER_LEASE_TTL: %s: use a duration between %s and %s", c.ForwarderLeaseTTL, cluster.MinTTL, cluster.MaxTTL))
	}
	if err := c.GCFloor().Validate(); err != nil {
		errs = append(errs, fmt.Errorf("INFRAHUB_GC_HEAP_FLOOR_BYTES: %w", err))
	}
	if c.ExtraProcs < 0 || c.ExtraProcs > maxExtraProcs {
		errs = append(errs, fmt.Errorf("INFRAHUB_EXTRA_PROCS: %d: use 0 (Go's default) to %d", c.ExtraProcs, maxExtraProcs))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("INFRAHUB_LOG_FORMAT: %q: use text or json", c.LogFormat))
	}
	return errors.Join(errs...)
}
