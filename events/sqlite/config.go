package sqlite

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Defaults and bounds of the group commit.
const (
	// DefaultBatchWindow is used when Config.BatchWindow is 0: the writer does not wait on
	// purpose. Batches still form on their own, from the appends that queue up while the
	// previous batch is being synced to disk, so a lone client pays no extra latency.
	DefaultBatchWindow time.Duration = 0
	// MaxBatchWindow bounds Config.BatchWindow.
	MaxBatchWindow = time.Second
	// maxBatchRequests and maxBatchBytes bound one group commit.
	maxBatchRequests = 256
	maxBatchBytes    = 4 << 20
	// busyTimeoutMillis is how long a connection waits for a lock held by another process.
	busyTimeoutMillis = 5000
)

// Config configures a Store.
type Config struct {
	// Path is the database file, e.g. ./data/events.db. Its parent folder is created if missing.
	Path string
	// BatchWindow is how long the writer waits, after the first append of a batch, for more
	// appends to commit with it. 0 means DefaultBatchWindow.
	BatchWindow time.Duration
}

// Validate checks c.
func (c Config) Validate() error {
	var errs []error
	switch {
	case c.Path == "":
		errs = append(errs, errors.New("path is empty"))
	case c.Path == ":memory:" || strings.HasPrefix(c.Path, "file:"):
		errs = append(errs, fmt.Errorf("path %q: give a file path (the store opens several connections to one file)", c.Path))
	}
	if c.BatchWindow < 0 || c.BatchWindow > MaxBatchWindow {
		errs = append(errs, fmt.Errorf("batch window %s is outside [0, %s]", c.BatchWindow, MaxBatchWindow))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite event store config: %w", err)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.BatchWindow == 0 {
		c.BatchWindow = DefaultBatchWindow
	}
	return c
}

// ParseURL reads a store URL: sqlite://./data/events.db and sqlite:relative.db name a path
// relative to the working directory, sqlite:///abs/path.db an absolute one. The query may set
// batch_window (a Go duration such as 2ms).
func ParseURL(raw string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Config{}, fmt.Errorf("sqlite url %q: %w", raw, err)
	}
	bad := func(format string, args ...any) (Config, error) {
		return Config{}, fmt.Errorf("sqlite url %q: %s", raw, fmt.Sprintf(format, args...))
	}
	if u.Scheme != "sqlite" {
		return bad("scheme is %q, want sqlite", u.Scheme)
	}
	if u.User != nil {
		return bad("user info is not allowed")
	}
	if u.Fragment != "" {
		return bad("fragment is not allowed")
	}
	var path string
	switch {
	case u.Opaque != "": // sqlite:relative.db
		if path, err = url.PathUnescape(u.Opaque); err != nil {
			return bad("path: %v", err)
		}
	case u.Host != "": // sqlite://./data/events.db, sqlite://data/events.db
		path = u.Host + u.Path
	default: // sqlite:///abs/path.db
		path = u.Path
	}
	if path == "" || strings.HasSuffix(path, "/") {
		return bad("no database file named")
	}
	cfg := Config{Path: filepath.FromSlash(path)}
	for key, vals := range u.Query() {
		switch key {
		case "batch_window":
			d, err := time.ParseDuration(vals[len(vals)-1])
			if err != nil {
				return bad("batch_window: %v", err)
			}
			cfg.BatchWindow = d
		default:
			return bad("unknown parameter %q", key)
		}
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, fmt.Errorf("sqlite url %q: %w", raw, err)
	}
	return cfg, nil
}

// writerDSN opens the one connection that writes: WAL, synchronous=NORMAL (a commit does not
// sync the WAL: walSyncer does, before any append it holds is answered; checkpoints sync),
// no automatic checkpoint (walCheckpointer runs them, see checkpointer.go), immediate
// transactions, and statement journals (written for every statement inside a savepoint) in
// memory, not in temporary files. It writes through the infrahub-waljoin VFS (walvfs.go), one
// write call per WAL frame instead of two, when that VFS could be registered.
func writerDSN(absPath string) string {
	params := []string{
		"_txlock=immediate",
		"_pragma=journal_mode(WAL)",
		"_pragma=synchronous(NORMAL)",
		"_pragma=temp_store(MEMORY)",
		"_pragma=wal_autocheckpoint(0)",
	}
	if registerWALJoinVFS() {
		params = append(params, "vfs="+walJoinVFSName)
	}
	return dsn(absPath, params...)
}

// checkpointerDSN opens the connection of the background checkpoints: synchronous=NORMAL, so
// that a checkpoint syncs the WAL before copying it and the database file after.
func checkpointerDSN(absPath string) string {
	return dsn(absPath, "_pragma=synchronous(NORMAL)", "_pragma=wal_autocheckpoint(0)")
}

// readerDSN opens a read-only connection of the reader pool.
func readerDSN(absPath string) string {
	return dsn(absPath, "_pragma=query_only(1)")
}

func dsn(absPath string, params ...string) string {
	p := filepath.ToSlash(absPath)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // Windows: file:///C:/...
	}
	u := url.URL{Scheme: "file", Path: p}
	common := []string{
		fmt.Sprintf("_pragma=busy_timeout(%d)", busyTimeoutMillis),
		"_pragma=foreign_keys(0)",
	}
	return u.String() + "?" + strings.Join(append(common, params...), "&")
}

func readerPoolSize() int {
	return max(4, runtime.GOMAXPROCS(0))
}
