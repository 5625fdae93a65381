// Package neo4j is the write side of the graph projection in Neo4j: a projector that folds the
// event log into Infrahub's property-graph model (shared/spec/infrahub.md §2): Node vertices
// hanging off a Root by IS_PART_OF edges, one Attribute vertex per node and attribute with
// HAS_VALUE edges to shared AttributeValue vertices and IS_PROTECTED edges to shared Boolean
// vertices, one Relationship vertex per relationship instance linked to both nodes by IS_RELATED
// edges, and Branch vertices. Every edge carries branch, branch_level, from, from_pos, to,
// to_pos and status, so that a read on a branch at a position resolves each slot as Infrahub
// does (branch edges beat the default branch's, newest wins, tombstones hide).
//
// Each batch runs in one write transaction that also moves the projector's checkpoint, a
// ProjectionCheckpoint vertex: the graph and its position never disagree (exactly-once).
// Transient errors are retried with backoff.
//
// The read port (graph.Port over Cypher) is the Reader. The adapter has been tested only
// against recorded transactions and canned records (see the README): no Neo4j server runs on
// the machines it was written on.
package neo4j

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/infrahub-go/infrahub/backoff"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/fault"
)

// Tx is what the projector needs of a Neo4j transaction.
type Tx interface {
	// Run runs one statement and returns its records as maps of column to value.
	Run(ctx context.Context, cypher string, params map[string]any) ([]map[string]any, error)
	Commit(ctx context.Context) error
	Rollback(ctx context.Context) error
}

// Conn is what the projector needs of a Neo4j database: explicit write transactions, and
// auto-commit statements (schema, batched deletes).
type Conn interface {
	BeginWrite(ctx context.Context) (Tx, error)
	Exec(ctx context.Context, cypher string, params map[string]any) error
}

// Defaults of Config.
const (
	DefaultName     = "graph-neo4j"
	DefaultAttempts = 8
	DefaultRetryMax = 5 * time.Second
	// Version of the model; bump it when the vertices or edges change shape.
	Version = 3 // 2: Position vertices (StmtPositions); 3: UniqueValue vertices (StmtUniqueSet)
)

// Config configures a Projector.
type Config struct {
	Conn Conn
	// Name is the projector's name (and its checkpoint's); DefaultName when empty.
	Name string
	// Attempts bounds the tries of one batch on transient errors (DefaultAttempts when 0).
	Attempts int
	// RetryMax caps the backoff between tries (DefaultRetryMax when 0).
	RetryMax time.Duration
	// Retryable says whether an error is transient (the driver's neo4j.IsRetryable).
	Retryable func(error) bool
	Logger    *slog.Logger
	// Sleep waits between tries; backoff.Sleep when nil (tests replace it).
	Sleep func(ctx context.Context, d time.Duration) bool
}

// Validate reports a missing Conn or Retryable and negative bounds.
func (c Config) Validate() error {
	var errs []error
	if c.Conn == nil {
		errs = append(errs, fmt.Errorf("%w: neo4j projector: Conn is required", fault.ErrInvalid))
	}
	if c.Retryable == nil {
		errs = append(errs, fmt.Errorf("%w: neo4j projector: Retryable is required", fault.ErrInvalid))
	}
	if c.Attempts < 0 || c.RetryMax < 0 {
		errs = append(errs, fmt.Errorf("%w: neo4j projector: Attempts and RetryMax must not be negative", fault.ErrInvalid))
	}
	return errors.Join(errs...)
}

// Projector folds the log into Neo4j. It implements projections.Projector, Resetter and
// Durable, and events.Checkpoints for its own checkpoint (Checkpoints).
type Projector struct {
	cfg Config
}

