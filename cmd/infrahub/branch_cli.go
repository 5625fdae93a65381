package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/commands"
)

// newBranch is the client side of the branch commands: `infrahub branch create|delete|list`.
func newBranch(env map[string]string) *cobra.Command {
	cmd := &cobra.Command{Use: "branch", Short: "Create, delete and list branches on a running server"}
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
				var list []branch.Info
				if err := call(c, env, http.MethodGet, "/api/branches", nil, &list); err != nil {
					return err
				}
				tw := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tBRANCHED FROM\tSTATUS\tDESCRIPTION")
				for _, b := range list {
					fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", b.Name, b.BranchedFrom, b.Status, b.Description)
				}
				return tw.Flush()
			}},
	)
	return cmd
}

// sendCommand posts one command to /api/commands and prints done on success.
func sendCommand(c *cobra.Command, env map[string]string, typ string, payload json.RawMessage, done string) error {
	body, _ := json.Marshal(commands.Command{Type: typ, Payload: payload})
	var res commands.Result
	if err := call(c, env, http.MethodPost, "/api/commands", body, &res); err != nil {
		return err
	}
	fmt.Fprintf(c.OutOrStdout(), "%s (log position %d)\n", done, res.Positions[len(res.Positions)-1])
	return nil
}
