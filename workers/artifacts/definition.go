// Package artifacts generates Infrahub's artifacts: for each member of an artifact
// definition's target group, the definition's transform rendered with the answer of its query
// for that member, stored content-addressed in blob storage and recorded as a CoreArtifact
// (checksum, storage_id, status, content_type). The workflows run in the workers; the Watcher
// (OnChange) follows the changes of the graph and submits tasks for the artifacts whose query
// answer changed.
package artifacts

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/projections/graph"
)

// Kinds read here.
const (
	KindArtifact      = "CoreArtifact"
	KindDefinition    = "CoreArtifactDefinition"
	KindTransformJ2   = "CoreTransformJinja2"
	KindTransformPy   = "CoreTransformPython"
	KindQuery         = "CoreGraphQLQuery"
	KindRepository    = "CoreRepository"
	KindReadOnlyRepo  = "CoreReadOnlyRepository"
	KindTransformBase = "CoreTransformation"
)

// Artifact statuses (CoreArtifact.status).
const (
	StatusReady = "Ready"
	StatusError = "Error"
)

// definition is a CoreArtifactDefinition with what it names, read on one branch.
type definition struct {
	ID, Name, ArtifactName, ContentType string
	Parameters                          map[string]string // query variable -> the target's value path
	Group, GroupKind                    string
	Transform, TransformKind            string
	Query                               string
	Repository, Commit                  string
}

// fingerprint changes when anything the artifacts depend on besides the query answer changes.
func (d definition) fingerprint() string {
	params, _ := json.Marshal(d.Parameters)
	return strings.Join([]string{d.ArtifactName, d.ContentType, string(params), d.Group, d.Transform, d.Query, d.Repository, d.Commit}, "\x00")
}

// peer is the first peer of rel of node id (kind), "" when none.
func peer(ctx context.Context, g graph.Reader, scope graph.Scope, id, kind, rel string) (graph.Edge, error) {
	m, err := g.Peers(ctx, scope, []string{id}, kind, rel)
	if err != nil {
		return graph.Edge{}, fmt.Errorf("%s %s: %s: %w", kind, id, rel, err)
	}
	if es := m[id]; len(es) > 0 {
		return es[0], nil
	}
	return graph.Edge{}, nil
}

// readDefinition reads a definition and what it names.
func readDefinition(ctx context.Context, g graph.Reader, scope graph.Scope, n graph.Node) (definition, error) {
	d := definition{ID: n.ID, Name: n.Text("name"), ArtifactName: n.Text("artifact_name"), ContentType: n.Text("content_type")}
	if d.ArtifactName == "" {
		d.ArtifactName = d.Name
	}
	d.Parameters = map[string]string{}
	if p, ok := n.Attributes["parameters"]; ok && p.Value != nil {
		var raw any = p.Value
		if s, ok := raw.(string); ok { // a JSON attribute given as text
			_ = json.Unmarshal([]byte(s), &raw)
		}
		m, ok := raw.(map[string]any)
		if !ok {
			return d, fmt.Errorf("%w: artifact definition %s: parameters must be an object of variable names to paths", fault.ErrInvalid, d.Name)
		}
		for k, v := range m {
			s, ok := v.(string)
			if !ok {
				return d, fmt.Errorf("%w: artifact definition %s: parameter %q must be a path such as name__value", fault.ErrInvalid, d.Name, k)
			}
			d.Parameters[k] = s
		}
	}
	grp, err := peer(ctx, g, scope, n.ID, n.Kind, "targets")
	if err != nil {
		return d, err
	}
	d.Group, d.GroupKind = grp.Peer, grp.PeerKind
	tr, err := peer(ctx, g, scope, n.ID, n.Kind, "transformation")
	if err != nil {
		return d, err
	}
	d.Transform, d.TransformKind = tr.Peer, tr.PeerKind
	if d.Transform == "" {
		return d, nil
	}
	q, err := peer(ctx, g, scope, d.Transform, d.TransformKind, "query")
	if err != nil {
		return d, err
	}
	d.Query = q.Peer
	repo, err := peer(ctx, g, scope, d.Transform, d.TransformKind, "repository")
	if err != nil {
		return d, err
	}
	d.Repository = repo.Peer
	if repo.Peer != "" {
		rn, err := g.Get(ctx, scope, repo.Peer)
		if err == nil {
			d.Commit = rn.Text("commit")
		}
	}
	return d, nil
}

