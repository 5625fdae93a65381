package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/commands"
)

// newBranch is the client side of the branch commands: `infrahub branch create|delete|list`.
func newBranch(env map[string]string) *cobra.Command {
	cmd := &cobra.Command{Use: "branch", Short: "Create, delete, list, diff, validate, rebase and merge branches on a running server"}
	cmd.PersistentFlags().String("address", "", "server address (INFRAHUB_ADDRESS, default http://localhost:8000)")
	var description string
	var syncWithGit bool
	create := &cobra.Command{Use: "create NAME", Short: "Create a branch from the default branch", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			payload, _ := json.Marshal(commands.CreateBranch{Name: args[0], Description: description, SyncWithGit: syncWithGit})
			return sendCommand(c, env, commands.TypeCreateBranch, payload, "created branch "+args[0])
		}}
	create.Flags().StringVar(&description, "description", "", "what the branch is for")
	create.Flags().BoolVar(&syncWithGit, "sync-with-git", false, "create the branch in the Git repositories too")
	cmd.AddCommand(create,
		&cobra.Command{Use: "delete NAME", Short: "Delete a branch", Args: cobra.ExactArgs(1),
			RunE: func(c *cobra.Command, args []string) error {
				payload, _ := json.Marshal(commands.DeleteBranch{Name: args[0]})
				return sendCommand(c, env, commands.TypeDeleteBranch, payload, "deleted branch "+args[0])
			}},
		&cobra.Command{Use: "list", Short: "List the branches", Args: cobra.NoArgs,
			RunE: func(c *cobra.Command, _ []string) error {
				// GET /api/branches answers branched_from as a time (Infrahub's shape) and the
				// log position it stands for as branched_from_position.
				var list []struct {
					Name         string `json:"name"`
					Status       string `json:"status"`
					Description  string `json:"description"`
					Position     int64  `json:"branched_from_position"`
					BranchedFrom string `json:"branched_from"`
				}
				if err := call(c, env, http.MethodGet, "/api/branches", nil, &list); err != nil {
					return err
				}
				tw := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tBRANCHED FROM\tSTATUS\tDESCRIPTION")
				for _, b := range list {
					fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", b.Name, b.Position, b.Status, b.Description)
				}
				return tw.Flush()
			}},
		&cobra.Command{Use: "diff NAME", Short: "What the branch changed since its base, and the conflicts with the default branch", Args: cobra.ExactArgs(1),
			RunE: func(c *cobra.Command, args []string) error {
				d, err := getDiff(c, env, args[0])
				if err != nil {
					return err
				}
				if asJSON, _ := c.Flags().GetBool("json"); asJSON {
					enc := json.NewEncoder(c.OutOrStdout())
					enc.SetIndent("", "  ")
					return enc.Encode(d)
				}
				printBranchDiff(c, d)
				return nil
			}},
		&cobra.Command{Use: "validate NAME", Short: "The conflicts a merge would meet; fails while one is unresolved", Args: cobra.ExactArgs(1),
			RunE: func(c *cobra.Command, args []string) error {
				d, err := getDiff(c, env, args[0])
				if err != nil {
					return err
				}
				printConflicts(c, d)
				if d.Counts.Unresolved > 0 {
					return fmt.Errorf("branch %s has %d unresolved conflicts: resolve each with `infrahub branch resolve %s ID --keep base|branch`",
						args[0], d.Counts.Unresolved, args[0])
				}
				fmt.Fprintf(c.OutOrStdout(), "branch %s can merge: %d added, %d updated, %d removed\n", args[0], d.Counts.Added, d.Counts.Updated, d.Counts.Removed)
				return nil
			}},
		&cobra.Command{Use: "merge NAME", Short: "Write the branch's changes on the default branch, all at once", Args: cobra.ExactArgs(1),
			RunE: func(c *cobra.Command, args []string) error {
				payload, _ := json.Marshal(commands.BranchRef{Branch: args[0]})
				return sendCommand(c, env, commands.TypeMergeBranch, payload, "merged branch "+args[0])
			}},
		&cobra.Command{Use: "rebase NAME", Short: "Move the branch's base to the default branch's head", Args: cobra.ExactArgs(1),
			RunE: func(c *cobra.Command, args []string) error {
				payload, _ := json.Marshal(commands.BranchRef{Branch: args[0]})
				return sendCommand(c, env, commands.TypeRebaseBranch, payload, "rebased branch "+args[0])
			}},
	)
	resolve := &cobra.Command{Use: "resolve NAME CONFLICT", Short: "Resolve one conflict of the branch's diff", Args: cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			keep, _ := c.Flags().GetString("keep")
			payload, _ := json.Marshal(commands.ResolveConflict{Branch: args[0], Conflict: args[1], Keep: keep})
			return sendCommand(c, env, commands.TypeResolveConflict, payload, "resolved conflict "+args[1]+" for "+keep)
		}}
	resolve.Flags().String("keep", "", "base (the default branch's value) or branch")
	cmd.AddCommand(resolve)
	for _, sub := range cmd.Commands() {
		if sub.Name() == "diff" {
			sub.Flags().Bool("json", false, "print the diff as JSON")
		}
	}
	return cmd
}

func getDiff(c *cobra.Command, env map[string]string, name string) (branch.Diff, error) {
	var d branch.Diff
	err := call(c, env, http.MethodGet, "/api/diff?branch="+url.QueryEscape(name), nil, &d)
	return d, err
}

func printBranchDiff(c *cobra.Command, d branch.Diff) {
	out := c.OutOrStdout()
	fmt.Fprintf(out, "branch %s (base %d): %d added, %d updated, %d removed, %d conflicts (%d unresolved)\n",
		d.Branch, d.BranchedFrom, d.Counts.Added, d.Counts.Updated, d.Counts.Removed, d.Counts.Conflicts, d.Counts.Unresolved)
	for _, n := range d.Nodes {
		fmt.Fprintf(out, "%-8s %s %s (%s)\n", n.Action, n.Kind, n.Label, n.ID)
		for _, a := range n.Attributes {
			fmt.Fprintf(out, "    %s: %v -> %v\n", a.Name, a.Previous, a.New)
		}
		for _, r := range n.Relationships {
			fmt.Fprintf(out, "    %s: +%v -%v\n", r.Name, r.Added, r.Removed)
		}
	}
	printConflicts(c, d)
}

func printConflicts(c *cobra.Command, d branch.Diff) {
	out := c.OutOrStdout()
	for _, x := range d.Conflicts {
		sel := x.Selected
		if sel == "" {
			sel = "unresolved"
		}
		fmt.Fprintf(out, "CONFLICT %s %s %s%s %s: base %v, main %v, branch %v [%s]\n", x.ID, x.Kind, x.Node, x.Key, x.Path, x.Base, x.Main, x.Branch, sel)
	}
}

// sendCommand posts one command to /api/commands and prints done on success.
func sendCommand(c *cobra.Command, env map[string]string, typ string, payload json.RawMessage, done string) error {
	body, _ := json.Marshal(commands.Command{Type: typ, Payload: payload})
	var res commands.Result
	if err := call(c, env, http.MethodPost, "/api/commands", body, &res); err != nil {
		return err
	}
	if len(res.Positions) == 0 {
		fmt.Fprintf(c.OutOrStdout(), "%s (nothing to write)\n", done)
		return nil
	}
	fmt.Fprintf(c.OutOrStdout(), "%s (log position %d)\n", done, res.Positions[len(res.Positions)-1])
	return nil
}
