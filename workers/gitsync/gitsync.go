// Package gitsync runs the workflows of Git repositories: the periodic sync of every remote
// (Git branches become Infrahub branches, new heads are imported), the add flows of read-write and
// read-only repositories, the import of one commit's .infrahub.yml (schemas, objects, menus,
// stored queries, transforms, artifact, check and generator definitions), and the Git side of
// branches created with sync_with_git and merged. It also turns changes of the graph into tasks
// (OnChange).
//
// An import checks everything the commit holds before writing anything: a commit with one bad
// file writes nothing (the repository's sync_status becomes error-import and each problem is
// logged on the task as "file:line: message").
package gitsync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sync"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/commands/payload"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/repository"
	"github.com/infrahub-go/infrahub/task"
	"github.com/infrahub-go/infrahub/workers"
)

// Kinds of the core schema this package reads and writes.
const (
	KindGenericRepository  = "CoreGenericRepository"
	KindRepository         = "CoreRepository"
	KindReadOnlyRepository = "CoreReadOnlyRepository"
	kindQuery              = "CoreGraphQLQuery"
	kindTransformation     = "CoreTransformation"
	kindJinja2             = "CoreTransformJinja2"
	kindPython             = "CoreTransformPython"
	kindArtifactDefinition = "CoreArtifactDefinition"
	kindCheckDefinition    = "CoreCheckDefinition"
	kindGeneratorDef       = "CoreGeneratorDefinition"
	kindStandardGroup      = "CoreStandardGroup"
)

// Values of the repository's sync_status and operational_status attributes.
const (
	SyncUnknown     = "unknown"
	SyncErrorImport = "error-import"
	SyncInSync      = "in-sync"
	SyncSyncing     = "syncing"
	OperOnline      = "online"
)

// Workflows of this package beyond commands' catalogue, by Infrahub's names
// (backend/infrahub/workflows/catalogue.py): the Git branch of an Infrahub branch created with
// sync_with_git, and the merge of a branch on the remotes.
const (
	WorkflowGitCreateBranch = "git-repositories-create-branch"
	WorkflowGitMerge        = "git-repository-merge"
)

// GitBranch is the parameters of WorkflowGitCreateBranch and WorkflowGitMerge: the Infrahub
// branch (created, or merged into the default branch).
type GitBranch struct {
	Branch string `json:"branch"`
}

// Repos is what gitsync needs of repository.Cache.
type Repos interface {
	Sync(ctx context.Context, r repository.Remote) (repository.Heads, error)
	Resolve(ctx context.Context, r repository.Remote, ref string) (string, error)
	Files(ctx context.Context, r repository.Remote, commit string) (fs.FS, error)
	CreateBranch(ctx context.Context, r repository.Remote, name, from string) (string, error)
	Merge(ctx context.Context, r repository.Remote, source, target string) (string, error)
}

// Config is what a Syncer is built from. Every field but Limits and Logger is required.
type Config struct {
	// Dispatch runs a command of the application (commands.Service.Dispatch).
	Dispatch func(ctx context.Context, cmd commands.Command) (commands.Result, error)
	// CheckSchema validates a schema load without writing (commands.Service.CheckSchema).
	CheckSchema func(in commands.LoadSchema) (commands.SchemaOutcome, error)
	// Graph reads repository nodes, their credentials and what they own.
	Graph graph.Reader
	// Repos reaches the remotes (repository.Cache).
	Repos Repos
	// Default is the default branch.
	Default string
	// Branches lists the Infrahub branches (branch.State's list).
	Branches func() []branch.Info
	// The functions of package repository: repository.ReadConfig, (*repository.Config).Check,
	// repository.Expand and repository.Status.
	ReadConfig  func(fsys fs.FS) (*repository.Config, error)
	CheckConfig func(c *repository.Config, fsys fs.FS) error
	Expand      func(fsys fs.FS, paths []repository.Path, exts ...string) ([]string, error)
	Status      func(err error) string
	Limits      limits.Limits
	Logger      *slog.Logger
}