// definitions reads every artifact definition of a branch (or those of ids when given).
func definitions(ctx context.Context, g graph.Reader, scope graph.Scope, ids []string) ([]definition, error) {
	q := graph.Query{Kind: KindDefinition}
	if len(ids) > 0 {
		q.Filters = map[string]any{"ids": ids}
	}
	page, err := g.List(ctx, scope, q)
	if err != nil {
		return nil, fmt.Errorf("artifact definitions: %w", err)
	}
	out := make([]definition, 0, len(page.Nodes))
	for _, n := range page.Nodes {
		d, err := readDefinition(ctx, g, scope, n)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// members are the nodes of a definition's target group (those of only, when given), by id.
func members(ctx context.Context, g graph.Reader, scope graph.Scope, d definition, only []string) ([]graph.Node, error) {
	if d.Group == "" {
		return nil, fmt.Errorf("%w: artifact definition %s has no target group", fault.ErrInvalid, d.Name)
	}
	m, err := g.Peers(ctx, scope, []string{d.Group}, d.GroupKind, "members")
	if err != nil {
		return nil, fmt.Errorf("members of the target group of %s: %w", d.Name, err)
	}
	want := map[string]bool{}
	for _, id := range only {
		want[id] = true
	}
	byKind := map[string][]string{}
	for _, e := range m[d.Group] {
		if len(only) == 0 || want[e.Peer] {
			byKind[e.PeerKind] = append(byKind[e.PeerKind], e.Peer)
		}
	}
	var out []graph.Node
	for kind, ids := range byKind {
		page, err := g.List(ctx, scope, graph.Query{Kind: kind, Filters: map[string]any{"ids": ids}})
		if err != nil {
			return nil, fmt.Errorf("members of the target group of %s: %w", d.Name, err)
		}
		out = append(out, page.Nodes...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// variables are the query variables of a target: each parameter's path read on the target
// ("<attribute>__value", or "<relationship>__<attribute>__value" through a cardinality-one peer).
func variables(ctx context.Context, g graph.Reader, scope graph.Scope, d definition, target graph.Node) (map[string]any, error) {
	vars := make(map[string]any, len(d.Parameters))
	for name, path := range d.Parameters {
		parts := strings.Split(path, "__")
		switch len(parts) {
		case 1, 2:
			a, ok := target.Attributes[parts[0]]
			if !ok {
				return nil, fmt.Errorf("%w: artifact definition %s: parameter %q: %s has no attribute %q", fault.ErrInvalid, d.Name, name, target.Kind, parts[0])
			}
			vars[name] = a.Value
		case 3:
			e, err := peer(ctx, g, scope, target.ID, target.Kind, parts[0])
			if err != nil {
				return nil, fmt.Errorf("%w: artifact definition %s: parameter %q: %w", fault.ErrInvalid, d.Name, name, err)
			}
			if e.Peer == "" {
				vars[name] = nil
				continue
			}
			pn, err := g.Get(ctx, scope, e.Peer)
			if err != nil {
				return nil, fmt.Errorf("artifact definition %s: parameter %q: %w", d.Name, name, err)
			}
			vars[name] = pn.Attributes[parts[1]].Value
		default:
			return nil, fmt.Errorf("%w: artifact definition %s: parameter %q: path %q is not <attribute>__value or <relationship>__<attribute>__value", fault.ErrInvalid, d.Name, name, path)
		}
	}
	return vars, nil
}
