package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/commands/objectfile"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/queries/rest"
)

// newObject is the client side of object files: `infrahub object validate` and `infrahub object
// load`.
func newObject(env map[string]string) *cobra.Command {
	cmd := &cobra.Command{Use: "object", Short: "Load or check Infrahub object files on a running server"}
	cmd.AddCommand(newObjectLoad(env))
	cmd.PersistentFlags().String("address", "", "server address (INFRAHUB_ADDRESS, default http://localhost:8000)")
	cmd.PersistentFlags().String("branch", "", "branch (default: the default branch)")
	cmd.AddCommand(&cobra.Command{Use: "validate PATH...", Short: "Parse and resolve object files without writing",
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			paths, err := yamlFiles(args)
			if err != nil {
				return err
			}
			files := make([]rest.ObjectFile, 0, len(paths))
			for _, p := range paths {
				data, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				files = append(files, rest.ObjectFile{Name: p, Content: string(data)})
			}
			body, _ := json.Marshal(map[string]any{"files": files})
			var out rest.ObjectCheck
			if err := call(c, env, http.MethodPost, "/api/objects/validate", body, &out); err != nil {
				return err
			}
			kinds := make([]string, 0, len(out.Kinds))
			for k := range out.Kinds {
				kinds = append(kinds, k)
			}
			sort.Strings(kinds)
			printWarnings(c, out.Warnings)
			fmt.Fprintf(c.OutOrStdout(), "%d file(s), %d object(s) valid on branch %s\n", len(paths), out.Objects, out.Branch)
			tw := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 2, ' ', 0)
			for _, k := range kinds {
				fmt.Fprintf(tw, "  %s\t%d\n", k, out.Kinds[k])
			}
			return tw.Flush()
		}})
	return cmd
}

// newObjectLoad sends each file as one object.load command (one atomic batch per file, in the
// order given), prints what each did, then the totals per kind.
func newObjectLoad(env map[string]string) *cobra.Command {
	return &cobra.Command{Use: "load PATH...", Short: "Upsert the objects of Infrahub object files (each file all or nothing)",
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			paths, err := yamlFiles(args)
			if err != nil {
				return err
			}
			br, _ := c.Flags().GetString("branch")
			totals := commands.Outcomes{}
			out := c.OutOrStdout()
			for i, p := range paths {
				data, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				payload, _ := json.Marshal(commands.LoadObjects{Branch: br, Files: []commands.ObjectFile{{Name: p, Content: string(data)}}})
				body, _ := json.Marshal(commands.Command{Type: commands.TypeLoadObjects, Payload: payload})
				var res struct {
					Positions []events.Position       `json:"positions"`
					Data      commands.ObjectsOutcome `json:"data"`
				}
				if err := call(c, env, http.MethodPost, "/api/commands", body, &res); err != nil {
					return fmt.Errorf("%s: %w", p, err)
				}
				for _, f := range res.Data.Files {
					printWarnings(c, f.Warnings)
				}
				created, updated, unchanged := 0, 0, 0
				for k, o := range res.Data.Kinds {
					t := totals[k]
					if t == nil {
						t = &commands.Outcome{}
						totals[k] = t
					}
					t.Created += o.Created
					t.Updated += o.Updated
					t.Unchanged += o.Unchanged
					created, updated, unchanged = created+o.Created, updated+o.Updated, unchanged+o.Unchanged
				}
				fmt.Fprintf(out, "[%d/%d] %s: %d created, %d updated, %d unchanged\n", i+1, len(paths), p, created, updated, unchanged)
			}
			kinds := make([]string, 0, len(totals))
			for k := range totals {
				kinds = append(kinds, k)
			}
			sort.Strings(kinds)
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "KIND\tCREATED\tUPDATED\tUNCHANGED")
			for _, k := range kinds {
				t := totals[k]
				fmt.Fprintf(tw, "%s\t%d\t%d\t%d\n", k, t.Created, t.Updated, t.Unchanged)
			}
			return tw.Flush()
		}}
}

// printWarnings writes what the server ignored in object files, one line each, on stderr.
func printWarnings(c *cobra.Command, warnings []objectfile.Problem) {
	for _, w := range warnings {
		fmt.Fprintf(c.ErrOrStderr(), "warning: %s\n", w)
	}
}
