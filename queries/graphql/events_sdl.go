package graphql

// eventsSDL holds the types of InfrahubEvent, as Infrahub's backend/infrahub/graphql/types/event.py
// and queries/event.py define them: the EventSortOrder enum, the EventTypeFilter input, the
// EventNodeInterface of every event with one type per family (EVENT_TYPES: NodeMutatedEvent,
// the branch events, GroupEvent, ArtifactEvent, the proposed change reviews, StandardEvent for
// the rest) and the Events connection. The account and group auto-creation types of Infrahub's
// identity provider events are declared (the UI's event query selects them) though no event
// here is of them.
const eventsSDL = `
"""Sort order of InfrahubEvent."""
enum EventSortOrder {
  ASC
  DESC
}

type RelatedNode {
  """The ID of the requested object"""
  id: String!
  """The ID of the requested object"""
  kind: String!
  """The display label of the node if present"""
  display_label: String
}

input BranchEventTypeFilter {
  """Name of impacted branches"""
  branches: [String!]!
}

input EventTypeFilter {
  """Filters specific to infrahub.branch.merged events"""
  branch_merged: BranchEventTypeFilter
  """Filters specific to infrahub.branch.rebased events"""
  branch_rebased: BranchEventTypeFilter
}

type InfrahubMutatedAttribute {
  name: String!
  action: DiffAction!
  value: String
  kind: String!
  value_previous: String
}

type InfrahubMutatedRelationship {
  name: String!
  action: DiffAction!
  peer: RelatedNode!
}

interface EventNodeInterface {
  """The ID of the event."""
  id: String!
  """The name of the event."""
  event: String!
  """The branch where the event occurred."""
  branch: String
  """The account ID that triggered the event."""
  account_id: String
  """The timestamp when the event occurred."""
  occurred_at: DateTime!
  """The level of the event 0 is a root level event, the child events will have 1 and grand children 2."""
  level: Int!
  """The primary Infrahub node this event is associated with."""
  primary_node: RelatedNode
  """Related Infrahub nodes this event is associated with."""
  related_nodes: [RelatedNode!]!
  """Indicates if the event is expected to have child events under it"""
  has_children: Boolean!
  """The event ID of the direct parent to this event."""
  parent_id: String
}

type EventNodes {
  node: EventNodeInterface
}

type Events {
  edges: [EventNodes!]!
  count: Int!
}
` + eventTypesSDL

// eventFields are the fields of EventNodeInterface, repeated by every type implementing it.
const eventFields = `  id: String!
  event: String!
  branch: String
  account_id: String
  occurred_at: DateTime!
  level: Int!
  primary_node: RelatedNode
  related_nodes: [RelatedNode!]!
  has_children: Boolean!
  parent_id: String
`

