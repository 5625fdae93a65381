// Package task is the vocabulary of background tasks: a task's life is a stream of events in the
// log ("task/<id>": created, started, progressed, logged, retried, completed, failed,
// cancelled), and a Task is what those events fold to, in the fields of Infrahub's InfrahubTask.
// Package commands writes a task's creation and cancellation, package workers its run, and
// projections/tasks folds every task for reads.
//
// A task's stream is also how workers agree on who runs it: a worker claims a task by appending
// its started event at the stream version it read, so that of two workers holding the same
// message only one runs it; its outcome is appended the same way.
package task

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/fault"
)

// Event types of a task's stream.
const (
	TypeCreated    = "task.created"
	TypeStarted    = "task.started"
	TypeProgressed = "task.progressed"
	TypeLogged     = "task.logged"
	TypeRetried    = "task.retried"
	TypeCompleted  = "task.completed"
	TypeFailed     = "task.failed"
	TypeCancelled  = "task.cancelled"
)

// StreamPrefix starts the stream name of every task.
const StreamPrefix = "task/"

// Stream is the stream of task id.
func Stream(id string) events.StreamID { return events.StreamID(StreamPrefix + id) }

// IDOf is the task id of a task stream; ok is false for another stream.
func IDOf(s events.StreamID) (id string, ok bool) {
	return strings.CutPrefix(string(s), StreamPrefix)
}

// State is Infrahub's StateType of a task (Prefect's flow-run states).
type State string

// States a task goes through: PENDING once created, RUNNING while a worker runs it (again after
// a retry), then COMPLETED, FAILED or CANCELLED. SCHEDULED is a pending task waiting for a retry's
// delay; CRASHED is not used (a worker that dies leaves its task RUNNING until another worker
// takes the redelivered message).
const (
	StateScheduled  State = "SCHEDULED"
	StatePending    State = "PENDING"
	StateRunning    State = "RUNNING"
	StateCompleted  State = "COMPLETED"
	StateFailed     State = "FAILED"
	StateCancelled  State = "CANCELLED"
	StateCrashed    State = "CRASHED"
	StatePaused     State = "PAUSED"
	StateCancelling State = "CANCELLING"
)

// States lists every State, in the order of Infrahub's StateType enum.
var States = []State{StateScheduled, StatePending, StateRunning, StateCompleted, StateFailed, StateCancelled, StateCrashed, StatePaused, StateCancelling}

// Final reports whether a task in state s is over.
func (s State) Final() bool {
	return s == StateCompleted || s == StateFailed || s == StateCancelled || s == StateCrashed
}

// Conclusion is Infrahub's TaskConclusion.
type Conclusion string

// Conclusions.
const (
	Unknown Conclusion = "unknown"
	Success Conclusion = "success"
	Failure Conclusion = "failure"
)

// Severities of a log line (Infrahub's log levels, lowercased).
const (
	SeverityDebug    = "debug"
	SeverityInfo     = "info"
	SeverityWarning  = "warning"
	SeverityError    = "error"
	SeverityCritical = "critical"
)

// TagDatabaseChange marks workflows that change data: InfrahubTaskBranchStatus lists the pending
// and running tasks of a branch carrying it (Infrahub's WorkflowTag.DATABASE_CHANGE).
const TagDatabaseChange = "infrahub.app/database-change"

// RelatedNode is a node a task is about.
type RelatedNode struct {
	ID   string `json:"id"`
	Kind string `json:"kind,omitempty"`
}

// Created is the payload of TypeCreated.
type Created struct {
	ID       string `json:"id"`
	Workflow string `json:"workflow"`
	Title    string `json:"title"`
	Branch   string `json:"branch,omitempty"`
	// Parameters are the workflow's input (for a command workflow: the command's payload).
	Parameters   json.RawMessage `json:"parameters,omitempty"`
	Tags         []string        `json:"tags,omitempty"`
	RelatedNodes []RelatedNode   `json:"related_nodes,omitempty"`
	// Account is the id of the account that submitted the task ("" for the server's own).
	Account string `json:"account,omitempty"`
	// MaxAttempts is how many times a failing run is tried before the task fails.
	MaxAttempts int `json:"max_attempts"`
}

// Started is the payload of TypeStarted: a worker claimed the task for its attempt (1 for the
// first run).
type Started struct {
	Attempt int    `json:"attempt"`
	Worker  string `json:"worker"`
}

// Progressed is the payload of TypeProgressed: progress between 0 and 1.
type Progressed struct {
	Progress float64 `json:"progress"`
}

// Logged is the payload of TypeLogged: one log line of the task (its time is the event's).
type Logged struct {
	Message  string `json:"message"`
	Severity string `json:"severity"`
}

// Retried is the payload of TypeRetried: attempt failed with Error and runs again after Delay.
type Retried struct {
	Attempt int           `json:"attempt"`
	Error   string        `json:"error"`
	Delay   time.Duration `json:"delay"`
}

// Completed is the payload of TypeCompleted.
type Completed struct {
	// Result is the workflow's answer (for a command workflow: the command's answer).
	Result json.RawMessage `json:"result,omitempty"`
}

// Failed is the payload of TypeFailed: the last attempt failed with Error (Code is its
// fault code, e.g. "conflict"); DeadLettered says the task's message went to the dead letter
// queue.
type Failed struct {
	Attempt      int    `json:"attempt"`
	Error        string `json:"error"`
	Code         string `json:"code,omitempty"`
	DeadLettered bool   `json:"dead_lettered,omitempty"`
}

