package gitsync

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/task"
	"github.com/infrahub-go/infrahub/workers/changes"
)

// OnChange reacts to a batch of changes by submitting tasks; it only reads the nodes it needs
// and dispatches task.submit commands, and returns. Each task's id is derived from what
// triggered it, so that the same trigger seen twice (or by two servers) submits one task:
//
//   - a CoreRepository or CoreReadOnlyRepository created: its add workflow
//     ("git-add-<repository id>");
//   - a repository's commit updated by someone else than an import (an import writes commit and
//     sync_status together; the SDK's repository_update_commit writes commit alone), or a
//     read-only repository's ref updated: an import of that commit (or ref) on the batch's
//     branch ("git-import-<hash of repository, branch, commit, update time>");
//   - a branch created with sync_with_git: its Git branch created on the read-write remotes
//     ("git-branch-create-<branch id>");
//   - a branch with sync_with_git merged: merged on the remotes ("git-merge-<branch id>").
func (s *Syncer) OnChange(ctx context.Context, b changes.Batch) {
	name := b.Branch
	if name == "" {
		name = s.cfg.Default
	}
	for _, c := range b.Nodes {
		if c.Kind != KindRepository && c.Kind != KindReadOnlyRepository {
			continue
		}
		switch c.Action {
		case changes.Created:
			wf := commands.WorkflowGitAddReadWrite
			if c.Kind == KindReadOnlyRepository {
				wf = commands.WorkflowGitAddReadOnly
			}
			s.submit(ctx, "git-add-"+c.ID, wf, s.cfg.Default, commands.GitRepository{RepositoryID: c.ID}, c)
		case changes.Updated:
			commit := slices.Contains(c.Attributes, "commit") && !slices.Contains(c.Attributes, "sync_status")
			ref := c.Kind == KindReadOnlyRepository && slices.Contains(c.Attributes, "ref")
			if !commit && !ref {
				continue
			}
			n, err := s.cfg.Graph.Get(ctx, graph.Scope{Branch: name, At: b.Position}, c.ID)
			if err != nil {
				s.log.WarnContext(ctx, "gitsync: reading a repository changed", "repository", c.ID, "branch", name, "error", err)
				continue
			}
			target := n.Text("commit")
			if !commit || target == "" {
				target = n.Text("ref")
			}
			if target == "" {
				continue
			}
			id := "git-import-" + task.DerivedID(c.ID, name, target, strconv.FormatInt(n.UpdatedAt.UnixNano(), 10))
			s.submit(ctx, id, commands.WorkflowGitImport, name, commands.GitImport{RepositoryID: c.ID, Branch: name, Commit: target}, c)
		}
	}
	if len(b.BranchEvents) == 0 {
		return
	}
	infos := map[string]struct {
		id   string
		sync bool
	}{}
	for _, i := range s.cfg.Branches() {
		infos[i.Name] = struct {
			id   string
			sync bool
		}{i.ID, i.SyncWithGit}
	}
	for _, ev := range b.BranchEvents {
		switch ev {
		case "created":
			if i, ok := infos[name]; ok && i.sync && name != s.cfg.Default {
				s.submit(ctx, "git-branch-create-"+idOr(i.id, name), WorkflowGitCreateBranch, name, GitBranch{Branch: name}, changes.NodeChange{})
			}
		case "merged":
			for _, from := range b.MergedFrom {
				if i, ok := infos[from]; ok && i.sync && from != s.cfg.Default {
					s.submit(ctx, "git-merge-"+idOr(i.id, from), WorkflowGitMerge, s.cfg.Default, GitBranch{Branch: from}, changes.NodeChange{})
				}
			}
		}
	}
}

// submit dispatches task.submit of workflow under task id id (also the command's id).
func (s *Syncer) submit(ctx context.Context, id, workflow, branchName string, params any, related changes.NodeChange) {
	raw, err := json.Marshal(params)
	if err != nil {
		return
	}
	in := commands.SubmitTask{ID: id, Workflow: workflow, Parameters: raw, Branch: branchName}
	if related.ID != "" {
		in.RelatedNodes = []task.RelatedNode{{ID: related.ID, Kind: related.Kind}}
	}
	body, _ := json.Marshal(in)
	if _, err := s.cfg.Dispatch(ctx, commands.Command{Type: commands.TypeSubmitTask, ID: id, Payload: body}); err != nil {
		s.log.WarnContext(ctx, "gitsync: submitting a task", "task", id, "workflow", workflow, "error", err)
		return
	}
	s.log.DebugContext(ctx, "gitsync: task submitted", "task", id, "workflow", workflow)
}

// idOr is a branch's id, or a digest of its name when it has none.
func idOr(id, name string) string {
	if id != "" {
		return id
	}
	return task.DerivedID(name)
}
