// Package triggers runs Infrahub's event-driven actions: OnEvent matches each event against the
// active trigger rules (CoreNodeTriggerRule, CoreGroupTriggerRule, with Infrahub's semantics of
// backend/infrahub/actions/models.py) and submits the rule's action as a task with an id derived
// from the event and the rule; Register runs the actions: CoreGroupAction adds the event's node
// to (or removes it from) a group; CoreGeneratorAction fails with a clear reason (no generator
// runtime here).
package triggers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/projections/activity"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/task"
	"github.com/infrahub-go/infrahub/workers"
)

// Kinds read here.
const (
	KindTriggerRule       = "CoreTriggerRule"
	KindNodeTriggerRule   = "CoreNodeTriggerRule"
	KindGroupTriggerRule  = "CoreGroupTriggerRule"
	KindAttributeMatch    = "CoreNodeTriggerAttributeMatch"
	KindRelationshipMatch = "CoreNodeTriggerRelationshipMatch"
	KindGroupAction       = "CoreGroupAction"
	KindGeneratorAction   = "CoreGeneratorAction"
)

// Config of Triggers. Every field but Logger is required.
type Config struct {
	Graph    graph.Reader
	Dispatch func(ctx context.Context, cmd commands.Command) (commands.Result, error)
	Default  string
	Logger   *slog.Logger
}

// Triggers matches events against trigger rules and runs their actions.
type Triggers struct {
	cfg   Config
	log   *slog.Logger
	mu    sync.Mutex
	rules []Rule // nil until read
}

// Rule is a trigger rule as matching needs it.
type Rule struct {
	ID, Kind, Name string
	Active         bool
	BranchScope    string
	// CoreNodeTriggerRule
	NodeKind       string
	MutationAction string
	Matches        []Match
	// CoreGroupTriggerRule
	MembersAdded bool
	GroupID      string
	// The action
	ActionID, ActionKind string
	AddMembers           bool   // CoreGroupAction
	ActionGroup          string // CoreGroupAction's group
	Generator            string // CoreGeneratorAction's generator definition
}

// Match is one match of a node trigger rule.
type Match struct {
	Kind string // KindAttributeMatch or KindRelationshipMatch
	// attribute match
	Attribute, Value, ValuePrevious, ValueMatch string
	HasValue, HasValuePrevious                  bool
	// relationship match
	Relationship, Peer string
	Added              bool
}

