package graphql

// staticSDL is the part of the schema that does not depend on the branch's Infrahub schema:
// scalars, enums, the permission and order types, the input types shared by every kind, and the
// branch and relationship mutations. Names and shapes follow Infrahub's GraphQL API.
const staticSDL = `
"""A date and time in ISO 8601 format."""
scalar DateTime

"""Any JSON value: string, number, boolean, list, object or null."""
scalar GenericScalar

"""An integer that may not fit in 32 bits."""
scalar BigInt

enum BranchRelativePermissionDecision {
  DENY
  ALLOW
  ALLOW_DEFAULT
  ALLOW_OTHER
}

enum InfrahubOrderDirection {
  ASC
  DESC
}

type PermissionType {
  update_value: BranchRelativePermissionDecision
}

interface AttributeInterface {
  is_default: Boolean
  is_inherited: Boolean
  is_protected: Boolean
  is_visible: Boolean
  updated_at: DateTime
}

type ObjectPermission {
  kind: String!
  view: BranchRelativePermissionDecision!
  create: BranchRelativePermissionDecision!
  update: BranchRelativePermissionDecision!
  delete: BranchRelativePermissionDecision!
}

type ObjectPermissionNode {
  node: ObjectPermission!
}

type PaginatedObjectPermission {
  """The number of permissions applicable, 1 for a node kind, possibly more for a generic."""
  count: Int!
  edges: [ObjectPermissionNode!]!
}

input InfrahubNodeMetadataOrder {
  created_at: InfrahubOrderDirection
  updated_at: InfrahubOrderDirection
}

input OrderByItem {
  """An attribute (name__value), a relationship attribute (owner__name__value) or node_metadata__created_at / node_metadata__updated_at."""
  field: String!
  direction: InfrahubOrderDirection = ASC
}

input OrderInput {
  disable: Boolean
  node_metadata: InfrahubNodeMetadataOrder @deprecated(reason: "Use by with node_metadata__created_at or node_metadata__updated_at instead.")
  by: [OrderByItem!]
}

input ContextAccountInput {
  """The Infrahub ID of the account"""
  id: String!
}

input ContextInput {
  account: ContextAccountInput
}

input GenericPoolInput {
  id: String!
  identifier: String
  data: GenericScalar
}

input IPAddressPoolInput {
  id: String!
  identifier: String
  data: GenericScalar
  prefixlen: Int
}

input PrefixPoolInput {
  id: String!
  identifier: String
  data: GenericScalar
  size: Int
  member_type: String
  prefix_type: String
}

input RelatedNodeInput {
  id: String
  hfid: [String]
  kind: String
  from_pool: GenericPoolInput
  _relation__is_visible: Boolean
  _relation__is_protected: Boolean
  _relation__owner: String
  _relation__source: String
}

input RelatedIPAddressNodeInput {
  id: String
  hfid: [String]
  kind: String
  from_pool: IPAddressPoolInput
  _relation__is_visible: Boolean
  _relation__is_protected: Boolean
  _relation__owner: String
  _relation__source: String
}

input RelatedIPPrefixNodeInput {
  id: String
  hfid: [String]
  kind: String
  from_pool: PrefixPoolInput
  _relation__is_visible: Boolean
  _relation__is_protected: Boolean
  _relation__owner: String
  _relation__source: String
}

input DeleteInput {
  id: String
  hfid: [String]
}

input TextAttributeCreate {
  value: String
  is_default: Boolean
  is_visible: Boolean
  is_protected: Boolean
  source: String
  owner: String
}

input TextAttributeUpdate {
  value: String
  is_default: Boolean
  is_visible: Boolean
  is_protected: Boolean
  source: String
  owner: String
}

input NumberAttributeCreate {
  value: BigInt
  from_pool: GenericPoolInput
  is_default: Boolean
  is_visible: Boolean
  is_protected: Boolean
  source: String
  owner: String
}

input NumberAttributeUpdate {
  value: BigInt
  from_pool: GenericPoolInput
  is_default: Boolean
  is_visible: Boolean
  is_protected: Boolean
  source: String
  owner: String
}

input CheckboxAttributeCreate {
  value: Boolean
  is_default: Boolean
  is_visible: Boolean
  is_protected: Boolean
  source: String
  owner: String
}

input CheckboxAttributeUpdate {
  value: Boolean
  is_default: Boolean
  is_visible: Boolean
  is_protected: Boolean
  source: String
  owner: String
}

input ListAttributeCreate {
  value: GenericScalar
  is_default: Boolean
  is_visible: Boolean
  is_protected: Boolean
  source: String
  owner: String
}

input ListAttributeUpdate {
  value: GenericScalar
  is_default: Boolean
  is_visible: Boolean
  is_protected: Boolean
  source: String
  owner: String
}

input JSONAttributeCreate {
  value: GenericScalar
  is_default: Boolean
  is_visible: Boolean
  is_protected: Boolean
  source: String
  owner: String
}

input JSONAttributeUpdate {
  value: GenericScalar
  is_default: Boolean
  is_visible: Boolean
  is_protected: Boolean
  source: String
  owner: String
}

input AnyAttributeCreate {
  value: GenericScalar
  is_default: Boolean
  is_visible: Boolean
  is_protected: Boolean
  source: String
  owner: String
}

input AnyAttributeUpdate {
  value: GenericScalar
  is_default: Boolean
  is_visible: Boolean
  is_protected: Boolean
  source: String
  owner: String
}

enum BranchStatus {
  OPEN
  NEED_REBASE
  NEED_UPGRADE_REBASE
  MERGING
  MERGED
  DELETING
}

"""Branch"""
type Branch {
  id: String!
  name: String!
  description: String
  origin_branch: String
  branched_from: String
  created_at: String
  sync_with_git: Boolean
  is_default: Boolean
  is_isolated: Boolean @deprecated(reason: "non isolated mode is not supported anymore")
  has_schema_changes: Boolean
  status: BranchStatus
}

type TaskInfo {
  id: String
}

type InfrahubInfo {
  deployment_id: String!
  version: String!
}

input BranchCreateInput {
  id: String
  name: String!
  description: String
  origin_branch: String
  branched_from: String
  sync_with_git: Boolean
  is_isolated: Boolean
}

input BranchNameInput {
  name: String
}

input BranchUpdateInput {
  name: String!
  description: String
  is_isolated: Boolean
}

type BranchCreate {
  ok: Boolean
  object: Branch
  task: TaskInfo
}

type BranchDelete {
  ok: Boolean
  task: TaskInfo
}

type BranchUpdate {
  ok: Boolean
}

type BranchRebase {
  ok: Boolean
  object: Branch
  task: TaskInfo
}

type BranchMerge {
  ok: Boolean
  object: Branch
  task: TaskInfo
}

type BranchValidate {
  ok: Boolean
  messages: [String]
  object: Branch
  task: TaskInfo
}

input RelationshipNodesInput {
  """ID of the node at the source of the relationship"""
  id: String!
  """Name of the relationship to add or remove nodes"""
  name: String!
  """List of nodes to add or remove to the relationships"""
  nodes: [RelatedNodeInput]
}

type RelationshipAdd {
  ok: Boolean
}

type RelationshipRemove {
  ok: Boolean
}
`

// staticQueryFields are the root query fields that do not depend on the schema.
const staticQueryFields = `  """Retrieve information about active branches."""
  Branch(ids: [ID], name: String): [Branch!]!
  InfrahubInfo: InfrahubInfo!
`

// staticMutationFields are the root mutation fields that do not depend on the schema.
const staticMutationFields = `  BranchCreate(data: BranchCreateInput!, context: ContextInput, background_execution: Boolean, wait_until_completion: Boolean): BranchCreate
  BranchDelete(data: BranchNameInput!, context: ContextInput, wait_until_completion: Boolean): BranchDelete
  BranchUpdate(data: BranchUpdateInput!, context: ContextInput): BranchUpdate
  BranchRebase(data: BranchNameInput!, context: ContextInput, wait_until_completion: Boolean): BranchRebase
  BranchMerge(data: BranchNameInput!, context: ContextInput, wait_until_completion: Boolean): BranchMerge
  BranchValidate(data: BranchNameInput!, context: ContextInput, wait_until_completion: Boolean): BranchValidate
  RelationshipAdd(data: RelationshipNodesInput!, context: ContextInput): RelationshipAdd
  RelationshipRemove(data: RelationshipNodesInput!, context: ContextInput): RelationshipRemove
`
