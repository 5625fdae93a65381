package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/queries/transform"
	"github.com/infrahub-go/infrahub/redact"
	"github.com/infrahub-go/infrahub/repository"
	"github.com/infrahub-go/infrahub/storage"
	"github.com/infrahub-go/infrahub/task"
	"github.com/infrahub-go/infrahub/workers"
	"github.com/infrahub-go/infrahub/workers/artifacts"
	"github.com/infrahub-go/infrahub/workers/changes"
	"github.com/infrahub-go/infrahub/workers/gitsync"
)

// gitParts are the parts of Git repositories, transforms and artifacts (issue 19): the object
// store, the local mirrors of the repositories, the transform service (stored queries and Jinja2
// transforms), the workflows (gitsync, artifacts) and the changes feed that triggers them.
type gitParts struct {
	objects    *storage.Store
	repos      *repository.Cache
	transforms *transform.Service
	sync       *gitsync.Syncer
	artifacts  *artifacts.Generator
	handlers   *transform.Handlers
	feed       *changes.Feed // nil in a worker: the API servers react to changes
}

// startGit builds s.git: the parts of repositories, transforms and artifacts.
func startGit(ctx context.Context, s *server) error {
	var err error
	p := &s.git
	x := s.executor(s.reads, nil) // stored queries, transforms, artifacts: the memory reader
	if p.objects, err = storage.New(storage.Config{Bucket: s.bucket, MaxBytes: s.cfg.Limits.StorageObjectBytes}); err != nil {
		return err
	}
	if p.repos, err = repository.NewCache(repository.CacheConfig{Dir: s.cfg.GitDir, AuthorName: s.cfg.GitUserName,
		Timeout: time.Duration(s.cfg.GitTimeout) * time.Second, MaxFileBytes: s.cfg.GitMaxFileBytes,
		AuthorEmail: s.cfg.GitUserEmail, Logger: s.log}); err != nil {
		return fmt.Errorf("INFRAHUB_GIT_REPOSITORIES_DIRECTORY: %w", err)
	}
	if p.transforms, err = transform.New(transform.Config{Graph: s.reads, Query: x, Files: repoFiles{s}, Limits: s.cfg.Limits, Logger: s.log}); err != nil {
		return err
	}
	var shared commands.Locker // generations of one definition take turns across processes (with Redis)
	if s.locks != nil {
		shared = s.locks
	}
	if p.artifacts, err = artifacts.New(artifacts.Config{Graph: s.reads, Dispatch: s.app.Dispatch, WaitFor: s.waitGraph,
		Default: branch.Default, Logger: s.log, Locks: shared,
		Query: p.transforms.QueryNodes,
		Render: func(ctx context.Context, scope graph.Scope, id string, vars map[string]any) (string, error) {
			r, err := p.transforms.RenderJinja2(ctx, scope, id, vars)
			return r.Content, err
		},
		Put: func(ctx context.Context, content []byte) (string, string, error) {
			o, err := p.objects.Put(ctx, content)
			return o.ID, o.Checksum, err
		}}); err != nil {
		return err
	}
	if p.sync, err = gitsync.New(gitsync.Config{Dispatch: s.app.Dispatch, CheckSchema: s.app.CheckSchema, Graph: s.reads,
		Repos: p.repos, Default: branch.Default, Branches: s.branches.Branches, Limits: s.cfg.Limits, Logger: s.log,
		ReadConfig: repository.ReadConfig, CheckConfig: (*repository.Config).Check, Expand: repository.Expand, Status: repository.Status}); err != nil {
		return err
	}
	if p.handlers, err = transform.NewHandlers(transform.HandlersConfig{Service: p.transforms, Graph: s.reads, Objects: p.objects,
		Dispatch: s.app.Dispatch, Default: branch.Default, Limits: s.cfg.Limits, Logger: s.log}); err != nil {
		return err
	}
	if s.role != roleWorker {
		from, err := s.store.Head(ctx)
		if err != nil {
			return err
		}
		// each reactor resumes from where it was (the log's head at the very first start): the
		// changes written just before a stop are reacted to at the next start; the tasks they
		// submit have ids derived from what triggered them, so a change seen twice submits once
		for _, name := range []string{"reactor:artifacts", "reactor:repositories"} {
			pos, version, err := s.store.LoadCheckpoint(ctx, name)
			if err != nil {
				return err
			}
			if version > 0 && pos < from {
				from = pos
			}
		}
		p.feed = &changes.Feed{From: from, Logger: s.log, Decoded: s.runner.Payload}
		p.feed.Subscribe("artifacts", saving(s, "reactor:artifacts", p.artifacts.OnChange))
		p.feed.Subscribe("repositories", saving(s, "reactor:repositories", p.sync.OnChange))
	}
	return nil
}

