package commands

import (
	"encoding/json"
	"fmt"
)

// Workflows of webhooks and trigger actions, by Infrahub's names
// (backend/infrahub/workflows/catalogue.py, backend/infrahub/actions/tasks.py); their code runs
// in the workers (workers/webhooks, workers/triggers).
const (
	WorkflowWebhookProcess          = "webhook-process"
	WorkflowActionAddNodeToGroup    = "action-add-node-to-group"
	WorkflowActionRemoveNodeFromGrp = "action-remove-node-from-group"
	WorkflowActionRunGenerator      = "action-run-generator"
	WorkflowActionRunGeneratorGroup = "action-run-generator-group-event"
)

// WebhookProcess is the parameters of WorkflowWebhookProcess, Infrahub's webhook_process flow:
// one event to send to one webhook. EventPayload is Infrahub's event payload ({"data": ...,
// "context": {"branch": {"name"}, "account": {"account_id"}}}).
type WebhookProcess struct {
	WebhookID      string          `json:"webhook_id"`
	WebhookName    string          `json:"webhook_name,omitempty"`
	WebhookKind    string          `json:"webhook_kind"`
	EventID        string          `json:"event_id"`
	EventType      string          `json:"event_type"`
	EventOccuredAt string          `json:"event_occured_at"`
	EventPayload   json.RawMessage `json:"event_payload,omitempty"`
	BranchName     string          `json:"branch_name,omitempty"`
}

// GroupMemberAction is the parameters of WorkflowActionAddNodeToGroup and
// WorkflowActionRemoveNodeFromGrp: add node NodeID to (or remove it from) the members of group
// GroupID on branch BranchName.
type GroupMemberAction struct {
	BranchName string `json:"branch_name"`
	NodeID     string `json:"node_id"`
	GroupID    string `json:"group_id"`
}

// GeneratorAction is the parameters of WorkflowActionRunGenerator (NodeIDs) and
// WorkflowActionRunGeneratorGroup (Members): run a generator definition for nodes.
type GeneratorAction struct {
	BranchName            string            `json:"branch_name"`
	GeneratorDefinitionID string            `json:"generator_definition_id"`
	NodeIDs               []string          `json:"node_ids,omitempty"`
	Members               []json.RawMessage `json:"members,omitempty"`
}

// maxActionNodes bounds the nodes of one generator action.
const maxActionNodes = 10_000

// eventWorkflows are the workflows of webhooks and trigger actions.
func eventWorkflows(def string) []Workflow {
	missing := func(field string) error { return fmt.Errorf("%w: field %q is missing", ErrInvalid, field) }
	group := func(p GroupMemberAction) (string, error) {
		switch {
		case p.NodeID == "":
			return "", missing("node_id")
		case p.GroupID == "":
			return "", missing("group_id")
		}
		return orDefault(p.BranchName, def), nil
	}
	generator := func(p GeneratorAction) (string, error) {
		switch {
		case p.GeneratorDefinitionID == "":
			return "", missing("generator_definition_id")
		case len(p.NodeIDs)+len(p.Members) > maxActionNodes:
			return "", fmt.Errorf("%w: field \"node_ids\" holds more than %d nodes", ErrInvalid, maxActionNodes)
		}
		return orDefault(p.BranchName, def), nil
	}
	return []Workflow{
		{Name: WorkflowWebhookProcess,
			Title: titleOf(func(p WebhookProcess) string { return "Send webhook for " + orDefault(p.WebhookName, p.WebhookID) }),
			Parameters: paramsOf(func(p WebhookProcess) (string, error) {
				switch {
				case p.WebhookID == "":
					return "", missing("webhook_id")
				case p.WebhookKind == "":
					return "", missing("webhook_kind")
				case p.EventID == "":
					return "", missing("event_id")
				case p.EventType == "":
					return "", missing("event_type")
				}
				return orDefault(p.BranchName, def), nil
			})},
		{Name: WorkflowActionAddNodeToGroup,
			Title: titleOf(func(p GroupMemberAction) string {
				return fmt.Sprintf("Adding node=%s to group=%s", p.NodeID, p.GroupID)
			}),
			Parameters: paramsOf(group)},
		{Name: WorkflowActionRemoveNodeFromGrp,
			Title: titleOf(func(p GroupMemberAction) string {
				return fmt.Sprintf("Removing node=%s from group=%s", p.NodeID, p.GroupID)
			}),
			Parameters: paramsOf(group)},
		{Name: WorkflowActionRunGenerator,
			Title: titleOf(func(p GeneratorAction) string {
				return fmt.Sprintf("Running generator generator_definition_id=%s for nodes=%v", p.GeneratorDefinitionID, p.NodeIDs)
			}),
			Parameters: paramsOf(generator)},
		{Name: WorkflowActionRunGeneratorGroup, Title: titleOf(func(GeneratorAction) string { return "Running generator" }),
			Parameters: paramsOf(generator)},
	}
}
