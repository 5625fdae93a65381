package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/schema"
)

// newSchema is the client side of the schema API: `infrahub schema load|check|export`.
func newSchema(env map[string]string) *cobra.Command {
	cmd := &cobra.Command{Use: "schema", Short: "Load, check and export schemas on a running server"}
	cmd.PersistentFlags().String("address", "", "server address (INFRAHUB_ADDRESS, default http://localhost:8000)")
	cmd.PersistentFlags().String("branch", "", "branch (default: the default branch)")
	send := func(path string) func(*cobra.Command, []string) error {
		return func(c *cobra.Command, args []string) error {
			names, docs, err := readSchemaFiles(args)
			if err != nil {
				return err
			}
			body, _ := json.Marshal(map[string]any{"schemas": docs, "names": names})
			// a load answers commands.SchemaOutcome, a check Infrahub's {"diff": ...} only
			var out commands.SchemaOutcome
			if err := call(c, env, http.MethodPost, path, body, &out); err != nil {
				return err
			}
			if out.Branch == "" {
				out.Branch, _ = c.Flags().GetString("branch")
			}
			if out.Branch == "" {
				out.Branch = "the default branch"
			}
			changed := out.APIDiff != nil && !out.APIDiff.Empty()
			verb := map[bool]string{true: "would change", false: "changes nothing"}[changed]
			if path == "/api/schema/load" {
				verb = map[bool]string{true: "loaded", false: "unchanged"}[out.Updated] + " (hash " + out.Hash + ")"
			}
			fmt.Fprintf(c.OutOrStdout(), "%d file(s) on branch %s: %s\n", len(names), out.Branch, verb)
			printDiff(c.OutOrStdout(), out.APIDiff)
			printSchemaWarnings(c.OutOrStdout(), out)
			return nil
		}
	}
	cmd.AddCommand(
		&cobra.Command{Use: "load PATH...", Short: "Load schema files or folders together in one call",
			Args: cobra.MinimumNArgs(1), RunE: send("/api/schema/load")},
		&cobra.Command{Use: "check PATH...", Short: "Show what loading the files would change, without writing",
			Args: cobra.MinimumNArgs(1), RunE: send("/api/schema/check")},
		&cobra.Command{Use: "export", Short: "Print the branch's user schema as a schema file (YAML)", Args: cobra.NoArgs,
			RunE: func(c *cobra.Command, _ []string) error { return exportSchema(c, env) }},
	)
	return cmd
}

// readSchemaFiles reads files and folders (their .yml, .yaml and .json files, sorted), each as
// a JSON string of its text, named by path.
func readSchemaFiles(args []string) ([]string, []json.RawMessage, error) {
	paths, err := yamlFiles(args)
	if err != nil {
		return nil, nil, err
	}
	docs := make([]json.RawMessage, 0, len(paths))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, nil, err
		}
		doc, _ := json.Marshal(string(data)) // the text itself, so that errors carry its line numbers
		docs = append(docs, doc)
	}
	return paths, docs, nil
}

// yamlFiles lists the given files, and the .yml, .yaml and .json files under the given folders
// (sorted per folder).
func yamlFiles(args []string) ([]string, error) {
	var paths []string
	for _, a := range args {
		info, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			paths = append(paths, a)
			continue
		}
		var found []string
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			switch strings.ToLower(filepath.Ext(p)) {
			case ".yml", ".yaml", ".json":
				if !d.IsDir() {
					found = append(found, p)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(found)
		paths = append(paths, found...)
	}
	if len(paths) == 0 {
		return nil, errors.New("no .yml, .yaml or .json file in the given paths")
	}
	return paths, nil
}

// printDiff prints the kinds a load adds (+), removes (-) and changes (~, with the changed
// properties and attributes.<name> / relationships.<name>).
func printDiff(w io.Writer, d *schema.APIDiff) {
	if d == nil {
		return
	}
	for _, k := range sortedNames(d.Added) {
		fmt.Fprintf(w, "  + %s\n", k)
	}
	for _, k := range sortedNames(d.Removed) {
		fmt.Fprintf(w, "  - %s\n", k)
	}
	for _, k := range sortedNames(d.Changed) {
		var parts []string
		for _, p := range sortedNames(d.Changed[k].Changed) {
			sub := d.Changed[k].Changed[p]
			if sub == nil {
				parts = append(parts, p)
				continue
			}
			for _, group := range []map[string]*schema.APIDiff{sub.Added, sub.Removed, sub.Changed} {
				for _, e := range sortedNames(group) {
					parts = append(parts, p+"."+e)
				}
			}
		}
		fmt.Fprintf(w, "  ~ %s %s\n", k, strings.Join(parts, " "))
	}
}

func sortedNames(m map[string]*schema.APIDiff) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// printSchemaWarnings prints what the server accepted but reports, one line each with the file and
// line of the declaration and the kind (and field) it is about.
func printSchemaWarnings(w io.Writer, out commands.SchemaOutcome) {
	for _, warn := range out.Warnings {
		loc := warn.File
		if warn.Line > 0 {
			loc = fmt.Sprintf("%s:%d", loc, warn.Line)
		}
		if loc != "" {
			loc += ": "
		}
		var kinds []string
		for _, k := range warn.Kinds {
			if k.Field != nil {
				kinds = append(kinds, k.Kind+"."+*k.Field)
			} else {
				kinds = append(kinds, k.Kind)
			}
		}
		fmt.Fprintf(w, "warning: %s%s: %s\n", loc, strings.Join(kinds, ", "), warn.Message)
	}
}

// call sends one request to the server and decodes a 2xx answer into out; a 4xx or 5xx answer
// becomes an error holding the server's message and every schema problem.
func call(c *cobra.Command, env map[string]string, method, path string, body []byte, out any) error {
	base, _ := c.Flags().GetString("address")
	if base == "" {
		base = env["INFRAHUB_ADDRESS"]
	}
	if base == "" {
		base = "http://localhost:8000"
	}
	u, err := url.Parse(strings.TrimRight(base, "/") + path)
	if err != nil {
		return fmt.Errorf("--address %q: %w", base, err)
	}
	if b, _ := c.Flags().GetString("branch"); b != "" {
		q := u.Query()
		q.Set("branch", b)
		u.RawQuery = q.Encode()
	}
	req, err := http.NewRequestWithContext(c.Context(), method, u.String(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if err := authenticate(c.Context(), env, base, req); err != nil {
		return err
	}
	resp, err := (&http.Client{Timeout: 5 * time.Minute}).Do(req)
	if err != nil {
		return fmt.Errorf("server %s: %w", base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		// our error body, or Infrahub's (schema load and check): one message per problem
		var e struct {
			Error struct {
				Message string `json:"message"`
			} `json:"error"`
			Errors []struct {
				Message string `json:"message"`
			} `json:"errors"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&e)
		msgs := []string{e.Error.Message}
		if len(e.Errors) > 0 {
			msgs = msgs[:0]
			for _, m := range e.Errors {
				msgs = append(msgs, m.Message)
			}
		}
		return fmt.Errorf("server answered %s: %s", resp.Status, strings.Join(msgs, "\n"))
	}
	if text, ok := out.(*string); ok {
		b, err := io.ReadAll(resp.Body)
		*text = string(b)
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func exportSchema(c *cobra.Command, env map[string]string) error {
	var text string
	if err := call(c, env, http.MethodGet, "/api/schema/export", nil, &text); err != nil {
		return err
	}
	_, err := io.WriteString(c.OutOrStdout(), text)
	return err
}
