package gitsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/repository"
	"github.com/infrahub-go/infrahub/task"
	"github.com/infrahub-go/infrahub/workers"
)

// SyncOutcome is what a sync or an add answers: the imports it ran, per repository.
type SyncOutcome struct {
	Imports []ImportOutcome `json:"imports"`
	// Branches are the Infrahub branches created for Git branches.
	Branches []string `json:"branches,omitempty"`
}

// runSync runs WorkflowGitSync: every repository (or the one named) is synced.
func (s *Syncer) runSync(ctx context.Context, r *workers.Run) (json.RawMessage, error) {
	p, err := decode[commands.GitSync](r)
	if err != nil {
		return nil, err
	}
	var repos []repoNode
	if p.RepositoryID != "" {
		n, err := s.readRepo(ctx, s.cfg.Default, p.RepositoryID)
		if err != nil {
			return nil, err
		}
		repos = []repoNode{n}
	} else if repos, err = s.listRepos(ctx, s.cfg.Default); err != nil {
		return nil, err
	}
	out := SyncOutcome{Imports: []ImportOutcome{}}
	var errs []error
	for _, n := range repos {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := s.syncRepo(ctx, r, n, &out); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return done(out)
}

// runAdd runs WorkflowGitAddReadWrite and WorkflowGitAddReadOnly: the first sync of a
// repository just created.
func (s *Syncer) runAdd(ctx context.Context, r *workers.Run) (json.RawMessage, error) {
	p, err := decode[commands.GitRepository](r)
	if err != nil {
		return nil, err
	}
	n, err := s.readRepo(ctx, s.cfg.Default, p.RepositoryID)
	if err != nil {
		return nil, err
	}
	out := SyncOutcome{Imports: []ImportOutcome{}}
	if err := s.syncRepo(ctx, r, n, &out); err != nil {
		return nil, err
	}
	return done(out)
}

// syncRepo syncs one repository, read on the default branch.
func (s *Syncer) syncRepo(ctx context.Context, r *workers.Run, n repoNode, out *SyncOutcome) error {
	remote, err := s.remote(ctx, s.cfg.Default, n)
	if err != nil {
		return err
	}
	if n.readOnly() {
		return s.syncReadOnly(ctx, r, n, remote, out)
	}
	return s.syncReadWrite(ctx, r, n, remote, out)
}

// syncReadWrite fetches a read-write repository: its default branch is Infrahub's default
// branch, every other Git branch gets the Infrahub branch of its name (created with
// sync_with_git when missing), and every branch whose head is not the repository's commit there
// is imported.
func (s *Syncer) syncReadWrite(ctx context.Context, r *workers.Run, n repoNode, remote repository.Remote, out *SyncOutcome) error {
	step := "sync/" + n.ID
	heads, err := s.cfg.Repos.Sync(ctx, remote)
	if err != nil {
		s.operational(ctx, r, step, n, s.cfg.Default, err)
		return fmt.Errorf("repository %s: %w", n.Name, err)
	}
	if err := s.online(ctx, r, step, n); err != nil {
		return err
	}
	gitDefault := s.gitDefault(n, heads)
	known := map[string]branch.Info{}
	for _, b := range s.cfg.Branches() {
		known[b.Name] = b
	}
	names := make([]string, 0, len(heads.Branches))
	for name := range heads.Branches {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool { // the default branch first: what it shares with the others is there
		if (names[i] == gitDefault) != (names[j] == gitDefault) {
			return names[i] == gitDefault
		}
		return names[i] < names[j]
	})
	var errs []error
	for _, gb := range names {
		head, name := heads.Branches[gb], gb
		if gb == gitDefault {
			name = s.cfg.Default
		} else if info, ok := known[gb]; ok {
			if info.Status == branch.StatusMerged {
				continue
			}
		} else {
			if err := branch.ValidateName(gb); err != nil {
				r.Log(task.SeverityWarning, fmt.Sprintf("repository %s: Git branch %q is not a valid Infrahub branch name, skipped: %v", n.Name, gb, err))
				continue
			}
			_, err := s.dispatch(ctx, r, "branch/"+gb, commands.TypeCreateBranch, commands.CreateBranch{Name: gb, SyncWithGit: true,
				Description: "Created from the Git branch of repository " + n.Name})
			switch {
			case err == nil:
				out.Branches = append(out.Branches, gb)
				r.Log(task.SeverityInfo, fmt.Sprintf("branch %s created for the Git branch of repository %s", gb, n.Name))
			case errors.Is(err, fault.ErrConflict): // created meanwhile
			default:
				return fmt.Errorf("repository %s: creating branch %s: %w", n.Name, gb, err)
			}
		}
		cur, err := s.readRepo(ctx, name, n.ID)
		if err != nil {
			return err
		}
		if s.commitOn(cur, name) == head {
			continue
		}
		res, err := s.importCommit(ctx, r, fmt.Sprintf("%s/%s/%s", step, name, head), cur, remote, name, head)
		if err != nil {
			if errors.Is(err, fault.ErrInvalid) { // logged on the task; the other branches go on
				errs = append(errs, err)
				continue
			}
			return err
		}
		out.Imports = append(out.Imports, res)
	}
	return errors.Join(errs...)
}

// syncReadOnly fetches a read-only repository, resolves its ref and imports the commit it names on the
// default branch when it is not the repository's commit.
func (s *Syncer) syncReadOnly(ctx context.Context, r *workers.Run, n repoNode, remote repository.Remote, out *SyncOutcome) error {
	step := "sync/" + n.ID
	ref := n.Ref
	if ref == "" {
		ref = "main"
	}
	// fetch first: Resolve answers a branch the mirror knows without asking the remote, and a
	// read-only repository following a branch must see the branch's new commits
	_, err := s.cfg.Repos.Sync(ctx, remote)
	commit := ""
	if err == nil {
		commit, err = s.cfg.Repos.Resolve(ctx, remote, ref)
	}
	if err != nil {
		s.operational(ctx, r, step, n, s.cfg.Default, err)
		return fmt.Errorf("repository %s: ref %s: %w", n.Name, ref, err)
	}
	if err := s.online(ctx, r, step, n); err != nil {
		return err
	}
	if n.Commit == commit {
		return nil
	}
	res, err := s.importCommit(ctx, r, fmt.Sprintf("%s/%s/%s", step, s.cfg.Default, commit), n, remote, s.cfg.Default, commit)
	if err != nil {
		return err
	}
	out.Imports = append(out.Imports, res)
	return nil
}

// online records that the remote was reached.
func (s *Syncer) online(ctx context.Context, r *workers.Run, step string, n repoNode) error {
	if n.OperStatus == OperOnline {
		return nil
	}
	return s.setStatus(ctx, r, step+"/online", n, s.cfg.Default, map[string]any{"operational_status": OperOnline})
}

// gitDefault is the Git branch of Infrahub's default branch: the node's default_branch, else
// the remote's HEAD.
func (s *Syncer) gitDefault(n repoNode, heads repository.Heads) string {
	if n.DefaultBranch != "" {
		return n.DefaultBranch
	}
	if heads.Default != "" {
		return heads.Default
	}
	return "main"
}

// BranchOutcome is what the Git side of a branch created or merged answers: the commit per
// repository id.
type BranchOutcome struct {
	Commits map[string]string `json:"commits"`
	Imports []ImportOutcome   `json:"imports,omitempty"`
}

// runCreateBranch runs WorkflowGitCreateBranch: the Infrahub branch's Git branch is created on
// every read-write remote, from the repository's default branch, and the repository's commit on
// the Infrahub branch is the new branch's.
func (s *Syncer) runCreateBranch(ctx context.Context, r *workers.Run) (json.RawMessage, error) {
	p, err := decode[GitBranch](r)
	if err != nil {
		return nil, err
	}
	repos, err := s.listRepos(ctx, s.cfg.Default)
	if err != nil {
		return nil, err
	}
	out := BranchOutcome{Commits: map[string]string{}}
	var errs []error
	for _, n := range repos {
		if n.readOnly() {
			continue
		}
		remote, err := s.remote(ctx, s.cfg.Default, n)
		if err != nil {
			return nil, err
		}
		from := n.DefaultBranch
		if from == "" {
			from = "main"
		}
		commit, err := s.cfg.Repos.CreateBranch(ctx, remote, p.Branch, from)
		if err != nil {
			s.operational(ctx, r, "create/"+n.ID, n, s.cfg.Default, err)
			errs = append(errs, fmt.Errorf("repository %s: creating Git branch %s: %w", n.Name, p.Branch, err))
			continue
		}
		out.Commits[n.ID] = commit
		r.Log(task.SeverityInfo, fmt.Sprintf("repository %s: Git branch %s created at %s", n.Name, p.Branch, commit))
		s.imported(n.ID, p.Branch, commit) // what the default branch holds, imported already
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return done(out)
}

// runMerge runs WorkflowGitMerge: the branch's Git branch is merged into the repository's
// default branch on every read-write remote that has it (a fast-forward, or a conflict that
// fails the task), and the merged commit is imported on the default branch.
func (s *Syncer) runMerge(ctx context.Context, r *workers.Run) (json.RawMessage, error) {
	p, err := decode[GitBranch](r)
	if err != nil {
		return nil, err
	}
	repos, err := s.listRepos(ctx, s.cfg.Default)
	if err != nil {
		return nil, err
	}
	out := BranchOutcome{Commits: map[string]string{}}
	var errs []error
	for _, n := range repos {
		if n.readOnly() {
			continue
		}
		remote, err := s.remote(ctx, s.cfg.Default, n)
		if err != nil {
			return nil, err
		}
		target := n.DefaultBranch
		if target == "" {
			target = "main"
		}
		commit, err := s.cfg.Repos.Merge(ctx, remote, p.Branch, target)
		if errors.Is(err, fault.ErrNotFound) {
			r.Log(task.SeverityInfo, fmt.Sprintf("repository %s has no Git branch %s: nothing to merge", n.Name, p.Branch))
			continue
		}
		if err != nil {
			if !errors.Is(err, fault.ErrConflict) {
				s.operational(ctx, r, "merge/"+n.ID, n, s.cfg.Default, err)
			} else {
				r.Log(task.SeverityError, fmt.Sprintf("repository %s: %v", n.Name, err))
			}
			errs = append(errs, fmt.Errorf("repository %s: merging Git branch %s into %s: %w", n.Name, p.Branch, target, err))
			continue
		}
		out.Commits[n.ID] = commit
		if n.Commit == commit {
			continue
		}
		res, err := s.importCommit(ctx, r, fmt.Sprintf("merge/%s/%s", n.ID, commit), n, remote, s.cfg.Default, commit)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out.Imports = append(out.Imports, res)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return done(out)
}