// New returns the projector of cfg. Call Init before the first Apply.
func New(cfg Config) (*Projector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Name == "" {
		cfg.Name = DefaultName
	}
	if cfg.Attempts == 0 {
		cfg.Attempts = DefaultAttempts
	}
	if cfg.RetryMax == 0 {
		cfg.RetryMax = DefaultRetryMax
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Sleep == nil {
		cfg.Sleep = backoff.Sleep
	}
	return &Projector{cfg: cfg}, nil
}

// Name implements projections.Projector.
func (p *Projector) Name() string { return p.cfg.Name }

// Version implements projections.Projector.
func (p *Projector) Version() int { return Version }

// Durable implements projections.Durable.
func (p *Projector) Durable() bool { return true }

// Init creates the constraints, the indexes and the Root vertex (idempotent).
func (p *Projector) Init(ctx context.Context) error {
	for _, s := range SchemaStatements {
		if err := p.retry(ctx, "schema", func() error { return p.cfg.Conn.Exec(ctx, s, nil) }); err != nil {
			return err
		}
	}
	return p.write(ctx, "root", func(tx Tx) error {
		_, err := tx.Run(ctx, StmtRoot, nil)
		return err
	})
}

// Reset implements projections.Resetter: it deletes the projection's vertices and checkpoints,
// then recreates the Root.
func (p *Projector) Reset(ctx context.Context) error {
	if err := p.retry(ctx, "reset", func() error { return p.cfg.Conn.Exec(ctx, StmtReset, nil) }); err != nil {
		return err
	}
	return p.Init(ctx)
}

// Apply implements projections.Projector: in one write transaction, it locks and reads the
// checkpoint, skips the events at or before it (a batch the runner sends again after its own
// checkpoint failed to save), runs the statements of the rest and moves the checkpoint to the
// batch's last position.
func (p *Projector) Apply(ctx context.Context, batch []events.Envelope) error {
	if len(batch) == 0 {
		return nil
	}
	last := batch[len(batch)-1].GlobalPosition
	return p.write(ctx, "apply", func(tx Tx) error {
		recs, err := tx.Run(ctx, StmtCheckpointLock, map[string]any{"name": p.cfg.Name, "version": int64(Version)})
		if err != nil {
			return err
		}
		done, _, err := checkpointOf(recs)
		if err != nil {
			return err
		}
		if last <= done {
			return nil
		}
		rest := batch
		for len(rest) > 0 && rest[0].GlobalPosition <= done {
			rest = rest[1:]
		}
		stmts, err := Plan(rest)
		if err != nil {
			return errPermanent{err}
		}
		for _, s := range stmts {
			if _, err := tx.Run(ctx, s.Cypher, s.Params); err != nil {
				return err
			}
		}
		_, err = tx.Run(ctx, StmtCheckpointSave, map[string]any{"name": p.cfg.Name, "position": int64(last), "version": int64(Version)})
		return err
	})
}

// errPermanent marks an error that retrying cannot cure (a payload the plan refuses).
type errPermanent struct{ err error }

func (e errPermanent) Error() string { return e.err.Error() }
func (e errPermanent) Unwrap() error { return e.err }

// write runs fn in a write transaction, committing when it succeeds and rolling back when it
// fails, and tries again on transient errors.
func (p *Projector) write(ctx context.Context, what string, fn func(Tx) error) error {
	return p.retry(ctx, what, func() error {
		tx, err := p.cfg.Conn.BeginWrite(ctx)
		if err != nil {
			return err
		}
		if err := fn(tx); err != nil {
			if rerr := tx.Rollback(ctx); rerr != nil {
				p.cfg.Logger.Warn("neo4j rollback failed", "error", rerr)
			}
			return err
		}
		return tx.Commit(ctx)
	})
}

// retry calls fn until it succeeds, fails with an error that is not transient, or the attempts
// are spent.
func (p *Projector) retry(ctx context.Context, what string, fn func() error) error {
	for attempt := 0; ; attempt++ {
		err := fn()
		if err == nil {
			return nil
		}
		var perm errPermanent
		if errors.As(err, &perm) {
			return perm.err
		}
		if !p.cfg.Retryable(err) || attempt+1 >= p.cfg.Attempts {
			return fmt.Errorf("%w: neo4j projection %s: %s after %d attempt(s): %w", fault.ErrUnavailable, p.cfg.Name, what, attempt+1, err)
		}
		p.cfg.Logger.Warn("neo4j transient error: retrying", "projection", p.cfg.Name, "step", what, "attempt", attempt+1, "error", err)
		if !p.cfg.Sleep(ctx, backoff.Delay(attempt, p.cfg.RetryMax)) {
			return fmt.Errorf("neo4j projection %s: %s: %w (last error: %w)", p.cfg.Name, what, ctx.Err(), err)
		}
	}
}

func checkpointOf(recs []map[string]any) (events.Position, int, error) {
	if len(recs) != 1 {
		return 0, 0, fmt.Errorf("neo4j checkpoint: %d records; want 1", len(recs))
	}
	pos, ok1 := recs[0]["position"].(int64)
	ver, ok2 := recs[0]["version"].(int64)
	if !ok1 || !ok2 {
		return 0, 0, fmt.Errorf("neo4j checkpoint: position %T, version %T; want integers", recs[0]["position"], recs[0]["version"])
	}
	return events.Position(pos), int(ver), nil
}

// Checkpoints is the projector's checkpoint as the runner's events.Checkpoints: give it to a
// projections.Runner that runs this projector, so that the runner resumes from the position
// stored in Neo4j. SaveCheckpoint moves the checkpoint only when it changes the version (a
// reset) or goes back; a forward save is already done by Apply in the batch's transaction.
func (p *Projector) Checkpoints() events.Checkpoints { return checkpoints{p} }

// The checkpoints answer the projector's own checkpoint (the one Apply moves in each batch's
// transaction, stored under the projector's name) whatever name they are asked for: a
// projections.Runner asks for "projection:<name>".

type checkpoints struct{ p *Projector }

func (c checkpoints) LoadCheckpoint(ctx context.Context, _ string) (events.Position, int, error) {
	name := c.p.cfg.Name
	var pos events.Position
	var ver int
	err := c.p.write(ctx, "load checkpoint", func(tx Tx) error {
		recs, err := tx.Run(ctx, StmtCheckpointRead, map[string]any{"name": name})
		if err != nil {
			return err
		}
		pos, ver, err = checkpointOf(recs)
		return err
	})
	return pos, ver, err
}

func (c checkpoints) SaveCheckpoint(ctx context.Context, _ string, pos events.Position, version int) error {
	name := c.p.cfg.Name
	return c.p.write(ctx, "save checkpoint", func(tx Tx) error {
		recs, err := tx.Run(ctx, StmtCheckpointRead, map[string]any{"name": name})
		if err != nil {
			return err
		}
		stored, ver, err := checkpointOf(recs)
		if err != nil {
			return err
		}
		if ver == version && pos >= stored {
			return nil
		}
		_, err = tx.Run(ctx, StmtCheckpointSave, map[string]any{"name": name, "position": int64(pos), "version": int64(version)})
		return err
	})
}
