// Package webhooks sends Infrahub's events to the webhooks users define (CoreStandardWebhook,
// CoreCustomWebhook): OnEvent matches each event against the active webhooks (event_type,
// branch_scope, node_kind, as Infrahub's WebhookTriggerDefinitionBuilder in
// backend/infrahub/webhook/models.py) and submits one "webhook-process" task per match, with a
// task id derived from the event and the webhook (at least once, never twice); the task's run
// posts the payload, signed as Standard Webhooks, and a failed post is retried by the task pool.
package webhooks

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/projections/activity"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/task"
	"github.com/infrahub-go/infrahub/workers"
)

// Kinds read here.
const (
	KindWebhook         = "CoreWebhook"
	KindStandardWebhook = "CoreStandardWebhook"
	KindCustomWebhook   = "CoreCustomWebhook"
	KindStaticKeyValue  = "CoreStaticKeyValue"
	KindEnvKeyValue     = "CoreEnvKeyValue"
	KindTransformJinja2 = "CoreTransformJinja2"
	KindTransformPython = "CoreTransformPython"
)

// Config of Webhooks. Graph, Dispatch and Default are required.
type Config struct {
	Graph    graph.Reader
	Dispatch func(ctx context.Context, cmd commands.Command) (commands.Result, error)
	Default  string // the default branch
	// Getenv answers an environment variable of the worker (CoreEnvKeyValue headers); default
	// none (cmd/infrahub passes os.LookupEnv). Its values are never logged.
	Getenv func(name string) (string, bool)
	// Render renders a Jinja2 transform (CoreTransformJinja2 id) on a branch with data: the
	// payload of a CoreCustomWebhook with such a transformation. Nil: such deliveries fail.
	Render func(ctx context.Context, branch, transformID string, data any) (string, error)
	// Timeout of one HTTP request (default 10 s).
	Timeout time.Duration
	// RootCAs are the certificates trusted when validate_certificates holds (nil: the
	// system's).
	RootCAs *x509.CertPool
	Now     func() time.Time
	Logger  *slog.Logger
}

// Webhooks matches events against webhooks and runs their deliveries.
type Webhooks struct {
	cfg Config
	log *slog.Logger

	mu    sync.Mutex
	hooks []hook // the active webhooks, nil until read
}

// hook is what matching needs of a webhook.
type hook struct {
	ID, Kind, Name   string
	EventType, Scope string
	NodeKind         string
	Active           bool
}