// saving wraps a subscriber of the changes feed: it is called once the graph has folded the
// batch (what it reads is at least as new as the changes), and the position of the batches it
// handled is saved
// under the checkpoint name, at most every checkpointEvery (what a stop loses of it is handled
// again at the next start).
func saving(s *server, name string, fn changes.Subscriber) changes.Subscriber {
	var saved time.Time
	return func(ctx context.Context, b changes.Batch) {
		// the subscribers read the graph and the branches: at least as of the batch
		if err := s.waitGraph(ctx, b.Position); err != nil {
			return
		}
		fn(ctx, b)
		if ctx.Err() != nil || time.Since(saved) < checkpointEvery {
			return
		}
		if err := s.store.SaveCheckpoint(ctx, name, b.Position, 1); err != nil {
			s.log.Warn("saving a reactor's position", "reactor", name, "err", err)
			return
		}
		saved = time.Now()
	}
}

// registerGit adds the workflows of repositories and artifacts to reg.
func registerGit(s *server, reg *workers.Registry) error {
	if err := s.git.sync.Register(reg); err != nil {
		return err
	}
	return s.git.artifacts.Register(reg)
}

// repoFiles gives the transform service a repository's files: the repository node (read on the
// default branch: repositories are branch-agnostic) and its credential make the remote.
type repoFiles struct{ s *server }

func (r repoFiles) Files(ctx context.Context, repositoryID, commit string) (fs.FS, error) {
	remote, err := r.s.git.sync.Remote(ctx, repositoryID)
	if err != nil {
		return nil, err
	}
	return r.s.git.repos.Files(ctx, remote, commit)
}

// repoChecker answers GraphQL's InfrahubRepositoryConnectivity (graphql.Executor.CheckRepository).
type repoChecker struct{ s *server }

// Check fetches repository id's remote with its credential. The message is Infrahub's on
// success, else the operational status and the error (scrubbed of the credential); a status that
// changed is recorded on the repository, as Infrahub's check does.
func (c repoChecker) Check(ctx context.Context, id string) (bool, string) {
	s := c.s
	if s.git.sync == nil {
		return false, "Git repositories are not served by this server"
	}
	remote, err := s.git.sync.Remote(ctx, id)
	if err != nil {
		return false, redact.Error(err).Error()
	}
	_, err = s.git.repos.Sync(ctx, remote)
	status := repository.Status(err)
	c.record(ctx, id, status)
	if err == nil {
		return true, "Successfully accessed repository"
	}
	msg := redact.Error(err).Error()
	if len(remote.Password) >= 3 {
		msg = strings.ReplaceAll(msg, remote.Password, redact.Mask)
	}
	return false, status + ": " + msg
}

// record sets repository id's operational_status on the default branch when it is not status
// already (the server's own write: the caller asked for a check, not a change).
func (c repoChecker) record(ctx context.Context, id, status string) {
	s := c.s
	n, err := s.reads.Get(ctx, graph.Scope{Branch: branch.Default}, id)
	if err != nil {
		return
	}
	if a, ok := n.Attributes["operational_status"]; ok && a.Value == status {
		return
	}
	value, _ := json.Marshal(map[string]any{"value": status})
	body, _ := json.Marshal(commands.UpdateNode{Branch: branch.Default, Kind: n.Kind, ID: id, Data: commands.Data{"operational_status": value}})
	if _, err := s.app.Dispatch(authz.With(ctx, authz.System), commands.Command{Type: commands.TypeUpdateNode, Payload: body}); err != nil {
		s.log.Warn("recording a repository's operational status", "repository", id, "err", redact.Error(err))
	}
}

// gitSyncLoop submits a sync of every repository each INFRAHUB_GIT_SYNC_INTERVAL seconds,
// under a task id made of the interval's number: servers on one log submit one task each time.
func gitSyncLoop(ctx context.Context, s *server) error {
	every := time.Duration(s.cfg.GitSyncInterval) * time.Second
	if every <= 0 {
		<-ctx.Done()
		return nil
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-t.C:
			if n, err := s.reads.Count(ctx, graph.Scope{}, "CoreGenericRepository", nil); err != nil || n == 0 {
				continue // no repository: no task every interval
			}
			slot := now.Unix() / int64(s.cfg.GitSyncInterval)
			id := task.DerivedID("git-sync", strconv.FormatInt(slot, 10))
			params, _ := json.Marshal(commands.GitSync{})
			body, _ := json.Marshal(commands.SubmitTask{ID: id, Workflow: commands.WorkflowGitSync, Parameters: params})
			if _, err := s.app.Dispatch(ctx, commands.Command{Type: commands.TypeSubmitTask, ID: "git-sync:" + id, Payload: body}); err != nil && ctx.Err() == nil {
				s.log.Warn("submitting the periodic sync of the repositories", "err", err)
			}
		}
	}
}
