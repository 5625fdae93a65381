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
  DELETING
  MERGING
  MERGE_FAILED
  MERGED
}

"""Branch"""
type Branch {
  id: String!
  name: String!
  description: String
  origin_branch: String
  """When the branch last took the default branch's state (creation or rebase), RFC 3339"""
  branched_from: String
  status: BranchStatus!
  graph_version: Int
  """When the branch was created, RFC 3339"""
  created_at: String
  sync_with_git: Boolean
  is_default: Boolean
  is_isolated: Boolean @deprecated(reason: "non isolated mode is not supported anymore")
  has_schema_changes: Boolean
  """Whether the branch's schema is not the default branch's"""
  schema_differs_from_default_branch: Boolean
}

type TaskInfo {
  id: String
}

` + tasksSDL + eventsSDL + `
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

enum DiffAction {
  ADDED
  REMOVED
  UPDATED
  UNCHANGED
}

enum RelationshipCardinality {
  ONE
  MANY
}

enum ConflictSelection {
  BASE_BRANCH
  DIFF_BRANCH
}

"""Both sides of a conflict, and the side chosen to resolve it."""
type ConflictDetails {
  uuid: String!
  base_branch_action: DiffAction!
  base_branch_value: String
  base_branch_changed_at: DateTime!
  base_branch_label: String
  diff_branch_action: DiffAction!
  diff_branch_value: String
  diff_branch_changed_at: DateTime!
  diff_branch_label: String
  selected_branch: ConflictSelection
  resolvable: Boolean
}

type DiffProperty {
  property_type: String!
  last_changed_at: DateTime!
  previous_value: String
  new_value: String
  previous_label: String
  new_label: String
  status: DiffAction!
  path_identifier: String!
  conflict: ConflictDetails
}

type DiffAttribute {
  name: String!
  last_changed_at: DateTime!
  status: DiffAction!
  path_identifier: String!
  properties: [DiffProperty!]
  contains_conflict: Boolean!
  conflict: ConflictDetails
  num_added: Int!
  num_updated: Int!
  num_removed: Int!
  num_conflicts: Int!
}

type DiffSingleRelationship {
  last_changed_at: DateTime
  status: DiffAction!
  peer_id: String!
  peer_label: String
  path_identifier: String!
  contains_conflict: Boolean!
  conflict: ConflictDetails
  properties: [DiffProperty!]
  num_added: Int!
  num_updated: Int!
  num_removed: Int!
  num_conflicts: Int!
}

type DiffRelationship {
  name: String!
  label: String
  last_changed_at: DateTime
  cardinality: RelationshipCardinality!
  status: DiffAction!
  path_identifier: String!
  elements: [DiffSingleRelationship!]!
  contains_conflict: Boolean!
  num_added: Int!
  num_updated: Int!
  num_removed: Int!
  num_conflicts: Int!
}

type DiffNodeParent {
  uuid: String!
  kind: String
  relationship_name: String
}

type DiffNode {
  uuid: String!
  kind: String!
  label: String!
  status: DiffAction!
  path_identifier: String!
  conflict: ConflictDetails
  contains_conflict: Boolean!
  last_changed_at: DateTime
  parent: DiffNodeParent
  attributes: [DiffAttribute!]!
  relationships: [DiffRelationship!]!
  num_added: Int!
  num_updated: Int!
  num_removed: Int!
  num_conflicts: Int!
}

type DiffTree {
  base_branch: String!
  diff_branch: String!
  from_time: DateTime!
  to_time: DateTime!
  num_untracked_base_changes: Int
  num_untracked_diff_changes: Int
  name: String
  nodes: [DiffNode!]
  num_added: Int!
  num_updated: Int!
  num_removed: Int!
  num_conflicts: Int!
}

type DiffTreeSummary {
  base_branch: String!
  diff_branch: String!
  from_time: DateTime!
  to_time: DateTime!
  num_unchanged: Int!
  num_untracked_base_changes: Int
  num_untracked_diff_changes: Int
  num_added: Int!
  num_updated: Int!
  num_removed: Int!
  num_conflicts: Int!
}

input IncExcFilterOptions {
  includes: [String]
  excludes: [String]
}

input IncExcActionStatusOptions {
  includes: [DiffAction]
  excludes: [DiffAction]
}

input DiffTreeQueryFilters {
  ids: [String]
  status: IncExcActionStatusOptions
  kind: IncExcFilterOptions
  namespace: IncExcFilterOptions
}

input ResolveDiffConflictInput {
  conflict_id: String!
  selected_branch: ConflictSelection!
}

type ResolveDiffConflict {
  ok: Boolean
}