// Cancelled is the payload of TypeCancelled.
type Cancelled struct {
	// Account is the id of the account that cancelled the task.
	Account string `json:"account,omitempty"`
}

// RegisterEvents adds the task event types to c.
func RegisterEvents(c *events.Catalogue) {
	c.MustRegister(TypeCreated, 1, Created{})
	c.MustRegister(TypeStarted, 1, Started{})
	c.MustRegister(TypeProgressed, 1, Progressed{})
	c.MustRegister(TypeLogged, 1, Logged{})
	c.MustRegister(TypeRetried, 1, Retried{})
	c.MustRegister(TypeCompleted, 1, Completed{})
	c.MustRegister(TypeFailed, 1, Failed{})
	c.MustRegister(TypeCancelled, 1, Cancelled{})
}

// IsTaskEvent reports whether t is a task event type.
func IsTaskEvent(t string) bool { return strings.HasPrefix(t, "task.") }

// Log is one log line of a task.
type Log struct {
	ID        string    `json:"id"` // the event's id
	Message   string    `json:"message"`
	Severity  string    `json:"severity"`
	Timestamp time.Time `json:"timestamp"`
}

// Task is a task as its events leave it.
type Task struct {
	Created
	State      State           `json:"state"`
	Conclusion Conclusion      `json:"conclusion"`
	Progress   float64         `json:"progress"`
	Attempt    int             `json:"attempt"` // of the last start
	Worker     string          `json:"worker,omitempty"`
	Error      string          `json:"error,omitempty"`
	ErrorCode  string          `json:"error_code,omitempty"`
	Result     json.RawMessage `json:"result,omitempty"`
	Logs       []Log           `json:"logs,omitempty"`
	CreatedAt  time.Time       `json:"created_at"`
	UpdatedAt  time.Time       `json:"updated_at"`
	StartTime  time.Time       `json:"start_time,omitzero"`
	// Version is the version of the task's stream: the expected version of its next append.
	Version int64 `json:"version"`
	// Position is the log position of its last event.
	Position events.Position `json:"position"`
}

// ErrTransition is wrapped when an event does not follow from the task's state: a second
// created, a start of a task that is over, an outcome of a task that is not running.
var ErrTransition = fault.New(fault.ErrConflict, "task transition")

// Apply folds one event of the task's stream into t; payload is the decoded payload (the
// catalogue's Decode of e). A task that is over only takes log lines.
func (t *Task) Apply(e *events.Envelope, payload any) error {
	if t.State == "" && e.Type != TypeCreated {
		return fmt.Errorf("%w: %s before task.created", ErrTransition, e.Type)
	}
	switch p := payload.(type) {
	case Created:
		if t.State != "" {
			return fmt.Errorf("%w: task %s created twice", ErrTransition, p.ID)
		}
		t.Created = p
		t.State, t.Conclusion, t.CreatedAt = StatePending, Unknown, e.OccurredAt
	case Started:
		if t.State.Final() {
			return fmt.Errorf("%w: start of task %s, which is %s", ErrTransition, t.ID, t.State)
		}
		t.State, t.Attempt, t.Worker = StateRunning, p.Attempt, p.Worker
		if t.StartTime.IsZero() {
			t.StartTime = e.OccurredAt
		}
	case Progressed:
		t.Progress = min(max(p.Progress, 0), 1)
	case Logged:
		t.Logs = append(t.Logs, Log{ID: e.EventID.String(), Message: p.Message, Severity: p.Severity, Timestamp: e.OccurredAt})
	case Retried:
		if t.State.Final() {
			return fmt.Errorf("%w: retry of task %s, which is %s", ErrTransition, t.ID, t.State)
		}
		t.State, t.Error = StateScheduled, p.Error
	case Completed:
		if t.State != StateRunning {
			return fmt.Errorf("%w: completion of task %s, which is %s", ErrTransition, t.ID, t.State)
		}
		t.State, t.Conclusion, t.Progress, t.Result, t.Error, t.ErrorCode = StateCompleted, Success, 1, p.Result, "", ""
	case Failed:
		if t.State.Final() {
			return fmt.Errorf("%w: failure of task %s, which is %s", ErrTransition, t.ID, t.State)
		}
		t.State, t.Conclusion, t.Error, t.ErrorCode = StateFailed, Failure, p.Error, p.Code
	case Cancelled:
		if t.State.Final() {
			return fmt.Errorf("%w: cancel of task %s, which is %s", ErrTransition, t.ID, t.State)
		}
		t.State, t.Conclusion = StateCancelled, Failure
	default:
		return fmt.Errorf("task %s: unexpected event %s (%T)", t.ID, e.Type, payload)
	}
	t.UpdatedAt, t.Version, t.Position = e.OccurredAt, e.StreamVersion, e.GlobalPosition
	return nil
}

// Fold folds the events of one task's stream, in order, decoding them with cat.
func Fold(cat *events.Catalogue, evs []events.Envelope) (Task, error) {
	var t Task
	if len(evs) == 0 {
		return t, ErrNotFound
	}
	for i := range evs {
		v, err := cat.Decode(evs[i])
		if err != nil {
			return t, err
		}
		if err := t.Apply(&evs[i], v); err != nil {
			return t, err
		}
	}
	return t, nil
}

// ErrNotFound is wrapped when a task does not exist.
var ErrNotFound = fault.New(fault.ErrNotFound, "task not found")

// ErrInvalid is wrapped by every malformed task request.
var ErrInvalid = fault.New(fault.ErrInvalid, "invalid task")

// IsNotFound reports whether err is ErrNotFound.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
