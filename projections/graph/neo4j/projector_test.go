package neo4j

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/fault"
)

// recorder is a Conn that records every statement and answers the checkpoint statements from
// its own position (no database runs here: it tests the projector's logic, not Cypher).
type recorder struct {
	pos, ver  int64
	runs      []string // every statement run, "auto:" prefix for auto-commit ones
	commits   int
	rollbacks int
	fail      []error // errors returned by the next Run calls, in order (nil: succeed)
	pending   *struct{ pos, ver int64 }
	names     []string // the checkpoint names the checkpoint statements were given
}

var errTransient = errors.New("transient: deadlock detected")

func (r *recorder) next() error {
	if len(r.fail) == 0 {
		return nil
	}
	err := r.fail[0]
	r.fail = r.fail[1:]
	return err
}

func (r *recorder) BeginWrite(context.Context) (Tx, error) {
	r.pending = &struct{ pos, ver int64 }{r.pos, r.ver}
	return recTx{r}, nil
}

func (r *recorder) Exec(_ context.Context, cypher string, _ map[string]any) error {
	r.runs = append(r.runs, "auto:"+cypher)
	return r.next()
}

type recTx struct{ r *recorder }

func (t recTx) Run(_ context.Context, cypher string, params map[string]any) ([]map[string]any, error) {
	r := t.r
	r.runs = append(r.runs, cypher)
	if err := r.next(); err != nil {
		return nil, err
	}
	if n, ok := params["name"].(string); ok && (cypher == StmtCheckpointLock || cypher == StmtCheckpointRead || cypher == StmtCheckpointSave) {
		r.names = append(r.names, n)
	}
	switch cypher {
	case StmtCheckpointLock, StmtCheckpointRead:
		return []map[string]any{{"position": r.pending.pos, "version": r.pending.ver}}, nil
	case StmtCheckpointSave:
		r.pending.pos, r.pending.ver = params["position"].(int64), params["version"].(int64)
	}
	return nil, nil
}

func (t recTx) Commit(context.Context) error {
	t.r.commits++
	t.r.pos, t.r.ver = t.r.pending.pos, t.r.pending.ver
	return nil
}

func (t recTx) Rollback(context.Context) error { t.r.rollbacks++; return nil }

func newProjector(t *testing.T, r *recorder) (*Projector, *[]time.Duration) {
	t.Helper()
	var slept []time.Duration
	p, err := New(Config{Conn: r, Attempts: 3, Retryable: func(err error) bool { return errors.Is(err, errTransient) },
		Sleep: func(_ context.Context, d time.Duration) bool { slept = append(slept, d); return true }})
	if err != nil {
		t.Fatal(err)
	}
	return p, &slept
}

func TestApplyMovesCheckpointInTheBatchTransaction(t *testing.T) {
	r := &recorder{ver: Version}
	p, _ := newProjector(t, r)
	log := sampleLog(t)
	if err := p.Apply(context.Background(), log[:5]); err != nil {
		t.Fatal(err)
	}
	if r.pos != 5 || r.commits != 1 {
		t.Fatalf("after Apply: checkpoint %d, %d commits; want 5, 1", r.pos, r.commits)
	}
	plan, _ := Plan(log[:5])
	if r.runs[0] != StmtCheckpointLock || r.runs[len(r.runs)-1] != StmtCheckpointSave || len(r.runs) != len(plan)+2 {
		t.Errorf("statements: %d, first %.30q, last %.30q; want lock, the %d of the plan, save", len(r.runs), r.runs[0], r.runs[len(r.runs)-1], len(plan))
	}

	// The runner sends events 4..7 again (its own checkpoint was lost): 4 and 5 are skipped.
	r.runs = nil
	if err := p.Apply(context.Background(), log[3:7]); err != nil {
		t.Fatal(err)
	}
	want, _ := Plan(log[5:7])
	if len(r.runs) != len(want)+2 || r.runs[1] != want[0].Cypher || r.pos != 7 {
		t.Errorf("overlapping batch ran %d statements, checkpoint %d; want %d, 7", len(r.runs), r.pos, len(want)+2)
	}
	// A batch wholly before the checkpoint writes nothing but the lock.
	r.runs = nil
	if err := p.Apply(context.Background(), log[:2]); err != nil || len(r.runs) != 1 || r.pos != 7 {
		t.Errorf("old batch: %v, %d statements, checkpoint %d; want only the lock, 7", err, len(r.runs), r.pos)
	}
}

