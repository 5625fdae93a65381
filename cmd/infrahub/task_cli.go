package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/infrahub-go/infrahub/task"
)

// taskListQuery is what `infrahub task list` asks the server (GraphQL's InfrahubTask).
const taskListQuery = `query TaskList($limit: Int, $branch: String, $state: [StateType], $workflow: [String]) {
  InfrahubTask(limit: $limit, branch: $branch, state: $state, workflow: $workflow) {
    count
    edges { node { id title state conclusion progress workflow branch created_at updated_at } }
  }
}`

// taskRow is a task as `infrahub task list` reads it (and prints it with -o json).
type taskRow struct {
	ID         string   `json:"id"`
	Title      string   `json:"title"`
	State      string   `json:"state"`
	Conclusion string   `json:"conclusion"`
	Progress   *float64 `json:"progress"`
	Workflow   string   `json:"workflow"`
	Branch     string   `json:"branch"`
	CreatedAt  string   `json:"created_at"`
	UpdatedAt  string   `json:"updated_at"`
}

// newTask is the client side of background tasks: `infrahub task list`.
func newTask(env map[string]string) *cobra.Command {
	cmd := &cobra.Command{Use: "task", Short: "List the background tasks of a running server"}
	cmd.PersistentFlags().String("address", "", "server address (INFRAHUB_ADDRESS, default http://localhost:8000)")
	var states, workflows []string
	var branchName, output string
	var limit int
	list := &cobra.Command{Use: "list", Short: "List the tasks, newest first", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if output != "table" && output != "json" {
				return fmt.Errorf("-o %q: table or json", output)
			}
			if limit <= 0 {
				return fmt.Errorf("--limit %d: at least 1", limit)
			}
			vars := map[string]any{"limit": limit}
			if branchName != "" {
				vars["branch"] = branchName
			}
			if len(workflows) > 0 {
				vars["workflow"] = workflows
			}
			var want []string
			for _, s := range states {
				s = strings.ToUpper(s)
				if !slices.Contains(task.States, task.State(s)) {
					return fmt.Errorf("--state %q: one of %s", s, stateNames())
				}
				want = append(want, s)
			}
			if len(want) > 0 {
				vars["state"] = want
			}
			var out struct {
				InfrahubTask struct {
					Count int `json:"count"`
					Edges []struct {
						Node taskRow `json:"node"`
					} `json:"edges"`
				} `json:"InfrahubTask"`
			}
			if err := queryGraphQL(c, env, taskListQuery, vars, &out); err != nil {
				return err
			}
			rows := make([]taskRow, 0, len(out.InfrahubTask.Edges))
			for _, e := range out.InfrahubTask.Edges {
				rows = append(rows, e.Node)
			}
			if output == "json" {
				enc := json.NewEncoder(c.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"count": out.InfrahubTask.Count, "tasks": rows})
			}
			tw := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tTITLE\tSTATE\tWORKFLOW\tBRANCH\tUPDATED")
			for _, r := range rows {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Title, r.State, r.Workflow, orDash(r.Branch), shortTime(r.UpdatedAt))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if n := out.InfrahubTask.Count; n > len(rows) {
				fmt.Fprintf(c.OutOrStdout(), "(%d of %d tasks: --limit shows more)\n", len(rows), n)
			}
			return nil
		}}
	list.Flags().StringArrayVar(&states, "state", nil, "only tasks in this state ("+stateNames()+"); repeat for several")
	list.Flags().StringVar(&branchName, "branch", "", "only the tasks of this branch")
	list.Flags().StringArrayVar(&workflows, "workflow", nil, "only the tasks of this workflow (create-branch, branch-merge, ...); repeat for several")
	list.Flags().IntVar(&limit, "limit", 50, "at most this many tasks (the server answers at most INFRAHUB_TASK_MAX_PAGE)")
	list.Flags().StringVarP(&output, "output", "o", "table", "table or json")
	cmd.AddCommand(list)
	return cmd
}

func stateNames() string {
	names := make([]string, 0, len(task.States))
	for _, s := range task.States {
		names = append(names, string(s))
	}
	return strings.Join(names, ", ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// shortTime writes an ISO time of the server in UTC to the second ("" stays "").
func shortTime(s string) string {
	t, err := time.Parse("2006-01-02T15:04:05.999999999Z07:00", s)
	if err != nil {
		return s
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

// queryGraphQL posts a GraphQL query to the server's /graphql (the default branch) with the
// CLI's credentials and decodes its data into out; the errors of the answer are the error.
func queryGraphQL(c *cobra.Command, env map[string]string, doc string, vars map[string]any, out any) error {
	base, _ := c.Flags().GetString("address")
	if base == "" {
		base = env["INFRAHUB_ADDRESS"]
	}
	if base == "" {
		base = "http://localhost:8000"
	}
	body, _ := json.Marshal(map[string]any{"query": doc, "variables": vars})
	req, err := http.NewRequestWithContext(c.Context(), http.MethodPost, strings.TrimRight(base, "/")+"/graphql", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("--address %q: %w", base, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if err := authenticate(c.Context(), env, base, req); err != nil {
		return err
	}
	resp, err := (&http.Client{Timeout: time.Minute}).Do(req)
	if err != nil {
		return fmt.Errorf("server %s: %w", base, err)
	}
	defer resp.Body.Close()
	var answer struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		return fmt.Errorf("server %s answered %s, not GraphQL: %w", base, resp.Status, err)
	}
	var errs []error
	for _, e := range answer.Errors {
		errs = append(errs, errors.New(e.Message))
	}
	if resp.StatusCode != http.StatusOK && len(errs) == 0 {
		errs = append(errs, errors.New("no GraphQL error given"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("server %s answered %s: %w", base, resp.Status, errors.Join(errs...))
	}
	return json.Unmarshal(answer.Data, out)
}