// New checks cfg and returns Triggers.
func New(cfg Config) (*Triggers, error) {
	if cfg.Graph == nil || cfg.Dispatch == nil || cfg.Default == "" {
		return nil, errors.New("triggers: Graph, Dispatch and Default are required")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Triggers{cfg: cfg, log: log}, nil
}

// Register adds the action workflows to reg.
func (t *Triggers) Register(reg *workers.Registry) error {
	for name, f := range map[string]workers.RunFunc{
		commands.WorkflowActionAddNodeToGroup:    t.groupAction(false),
		commands.WorkflowActionRemoveNodeFromGrp: t.groupAction(true),
		commands.WorkflowActionRunGenerator:      t.generator,
		commands.WorkflowActionRunGeneratorGroup: t.generator,
	} {
		if err := reg.Register(name, f); err != nil {
			return err
		}
	}
	return nil
}

// Invalidate drops the rules read: the next event reads them again.
func (t *Triggers) Invalidate() {
	t.mu.Lock()
	t.rules = nil
	t.mu.Unlock()
}

// Subscribe feeds OnEvent from src after position after until ctx ends (errors are logged).
func (t *Triggers) Subscribe(ctx context.Context, src activity.Source, after events.Position) error {
	return src.Subscribe(ctx, after, activity.Filter{}, func(ev activity.Event) error {
		if err := t.OnEvent(ctx, ev); err != nil {
			t.log.WarnContext(ctx, "triggers: an event", "event", ev.ID, "name", ev.Name, "error", err)
		}
		return nil
	})
}

// TaskID is the id of the action task of rule ruleID for event eventID.
func TaskID(eventID, ruleID string) string { return "action-" + task.DerivedID(eventID, ruleID) }

// OnEvent submits the action of every active rule that ev matches (see Rule.Fires).
func (t *Triggers) OnEvent(ctx context.Context, ev activity.Event) error {
	if ev.PrimaryNode != nil && isRuleKind(ev.PrimaryNode.Kind) {
		t.Invalidate()
	}
	rules, err := t.active(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, r := range rules {
		if !r.Fires(ev, t.cfg.Default) {
			continue
		}
		if err := t.submit(ctx, r, ev); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func isRuleKind(kind string) bool {
	switch kind {
	case KindNodeTriggerRule, KindGroupTriggerRule, KindAttributeMatch, KindRelationshipMatch, KindGroupAction, KindGeneratorAction:
		return true
	}
	return false
}

// submit dispatches the task of r's action for ev.
func (t *Triggers) submit(ctx context.Context, r Rule, ev activity.Event) error {
	branchName := ev.Branch
	if branchName == "" {
		branchName = t.cfg.Default
	}
	var workflow string
	var params any
	switch r.ActionKind {
	case KindGroupAction:
		workflow = commands.WorkflowActionAddNodeToGroup
		if !r.AddMembers {
			workflow = commands.WorkflowActionRemoveNodeFromGrp
		}
		if r.Kind != KindNodeTriggerRule || ev.PrimaryNode == nil {
			return nil // Infrahub configures group actions for node trigger rules only
		}
		params = commands.GroupMemberAction{BranchName: branchName, NodeID: ev.PrimaryNode.ID, GroupID: r.ActionGroup}
	case KindGeneratorAction:
		p := commands.GeneratorAction{BranchName: branchName, GeneratorDefinitionID: r.Generator}
		if r.Kind == KindGroupTriggerRule {
			workflow = commands.WorkflowActionRunGeneratorGroup
			members, _ := ev.Payload["members"].([]activity.NodeRef)
			for _, m := range members {
				raw, _ := json.Marshal(m)
				p.Members = append(p.Members, raw)
			}
			if len(members) == 0 {
				for _, m := range ev.RelatedNodes {
					raw, _ := json.Marshal(m)
					p.Members = append(p.Members, raw)
				}
			}
		} else {
			workflow = commands.WorkflowActionRunGenerator
			if ev.PrimaryNode != nil {
				p.NodeIDs = []string{ev.PrimaryNode.ID}
			}
		}
		params = p
	default:
		return nil
	}
	id := TaskID(ev.ID, r.ID)
	raw, err := json.Marshal(params)
	if err != nil {
		return err
	}
	body, err := json.Marshal(commands.SubmitTask{ID: id, Workflow: workflow, Parameters: raw, Branch: branchName,
		RelatedNodes: []task.RelatedNode{{ID: r.ID, Kind: r.Kind}}})
	if err != nil {
		return err
	}
	if _, err := t.cfg.Dispatch(ctx, commands.Command{Type: commands.TypeSubmitTask, ID: id, Payload: body}); err != nil {
		return fmt.Errorf("triggers: rule %s: submitting task %s: %w", r.Name, id, err)
	}
	return nil
}

// groupAction is action-add-node-to-group (remove false) or action-remove-node-from-group:
// Infrahub's RelationshipAdd / RelationshipRemove of the group's members, as the command
// relationship.add / relationship.remove under an id derived from the task (a second run
// answers the first).
func (t *Triggers) groupAction(remove bool) workers.RunFunc {
	return func(ctx context.Context, r *workers.Run) (json.RawMessage, error) {
		var p commands.GroupMemberAction
		if err := json.Unmarshal(r.Task.Parameters, &p); err != nil {
			return nil, fmt.Errorf("%w: parameters: %w", task.ErrInvalid, err)
		}
		peer, _ := json.Marshal(map[string]string{"id": p.NodeID})
		in := commands.RelationshipPeers{Branch: p.BranchName, ID: p.GroupID, Name: "members", Peers: []json.RawMessage{peer}}
		typ, verb := commands.TypeAddPeers, "added to"
		if remove {
			typ, verb = commands.TypeRemovePeers, "removed from"
		}
		body, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		res, err := t.cfg.Dispatch(ctx, commands.Command{Type: typ, ID: workers.CommandID(r.Task.ID), Actor: r.Task.Account, Payload: body})
		if err != nil {
			return nil, fmt.Errorf("group %s: node %s: %w", p.GroupID, p.NodeID, err)
		}
		r.Log(task.SeverityInfo, fmt.Sprintf("node %s %s group %s on branch %s", p.NodeID, verb, p.GroupID, p.BranchName))
		return json.Marshal(res)
	}
}

// generator fails: generators run in Infrahub's Python SDK, which this server does not have.
func (t *Triggers) generator(ctx context.Context, r *workers.Run) (json.RawMessage, error) {
	var p commands.GeneratorAction
	_ = json.Unmarshal(r.Task.Parameters, &p)
	msg := fmt.Sprintf("generator definition %s cannot run: generators are Python code (infrahub-sdk) and this server has no generator runtime", p.GeneratorDefinitionID)
	r.Log(task.SeverityError, msg)
	return nil, fmt.Errorf("%w: %s", fault.ErrInvalid, msg)
}

func text(n graph.Node, name string) (string, bool) {
	if n.Attributes[name].Value == nil {
		return "", false
	}
	return n.Text(name), true
}

func flag(n graph.Node, name string, def bool) bool {
	if b, ok := n.Attributes[name].Value.(bool); ok {
		return b
	}
	return def
}
