package gitsync

import (
	"context"
	"fmt"
	"time"

	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/repository"
)

// repoNode is a repository node as read on one branch.
type repoNode struct {
	ID, Kind, Name, Location string
	DefaultBranch, Ref       string // default_branch (read-write), ref (read-only)
	Commit                   string
	SyncStatus, OperStatus   string
	UpdatedAt                time.Time
}

func (n repoNode) readOnly() bool { return n.Kind == KindReadOnlyRepository }

func repoOf(n graph.Node) repoNode {
	return repoNode{ID: n.ID, Kind: n.Kind, Name: n.Text("name"), Location: n.Text("location"),
		DefaultBranch: n.Text("default_branch"), Ref: n.Text("ref"), Commit: n.Text("commit"),
		SyncStatus: n.Text("sync_status"), OperStatus: n.Text("operational_status"), UpdatedAt: n.UpdatedAt}
}

// readRepo reads repository id on branch name.
func (s *Syncer) readRepo(ctx context.Context, name, id string) (repoNode, error) {
	n, err := s.cfg.Graph.Get(ctx, graph.Scope{Branch: name}, id)
	if err != nil {
		return repoNode{}, fmt.Errorf("repository %s on branch %s: %w", id, name, err)
	}
	if n.Kind != KindRepository && n.Kind != KindReadOnlyRepository {
		return repoNode{}, fmt.Errorf("%w: node %s is a %s, not a %s or a %s", fault.ErrInvalid, id, n.Kind, KindRepository, KindReadOnlyRepository)
	}
	return repoOf(n), nil
}

// listRepos lists the repositories of branch name (read-write and read-only), by name.
func (s *Syncer) listRepos(ctx context.Context, name string) ([]repoNode, error) {
	page, err := s.cfg.Graph.List(ctx, graph.Scope{Branch: name}, graph.Query{Kind: KindGenericRepository})
	if err != nil {
		return nil, fmt.Errorf("listing the repositories: %w", err)
	}
	out := make([]repoNode, 0, len(page.Nodes))
	for _, n := range page.Nodes {
		out = append(out, repoOf(n))
	}
	return out, nil
}

// remote is the Remote of repository n: its location and the username and password of its
// credential (a CorePasswordCredential), if any. The password never leaves the Remote.
func (s *Syncer) remote(ctx context.Context, name string, n repoNode) (repository.Remote, error) {
	r := repository.Remote{ID: n.ID, Location: n.Location}
	scope := graph.Scope{Branch: name}
	peers, err := s.cfg.Graph.Peers(ctx, scope, []string{n.ID}, KindGenericRepository, "credential")
	if err != nil {
		return r, fmt.Errorf("repository %s: reading its credential: %w", n.Name, err)
	}
	for _, e := range peers[n.ID] {
		c, err := s.cfg.Graph.Get(ctx, scope, e.Peer)
		if err != nil {
			return r, fmt.Errorf("repository %s: reading its credential %s: %w", n.Name, e.Peer, err)
		}
		r.Username, r.Password = c.Text("username"), c.Text("password")
	}
	return r, nil
}

// owned lists the ids of the nodes of relationship rel of repository id (queries,
// transformations, checks, generators), with their kinds and names.
func (s *Syncer) owned(ctx context.Context, name, id, rel string) ([]graph.Node, error) {
	scope := graph.Scope{Branch: name}
	peers, err := s.cfg.Graph.Peers(ctx, scope, []string{id}, KindGenericRepository, rel)
	if err != nil {
		return nil, fmt.Errorf("reading the %s of repository %s: %w", rel, id, err)
	}
	var out []graph.Node
	for _, e := range peers[id] {
		n, err := s.cfg.Graph.Get(ctx, scope, e.Peer)
		if err != nil {
			continue // deleted meanwhile
		}
		out = append(out, n)
	}
	return out, nil
}

// Remote is the remote of repository id, read on the default branch (repositories are
// branch-agnostic): its location and credential. What reads a repository's files outside the
// workflows (the transforms of the API servers) uses it.
func (s *Syncer) Remote(ctx context.Context, id string) (repository.Remote, error) {
	n, err := s.readRepo(ctx, s.cfg.Default, id)
	if err != nil {
		return repository.Remote{}, err
	}
	return s.remote(ctx, s.cfg.Default, n)
}
