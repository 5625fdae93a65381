package artifacts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/commands/locks"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/task"
	"github.com/infrahub-go/infrahub/workers"
)

// Config of a Generator. Every function is required.
type Config struct {
	Graph    graph.Reader
	Dispatch func(ctx context.Context, cmd commands.Command) (commands.Result, error)
	// Query answers the data of a stored GraphQL query (a CoreGraphQLQuery id) run with vars,
	// and the ids of the nodes the answer holds (graphql.Request.Touched).
	Query func(ctx context.Context, scope graph.Scope, queryID string, vars map[string]any) (data json.RawMessage, nodes []string, err error)
	// Render renders a transform (a CoreTransformJinja2 id) with vars.
	Render func(ctx context.Context, scope graph.Scope, transformID string, vars map[string]any) (string, error)
	// Put stores content, content-addressed, and answers its storage id and checksum.
	Put func(ctx context.Context, content []byte) (id, checksum string, err error)
	// WaitFor waits until the graph has folded a position (the Watcher reads after a change).
	WaitFor func(ctx context.Context, pos events.Position) error
	Default string // the default branch
	// Locks serialise the generations of one definition on one branch, so that two tasks do
	// not both create the artifact of a target: commands/locks.Redis shares them between
	// processes; nil: within this process only.
	Locks  commands.Locker
	Logger *slog.Logger
}

func (c Config) validate() error {
	switch {
	case c.Graph == nil, c.Dispatch == nil, c.Query == nil, c.Render == nil, c.Put == nil, c.WaitFor == nil:
		return errors.New("artifacts: Graph, Dispatch, Query, Render, Put and WaitFor are required")
	case c.Default == "":
		return errors.New("artifacts: Default (the default branch) is required")
	}
	return nil
}

// Generator runs the artifact workflows and watches the changes that call for them.
type Generator struct {
	cfg   Config
	log   *slog.Logger
	watch watcher
}

// New checks cfg and returns a Generator.
func New(cfg Config) (*Generator, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Locks == nil {
		cfg.Locks = &locks.Local{}
	}
	g := &Generator{cfg: cfg, log: log}
	g.watch.branches = map[string]*branchState{}
	return g, nil
}

// Register adds the artifact workflows to reg.
func (g *Generator) Register(reg *workers.Registry) error {
	for _, name := range []string{commands.WorkflowArtifactsGenerateAll, commands.WorkflowArtifactDefinition, commands.WorkflowArtifactGenerate} {
		if err := reg.Register(name, g.run); err != nil {
			return err
		}
	}
	return nil
}

// Outcome is what an artifact task answers.
type Outcome struct {
	Definitions int `json:"definitions"`
	Created     int `json:"created"`
	Updated     int `json:"updated"`
	Unchanged   int `json:"unchanged"`
	Failed      int `json:"failed"`
}

func (g *Generator) run(ctx context.Context, r *workers.Run) (json.RawMessage, error) {
	var p commands.ArtifactsGenerate
	if err := json.Unmarshal(r.Task.Parameters, &p); err != nil {
		return nil, fmt.Errorf("%w: parameters: %w", task.ErrInvalid, err)
	}
	if p.Branch == "" {
		p.Branch = g.cfg.Default
	}
	scope := graph.Scope{Branch: p.Branch}
	var ids []string
	if p.DefinitionID != "" {
		ids = []string{p.DefinitionID}
	}
	defs, err := definitions(ctx, g.cfg.Graph, scope, ids)
	if err != nil {
		return nil, err
	}
	if p.DefinitionID != "" && len(defs) == 0 {
		return nil, fmt.Errorf("%w: artifact definition %s on branch %s", fault.ErrNotFound, p.DefinitionID, p.Branch)
	}
	var out Outcome
	for _, d := range defs {
		o, err := g.Generate(ctx, r, scope, d.ID, p.Nodes)
		if err != nil {
			return nil, err
		}
		out.Definitions++
		out.Created += o.Created
		out.Updated += o.Updated
		out.Unchanged += o.Unchanged
		out.Failed += o.Failed
	}
	r.Log(task.SeverityInfo, fmt.Sprintf("artifacts of %d definitions: %d created, %d updated, %d unchanged, %d failed",
		out.Definitions, out.Created, out.Updated, out.Unchanged, out.Failed))
	return json.Marshal(out)
}

