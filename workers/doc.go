// Package workers runs background tasks (issue 17). A task is submitted by appending its
// task.created event (package commands, command "task.submit"); the forwarder also publishes that
// event alone to the work topic bus.TopicTasks (Route); a Pool consumes the topic's shared queue
// as one of competing consumers and runs each task's workflow, a RunFunc of its Registry.
//
// The log decides who runs a task: a worker claims it by appending task.started at the stream
// version it read, and appends its outcome (task.completed, task.retried, task.failed) at the
// version it holds; only then is the message acked. A message of a task that is over is acked
// and skipped, and so is a duplicate of a task another worker holds, unless the message comes
// back redelivered (its holder stopped or died): then the task is claimed again for a new
// attempt. Delivery is at least once, so a workflow's effect must be idempotent: a command
// workflow (CommandWorkflow) dispatches its command with an id derived from the task id, which
// the log's command idempotency applies once.
//
// A retryable failure (an error of no kind, or fault.ErrUnavailable) is retried, with
// backoff.Delay up to Limits.TaskRetryDelay between attempts while the worker holds the message,
// up to the task's MaxAttempts (Limits.TaskAttempts by default); then, and at once for an error
// that no retry can change (fault.ErrInvalid, ErrNotFound, ErrForbidden, ErrConflict,
// ErrTooLarge), the task fails and its message is published to the dead-letter topic
// bus.TopicTasksDead, kept in the queue "infrahub.tasks.dead.letters" for an operator.
package workers
