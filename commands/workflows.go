package commands

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/commands/payload"
	"github.com/infrahub-go/infrahub/task"
)

// Workflow is a kind of background task (Infrahub's WorkflowDefinition): what task.submit names
// and what a worker runs.
type Workflow struct {
	// Name is the workflow's name (Infrahub's, for the built-ins: "create-branch", ...).
	Name string
	// Command is the command type a worker dispatches with the task's parameters as its payload
	// (and the task id as its id); "" for a workflow that runs code of the workers.
	Command string
	// Title is the task's title from its parameters (Infrahub's flow_run_name); nil: Name.
	Title func(params json.RawMessage) string
	// Tags are the task's tags (task.TagDatabaseChange for a workflow that changes data).
	Tags []string
	// Parameters decodes the parameters strictly and checks them when the task is submitted, so
	// that a task a worker could not run is refused at once, naming the field; it answers the
	// branch the task is about ("" for none). Nil: any JSON object, and no branch.
	Parameters func(params json.RawMessage) (branch string, err error)
}

// The built-in workflows, by Infrahub's names (backend/infrahub/workflows/catalogue.py).
// WorkflowLoadSchema is ours: Infrahub loads schemas in the API request itself.
const (
	WorkflowCreateBranch        = "create-branch"
	WorkflowDeleteBranch        = "branch-delete"
	WorkflowMergeBranch         = "branch-merge"
	WorkflowMergeBranchMutation = "merge-branch-mutation"
	WorkflowRebaseBranch        = "branch-rebase"
	WorkflowLoadSchema          = "schema-load"
	WorkflowDiffUpdate          = "diff-update"
)

// DiffUpdate is the parameters of WorkflowDiffUpdate (Infrahub's RequestDiffUpdate): the branch
// whose diff to update, and for a named diff its time range. Diffs are always current here, so
// its worker checks that the branch exists.
type DiffUpdate struct {
	Branch   string `json:"branch"`
	Name     string `json:"name,omitempty"`
	FromTime string `json:"from_time,omitempty"`
	ToTime   string `json:"to_time,omitempty"`
}

// Check refuses what Infrahub's DiffUpdate refuses: no branch, a time that is not RFC 3339, a
// time range without a name.
func (p DiffUpdate) Check() error {
	if p.Branch == "" {
		return fmt.Errorf("%w: field \"branch\" is missing", ErrInvalid)
	}
	for field, v := range map[string]string{"from_time": p.FromTime, "to_time": p.ToTime} {
		if _, err := time.Parse(time.RFC3339Nano, v); v != "" && err != nil {
			return fmt.Errorf("%w: field %q: %q is not an RFC 3339 time", ErrInvalid, field, v)
		}
	}
	if (p.FromTime != "" || p.ToTime != "") && p.Name == "" {
		return fmt.Errorf("%w: field \"name\": a diff with a time range needs a name", ErrInvalid)
	}
	return nil
}

// builtinWorkflows are the workflows every server runs; def is the default branch. Titles and
// tags are Infrahub's (the flow_run_name of each flow in backend/infrahub/core/branch/tasks.py,
// core/diff/tasks.py and graphql/mutations/tasks.py; branch-delete and diff-update do not carry
// the database-change tag there either).
func builtinWorkflows(def string) []Workflow {
	changes := []string{task.TagDatabaseChange}
	notDefault := func(field, name, verb string) (string, error) {
		switch name {
		case "":
			return "", fmt.Errorf("%w: field %q is missing", ErrInvalid, field)
		case def:
			return "", fmt.Errorf("%w: field %q: the default branch %q cannot be %s", ErrInvalid, field, name, verb)
		}
		return name, nil
	}
	return []Workflow{
		{Name: WorkflowCreateBranch, Command: TypeCreateBranch, Tags: changes,
			Title: titleOf(func(p CreateBranch) string { return "Create branch " + p.Name }),
			Parameters: paramsOf(func(p CreateBranch) (string, error) {
				if err := branch.ValidateName(p.Name); err != nil {
					return "", fmt.Errorf("field \"name\": %w", err)
				}
				return p.Name, nil
			})},
		{Name: WorkflowDeleteBranch, Command: TypeDeleteBranch,
			Title: titleOf(func(p DeleteBranch) string { return "Delete branch " + p.Name }),
			Parameters: paramsOf(func(p DeleteBranch) (string, error) {
				return notDefault("name", p.Name, "deleted")
			})},
		{Name: WorkflowMergeBranch, Command: TypeMergeBranch, Tags: changes,
			Title: titleOf(func(p BranchRef) string { return fmt.Sprintf("Merge branch %s into %s", p.Branch, def) }),
			Parameters: paramsOf(func(p BranchRef) (string, error) {
				return notDefault("branch", p.Branch, "merged into itself")
			})},
		{Name: WorkflowMergeBranchMutation, Command: TypeMergeBranch, Tags: changes,
			Title: func(json.RawMessage) string { return "Merge branch graphQL mutation" },
			Parameters: paramsOf(func(p BranchRef) (string, error) {
				return notDefault("branch", p.Branch, "merged into itself")
			})},
		{Name: WorkflowRebaseBranch, Command: TypeRebaseBranch, Tags: changes,
			Title: titleOf(func(p BranchRef) string { return "Rebase branch " + p.Branch }),
			Parameters: paramsOf(func(p BranchRef) (string, error) {
				return notDefault("branch", p.Branch, "rebased")
			})},
		{Name: WorkflowLoadSchema, Command: TypeLoadSchema, Tags: changes,
			Title: titleOf(func(p LoadSchema) string { return "Load schema on branch " + orDefault(p.Branch, def) }),
			Parameters: paramsOf(func(p LoadSchema) (string, error) {
				if len(p.Schemas) == 0 {
					return "", fmt.Errorf("%w: field \"schemas\" holds no schema", ErrInvalid)
				}
				return orDefault(p.Branch, def), nil
			})},
		{Name: WorkflowDiffUpdate,
			Title: titleOf(func(p DiffUpdate) string { return "Update diff for branch " + p.Branch }),
			Parameters: paramsOf(func(p DiffUpdate) (string, error) {
				return p.Branch, p.Check()
			})},
	}
}