// Generate renders the artifacts of definition defID for its targets (those of only, when given:
// target ids or the ids of their artifacts)
// and records those whose content changed, in one batch. r (may be nil) takes the log lines and
// gives the command ids (derived from its task id).
func (g *Generator) Generate(ctx context.Context, r *workers.Run, scope graph.Scope, defID string, only []string) (Outcome, error) {
	unlock, err := g.cfg.Locks.Lock(ctx, "artifacts."+scope.Branch+"."+defID)
	if err != nil {
		return Outcome{}, fmt.Errorf("artifacts of definition %s: %w", defID, err)
	}
	defer unlock()
	logf := func(sev, format string, args ...any) {
		if r != nil {
			r.Log(sev, fmt.Sprintf(format, args...))
		}
	}
	var out Outcome
	defs, err := definitions(ctx, g.cfg.Graph, scope, []string{defID})
	if err != nil {
		return out, err
	}
	if len(defs) == 0 {
		return out, fmt.Errorf("%w: artifact definition %s on branch %s", fault.ErrNotFound, defID, scope.Branch)
	}
	d := defs[0]
	if d.TransformKind != KindTransformJ2 {
		return out, fmt.Errorf("%w: artifact definition %s: its transformation is a %s: only Jinja2 transforms run here (no Python runtime)",
			fault.ErrInvalid, d.Name, d.TransformKind)
	}
	existing, err := g.existing(ctx, scope, d.ID)
	if err != nil {
		return out, err
	}
	if len(only) > 0 { // targets, or their artifacts (what Infrahub's generate names)
		want := map[string]bool{}
		for _, id := range only {
			want[id] = true
		}
		only = only[:0:0]
		for target, a := range existing {
			if want[a.ID] {
				only = append(only, target)
				delete(want, a.ID)
			}
		}
		for id := range want {
			only = append(only, id)
		}
	}
	targets, err := members(ctx, g.cfg.Graph, scope, d, only)
	if err != nil {
		return out, err
	}
	var ops []commands.Operation
	for _, t := range targets {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		data := map[string]any{"name": d.ArtifactName, "content_type": d.ContentType}
		vars, err := variables(ctx, g.cfg.Graph, scope, d, t)
		var content string
		if err == nil {
			content, err = g.cfg.Render(ctx, scope, d.Transform, vars)
		}
		cur, exists := existing[t.ID]
		if err != nil {
			out.Failed++
			logf(task.SeverityError, "%s of %s: %v", d.ArtifactName, label(t), err)
			if exists && cur.Text("status") == StatusError {
				continue
			}
			data["status"] = StatusError
		} else {
			id, sum, err := g.cfg.Put(ctx, []byte(content))
			if err != nil {
				return out, fmt.Errorf("storing the artifact %s of %s: %w", d.ArtifactName, label(t), err)
			}
			if exists && cur.Text("checksum") == sum && cur.Text("storage_id") == id && cur.Text("status") == StatusReady &&
				cur.Text("name") == d.ArtifactName && cur.Text("content_type") == d.ContentType {
				out.Unchanged++
				continue
			}
			data["status"], data["checksum"], data["storage_id"] = StatusReady, sum, id
			data["parameters"] = map[string]any{"value": vars}
		}
		if exists {
			out.Updated++
			ops = append(ops, op(commands.TypeUpdateNode, map[string]any{"kind": KindArtifact, "id": cur.ID, "data": data}))
		} else {
			out.Created++
			data["object"] = map[string]any{"id": t.ID}
			data["definition"] = map[string]any{"id": d.ID}
			ops = append(ops, op(commands.TypeCreateNode, map[string]any{"kind": KindArtifact, "data": data}))
		}
	}
	for i := 0; i < len(ops); i += commands.MaxBatch {
		end := min(i+commands.MaxBatch, len(ops))
		body, _ := json.Marshal(commands.Batch{Branch: scope.Branch, Operations: ops[i:end]})
		cmd := commands.Command{Type: commands.TypeBatch, Payload: body}
		if r != nil {
			cmd.ID = fmt.Sprintf("task-run:%s:artifacts:%s:%d", r.Task.ID, d.ID, i)
		}
		if _, err := g.cfg.Dispatch(ctx, cmd); err != nil {
			return out, fmt.Errorf("recording the artifacts of %s: %w", d.Name, err)
		}
	}
	return out, nil
}

func op(typ string, payload map[string]any) commands.Operation {
	raw, _ := json.Marshal(payload)
	return commands.Operation{Type: typ, Payload: raw}
}

// label names a node in messages: its display label, else its id.
func label(n graph.Node) string {
	if n.DisplayLabel != "" {
		return n.DisplayLabel
	}
	return n.ID
}

// existing are a definition's artifacts on the branch, by target id.
func (g *Generator) existing(ctx context.Context, scope graph.Scope, defID string) (map[string]graph.Node, error) {
	page, err := g.cfg.Graph.List(ctx, scope, graph.Query{Kind: KindArtifact, Filters: map[string]any{"definition__ids": []string{defID}}})
	if err != nil {
		return nil, fmt.Errorf("artifacts of definition %s: %w", defID, err)
	}
	ids := make([]string, len(page.Nodes))
	for i, n := range page.Nodes {
		ids[i] = n.ID
	}
	out := make(map[string]graph.Node, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	objs, err := g.cfg.Graph.Peers(ctx, scope, ids, KindArtifact, "object")
	if err != nil {
		return nil, fmt.Errorf("targets of the artifacts of definition %s: %w", defID, err)
	}
	for _, n := range page.Nodes {
		if es := objs[n.ID]; len(es) > 0 {
			out[es[0].Peer] = n
		}
	}
	return out, nil
}
