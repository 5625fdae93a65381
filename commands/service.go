package commands

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands/locks"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/schema"
)

// Log is the event log commands append to. Commands with an id append through AppendCommand,
// which keeps their hash and answer, and look their id up before deciding.
type Log interface {
	events.Appender
	events.Commands
	// Head is the position of the last event (a new branch is based on it).
	Head(ctx context.Context) (events.Position, error)
	// ReadStream reads a stream (a task's, which the node projection does not keep).
	ReadStream(ctx context.Context, stream events.StreamID, afterVersion int64, limit int) ([]events.Envelope, error)
}

// State is the branch-aware state commands decide against: the node projection (branches,
// schemas and nodes), folded from the log by the projection runner.
type State interface {
	View(branch string, at events.Position) (*nodes.View, error)
	Diff(branch string) (branch.Diff, error)
	// Conflicts is Diff as far as its conflicts go (nodes.Store.Conflicts).
	Conflicts(branch string) (branch.Diff, error)
	MergePlan(branch string, keepMain func(branch.ConflictRef) bool, cardOne func(kind, field string) bool) ([]branch.Change, error)
	RebasePlan(branch string, keepMain func(branch.ConflictRef) bool, cardOne func(kind, field string) bool) ([]branch.Change, error)
	Branches() *branch.State
	// Position is the last log position folded.
	Position() events.Position
}

// Locker takes named locks shared between processes (commands/locks.Redis).
type Locker interface {
	Lock(ctx context.Context, name string) (unlock func(), err error)
}

// Config is what the application is built from.
type Config struct {
	// Log is the event log (required).
	Log Log
	// Catalogue builds the events commands write: it must know the schema, branch and node
	// event types (nodes.Store.Catalogue does). Required.
	Catalogue *events.Catalogue
	// State is what commands decide against (required).
	State State
	// WaitFor waits until State has folded the log up to a position (required): the projection
	// runner's WaitFor in a server, an inline fold in tests and tools. Every command waits for
	// what it wrote (read-your-writes), and commands on one branch take turns in this process.
	WaitFor func(ctx context.Context, pos events.Position) error
	// Decoded, when set, is handed after each append of node events those events as the log
	// holds them (positions, stream versions, recorded time: nothing need be read back) and what
	// decoding each payload gives (payloads[i] for evs[i]; nil: decode it), before the command
	// waits for its fold: a fold in this process (projections.Inline.Decoded, a server's
	// projections.Runner.Handoff) may apply them at once. The appends of one branch are handed
	// in the order they were written.
	Decoded func(ctx context.Context, evs []events.Envelope, payloads []any)
	// Handing, when set with Decoded, is called before each append whose events will be handed
	// to Decoded, and the done it returns once they were (or, the append failing, will not be):
	// a reader of the log that would rather take those events from Decoded's side (the
	// forwarder's projections.Runner.Tail) waits for them only while some are on their way.
	Handing func() (done func())
	// Locks, when set, is shared by every process writing to the log (Redis in distributed
	// mode): commands that allocate from resource pools take its lock, so that allocations of
	// different processes take turns too. Without it they take turns within this process only.
	Locks Locker
	// Default is the default branch (branch.Default when empty).
	Default string
	// ValidateSchema, when set, checks every schema a load, a check, a merge or a rebase would
	// give a branch, beyond the schema language's own rules: the composition root passes
	// queries/graphql.Check, so that no branch gets a schema whose GraphQL API is invalid. Its
	// error (a *schema.Error naming the kind and field) refuses the command as an invalid schema.
	ValidateSchema func(*schema.Set) error
	// Limits bound what one command may hold: objects per object file and range expansion,
	// attribute value sizes, schema loads (their bytes, descriptions and kinds). The zero value
	// takes limits.Default().
	Limits limits.Limits
	// HashKey keys the hashes of commands kept for idempotency (HMAC-SHA256), so that a secret in a
	// payload (a password) cannot be guessed from the stored hash; every server on one log must
	// use the same key. Empty: plain SHA-256.
	HashKey []byte
	// AnonymousRole names the account role EnsureDefaults creates for anonymous requests
	// (INFRAHUB_ANONYMOUS_ACCESS_ROLE); "" is authz.DefaultAnonymousRole, "Anonymous User".
	AnonymousRole string
	// Workflows are workflows tasks may be submitted for beyond the built-ins (Infrahub's
	// branch workflows, schema-load and diff-update: see Workflow): each name once, and a
	// Command one of the command types this Service handles.
	Workflows []Workflow
}

