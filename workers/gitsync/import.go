package gitsync

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/repository"
	"github.com/infrahub-go/infrahub/task"
	"github.com/infrahub-go/infrahub/workers"
)

// ImportOutcome is what an import answers (the task's result).
type ImportOutcome struct {
	Repository string   `json:"repository_id"`
	Branch     string   `json:"branch"`
	Commit     string   `json:"commit"`
	Schemas    int      `json:"schemas"`
	Objects    int      `json:"object_files"`
	Menus      int      `json:"menu_files"`
	Deleted    []string `json:"deleted,omitempty"` // kind/name of the nodes the commit no longer names
	Warnings   []string `json:"warnings,omitempty"`
}

// runImport runs WorkflowGitImport.
func (s *Syncer) runImport(ctx context.Context, r *workers.Run) (json.RawMessage, error) {
	p, err := decode[commands.GitImport](r)
	if err != nil {
		return nil, err
	}
	name := p.Branch
	if name == "" {
		name = s.cfg.Default
	}
	n, err := s.readRepo(ctx, name, p.RepositoryID)
	if err != nil {
		return nil, err
	}
	remote, err := s.remote(ctx, name, n)
	if err != nil {
		return nil, err
	}
	commit, err := s.cfg.Repos.Resolve(ctx, remote, p.Commit)
	if err != nil {
		s.operational(ctx, r, "import/"+name, n, name, err)
		return nil, fmt.Errorf("repository %s: commit %s: %w", n.Name, p.Commit, err)
	}
	out, err := s.importCommit(ctx, r, "import", n, remote, name, commit)
	if err != nil {
		return nil, err
	}
	return done(out)
}

// importCommit imports commit of repository n on branch name. step prefixes the ids of the
// commands it dispatches. A commit with problems writes nothing but the repository's
// sync_status (error-import) and fails with fault.ErrInvalid.
func (s *Syncer) importCommit(ctx context.Context, r *workers.Run, step string, n repoNode, remote repository.Remote, name, commit string) (ImportOutcome, error) {
	out := ImportOutcome{Repository: n.ID, Branch: name, Commit: commit}
	r.Log(task.SeverityInfo, fmt.Sprintf("importing commit %s of repository %s on branch %s", commit, n.Name, name))
	if err := s.setStatus(ctx, r, step+"/syncing", n, name, map[string]any{"sync_status": SyncSyncing}); err != nil {
		return out, err
	}
	fsys, err := s.cfg.Repos.Files(ctx, remote, commit)
	if err != nil {
		s.operational(ctx, r, step, n, name, err)
		return out, fmt.Errorf("repository %s: reading commit %s: %w", n.Name, commit, err)
	}
	p := s.check(ctx, fsys, name)
	if len(p.problems) > 0 {
		for _, line := range p.problems {
			r.Log(task.SeverityError, line)
		}
		if err := s.setStatus(ctx, r, step+"/error-import", n, name, map[string]any{"sync_status": SyncErrorImport}); err != nil {
			return out, err
		}
		return out, fmt.Errorf("%w: repository %s, commit %s: %d problem(s), nothing imported; the first: %s",
			fault.ErrInvalid, n.Name, commit, len(p.problems), p.problems[0])
	}
	for _, w := range p.warnings {
		r.Log(task.SeverityWarning, w)
	}
	out.Warnings = p.warnings
	if err := s.write(ctx, r, step, n, name, commit, p, &out); err != nil {
		if fault.Classify(err).Status < 500 {
			_ = s.setStatus(ctx, r, step+"/error-import", n, name, map[string]any{"sync_status": SyncErrorImport})
			r.Log(task.SeverityError, err.Error())
		}
		return out, err
	}
	s.imported(n.ID, name, commit)
	r.Log(task.SeverityInfo, fmt.Sprintf("commit %s of repository %s imported on branch %s", commit, n.Name, name))
	return out, nil
}

// write writes a checked commit: its schema, its objects, its menus, one batch of the queries,
// transforms and definitions; then the nodes the repository owned that the commit no longer
// names are deleted, and the repository's commit and statuses are set.
func (s *Syncer) write(ctx context.Context, r *workers.Run, step string, n repoNode, name, commit string, p *plan, out *ImportOutcome) error {
	if len(p.schemas.Schemas) > 0 {
		if _, err := s.dispatch(ctx, r, step+"/schema", commands.TypeLoadSchema, p.schemas); err != nil {
			return fmt.Errorf("loading the schemas of commit %s: %w", commit, err)
		}
		out.Schemas = len(p.schemas.Schemas)
	}
	for _, set := range []struct {
		what  string
		files []commands.ObjectFile
		count *int
	}{{"objects", p.objects, &out.Objects}, {"menus", p.menus, &out.Menus}} {
		if len(set.files) == 0 {
			continue
		}
		if _, err := s.dispatch(ctx, r, step+"/"+set.what, commands.TypeLoadObjects, commands.LoadObjects{Branch: name, Files: set.files}); err != nil {
			return fmt.Errorf("loading the %s of commit %s: %w", set.what, commit, err)
		}
		*set.count = len(set.files)
	}
	if ops := s.operations(n, p); len(ops) > 0 {
		if _, err := s.dispatch(ctx, r, step+"/batch", commands.TypeBatch, commands.Batch{Branch: name, Operations: ops}); err != nil {
			return fmt.Errorf("recording the queries, transforms and definitions of commit %s: %w", commit, err)
		}
	}
	s.deleteStale(ctx, r, step, n, name, p, out)
	// The repository (a branch-agnostic node: a command of its own on a branch) last: commit and
	// sync_status together, which OnChange tells from a commit set by a client.
	return s.setStatus(ctx, r, step+"/commit", n, name, map[string]any{"commit": commit, "sync_status": SyncInSync, "operational_status": OperOnline})
}

