package graphql

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/projections/activity"
)

// Page bounds of InfrahubEvent (Infrahub's backend/infrahub/graphql/queries/event.py): 10 events
// unless limit says otherwise, never more than 50 (Prefect's bound, which Infrahub keeps); a
// limit of 0 is the most (Infrahub's `limit or 50`).
const (
	eventPageDefault = 10
	eventPageMax     = 50
)

// Types of InfrahubEvent's nodes by event name (Infrahub's EVENT_TYPES); StandardEvent for
// every other name.
var eventTypes = map[string]string{
	activity.NodeCreated:                         "NodeMutatedEvent",
	activity.NodeUpdated:                         "NodeMutatedEvent",
	activity.NodeDeleted:                         "NodeMutatedEvent",
	activity.BranchCreated:                       "BranchCreatedEvent",
	activity.BranchDeleted:                       "BranchDeletedEvent",
	activity.BranchMerged:                        "BranchMergedEvent",
	activity.BranchRebased:                       "BranchRebasedEvent",
	activity.GroupMemberAdded:                    "GroupEvent",
	activity.GroupMemberRemoved:                  "GroupEvent",
	activity.ArtifactCreated:                     "ArtifactEvent",
	activity.ArtifactUpdated:                     "ArtifactEvent",
	"infrahub.proposed_change.approved":          "ProposedChangeReviewEvent",
	"infrahub.proposed_change.rejected":          "ProposedChangeReviewEvent",
	"infrahub.proposed_change.approval_revoked":  "ProposedChangeReviewRevokedEvent",
	"infrahub.proposed_change.rejection_revoked": "ProposedChangeReviewRevokedEvent",
}

// events answers InfrahubEvent: the events of the activity index matching the arguments, newest
// first unless order is ASC, count being every match. Events whose primary node is of a kind the
// requester may not view are left out (and not counted: the index applies AllowedKinds, valid
// during List only); related nodes, relationship peers and group members of such kinds are left
// out of the events answered.
func (x apiRoot) events(w *jsonWriter, f *ast.Field, path ast.Path) {
	e := x.e
	q, err := eventQuery(f.ArgumentMap(e.vars))
	if err != nil {
		e.fail(path, err)
		w.null()
		return
	}
	q.AllowedKinds = e.view.allows
	var (
		count int
		page  []activity.Event
	)
	if e.x.Events != nil {
		if count, page, err = e.x.Events.List(e.ctx, q); err != nil {
			e.fail(path, err)
			w.null()
			return
		}
	}
	w.beginObject()
	for _, sub := range e.sel.collect(f.SelectionSet, "Events") {
		w.key(keyOf(sub))
		switch sub.Name {
		case "__typename":
			w.value("Events")
		case "count":
			w.value(count)
		case "edges":
			w.beginArray()
			for i := range page {
				if !e.live() {
					return
				}
				if p := page[i].PrimaryNode; p != nil && !e.view.allows(p.Kind) {
					continue
				}
				x.eventEdge(w, sub.SelectionSet, &page[i], path)
			}
			w.endArray()
		default:
			w.null()
		}
		w.valueDone()
	}
	w.endObject()
}