// New checks cfg and returns Webhooks.
func New(cfg Config) (*Webhooks, error) {
	switch {
	case cfg.Graph == nil || cfg.Dispatch == nil:
		return nil, errors.New("webhooks: Graph and Dispatch are required")
	case cfg.Default == "":
		return nil, errors.New("webhooks: Default (the default branch) is required")
	case cfg.Timeout < 0:
		return nil, errors.New("webhooks: Timeout must not be negative")
	}
	if cfg.Getenv == nil {
		cfg.Getenv = func(string) (string, bool) { return "", false }
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Webhooks{cfg: cfg, log: log}, nil
}

// Register adds the webhook-process workflow to reg.
func (w *Webhooks) Register(reg *workers.Registry) error {
	return reg.Register(commands.WorkflowWebhookProcess, w.run)
}

// OnEvent submits the deliveries of ev: one webhook-process task per active webhook that
// matches it. It is meant to be called for every event of an activity.Source, in order, by
// every API server (the task ids make the submissions idempotent). An error is returned when
// the webhooks could not be read or a submission failed: the caller may resume from ev.
//
// Matching (Infrahub's): event_type "all" takes every event, else the exact name;
// branch_scope default_branch takes the events of the default branch (an event without branch
// counts as the default's), other_branches the others, all_branches all; node_kind, when set,
// keeps the infrahub.node.* events of a primary node of that exact kind (other events ignore
// it, as Infrahub applies it only to node kind events).
func (w *Webhooks) OnEvent(ctx context.Context, ev activity.Event) error {
	if isWebhookKind(ev) {
		w.Invalidate()
	}
	hooks, err := w.active(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, h := range hooks {
		if !h.matches(ev, w.cfg.Default) {
			continue
		}
		if err := w.submit(ctx, h, ev); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Invalidate drops the webhooks read: the next event reads them again.
func (w *Webhooks) Invalidate() {
	w.mu.Lock()
	w.hooks = nil
	w.mu.Unlock()
}

// Subscribe feeds OnEvent from src from position after until ctx ends; errors of OnEvent are
// logged (the deliveries of that event are lost for this server; another server's may land).
func (w *Webhooks) Subscribe(ctx context.Context, src activity.Source, after events.Position) error {
	return subscribe(ctx, src, after, w.log, "webhooks", w.OnEvent)
}

func isWebhookKind(ev activity.Event) bool {
	if ev.PrimaryNode == nil {
		return false
	}
	switch ev.PrimaryNode.Kind {
	case KindStandardWebhook, KindCustomWebhook, KindStaticKeyValue, KindEnvKeyValue:
		return true
	}
	return false
}

func (h hook) matches(ev activity.Event, def string) bool {
	if !h.Active {
		return false
	}
	if h.EventType != "" && h.EventType != "all" && h.EventType != ev.Name {
		return false
	}
	if !inScope(h.Scope, ev.Branch, def) {
		return false
	}
	if h.NodeKind != "" && strings.HasPrefix(ev.Name, "infrahub.node.") {
		if ev.PrimaryNode == nil || ev.PrimaryNode.Kind != h.NodeKind {
			return false
		}
	}
	return true
}

// inScope applies a branch_scope (all_branches, default_branch — also when empty, Infrahub's
// default —, other_branches) to an event's branch.
func inScope(scope, branchName, def string) bool {
	onDefault := branchName == "" || branchName == def
	switch scope {
	case "all_branches":
		return true
	case "other_branches":
		return !onDefault
	default:
		return onDefault
	}
}

// active reads the webhooks once, then answers them until Invalidate.
func (w *Webhooks) active(ctx context.Context) ([]hook, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.hooks != nil {
		return w.hooks, nil
	}
	page, err := w.cfg.Graph.List(ctx, graph.Scope{Branch: w.cfg.Default}, graph.Query{Kind: KindWebhook, OrderBy: []graph.Order{}})
	if err != nil {
		return nil, fmt.Errorf("webhooks: reading the webhooks: %w", err)
	}
	hooks := make([]hook, 0, len(page.Nodes))
	for _, n := range page.Nodes {
		hooks = append(hooks, hook{ID: n.ID, Kind: n.Kind, Name: n.Text("name"), EventType: n.Text("event_type"),
			Scope: n.Text("branch_scope"), NodeKind: n.Text("node_kind"), Active: flag(n, "active", true)})
	}
	w.hooks = hooks
	return hooks, nil
}

// TaskID is the id of the delivery of event eventID to webhook webhookID.
func TaskID(eventID, webhookID string) string { return "webhook-" + task.DerivedID(eventID, webhookID) }

// submit dispatches the webhook-process task of (h, ev).
func (w *Webhooks) submit(ctx context.Context, h hook, ev activity.Event) error {
	payload, err := json.Marshal(EventPayload(ev))
	if err != nil {
		return fmt.Errorf("webhooks: event %s: %w", ev.ID, err)
	}
	p := commands.WebhookProcess{WebhookID: h.ID, WebhookName: h.Name, WebhookKind: h.Kind, EventID: ev.ID,
		EventType: ev.Name, EventOccuredAt: ev.OccurredAt.UTC().Format(time.RFC3339Nano), EventPayload: payload,
		BranchName: ev.Branch}
	return submitTask(ctx, w.cfg.Dispatch, TaskID(ev.ID, h.ID), commands.WorkflowWebhookProcess, ev.Branch, p,
		[]task.RelatedNode{{ID: h.ID, Kind: h.Kind}})
}

// EventPayload is Infrahub's payload of an event ({"data": ..., "context": {"branch":
// {"name"}, "account": {"account_id"}}}): data is the event's Payload["data"] when Derive put
// one there (node events: Infrahub's NodeMutatedEvent data), else the event's Payload, else {}.
func EventPayload(ev activity.Event) map[string]any {
	var data any = map[string]any{}
	if d, ok := ev.Payload["data"]; ok && d != nil {
		data = d
	} else if len(ev.Payload) > 0 {
		data = ev.Payload
	}
	ctx := map[string]any{}
	if ev.Branch != "" {
		ctx["branch"] = map[string]any{"name": ev.Branch}
	}
	if ev.AccountID != "" {
		ctx["account"] = map[string]any{"account_id": ev.AccountID}
	}
	return map[string]any{"data": data, "context": ctx}
}

// submitTask dispatches task.submit of workflow under task id id (also the command's id).
func submitTask(ctx context.Context, dispatch func(context.Context, commands.Command) (commands.Result, error),
	id, workflow, branchName string, params any, related []task.RelatedNode) error {
	raw, err := json.Marshal(params)
	if err != nil {
		return err
	}
	body, err := json.Marshal(commands.SubmitTask{ID: id, Workflow: workflow, Parameters: raw, Branch: branchName, RelatedNodes: related})
	if err != nil {
		return err
	}
	if _, err := dispatch(ctx, commands.Command{Type: commands.TypeSubmitTask, ID: id, Payload: body}); err != nil {
		return fmt.Errorf("submitting task %s (%s): %w", id, workflow, err)
	}
	return nil
}

// subscribe runs on for every event of src after position after until ctx ends.
func subscribe(ctx context.Context, src activity.Source, after events.Position, log *slog.Logger, what string,
	on func(context.Context, activity.Event) error) error {
	return src.Subscribe(ctx, after, activity.Filter{}, func(ev activity.Event) error {
		if err := on(ctx, ev); err != nil {
			log.WarnContext(ctx, what+": an event", "event", ev.ID, "name", ev.Name, "error", err)
		}
		return nil
	})
}

// flag is a Boolean attribute's value (def when unset).
func flag(n graph.Node, name string, def bool) bool {
	a, ok := n.Attributes[name]
	if !ok || a.Value == nil {
		return def
	}
	b, ok := a.Value.(bool)
	if !ok {
		return def
	}
	return b
}