func TestApplyRetriesTransientErrors(t *testing.T) {
	r := &recorder{ver: Version, fail: []error{nil, errTransient}} // the second statement fails once
	p, slept := newProjector(t, r)
	if err := p.Apply(context.Background(), sampleLog(t)[:2]); err != nil {
		t.Fatal(err)
	}
	if r.rollbacks != 1 || r.commits != 1 || r.pos != 2 || len(*slept) != 1 {
		t.Errorf("rollbacks %d, commits %d, checkpoint %d, sleeps %d; want 1, 1, 2, 1", r.rollbacks, r.commits, r.pos, len(*slept))
	}
	// Attempts spent: unavailable, the checkpoint did not move.
	r = &recorder{ver: Version, fail: []error{errTransient, errTransient, errTransient}}
	p, _ = newProjector(t, r)
	err := p.Apply(context.Background(), sampleLog(t)[:2])
	if !errors.Is(err, fault.ErrUnavailable) || !errors.Is(err, errTransient) || r.pos != 0 || r.commits != 0 || r.rollbacks != 3 {
		t.Errorf("3 transient failures: %v, checkpoint %d, commits %d, rollbacks %d", err, r.pos, r.commits, r.rollbacks)
	}
	// A permanent error is not retried.
	boom := errors.New("Neo.ClientError.Statement.SyntaxError")
	r = &recorder{ver: Version, fail: []error{nil, boom}}
	p, slept = newProjector(t, r)
	if err := p.Apply(context.Background(), sampleLog(t)[:2]); !errors.Is(err, boom) || len(*slept) != 0 || r.rollbacks != 1 {
		t.Errorf("permanent error: %v after %d sleeps, %d rollbacks; want it at once", err, len(*slept), r.rollbacks)
	}
	// A payload the plan refuses is permanent too, and rolls back.
	r = &recorder{ver: Version}
	p, slept = newProjector(t, r)
	bad := events.Envelope{GlobalPosition: 1, Stream: "branch/main", Type: "node.created", SchemaVersion: 1, Payload: []byte(`[`)}
	if err := p.Apply(context.Background(), []events.Envelope{bad}); err == nil || len(*slept) != 0 || r.pos != 0 {
		t.Errorf("bad payload: %v after %d sleeps, checkpoint %d", err, len(*slept), r.pos)
	}
}

func TestInitResetAndCheckpoints(t *testing.T) {
	r := &recorder{}
	p, _ := newProjector(t, r)
	if err := p.Init(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(r.runs) != len(SchemaStatements)+1 || r.runs[0] != "auto:"+StmtConstraintRoot || r.runs[len(r.runs)-1] != StmtRoot {
		t.Errorf("Init ran %d statements; want the %d schema ones then the root", len(r.runs), len(SchemaStatements))
	}
	cp := p.Checkpoints()
	ctx := context.Background()
	if pos, ver, err := cp.LoadCheckpoint(ctx, p.Name()); err != nil || pos != 0 || ver != 0 {
		t.Errorf("empty database: %d, %d, %v", pos, ver, err)
	}
	// The runner resets for the version: it saves 0 with the version.
	if err := cp.SaveCheckpoint(ctx, p.Name(), 0, Version); err != nil || r.ver != Version {
		t.Errorf("version save: %v, stored version %d", err, r.ver)
	}
	if err := p.Apply(ctx, sampleLog(t)[:3]); err != nil {
		t.Fatal(err)
	}
	// A forward save from the runner is already done by Apply: no write.
	r.runs = nil
	if err := cp.SaveCheckpoint(ctx, p.Name(), 3, Version); err != nil || len(r.runs) != 1 || r.pos != 3 {
		t.Errorf("forward save: %v, %d statements, checkpoint %d", err, len(r.runs), r.pos)
	}
	if pos, ver, err := cp.LoadCheckpoint(ctx, p.Name()); err != nil || pos != 3 || ver != Version {
		t.Errorf("load = %d, %d, %v; want 3, %d", pos, ver, err, Version)
	}
	r.runs = nil
	if err := p.Reset(ctx); err != nil || r.runs[0] != "auto:"+StmtReset {
		t.Errorf("Reset: %v, first statement %.30q", err, r.runs[0])
	}
}

func TestConfig(t *testing.T) {
	if _, err := New(Config{}); !errors.Is(err, fault.ErrInvalid) {
		t.Errorf("New(empty) = %v; want ErrInvalid", err)
	}
	for name, db := range map[string]DB{
		"protocol": {Protocol: "http", Address: "db", Port: 7687},
		"port":     {Protocol: "bolt", Address: "db", Port: 0},
		"address":  {Protocol: "bolt", Port: 7687},
	} {
		if _, err := db.URI(); !errors.Is(err, fault.ErrInvalid) {
			t.Errorf("%s: URI = %v; want ErrInvalid", name, err)
		}
	}
	for want, db := range map[string]DB{
		"bolt://db:7687":     {Protocol: "bolt", Address: "db", Port: 7687, Password: "secret"},
		"neo4j+s://db:7687":  {Protocol: "neo4j", Address: "db", Port: 7687, TLS: true},
		"bolt+ssc://db:7687": {Protocol: "bolt", Address: "db", Port: 7687, TLS: true, TLSInsecure: true},
	} {
		if got, err := db.URI(); got != want || err != nil {
			t.Errorf("URI = %q, %v; want %q", got, err, want)
		}
	}
}

// A projections.Runner asks for "projection:<name>": the checkpoints answer the projector's own
// checkpoint, the one Apply moves, whatever name they are given.
func TestCheckpointsAreTheProjectorsOwn(t *testing.T) {
	r := &recorder{}
	p, _ := newProjector(t, r)
	cp := p.Checkpoints()
	ctx := context.Background()
	if _, _, err := cp.LoadCheckpoint(ctx, "projection:"+p.Name()); err != nil {
		t.Fatal(err)
	}
	if err := cp.SaveCheckpoint(ctx, "projection:"+p.Name(), 5, Version); err != nil {
		t.Fatal(err)
	}
	if len(r.names) == 0 {
		t.Fatal("no checkpoint statement ran")
	}
	for _, n := range r.names {
		if n != p.Name() {
			t.Fatalf("checkpoint names %v: want only %q", r.names, p.Name())
		}
	}
}