// eventQuery turns InfrahubEvent's arguments into the index's query.
func eventQuery(args map[string]any) (activity.Query, error) {
	var q activity.Query
	q.Names = taskStrings(args["event_type"])
	q.Branches = taskStrings(args["branches"])
	q.NodeIDs = taskStrings(args["primary_node__ids"])
	q.RelatedIDs = taskStrings(args["related_node__ids"])
	q.AccountIDs = taskStrings(args["account__ids"])
	q.IDs = taskStrings(args["ids"])
	q.ParentIDs = taskStrings(args["parent__ids"])
	q.Q, _ = args["q"].(string)
	if b, ok := args["has_children"].(bool); ok {
		q.HasChildren = &b
	}
	if n, ok := toInt(args["level"]); ok {
		q.Level = &n
	}
	q.Ascending = args["order"] == "ASC"
	// event_type_filter (Infrahub's InfrahubEventFilter.add_event_type_filter): branch_merged asks
	// for the merges (unless infrahub.branch.created is asked), branch_rebased for the rebases, of
	// the branches listed.
	if etf, ok := args["event_type_filter"].(map[string]any); ok {
		for _, k := range []struct{ arg, name string }{{"branch_merged", activity.BranchMerged}, {"branch_rebased", activity.BranchRebased}} {
			bf, ok := etf[k.arg].(map[string]any)
			if !ok {
				continue
			}
			if !slices.Contains(q.Names, activity.BranchCreated) && !slices.Contains(q.Names, k.name) {
				q.Names = append(q.Names, k.name)
			}
			q.BranchNames = append(q.BranchNames, taskStrings(bf["branches"])...)
		}
	}
	for _, b := range []struct {
		arg string
		to  *time.Time
	}{{"since", &q.Since}, {"until", &q.Until}} {
		raw, ok := args[b.arg].(string)
		if !ok {
			continue
		}
		t, err := parseEventTime(raw)
		if err != nil {
			return q, fmt.Errorf("%w: argument %s: %q is not a date and time (ISO 8601)", fault.ErrInvalid, b.arg, raw)
		}
		*b.to = t
	}
	q.Limit = eventPageDefault
	if n, ok := toInt(args["limit"]); ok {
		switch {
		case n > eventPageMax:
			return q, fmt.Errorf("%w: argument limit: The parameter 'limit' can't be above %d", fault.ErrInvalid, eventPageMax)
		case n < 0:
			return q, fmt.Errorf("%w: argument limit: %d is negative", fault.ErrInvalid, n)
		case n == 0:
			q.Limit = eventPageMax
		default:
			q.Limit = n
		}
	}
	if n, ok := toInt(args["offset"]); ok {
		if n < 0 {
			return q, fmt.Errorf("%w: argument offset: %d is negative", fault.ErrInvalid, n)
		}
		q.Offset = n
	}
	return q, nil
}

// parseEventTime reads a DateTime argument: RFC 3339, or an ISO 8601 time without a zone (UTC).
func parseEventTime(raw string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, raw); err == nil {
		return t, nil
	}
	return time.Parse("2006-01-02T15:04:05.999999999", raw)
}

// eventEdge writes one EventNodes: {node}.
func (x apiRoot) eventEdge(w *jsonWriter, sel ast.SelectionSet, ev *activity.Event, path ast.Path) {
	x.nodeEdge(w, sel, "EventNodes", func(sel ast.SelectionSet) { x.eventNode(w, sel, ev, path) })
}

// eventNode writes an event as the type of its name (EventNodeInterface's resolve_type), each
// typed field as Infrahub's PrefectEventData.to_graphql answers it.
func (x apiRoot) eventNode(w *jsonWriter, sel ast.SelectionSet, ev *activity.Event, path ast.Path) {
	e := x.e
	typ, ok := eventTypes[ev.Name]
	if !ok {
		typ = "StandardEvent"
	}
	w.beginObject()
	for _, f := range e.sel.collect(sel, typ) {
		w.key(keyOf(f))
		switch f.Name {
		case "__typename":
			w.value(typ)
		case "id":
			w.value(ev.ID)
		case "event":
			w.value(ev.Name)
		case "branch":
			w.value(taskOrNull(ev.Branch))
		case "account_id":
			w.value(taskOrNull(ev.AccountID))
		case "occurred_at":
			w.value(taskTime(ev.OccurredAt))
		case "level":
			w.value(ev.Level)
		case "has_children":
			w.value(ev.HasChildren)
		case "parent_id":
			w.value(taskOrNull(ev.ParentID))
		case "primary_node":
			if ev.PrimaryNode == nil {
				w.null()
			} else {
				e.plain(w, f.SelectionSet, "RelatedNode", refMap(*ev.PrimaryNode), path)
			}
		case "related_nodes":
			e.plain(w, f.SelectionSet, "RelatedNode", x.viewableRefs(ev.RelatedNodes), path)
		case "payload":
			if ev.Payload == nil {
				w.value(map[string]any{})
			} else {
				w.value(ev.Payload)
			}
		case "attributes":
			e.plain(w, f.SelectionSet, "InfrahubMutatedAttribute", eventAttributes(ev.Attributes), path)
		case "relationships":
			rels := make([]any, 0, len(ev.Relationships))
			for _, r := range ev.Relationships {
				if e.view.allows(r.Peer.Kind) {
					rels = append(rels, map[string]any{"name": r.Name, "action": diffAction(r.Action), "peer": refMap(r.Peer)})
				}
			}
			e.plain(w, f.SelectionSet, "InfrahubMutatedRelationship", rels, path)
		case "members", "ancestors":
			e.plain(w, f.SelectionSet, "RelatedNode", x.viewableRefs(payloadRefs(ev.Payload[f.Name])), path)
		case "created_branch", "deleted_branch", "rebased_branch", "source_branch":
			w.value(eventBranch(ev))
		case "checksum", "storage_id", "artifact_definition_id":
			s, _ := ev.Payload[f.Name].(string)
			w.value(s)
		case "cap_value", "dropped_count":
			n, _ := toInt(ev.Payload[f.Name])
			w.value(n)
		case "dropped_claims", "groups", "roles":
			w.value(append([]string{}, taskStrings(ev.Payload[f.Name])...))
		default: // checksum_previous, storage_id_previous, proposed_change_id, the reviews' and accounts' fields
			if s, ok := ev.Payload[f.Name].(string); ok && s != "" {
				w.value(s)
			} else if f.Definition != nil && f.Definition.Type.NonNull {
				w.value("")
			} else {
				w.null()
			}
		}
		w.valueDone()
	}
	w.endObject()
}