const eventTypesSDL = `
type BranchCreatedEvent implements EventNodeInterface {
` + eventFields + `  """The name of the branch that was created"""
  created_branch: String!
  payload: GenericScalar!
}

type BranchMergedEvent implements EventNodeInterface {
` + eventFields + `  """The name of the branch that was merged into the default branch"""
  source_branch: String!
}

type BranchRebasedEvent implements EventNodeInterface {
` + eventFields + `  """The name of the branch that was rebased and aligned with the default branch"""
  rebased_branch: String!
  payload: GenericScalar!
}

type BranchDeletedEvent implements EventNodeInterface {
` + eventFields + `  """The name of the branch that was deleted"""
  deleted_branch: String!
  proposed_change_id: String
  payload: GenericScalar!
}

type ProposedChangeReviewEvent implements EventNodeInterface {
` + eventFields + `  """The ID of the user who reviewed the proposed change"""
  reviewer_account_id: String!
  """The name of the user who reviewed the proposed change"""
  reviewer_account_name: String!
  """The decision made by the reviewer"""
  reviewer_decision: String!
  payload: GenericScalar!
}

type ProposedChangeReviewRevokedEvent implements EventNodeInterface {
` + eventFields + `  """The ID of the user who reviewed the proposed change"""
  reviewer_account_id: String!
  """The name of the user who reviewed the proposed change"""
  reviewer_account_name: String!
  """The decision made by the reviewer"""
  reviewer_former_decision: String!
  payload: GenericScalar!
}

type NodeMutatedEvent implements EventNodeInterface {
` + eventFields + `  payload: GenericScalar!
  attributes: [InfrahubMutatedAttribute!]!
  relationships: [InfrahubMutatedRelationship!]!
}

type ArtifactEvent implements EventNodeInterface {
` + eventFields + `  """The current checksum of the artifact"""
  checksum: String!
  """The previous checksum of the artifact"""
  checksum_previous: String
  """The current storage_id of the artifact"""
  storage_id: String!
  """The previous storage_id of the artifact"""
  storage_id_previous: String
  """Artifact definition ID"""
  artifact_definition_id: String!
}

type GroupEvent implements EventNodeInterface {
` + eventFields + `  """Group members modified in this event"""
  members: [RelatedNode!]!
  """Ancestor groups of this impacted group"""
  ancestors: [RelatedNode!]!
}

type StandardEvent implements EventNodeInterface {
` + eventFields + `  payload: GenericScalar!
}

type AccountLoggedInEventType implements EventNodeInterface {
` + eventFields + `  kind: String!
  account_name: String!
  account_type: String!
  auth_method: String!
  session_id: String!
  groups: [String!]!
  roles: [String!]!
  identity_source: String
  client_ip: String
  user_agent: String
  timestamp: DateTime!
  payload: GenericScalar!
}

type AccountLoggedOutEventType implements EventNodeInterface {
` + eventFields + `  kind: String!
  account_name: String!
  session_id: String!
  logout_type: String!
  client_ip: String
  user_agent: String
  timestamp: DateTime!
  payload: GenericScalar!
}

type GroupAutoCreatedEventType implements EventNodeInterface {
` + eventFields + `  idp: String
  protocol: String
  triggering_user_id: String
  triggering_user_name: String
  group_id: String
  group_name: String
  source_pattern: String
  origin_value: String
  payload: GenericScalar!
}

type GroupAutoCreateRejectedEventType implements EventNodeInterface {
` + eventFields + `  idp: String
  protocol: String
  triggering_user_id: String
  triggering_user_name: String
  rejected_claim_value: String
  payload: GenericScalar!
}

type GroupAutoCreateCappedEventType implements EventNodeInterface {
` + eventFields + `  idp: String
  protocol: String
  triggering_user_id: String
  triggering_user_name: String
  cap_value: Int!
  dropped_count: Int!
  dropped_claims: [String!]!
  payload: GenericScalar!
}
`

// eventQueryField is InfrahubEvent on the root query type. The list arguments take [String]
// (Infrahub: [String!]) so that the UI's documents of either declaration validate, and q is the
// text search the UI's activity tab sends.
const eventQueryField = `  """Infrahub's events derived from the log, newest first unless order is ASC: limit (default 10, at most 50) and offset page them, count is every match."""
  InfrahubEvent(limit: Int, offset: Int, level: Int, """Filter events based on if they can have children or not""" has_children: Boolean, """Filter events that match a specific type""" event_type: [String], """Filters specific to a given event_type""" event_type_filter: EventTypeFilter, """Filter events where the primary node id is within indicated node ids""" primary_node__ids: [String], """Filter events where the related node ids are within indicated node ids""" related_node__ids: [String], """Search events that has any of the indicated event ids listed as parents""" parent__ids: [String], """Search events since this timestamp""" since: DateTime, """Search events until this timestamp""" until: DateTime, """Filter the query to specific branches""" branches: [String], """Filter the query to specific accounts""" account__ids: [String], ids: [String], """Sort order of the events, defaults to descending order""" order: EventSortOrder = DESC, """Events whose name, primary node id or kind holds this text""" q: String): Events!
`
