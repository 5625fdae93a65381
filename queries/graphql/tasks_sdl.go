package graphql

// tasksSDL holds the types of InfrahubTask and InfrahubTaskBranchStatus, as Infrahub's
// backend/infrahub/graphql/types/task.py and task_log.py define them: the StateType and
// TaskActionType enums, the TaskNodeInterface of every task run with its two types (TaskNode,
// and WebhookDeliveryTask for runs of the webhook-send workflow), its log lines and the Tasks
// connection. Times are strings in Python's isoformat.
const tasksSDL = `
"""The state of a task (Prefect's StateType)."""
enum StateType {
  SCHEDULED
  PENDING
  RUNNING
  COMPLETED
  FAILED
  CANCELLED
  CRASHED
  PAUSED
  CANCELLING
}

"""Recovery actions a task run can expose."""
enum TaskActionType {
  RETRY
  CANCEL
}

type TaskAction {
  action: TaskActionType!
  available: Boolean!
  unavailability_reason: String
}

type HttpRequest {
  url: String!
  """Request headers as sent, with secret values masked"""
  headers: GenericScalar!
}

type HttpResponse {
  status_code: Int
  body: String
  latency_ms: Float
}

type DeliveryError {
  status_class: String!
  message: String!
  remediation: String!
}

type TaskRelatedNode {
  id: String!
  kind: String!
}

type TaskLog {
  message: String!
  severity: String!
  task_id: String!
  timestamp: String!
  id: String
}

type TaskLogNodes {
  node: TaskLog
}

type TaskLogEdge {
  edges: [TaskLogNodes!]!
  count: Int!
}

"""Fields shared by every task run; concrete types are discriminated by the run's workflow name."""
interface TaskNodeInterface {
  id: String!
  title: String!
  conclusion: String!
  state: StateType
  progress: Float
  workflow: String
  branch: String
  created_at: String!
  updated_at: String!
  parameters: GenericScalar
  tags: [String]
  start_time: String
  related_node: String @deprecated(reason: "This field is deprecated and it will be removed in a future release, use related_nodes instead")
  related_node_kind: String @deprecated(reason: "This field is deprecated and it will be removed in a future release, use related_nodes instead")
  related_nodes: [TaskRelatedNode]
  logs: TaskLogEdge
  available_actions: [TaskAction!]!
}

type TaskNode implements TaskNodeInterface {
  id: String!
  title: String!
  conclusion: String!
  state: StateType
  progress: Float
  workflow: String
  branch: String
  created_at: String!
  updated_at: String!
  parameters: GenericScalar
  tags: [String]
  start_time: String
  related_node: String @deprecated(reason: "This field is deprecated and it will be removed in a future release, use related_nodes instead")
  related_node_kind: String @deprecated(reason: "This field is deprecated and it will be removed in a future release, use related_nodes instead")
  related_nodes: [TaskRelatedNode]
  logs: TaskLogEdge
  available_actions: [TaskAction!]!
}

type WebhookDeliveryTask implements TaskNodeInterface {
  id: String!
  title: String!
  conclusion: String!
  state: StateType
  progress: Float
  workflow: String
  branch: String
  created_at: String!
  updated_at: String!
  parameters: GenericScalar
  tags: [String]
  start_time: String
  related_node: String @deprecated(reason: "This field is deprecated and it will be removed in a future release, use related_nodes instead")
  related_node_kind: String @deprecated(reason: "This field is deprecated and it will be removed in a future release, use related_nodes instead")
  related_nodes: [TaskRelatedNode]
  logs: TaskLogEdge
  available_actions: [TaskAction!]!
  http_request: HttpRequest
  http_response: HttpResponse
  error: DeliveryError
}

type TaskNodes {
  node: TaskNodeInterface
}

type Tasks {
  edges: [TaskNodes!]!
  count: Int!
}
`
