package artifacts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"sync"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/task"
	"github.com/infrahub-go/infrahub/workers/changes"
)

// The Watcher keeps, per branch, what each artifact's query answered the last time it looked
// (a hash) and which nodes the answer held; a change of one of those nodes runs the query again,
// and only an answer that changed submits a generation task. Definitions, transforms, queries,
// repositories (their commit) and target groups are watched as a whole: a change of one submits
// a generation of its definitions' artifacts (forced when the template or query may have
// changed; new group members only when the membership changed).

type key struct{ def, target string }

type entry struct {
	hash string
	deps []string
}

type branchState struct {
	defs    map[string]definition // by id
	entries map[key]*entry
	rev     map[string]map[key]struct{} // node id -> the artifacts whose answer held it
	targets map[string]map[string]bool  // definition -> its targets
}

type watcher struct {
	mu       sync.Mutex // one batch at a time (OnChange runs in the feed's goroutine)
	branches map[string]*branchState
}

// structural kinds: a change of a node of these kinds reloads the definitions.
var structural = map[string]bool{KindDefinition: true, KindTransformJ2: true, KindTransformPy: true, KindQuery: true,
	KindRepository: true, KindReadOnlyRepo: true}

// OnChange is the Watcher: a changes.Subscriber.
func (g *Generator) OnChange(ctx context.Context, b changes.Batch) {
	g.watch.mu.Lock()
	defer g.watch.mu.Unlock()
	if slices.Contains(b.BranchEvents, "deleted") {
		delete(g.watch.branches, b.Branch)
		if len(b.Nodes) == 0 {
			return
		}
	}
	if err := g.cfg.WaitFor(ctx, b.Position); err != nil {
		return
	}
	if err := g.onChange(ctx, b); err != nil && ctx.Err() == nil {
		g.log.Warn("artifacts: reacting to changes", "branch", b.Branch, "position", b.Position, "err", err)
	}
}

func (g *Generator) onChange(ctx context.Context, b changes.Batch) error {
	scope := graph.Scope{Branch: b.Branch}
	st, fresh := g.watch.branches[b.Branch], false
	if st == nil || b.Overflow || slices.Contains(b.BranchEvents, "rebased") {
		st, fresh = &branchState{defs: map[string]definition{}, entries: map[key]*entry{}, rev: map[string]map[key]struct{}{},
			targets: map[string]map[string]bool{}}, true
		g.watch.branches[b.Branch] = st
	}
	changed, touched := map[string]bool{}, map[string]bool{} // touched: nodes of the structural kinds
	reload := fresh
	for _, c := range b.Nodes {
		if c.Kind == KindArtifact { // what the generations write
			continue
		}
		changed[c.ID] = true
		for _, p := range c.Peers {
			changed[p] = true
		}
		if structural[c.Kind] {
			reload, touched[c.ID] = true, true
		}
	}
	for _, d := range st.defs {
		if changed[d.Group] {
			reload = true
		}
	}
	forced := map[string]bool{}
	if reload {
		defs, err := definitions(ctx, g.cfg.Graph, scope, nil)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, d := range defs {
			seen[d.ID] = true
			old, had := st.defs[d.ID]
			st.defs[d.ID] = d
			if d.TransformKind != KindTransformJ2 {
				continue
			}
			tg, err := members(ctx, g.cfg.Graph, scope, d, nil)
			if err != nil {
				g.log.Warn("artifacts: reading a definition's targets", "definition", d.Name, "err", err)
				continue
			}
			now := map[string]bool{}
			for _, t := range tg {
				now[t.ID] = true
			}
			force := touched[d.ID] || touched[d.Transform] || touched[d.Query] || touched[d.Repository] ||
				(!fresh && (!had || old.fingerprint() != d.fingerprint()))
			switch {
			case force:
				forced[d.ID] = true
				for id := range st.targets[d.ID] { // the query may have changed: look again
					st.drop(key{d.ID, id})
				}
				if err := g.submit(ctx, b, commands.ArtifactsGenerate{Branch: b.Branch, DefinitionID: d.ID, Force: true}); err != nil {
					return err
				}
			case fresh && changed[d.Group]: // members may have joined: which is not known
				if err := g.submit(ctx, b, commands.ArtifactsGenerate{Branch: b.Branch, DefinitionID: d.ID}); err != nil {
					return err
				}
			case !fresh:
				var added []string
				for id := range now {
					if !st.targets[d.ID][id] {
						added = append(added, id)
					}
				}
				if len(added) > 0 {
					sort.Strings(added)
					if err := g.submit(ctx, b, commands.ArtifactsGenerate{Branch: b.Branch, DefinitionID: d.ID, Nodes: added}); err != nil {
						return err
					}
				}
			}
			for id := range st.targets[d.ID] {
				if !now[id] {
					st.drop(key{d.ID, id})
				}
			}
			st.targets[d.ID] = now
			for _, t := range tg {
				k := key{d.ID, t.ID}
				if _, ok := st.entries[k]; ok {
					continue
				}
				if err := g.look(ctx, scope, st, d, t); err != nil {
					g.log.Warn("artifacts: running a definition's query", "definition", d.Name, "target", t.ID, "err", err)
				}
			}
		}
		for id := range st.defs {
			if !seen[id] {
				for t := range st.targets[id] {
					st.drop(key{id, t})
				}
				delete(st.defs, id)
				delete(st.targets, id)
			}
		}
	}
	// the artifacts whose answer held a changed node: look again, and generate those whose answer changed
	affected := map[key]bool{}
	for id := range changed {
		for k := range st.rev[id] {
			if !forced[k.def] {
				affected[k] = true
			}
		}
	}
	byDef := map[string][]string{}
	for k := range affected {
		d := st.defs[k.def]
		before := ""
		if e := st.entries[k]; e != nil && !fresh {
			before = e.hash
		}
		t, err := g.cfg.Graph.Get(ctx, scope, k.target)
		if err != nil {
			st.drop(k)
			continue
		}
		if err := g.look(ctx, scope, st, d, t); err != nil {
			g.log.Warn("artifacts: running a definition's query", "definition", d.Name, "target", k.target, "err", err)
			continue
		}
		if e := st.entries[k]; e != nil && e.hash != before {
			byDef[k.def] = append(byDef[k.def], k.target)
		}
	}
	defIDs := make([]string, 0, len(byDef))
	for id := range byDef {
		defIDs = append(defIDs, id)
	}
	sort.Strings(defIDs)
	for _, id := range defIDs {
		nodes := byDef[id]
		sort.Strings(nodes)
		if err := g.submit(ctx, b, commands.ArtifactsGenerate{Branch: b.Branch, DefinitionID: id, Nodes: nodes}); err != nil {
			return err
		}
	}
	return nil
}