// attrs are attribute values of a node's data, each given as {"value": v}.
func attrs(values map[string]any) commands.Data {
	d := commands.Data{}
	for k, v := range values {
		if v == nil {
			continue
		}
		raw, _ := json.Marshal(map[string]any{"value": v})
		d[k] = raw
	}
	return d
}

// rel sets relationship name of d to a peer given as JSON.
func rel(d commands.Data, name string, peer any) {
	raw, _ := json.Marshal(peer)
	d[name] = raw
}

func upsert(kind, ref string, d commands.Data) commands.Operation {
	raw, _ := json.Marshal(commands.UpdateNode{Kind: kind, Data: d})
	return commands.Operation{Type: commands.TypeUpsertNode, Ref: ref, Payload: raw}
}

// operations are the batch of an import: the queries, the Jinja2 transforms and the
// definitions.
func (s *Syncer) operations(n repoNode, p *plan) []commands.Operation {
	var ops []commands.Operation
	group := func(name string) map[string]any {
		return map[string]any{"hfid": []string{name}, "kind": kindStandardGroup}
	}
	for _, q := range p.cfg.Queries {
		d := attrs(map[string]any{"name": q.Name, "query": p.queries[q.Name]})
		rel(d, "repository", n.ID)
		ops = append(ops, upsert(kindQuery, "query:"+q.Name, d))
	}
	jinja2 := map[string]bool{}
	for _, t := range p.cfg.Jinja2Transforms {
		jinja2[t.Name] = true
		v := map[string]any{"name": t.Name, "template_path": t.TemplatePath}
		if t.Description != "" {
			v["description"] = t.Description
		}
		d := attrs(v)
		rel(d, "query", map[string]any{"ref": "query:" + t.Query})
		rel(d, "repository", n.ID)
		ops = append(ops, upsert(kindJinja2, "transform:"+t.Name, d))
	}
	for _, a := range p.cfg.ArtifactDefinitions {
		if !jinja2[a.Transformation] {
			continue // a Python transform's definition: not recorded (warned)
		}
		params := map[string]any{}
		for k, v := range a.Parameters {
			params[k] = v
		}
		artifact := a.ArtifactName
		if artifact == "" {
			artifact = a.Name
		}
		d := attrs(map[string]any{"name": a.Name, "artifact_name": artifact, "parameters": params, "content_type": a.ContentType})
		rel(d, "targets", group(a.Targets))
		rel(d, "transformation", map[string]any{"ref": "transform:" + a.Transformation})
		ops = append(ops, upsert(kindArtifactDefinition, "", d))
	}
	for _, c := range p.cfg.CheckDefinitions {
		v := map[string]any{"name": c.Name, "file_path": c.FilePath, "class_name": c.ClassName}
		if c.Parameters != nil {
			v["parameters"] = c.Parameters
		}
		d := attrs(v)
		rel(d, "repository", n.ID)
		if c.Targets != "" {
			rel(d, "targets", group(c.Targets))
		}
		ops = append(ops, upsert(kindCheckDefinition, "", d))
	}
	for _, g := range p.cfg.GeneratorDefinitions {
		params := g.Parameters
		if params == nil {
			params = map[string]any{}
		}
		d := attrs(map[string]any{"name": g.Name, "file_path": g.FilePath, "class_name": g.ClassName,
			"parameters": params, "convert_query_response": g.ConvertQueryResponse})
		rel(d, "query", map[string]any{"ref": "query:" + g.Query})
		rel(d, "repository", n.ID)
		rel(d, "targets", group(g.Targets))
		ops = append(ops, upsert(kindGeneratorDef, "", d))
	}
	return ops
}

