package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/infrahub-go/infrahub/jinja"
)

// templateRenderTimeout bounds one `infrahub template render`.
const templateRenderTimeout = time.Minute

func newTemplate() *cobra.Command {
	cmd := &cobra.Command{Use: "template", Short: "Render Jinja2 templates as Infrahub renders them"}
	var root, data string
	render := &cobra.Command{
		Use:   "render TEMPLATE",
		Short: "Render a local template with Infrahub's transform environment and a JSON file as its context",
		Long: `Render TEMPLATE (a path under --root, as .infrahub.yml names it) with Infrahub's environment of
Jinja2 transforms: templates found under --root (include, import, extends), trim_blocks and
lstrip_blocks, undefined values printing as nothing. The context is the whole JSON file given with
--data (a GraphQL answer: {"data": ...}), its keys in file order. The output is printed as is; an
error is printed with its kind, template and line, and the exit status is 1.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := os.ReadFile(data)
			if err != nil {
				return fmt.Errorf("--data: %w", err)
			}
			name := filepath.ToSlash(args[0])
			if rel, err := filepath.Rel(root, args[0]); err == nil && filepath.IsAbs(args[0]) {
				name = filepath.ToSlash(rel)
			}
			env, err := jinja.New(jinja.FileEnv(root))
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), templateRenderTimeout)
			defer cancel()
			tpl, err := env.Get(name)
			if err == nil {
				var out string
				if out, err = tpl.RenderJSON(ctx, raw); err == nil {
					_, err = fmt.Fprint(cmd.OutOrStdout(), out)
					return err
				}
			}
			var je *jinja.Error
			if errors.As(err, &je) {
				cmd.SilenceUsage = true
			}
			return err
		},
	}
	render.Flags().StringVar(&root, "root", ".", "the folder templates are found in (the repository's root)")
	render.Flags().StringVar(&data, "data", "", "a JSON file: the template's context")
	_ = render.MarkFlagRequired("data")
	cmd.AddCommand(render)
	return cmd
}
