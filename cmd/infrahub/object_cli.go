package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/infrahub-go/infrahub/queries/rest"
)

// newObject is the client side of object files: `infrahub object validate` (load comes with the
// batch command).
func newObject(env map[string]string) *cobra.Command {
	cmd := &cobra.Command{Use: "object", Short: "Check Infrahub object files against a running server's schema"}
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
			fmt.Fprintf(c.OutOrStdout(), "%d file(s), %d object(s) valid on branch %s\n", len(paths), out.Objects, out.Branch)
			tw := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 2, ' ', 0)
			for _, k := range kinds {
				fmt.Fprintf(tw, "  %s\t%d\n", k, out.Kinds[k])
			}
			return tw.Flush()
		}})
	return cmd
}