// Validate reports what is missing.
func (c Config) Validate() error {
	var errs []error
	if c.Log == nil {
		errs = append(errs, errors.New("Log is required"))
	}
	if c.Catalogue == nil {
		errs = append(errs, errors.New("Catalogue is required"))
	} else {
		for _, typ := range []string{events.TypeDiagnosticRecorded, branch.TypeCreated, nodes.TypeCreated, schema.TypeLoaded} {
			if _, ok := c.Catalogue.Lookup(typ); !ok {
				errs = append(errs, fmt.Errorf("Catalogue does not know event type %q", typ))
			}
		}
	}
	if c.State == nil {
		errs = append(errs, errors.New("State is required"))
	}
	if c.WaitFor == nil {
		errs = append(errs, errors.New("WaitFor is required"))
	}
	if c.Limits != (limits.Limits{}) {
		if err := c.Limits.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("Limits: %w", err))
		}
	}
	if c.Default != "" {
		if err := branch.ValidateName(c.Default); err != nil {
			errs = append(errs, fmt.Errorf("Default: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("commands: %w", err)
	}
	return nil
}

// Service is the application's write side: every command handler, registered and wired.
type Service struct {
	w        *writer
	handlers map[string]Handler
	validate func(*schema.Set) error // Config.ValidateSchema; nil: none
	lim      limits.Limits
	hashKey  []byte
	// anonymousRole is Config.AnonymousRole.
	anonymousRole string
	tasks         *tasks
}

// New builds the application: it registers the handler of every command type and wires what
// follows a command (computed attributes after a schema load, the IPAM trees after a merge). It
// registers the task event types in Config.Catalogue when it does not know them yet.
func New(cfg Config) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Default == "" {
		cfg.Default = branch.Default
	}
	if cfg.Limits == (limits.Limits{}) {
		cfg.Limits = limits.Default()
	}
	if cfg.AnonymousRole == "" {
		cfg.AnonymousRole = authz.DefaultAnonymousRole
	}
	s := &Service{anonymousRole: cfg.AnonymousRole, w: &writer{log: cfg.Log, cat: cfg.Catalogue, state: cfg.State, waitFor: cfg.WaitFor,
		decoded: cfg.Decoded, handing: cfg.Handing, shared: cfg.Locks, def: cfg.Default, local: &locks.Local{}, lim: cfg.Limits}, validate: cfg.ValidateSchema, lim: cfg.Limits,
		hashKey: cfg.HashKey}
	s.handlers = map[string]Handler{
		TypeRecordDiagnostic: s.recordDiagnostic,
		TypeCreateBranch:     s.createBranch,
		TypeDeleteBranch:     s.deleteBranch,
		TypeLoadSchema:       s.loadSchema,
		TypeBatch:            s.batch,
		TypeLoadObjects:      s.loadObjects,
		TypeAllocate:         s.allocate,
		TypeMergeBranch:      s.merge,
		TypeRebaseBranch:     s.rebase,
		TypeResolveConflict:  s.resolve,
	}
	for typ, h := range s.nodeHandlers() {
		s.handlers[typ] = h
	}
	registerTaskEvents(cfg.Catalogue)
	handled := func(typ string) bool { _, ok := s.handlers[typ]; return ok }
	wfs, err := newCatalogue(cfg.Default, cfg.Workflows, handled)
	if err != nil {
		return nil, err
	}
	s.tasks = &tasks{s: s, workflows: wfs}
	s.handlers[TypeSubmitTask], s.handlers[TypeCancelTask], s.handlers[TypeRetryTask] = s.tasks.submit, s.tasks.cancel, s.tasks.retry
	return s, nil
}

// Types lists the command types.
func (s *Service) Types() []string {
	out := make([]string, 0, len(s.handlers))
	for t := range s.handlers {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Dispatch runs cmd's handler once the identity ctx carries may run it (authorize); a context
// without an identity is the server's own work. Every write passes here.
func (s *Service) Dispatch(ctx context.Context, cmd Command) (Result, error) {
	if cmd.Type == "" {
		return Result{}, fmt.Errorf("%w: field \"type\" is required (one of %v)", ErrInvalid, s.Types())
	}
	if len(cmd.ID) > 200 {
		return Result{}, fmt.Errorf("%w: field \"id\" is longer than 200 characters", ErrInvalid)
	}
	h, ok := s.handlers[cmd.Type]
	if !ok {
		return Result{}, fmt.Errorf("%w %q: field \"type\" must be one of %v", ErrUnknown, cmd.Type, s.Types())
	}
	cmd.Hash, cmd.Origin = "", ""
	if id := authz.From(ctx); cmd.Actor == "" && id != nil && !id.Anonymous {
		cmd.Actor = id.AccountID // the account every event of the command is recorded for
	}
	if err := s.authorize(ctx, cmd); err != nil {
		return Result{}, err
	}
	if cmd.ID != "" {
		cmd.Hash = hashOf(cmd, s.hashKey)
	}
	return h(ctx, cmd)
}
