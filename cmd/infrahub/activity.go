package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"time"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/projections/activity"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/queries/subscribe"
	"github.com/infrahub-go/infrahub/queries/transform"
	"github.com/infrahub-go/infrahub/schema"
	"github.com/infrahub-go/infrahub/workers"
	"github.com/infrahub-go/infrahub/workers/triggers"
	"github.com/infrahub-go/infrahub/workers/webhooks"
)

// eventParts are the parts of change streams (issue 20): Infrahub's events derived from the
// log (the Index answering InfrahubEvent, the Hub streaming them), the subscriptions over
// WebSocket and SSE, and the webhooks and triggers that react to them.
type eventParts struct {
	index    *activity.Index
	hub      *activity.Hub // nil in a worker
	sub      *subscribe.Server
	webhooks *webhooks.Webhooks
	triggers *triggers.Triggers
	from     events.Position // the log's head at start: where webhooks and triggers begin
}

// schemaOf answers a branch's schema (false for a branch that does not exist): what GraphQL, the
// activity Hub and Index read kinds from.
func schemaOf(s *server) func(name string) (*schema.Set, bool) {
	return func(name string) (*schema.Set, bool) {
		if _, ok := s.branches.Branch(name); !ok {
			return nil, false
		}
		set, _ := s.branches.Schema(name)
		return set, set != nil
	}
}

// lister answers InfrahubEvent: the activity Index once startEvents built it (nil before, and
// in a worker: no events; never a nil *Index in the interface).
func (p *eventParts) lister() activity.Lister {
	if p.index == nil {
		return nil
	}
	return p.index
}

// startEvents builds the parts (after startGit: the stored queries come from its transforms).
func startEvents(ctx context.Context, s *server) error {
	p := &s.ev
	var err error
	if p.webhooks, err = webhooks.New(webhooks.Config{Graph: s.reads, Dispatch: s.app.Dispatch, Default: branch.Default,
		Getenv: os.LookupEnv, Logger: s.log}); err != nil {
		return err
	}
	if p.triggers, err = triggers.New(triggers.Config{Graph: s.reads, Dispatch: s.app.Dispatch, Default: branch.Default, Logger: s.log}); err != nil {
		return err
	}
	if s.role == roleWorker {
		return nil
	}
	if p.from, err = s.store.Head(ctx); err != nil {
		return err
	}
	if p.index, err = activity.NewIndex(activity.IndexConfig{Log: s.store, Graph: s.reads, WaitFor: s.waitGraph,
		SchemaOf: schemaOf(s), MaxPage: s.cfg.Limits.EventPage, Decoded: s.runner.Payload}); err != nil {
		return err
	}
	derive := activity.Deriver{Graph: s.reads, SchemaOf: schemaOf(s), KindOf: p.index.KindOf, Decoded: s.runner.Payload}
	if p.hub, err = activity.NewHub(activity.HubConfig{Log: s.runner.Reader(s.store), Derive: derive.Derive, WaitFor: s.waitGraph,
		SchemaOf: schemaOf(s), Logger: s.log}); err != nil {
		return err
	}
	x := s.executor(s.reads, nil)
	p.sub, err = subscribe.New(subscribe.Config{Source: p.hub, Head: s.store.Head, Executor: x, Limits: s.cfg.Limits, Logger: s.log,
		RunQuery: func(ctx context.Context, name, query string, vars map[string]any) (json.RawMessage, error) {
			resp, err := s.git.transforms.RunQuery(ctx, graph.Scope{Branch: name}, query, vars)
			if err != nil {
				return nil, err
			}
			return transform.Data(query, resp)
		},
		Authenticate: func(ctx context.Context, h http.Header) (*authz.Identity, error) {
			id, err := s.auth.Identify(ctx, &http.Request{Header: h})
			if err != nil {
				return nil, err
			}
			return s.perms.Resolve(ctx, id)
		}})
	return err
}

// runEvents runs the Hub, wakes it each time the graph folds more of the log, and feeds the
// webhooks and the triggers from it.
func runEvents(s *server) {
	p := &s.ev
	if p.hub == nil {
		return
	}
	s.loop(s.bg, "activity hub", p.hub.Run)
	s.loop(s.bg, "activity notify", func(ctx context.Context) error {
		for {
			pos := s.runner.Position(s.graph.Name())
			if err := s.runner.WaitFor(ctx, s.graph.Name(), pos+1); err != nil {
				return nil
			}
			p.hub.Notify(s.runner.Position(s.graph.Name()))
		}
	})
	s.loop(s.bg, "webhooks", func(ctx context.Context) error { return follow(ctx, s, "reactor:webhooks", p.webhooks.OnEvent) })
	s.loop(s.bg, "triggers", func(ctx context.Context) error { return follow(ctx, s, "reactor:triggers", p.triggers.OnEvent) })
}

// checkpointEvery is how often a reactor's position is saved (at most): what a stop loses of it
// is handled again at the next start.
const checkpointEvery = 500 * time.Millisecond

// follow hands every event to on, from the position saved under the checkpoint name (the log's
// head at the first start), and saves the position of each event handled whole. So the events of
// changes made while no API server ran are handled at the next start; an event handled twice
// (after a stop, or by two servers) submits its tasks once: their ids are derived from the event.
func follow(ctx context.Context, s *server, name string, on func(context.Context, activity.Event) error) error {
	after, version, err := s.store.LoadCheckpoint(ctx, name)
	if err != nil {
		return err
	}
	if version == 0 { // never saved: begin with the log as it was at start
		after = s.ev.from
	}
	var saved time.Time
	held := false // an event failed: the position stays before it, to be handled again at the next start
	return s.ev.hub.Subscribe(ctx, after, activity.Filter{}, func(ev activity.Event) error {
		if err := on(ctx, ev); err != nil {
			held = true
			if ctx.Err() == nil {
				s.log.Warn("handling an event", "reactor", name, "event", ev.ID, "name", ev.Name, "err", err)
			}
		}
		if !held && ev.Last && time.Since(saved) >= checkpointEvery {
			if err := s.store.SaveCheckpoint(ctx, name, ev.Position, 1); err != nil && ctx.Err() == nil {
				s.log.Warn("saving a reactor's position", "reactor", name, "err", err)
			}
			saved = time.Now()
		}
		return nil
	})
}

// registerEvents adds the workflows of webhooks and actions to reg.
func registerEvents(s *server, reg *workers.Registry) error {
	if err := s.ev.webhooks.Register(reg); err != nil {
		return err
	}
	return s.ev.triggers.Register(reg)
}