// eventBranch is the branch a branch event is about: the merged branch of a merge (Payload
// "source_branch"), the event's branch otherwise (created, deleted, rebased).
func eventBranch(ev *activity.Event) string {
	if s, ok := ev.Payload["source_branch"].(string); ok && s != "" && ev.Name == activity.BranchMerged {
		return s
	}
	if s, ok := ev.Payload["branch"].(string); ok && s != "" {
		return s
	}
	return ev.Branch
}

func refMap(n activity.NodeRef) map[string]any {
	return map[string]any{"id": n.ID, "kind": n.Kind, "display_label": nil}
}

// viewableRefs are the nodes of refs of kinds the requester may view, as RelatedNode values.
func (x apiRoot) viewableRefs(refs []activity.NodeRef) []any {
	out := make([]any, 0, len(refs))
	for _, n := range refs {
		if x.e.view.allows(n.Kind) {
			out = append(out, refMap(n))
		}
	}
	return out
}

// payloadRefs reads a list of nodes of an event's payload: []NodeRef as derived, or the JSON
// form ([{id, kind}]) once decoded.
func payloadRefs(v any) []activity.NodeRef {
	switch x := v.(type) {
	case []activity.NodeRef:
		return x
	case []any:
		out := make([]activity.NodeRef, 0, len(x))
		for _, item := range x {
			switch n := item.(type) {
			case activity.NodeRef:
				out = append(out, n)
			case map[string]any:
				id, _ := n["id"].(string)
				kind, _ := n["kind"].(string)
				out = append(out, activity.NodeRef{ID: id, Kind: kind})
			}
		}
		return out
	}
	return nil
}

// eventAttributes are attribute changes as InfrahubMutatedAttribute values: the action as a
// DiffAction, the values as the strings Infrahub records (Python's str() of the value, null for
// none).
func eventAttributes(attrs []activity.AttributeChange) []any {
	out := make([]any, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, map[string]any{"name": a.Name, "kind": a.Kind, "action": diffAction(a.Action),
			"value": pyStr(a.Value, a.Kind), "value_previous": pyStr(a.ValuePrevious, a.Kind)})
	}
	return out
}

// diffAction is a change's action as the DiffAction enum (Infrahub's lower-case value's name).
func diffAction(a string) string {
	if a == "" {
		return "UNCHANGED"
	}
	return strings.ToUpper(a)
}

// pyStr writes a value as Python's str() does for the values attributes hold: True and False,
// an integer without a fraction (a Float attribute's with ".0"), JSON for lists and objects; nil
// stays null.
func pyStr(v any, kind string) any {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		return x
	case bool:
		if x {
			return "True"
		}
		return "False"
	case float64:
		if x == float64(int64(x)) && x < 1e15 && x > -1e15 {
			if kind == "Float" {
				return strconv.FormatInt(int64(x), 10) + ".0"
			}
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case json.Number:
		return x.String()
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(raw)
}