// orDefault is s, or def when s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// titleOf makes a Title from the parameters read as a T (leniently: a title is no check).
func titleOf[T any](f func(T) string) func(json.RawMessage) string {
	return func(raw json.RawMessage) string {
		var p T
		_ = json.Unmarshal(raw, &p)
		return f(p)
	}
}

// paramsOf makes a Workflow's Parameters from a check of the parameters decoded strictly as a T
// (the payload of the workflow's command); errors name the field under "parameters".
func paramsOf[T any](check func(T) (string, error)) func(json.RawMessage) (string, error) {
	return func(raw json.RawMessage) (string, error) {
		var p T
		if err := payload.Decode(raw, &p, `field "parameters"`); err != nil {
			return "", err
		}
		name, err := check(p)
		if err != nil {
			return "", fmt.Errorf("field \"parameters\": %w", err)
		}
		return name, nil
	}
}

// anyObject is the check of a workflow without Parameters: a JSON object.
func anyObject(raw json.RawMessage) (string, error) {
	var m map[string]json.RawMessage
	if err := payload.Decode(raw, &m, `field "parameters"`); err != nil {
		return "", err
	}
	if m == nil {
		return "", fmt.Errorf("%w: field \"parameters\" must be a JSON object", ErrInvalid)
	}
	return "", nil
}

// catalogue is the workflows of a Service by name: the built-ins, then Config.Workflows.
type catalogue map[string]Workflow

// newCatalogue checks the extra workflows against the built-ins and the command types the
// Service handles (commands tells whether one is handled).
func newCatalogue(def string, extra []Workflow, handled func(typ string) bool) (catalogue, error) {
	c := catalogue{}
	for _, wf := range slices.Concat(builtinWorkflows(def), gitWorkflows(def), eventWorkflows(def)) {
		c[wf.Name] = wf
	}
	for i, wf := range extra {
		switch _, dup := c[wf.Name]; {
		case strings.TrimSpace(wf.Name) == "" || strings.ContainsAny(wf.Name, " \t\n/"):
			return nil, fmt.Errorf("commands: Workflows[%d]: name %q must be a word", i, wf.Name)
		case dup:
			return nil, fmt.Errorf("commands: Workflows[%d]: workflow %q is defined twice", i, wf.Name)
		case wf.Command != "" && (!handled(wf.Command) || strings.HasPrefix(wf.Command, "task.")):
			return nil, fmt.Errorf("commands: Workflows[%d] (%s): %q is not a command a task can run", i, wf.Name, wf.Command)
		}
		wf.Tags = slices.Clone(wf.Tags)
		c[wf.Name] = wf
	}
	return c, nil
}

// names lists the workflows, sorted.
func (c catalogue) names() []string {
	out := make([]string, 0, len(c))
	for n := range c {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// check decodes and checks a task's parameters for wf: it answers them as stored (an absent
// value is {}) and the branch they name.
func (wf Workflow) check(raw json.RawMessage) (json.RawMessage, string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		raw = json.RawMessage("{}")
	}
	params := wf.Parameters
	if params == nil {
		params = anyObject
	}
	name, err := params(raw)
	return raw, name, err
}

// title is the title of a task of wf with the parameters params.
func (wf Workflow) title(params json.RawMessage) string {
	if wf.Title == nil {
		return wf.Name
	}
	if t := wf.Title(params); t != "" {
		return t
	}
	return wf.Name
}