// deleteStale deletes the nodes repository n owned that the commit no longer names (as
// Infrahub does): the artifact definitions of its deleted transforms, the transforms, check and
// generator definitions, then the queries. It is one batch; when it is refused (another node
// still needs one of them), the nodes are kept and the task logs why.
func (s *Syncer) deleteStale(ctx context.Context, r *workers.Run, step string, n repoNode, name string, p *plan, out *ImportOutcome) {
	named := map[string]map[string]bool{}
	add := func(kind, name string) {
		if named[kind] == nil {
			named[kind] = map[string]bool{}
		}
		named[kind][name] = true
	}
	for _, q := range p.cfg.Queries {
		add(kindQuery, q.Name)
	}
	for _, t := range p.cfg.Jinja2Transforms {
		add(kindTransformation, t.Name)
	}
	for _, c := range p.cfg.CheckDefinitions {
		add(kindCheckDefinition, c.Name)
	}
	for _, g := range p.cfg.GeneratorDefinitions {
		add(kindGeneratorDef, g.Name)
	}
	var stale []commands.DeleteNode
	var transforms []string
	for _, rs := range []struct{ rel, kind string }{{"transformations", kindTransformation}, {"checks", kindCheckDefinition},
		{"generators", kindGeneratorDef}, {"queries", kindQuery}} {
		nodes, err := s.owned(ctx, name, n.ID, rs.rel)
		if err != nil {
			r.Log(task.SeverityWarning, err.Error())
			return
		}
		for _, x := range nodes {
			if named[rs.kind][x.Text("name")] {
				continue
			}
			if rs.kind == kindTransformation {
				transforms = append(transforms, x.ID)
			}
			stale = append(stale, commands.DeleteNode{Kind: x.Kind, ID: x.ID})
			out.Deleted = append(out.Deleted, x.Kind+"/"+x.Text("name"))
		}
	}
	if len(stale) == 0 {
		return
	}
	// The artifact definitions of the transforms deleted go first (not those the commit names).
	if defs, err := s.definitionsOf(ctx, name, transforms); err != nil {
		r.Log(task.SeverityWarning, err.Error())
		return
	} else {
		for _, x := range defs {
			if slices.ContainsFunc(p.cfg.ArtifactDefinitions, func(a repository.ArtifactDefinition) bool { return a.Name == x.Text("name") }) {
				continue
			}
			stale = append([]commands.DeleteNode{{Kind: x.Kind, ID: x.ID}}, stale...)
			out.Deleted = append(out.Deleted, x.Kind+"/"+x.Text("name"))
		}
	}
	ops := make([]commands.Operation, 0, len(stale))
	for _, d := range stale {
		raw, _ := json.Marshal(d)
		ops = append(ops, commands.Operation{Type: commands.TypeDeleteNode, Payload: raw})
	}
	if _, err := s.dispatch(ctx, r, step+"/delete", commands.TypeBatch, commands.Batch{Branch: name, Operations: ops}); err != nil {
		r.Log(task.SeverityWarning, fmt.Sprintf("the nodes of repository %s that the commit no longer names are kept (%v): %s",
			n.Name, out.Deleted, err))
		out.Deleted = nil
		return
	}
	r.Log(task.SeverityInfo, fmt.Sprintf("deleted what the commit no longer names: %v", out.Deleted))
}

// setStatus updates statuses of repository n on branch name. Repository nodes are
// branch-agnostic and the graph keeps their attributes once for every branch (Infrahub's
// branch-local commit and sync_status are not kept per branch): only the default branch's
// statuses are written; another branch's commit is remembered by the Syncer (imported).
func (s *Syncer) setStatus(ctx context.Context, r *workers.Run, step string, n repoNode, name string, values map[string]any) error {
	if name != s.cfg.Default {
		return nil
	}
	_, err := s.dispatch(ctx, r, step, commands.TypeUpdateNode, commands.UpdateNode{Branch: name, Kind: n.Kind, ID: n.ID, Data: attrs(values)})
	if err != nil {
		return fmt.Errorf("repository %s: updating %v: %w", n.Name, keys(values), err)
	}
	return nil
}

// operational records the operational_status a network step's error gives (error-cred,
// error-connection, error), and logs the error (which holds no password: repository's errors
// are redacted).
func (s *Syncer) operational(ctx context.Context, r *workers.Run, step string, n repoNode, name string, err error) {
	status := s.cfg.Status(err)
	r.Log(task.SeverityError, fmt.Sprintf("repository %s: %v", n.Name, err))
	if status == n.OperStatus {
		return
	}
	if serr := s.setStatus(ctx, r, step+"/operational-"+status, n, name, map[string]any{"operational_status": status}); serr != nil {
		r.Log(task.SeverityWarning, serr.Error())
	}
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// definitionsOf lists the artifact definitions whose transformation is one of transforms.
func (s *Syncer) definitionsOf(ctx context.Context, name string, transforms []string) ([]graph.Node, error) {
	if len(transforms) == 0 {
		return nil, nil
	}
	scope := graph.Scope{Branch: name}
	page, err := s.cfg.Graph.List(ctx, scope, graph.Query{Kind: kindArtifactDefinition})
	if err != nil || len(page.Nodes) == 0 {
		return nil, err
	}
	ids := make([]string, len(page.Nodes))
	for i, x := range page.Nodes {
		ids[i] = x.ID
	}
	peers, err := s.cfg.Graph.Peers(ctx, scope, ids, kindArtifactDefinition, "transformation")
	if err != nil {
		return nil, err
	}
	var out []graph.Node
	for _, x := range page.Nodes {
		for _, e := range peers[x.ID] {
			if slices.Contains(transforms, e.Peer) {
				out = append(out, x)
			}
		}
	}
	return out, nil
}