input DiffUpdateInput {
  branch: String!
  name: String
  from_time: DateTime
  to_time: DateTime
  wait_for_completion: Boolean
}

type DiffUpdate {
  ok: Boolean
  task: TaskInfo
}

input IdentifierInput {
  """The ID of the requested object"""
  id: String!
}

type ProcessRepository {
  ok: Boolean
  task: TaskInfo
}

type ReadOnlyRepositoryImportLastCommit {
  ok: Boolean
  task: TaskInfo
}

type ValidateRepositoryConnectivity {
  ok: Boolean!
  message: String!
}

input TaskActionInput {
  """The task's id"""
  id: String!
}

type TaskCancel {
  ok: Boolean!
  task: TaskNodeInterface
}

type TaskRetry {
  ok: Boolean!
  """The new task"""
  task: TaskNodeInterface
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
input IPAddressPoolGetResourceInput {
  """ID of the pool to allocate from"""
  id: String
  """HFID of the pool to allocate from"""
  hfid: [String]
  """Identifier of the allocation: asking again with it returns the same resource"""
  identifier: String
  """Mask length of the allocated address"""
  prefix_length: Int
  """Kind of the address to create"""
  address_type: String
  """Kind of the address to create (the name the Python SDK sends for address_type)"""
  prefix_type: String
  """Other attributes and relationships of the allocated address"""
  data: GenericScalar
}

input IPPrefixPoolGetResourceInput {
  id: String
  hfid: [String]
  identifier: String
  """Length of the allocated prefix"""
  prefix_length: Int
  member_type: String
  """Kind of the prefix to create"""
  prefix_type: String
  data: GenericScalar
}

type PoolAllocatedNode {
  """The ID of the allocated node"""
  id: String!
  """The common name of the resource"""
  display_label: String!
  """The node kind"""
  kind: String!
  """The branch where the node is allocated"""
  branch: String!
  """Identifier used for the allocation"""
  identifier: String
}

type IPAddressPoolGetResource {
  ok: Boolean
  node: PoolAllocatedNode
}

type IPPrefixPoolGetResource {
  ok: Boolean
  node: PoolAllocatedNode
}

type IPAddressGetNextAvailable {
  address: String!
}

type IPPrefixGetNextAvailable {
  prefix: String!
}
`

// staticQueryFields are the root query fields that do not depend on the schema.
const staticQueryFields = `  """Retrieve information about active branches."""
  Branch(ids: [ID], name: String): [Branch!]!
  """Retrieve paginated information about active branches."""
  InfrahubBranch(offset: Int, limit: Int, name__value: String, ids: [ID], partial_match: Boolean = false, order: OrderInput, status__value: BranchStatus, node_metadata__created_by__id: ID, branched_from__after: DateTime, branched_from__before: DateTime, node_metadata__created_at__after: DateTime, node_metadata__created_at__before: DateTime, node_metadata__updated_at__after: DateTime, node_metadata__updated_at__before: DateTime): InfrahubBranchType!
  InfrahubInfo: InfrahubInfo!
  """Retrieve the status of all infrahub workers."""
  InfrahubStatus: Status!
  """Relationships (pairs of nodes) of the given relationship identifiers."""
  Relationship(ids: [String!]!, excluded_namespaces: [String], limit: Int, offset: Int): Relationships!
  """Nodes and groups by id, or whose attributes match q."""
  InfrahubSearchAnywhere(q: String!, limit: Int, offset: Int, partial_match: Boolean, case_sensitive: Boolean): NodeEdges!
  """The resources a pool allocated from one of its resources."""
  InfrahubResourcePoolAllocated(pool_id: String!, resource_id: String!, limit: Int, offset: Int): PoolAllocated!
  """How much of a pool's resources is used."""
  InfrahubResourcePoolUtilization(pool_id: String!): PoolUtilization!
  """What a branch changed since its base, node by node, with the conflicts with the default branch."""
  DiffTree(branch: String, name: String, from_time: DateTime, to_time: DateTime, filters: DiffTreeQueryFilters, include_parents: Boolean, root_node_uuids: [String], limit: Int, offset: Int, proposed_change_id: String): DiffTree
  """The counts of a branch's diff."""
  DiffTreeSummary(branch: String, from_time: DateTime, to_time: DateTime, filters: DiffTreeQueryFilters, proposed_change_id: String): DiffTreeSummary
  """The first free address of a prefix."""
  InfrahubIPAddressGetNextAvailable(prefix_id: String!, prefix_length: Int): IPAddressGetNextAvailable!
  """The first free prefix of a length under a prefix."""
  InfrahubIPPrefixGetNextAvailable(prefix_id: String!, prefix_length: Int): IPPrefixGetNextAvailable!
  """The API tokens of the requesting account (a login is needed)."""
  InfrahubAccountToken(limit: Int, offset: Int): AccountTokenEdges!
  """The global and object permissions of the requesting account."""
  InfrahubPermissions: AccountPermissionsEdges!
  """Background tasks, newest first: limit (default 10, at most INFRAHUB_TASK_MAX_PAGE) and offset page them, count is every match; log_limit and log_offset page each task's log lines."""
  InfrahubTask(limit: Int, offset: Int, related_node__ids: [String], branch: String, state: [StateType], workflow: [String], ids: [String], q: String, log_limit: Int, log_offset: Int): Tasks!
  """Return the list of all pending or running tasks that can modify the data, for a given branch"""
  InfrahubTaskBranchStatus(branch: String): Tasks!
` + eventQueryField

// staticMutationFields are the root mutation fields that do not depend on the schema.
const staticMutationFields = `  BranchCreate(data: BranchCreateInput!, context: ContextInput, background_execution: Boolean, wait_until_completion: Boolean): BranchCreate
  BranchDelete(data: BranchNameInput!, context: ContextInput, wait_until_completion: Boolean): BranchDelete
  BranchUpdate(data: BranchUpdateInput!, context: ContextInput): BranchUpdate
  BranchRebase(data: BranchNameInput!, context: ContextInput, wait_until_completion: Boolean): BranchRebase
  BranchMerge(data: BranchNameInput!, context: ContextInput, wait_until_completion: Boolean): BranchMerge
  BranchValidate(data: BranchNameInput!, context: ContextInput, wait_until_completion: Boolean): BranchValidate
  RelationshipAdd(data: RelationshipNodesInput!, context: ContextInput): RelationshipAdd
  RelationshipRemove(data: RelationshipNodesInput!, context: ContextInput): RelationshipRemove
  ResolveDiffConflict(data: ResolveDiffConflictInput!, context: ContextInput): ResolveDiffConflict
  DiffUpdate(data: DiffUpdateInput!, context: ContextInput, wait_until_completion: Boolean): DiffUpdate
  """Allocate an IP address from a pool."""
  InfrahubIPAddressPoolGetResource(data: IPAddressPoolGetResourceInput!, context: ContextInput): IPAddressPoolGetResource
  """Allocate an IP prefix from a pool."""
  InfrahubIPPrefixPoolGetResource(data: IPPrefixPoolGetResourceInput!, context: ContextInput): IPPrefixPoolGetResource
  """Allocate an IP address from a pool (the name the Python SDK sends)."""
  IPAddressPoolGetResource(data: IPAddressPoolGetResourceInput!, context: ContextInput): IPAddressPoolGetResource
  """Allocate an IP prefix from a pool (the name the Python SDK sends)."""
  IPPrefixPoolGetResource(data: IPPrefixPoolGetResourceInput!, context: ContextInput): IPPrefixPoolGetResource
  SchemaDropdownAdd(data: SchemaDropdownAddInput!, context: ContextInput): SchemaDropdownAdd
  SchemaDropdownRemove(data: SchemaDropdownRemoveInput!, context: ContextInput): SchemaDropdownRemove
  SchemaEnumAdd(data: SchemaEnumInput!, context: ContextInput): SchemaEnumAdd
  SchemaEnumRemove(data: SchemaEnumInput!, context: ContextInput): SchemaEnumRemove
  """A new API token of the requesting account; its value is answered once."""
  InfrahubAccountTokenCreate(data: InfrahubAccountTokenCreateInput!): InfrahubAccountTokenCreate
  """Deletes an API token of the requesting account."""
  InfrahubAccountTokenDelete(data: InfrahubAccountTokenDeleteInput!): InfrahubAccountTokenDelete
  """Changes the password or the description of the requesting account."""
  InfrahubAccountSelfUpdate(data: InfrahubAccountUpdateSelfInput!): InfrahubAccountSelfUpdate
  """Cancels a task that no worker runs yet (PENDING or SCHEDULED)."""
  InfrahubTaskCancel(data: TaskActionInput!): TaskCancel
  """Submits a FAILED or CANCELLED task again, as a new task."""
  InfrahubTaskRetry(data: TaskActionInput!): TaskRetry
  """Imports the current commit of a repository on the branch (a task)."""
  InfrahubRepositoryProcess(data: IdentifierInput!): ProcessRepository
  """Imports the last commit of a read-only repository's ref (a task)."""
  InfrahubReadOnlyRepositoryImportLastCommit(data: IdentifierInput!): ReadOnlyRepositoryImportLastCommit
  """Whether the repository's remote can be reached with its credential."""
  InfrahubRepositoryConnectivity(data: IdentifierInput!): ValidateRepositoryConnectivity
`