// Validate reports what is missing.
func (c Config) Validate() error {
	var errs []error
	for name, missing := range map[string]bool{"Dispatch": c.Dispatch == nil, "CheckSchema": c.CheckSchema == nil,
		"Graph": c.Graph == nil, "Repos": c.Repos == nil, "Default": c.Default == "", "Branches": c.Branches == nil,
		"ReadConfig": c.ReadConfig == nil, "CheckConfig": c.CheckConfig == nil, "Expand": c.Expand == nil, "Status": c.Status == nil} {
		if missing {
			errs = append(errs, fmt.Errorf("%s is required", name))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: gitsync: %w", fault.ErrInvalid, err)
	}
	return nil
}

// Syncer runs the workflows of Git repositories.
type Syncer struct {
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	commits map[[2]string]string // (repository id, branch other than the default) -> commit imported there
}

// imported remembers the commit of a repository imported on a branch other than the default
// one (the graph keeps the default branch's; see setStatus). A new process imports such a
// branch's head once again: the import writes nothing new.
func (s *Syncer) imported(id, name, commit string) {
	if name == s.cfg.Default {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.commits[[2]string{id, name}] = commit
}

// commitOn is the commit of repository n on branch name: the node's on the default branch, the
// one imported there by this Syncer on another.
func (s *Syncer) commitOn(n repoNode, name string) string {
	if name == s.cfg.Default {
		return n.Commit
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commits[[2]string{n.ID, name}]
}

// New builds a Syncer.
func New(cfg Config) (*Syncer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Limits == (limits.Limits{}) {
		cfg.Limits = limits.Default()
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Syncer{cfg: cfg, log: log, commits: map[[2]string]string{}}, nil
}

// Register adds the RunFuncs of WorkflowGitSync, WorkflowGitAddReadWrite,
// WorkflowGitAddReadOnly, WorkflowGitImport, WorkflowGitCreateBranch and WorkflowGitMerge.
func (s *Syncer) Register(reg *workers.Registry) error {
	for name, f := range map[string]workers.RunFunc{
		commands.WorkflowGitSync:         s.runSync,
		commands.WorkflowGitAddReadWrite: s.runAdd,
		commands.WorkflowGitAddReadOnly:  s.runAdd,
		commands.WorkflowGitImport:       s.runImport,
		WorkflowGitCreateBranch:          s.runCreateBranch,
		WorkflowGitMerge:                 s.runMerge,
	} {
		if err := reg.Register(name, f); err != nil {
			return err
		}
	}
	return nil
}

// Workflow is a workflow of this package that commands' catalogue does not hold, with the
// fields of commands.Workflow (which only the composition root builds): cmd/ gives each to
// commands.Config.Workflows as commands.Workflow{Name, Title, Tags, Parameters}.
type Workflow struct {
	Name       string
	Title      func(params json.RawMessage) string
	Tags       []string
	Parameters func(params json.RawMessage) (branch string, err error)
}

// Workflows are WorkflowGitCreateBranch and WorkflowGitMerge; def is the default branch.
func Workflows(def string) []Workflow {
	params := func(verb string) func(json.RawMessage) (string, error) {
		return func(raw json.RawMessage) (string, error) {
			var p GitBranch
			if err := payload.Decode(raw, &p, "parameters"); err != nil {
				return "", err
			}
			switch {
			case p.Branch == "":
				return "", fmt.Errorf("%w: field \"branch\" is missing", fault.ErrInvalid)
			case p.Branch == def:
				return "", fmt.Errorf("%w: field \"branch\": the default branch %q cannot be %s", fault.ErrInvalid, def, verb)
			}
			return p.Branch, branch.ValidateName(p.Branch)
		}
	}
	title := func(format string) func(json.RawMessage) string {
		return func(raw json.RawMessage) string {
			var p GitBranch
			_ = json.Unmarshal(raw, &p)
			return fmt.Sprintf(format, p.Branch)
		}
	}
	return []Workflow{
		{Name: WorkflowGitCreateBranch, Title: title("Create branch %s in the Git repositories"), Tags: []string{task.TagDatabaseChange},
			Parameters: params("created in Git")},
		{Name: WorkflowGitMerge, Title: title("Merge branch %s in the Git repositories"), Tags: []string{task.TagDatabaseChange},
			Parameters: params("merged")},
	}
}

// stepID is the id of the command a task's step dispatches: derived from the task id, so that a
// task run again dispatches the same commands (the log answers what each wrote the first time).
func stepID(taskID, step string) string {
	id := "gitsync:" + taskID + "/" + step
	if len(id) <= 120 {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "gitsync:" + hex.EncodeToString(sum[:16])
}

// dispatch runs one command of a step of run's task.
func (s *Syncer) dispatch(ctx context.Context, r *workers.Run, step, typ string, in any) (commands.Result, error) {
	raw, err := json.Marshal(in)
	if err != nil {
		return commands.Result{}, err
	}
	return s.cfg.Dispatch(ctx, commands.Command{Type: typ, ID: stepID(r.Task.ID, step), Actor: r.Task.Account, Payload: raw})
}

// decode reads a task's parameters strictly.
func decode[T any](r *workers.Run) (T, error) {
	var p T
	err := payload.Decode(r.Task.Parameters, &p, "parameters")
	return p, err
}

// done is a RunFunc's answer.
func done(v any) (json.RawMessage, error) {
	out, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return out, nil
}