// look runs the query of d for target t and records its answer's hash and nodes.
func (g *Generator) look(ctx context.Context, scope graph.Scope, st *branchState, d definition, t graph.Node) error {
	k := key{d.ID, t.ID}
	vars, err := variables(ctx, g.cfg.Graph, scope, d, t)
	if err != nil {
		return err
	}
	data, deps, err := g.cfg.Query(ctx, scope, d.Query, vars)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	st.drop(k)
	e := &entry{hash: hex.EncodeToString(sum[:]), deps: append(slices.Clone(deps), t.ID)}
	st.entries[k] = e
	for _, id := range e.deps {
		m := st.rev[id]
		if m == nil {
			m = map[key]struct{}{}
			st.rev[id] = m
		}
		m[k] = struct{}{}
	}
	return nil
}

func (st *branchState) drop(k key) {
	e := st.entries[k]
	if e == nil {
		return
	}
	for _, id := range e.deps {
		delete(st.rev[id], k)
		if len(st.rev[id]) == 0 {
			delete(st.rev, id)
		}
	}
	delete(st.entries, k)
}

// submit submits an artifact task, under a command id made of what triggered it: the same
// change seen again (or by another server) submits nothing more.
func (g *Generator) submit(ctx context.Context, b changes.Batch, p commands.ArtifactsGenerate) error {
	wf := commands.WorkflowArtifactGenerate
	switch {
	case p.DefinitionID == "":
		wf = commands.WorkflowArtifactsGenerateAll
	case len(p.Nodes) == 0:
		wf = commands.WorkflowArtifactDefinition
	}
	params, _ := json.Marshal(p)
	id := task.DerivedID(b.Branch, strconv.FormatInt(int64(b.Position), 10), string(params))
	body, _ := json.Marshal(commands.SubmitTask{ID: id, Workflow: wf, Parameters: params})
	if _, err := g.cfg.Dispatch(ctx, commands.Command{Type: commands.TypeSubmitTask, ID: "artifacts:" + id, Payload: body}); err != nil {
		return fmt.Errorf("submitting %s: %w", wf, err)
	}
	return nil
}
