package graphql

// staticAPISDL holds the built-in types of Infrahub's API around branches, workers, search,
// relationships, resource pools and schema changes (types that do not depend on the branch's
// schema), and the @expand directive.
const staticAPISDL = `
type RequiredStringValueField {
  value: String!
}

type NonRequiredStringValueField {
  value: String
}

type NonRequiredIntValueField {
  value: Int
}

type NonRequiredBooleanValueField {
  value: Boolean
}

type StatusField {
  value: BranchStatus!
}

"""InfrahubBranch"""
type InfrahubBranch {
  id: String!
  name: RequiredStringValueField!
  description: NonRequiredStringValueField
  origin_branch: NonRequiredStringValueField
  branched_from: NonRequiredStringValueField
  status: StatusField!
  graph_version: NonRequiredIntValueField
  created_at: String
  sync_with_git: NonRequiredBooleanValueField
  is_default: NonRequiredBooleanValueField
  is_isolated: NonRequiredBooleanValueField @deprecated(reason: "non isolated mode is not supported anymore")
  has_schema_changes: NonRequiredBooleanValueField
  schema_differs_from_default_branch: NonRequiredBooleanValueField
}

type InfrahubBranchEdge {
  node: InfrahubBranch!
  node_metadata: InfrahubStandardNodeMetaData!
}

type InfrahubBranchType {
  """Total number of items"""
  count: Int
  edges: [InfrahubBranchEdge!]!
  """The default branch of the Infrahub instance, provides a direct way to access the default branch regardless of filters."""
  default_branch: InfrahubBranch!
}

type StatusSummary {
  """Indicates if the schema hash is in sync on all active workers"""
  schema_hash_synced: Boolean!
}

type StatusWorker {
  id: String!
  active: Boolean!
  schema_hash: String
}

type StatusWorkerEdge {
  node: StatusWorker!
}

type StatusWorkerEdges {
  edges: [StatusWorkerEdge!]!
}

type Status {
  summary: StatusSummary!
  workers: StatusWorkerEdges!
}

type RelationshipPeer {
  id: String
  kind: String
}

type Relationship {
  id: String
  identifier: String
  peers: [RelationshipPeer!]
  """User that last modified the relationship"""
  updated_by: String
  """Date/Time when the relationship was last modified by a user or a system task"""
  updated_at: DateTime
}

type RelationshipNode {
  node: Relationship!
}

type Relationships {
  edges: [RelationshipNode!]!
  count: Int!
}

type Node {
  id: String!
  """The node kind"""
  kind: String!
}

type NodeEdge {
  node: Node!
}

type NodeEdges {
  count: Int!
  edges: [NodeEdge!]!
  parent_prefixes: [NodeEdge!]
}

type IPPoolUtilizationResource {
  """The ID of the current resource"""
  id: String!
  """The common name of the resource"""
  display_label: String!
  """The resource kind"""
  kind: String!
  """The relative weight of this resource."""
  weight: BigInt!
  """The overall utilization of the resource."""
  utilization: Float!
  """The utilization of the resource on all non default branches."""
  utilization_branches: Float!
  """The overall utilization of the resource isolated to the default branch."""
  utilization_default_branch: Float!
}

type IPPrefixUtilizationEdge {
  node: IPPoolUtilizationResource!
}

type PoolUtilization {
  """The number of resources within the selected pool."""
  count: BigInt!
  """The overall utilization of the pool."""
  utilization: Float!
  """The utilization in all non default branches."""
  utilization_branches: Float!
  """The overall utilization of the pool isolated to the default branch."""
  utilization_default_branch: Float!
  edges: [IPPrefixUtilizationEdge!]!
}

type PoolAllocatedEdge {
  node: PoolAllocatedNode!
}

type PoolAllocated {
  """The number of allocations within the selected pool."""
  count: BigInt!
  edges: [PoolAllocatedEdge!]!
}

input SchemaDropdownAddInput {
  kind: String!
  attribute: String!
  dropdown: String!
  color: String
  description: String
  label: String
}

input SchemaDropdownRemoveInput {
  kind: String!
  attribute: String!
  dropdown: String!
}

input SchemaEnumInput {
  kind: String!
  attribute: String!
  enum: String!
}

type DropdownFields {
  value: String
  label: String
  color: String
  description: String
}

type SchemaDropdownAdd {
  ok: Boolean
  object: DropdownFields
}

type SchemaDropdownRemove {
  ok: Boolean
}

type SchemaEnumAdd {
  ok: Boolean
}

type SchemaEnumRemove {
  ok: Boolean
}

type AccountTokenNode {
  id: String!
  name: String
  expiration: String
}

type AccountTokenEdge {
  node: AccountTokenNode!
}

type AccountTokenEdges {
  count: Int!
  edges: [AccountTokenEdge!]!
}

type AccountGlobalPermissionNode {
  id: String!
  description: String
  name: String!
  action: String!
  decision: String!
  identifier: String!
}

type AccountObjectPermissionNode {
  id: String!
  description: String
  namespace: String!
  name: String!
  action: String!
  decision: String!
  identifier: String!
}

type AccountGlobalPermissionEdge {
  node: AccountGlobalPermissionNode!
}

type AccountObjectPermissionEdge {
  node: AccountObjectPermissionNode!
}

type AccountGlobalPermissionEdges {
  count: Int!
  edges: [AccountGlobalPermissionEdge!]!
}

type AccountObjectPermissionEdges {
  count: Int!
  edges: [AccountObjectPermissionEdge!]!
}

type AccountPermissionsEdges {
  global_permissions: AccountGlobalPermissionEdges
  object_permissions: AccountObjectPermissionEdges
}

input InfrahubAccountTokenCreateInput {
  """The name of the token"""
  name: String
  """Timestamp when the token expires"""
  expiration: String
}

input InfrahubAccountTokenDeleteInput {
  """The id of the token to delete"""
  id: String!
}

input InfrahubAccountUpdateSelfInput {
  """Password to use instead of the current one"""
  password: String
  """Description to use instead of the current one"""
  description: String
}

type ValueType {
  value: String!
}

type InfrahubAccountTokenType {
  id: String!
  token: ValueType
}

type InfrahubAccountTokenCreate {
  ok: Boolean
  object: InfrahubAccountTokenType
}

type InfrahubAccountTokenDelete {
  ok: Boolean
}

type InfrahubAccountSelfUpdate {
  ok: Boolean
}

"""Expands a field to include Node defaults"""
directive @expand(
  """Indicated if applicable properties should be added to the query"""
  add_properties: Boolean
  """Exclude specific fields"""
  exclude: [String]
) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT

`
