package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/infrahub-go/infrahub/redact"
)

// repositoryListQuery is what `infrahub repository list` asks (every repository, both kinds).
const repositoryListQuery = `query RepositoryList {
  CoreGenericRepository {
    edges { node { __typename id name { value } location { value } internal_status { value }
      operational_status { value } sync_status { value }
      ... on CoreRepository { commit { value } default_branch { value } }
      ... on CoreReadOnlyRepository { commit { value } ref { value } } } }
  }
}`

const credentialCreate = `mutation CredentialCreate($name: String!, $username: String!, $password: String!) {
  CorePasswordCredentialCreate(data: {name: {value: $name}, username: {value: $username}, password: {value: $password}}) {
    ok object { id }
  }
}`

// repositoryCreate and readOnlyRepositoryCreate are what the SDK sends to add a repository
// (<Kind>Create with data as the input type).
const repositoryCreate = `mutation RepositoryCreate($data: CoreRepositoryCreateInput!) {
  CoreRepositoryCreate(data: $data) { ok object { id } }
}`

const readOnlyRepositoryCreate = `mutation ReadOnlyRepositoryCreate($data: CoreReadOnlyRepositoryCreateInput!) {
  CoreReadOnlyRepositoryCreate(data: $data) { ok object { id } }
}`

// newRepository is `infrahub repository add|list`: Git repositories of a running server.
func newRepository(env map[string]string) *cobra.Command {
	cmd := &cobra.Command{Use: "repository", Short: "Add and list the Git repositories a running server imports"}
	cmd.PersistentFlags().String("address", "", "server address (INFRAHUB_ADDRESS, default http://localhost:8000)")
	var readOnly, passwordStdin bool
	var ref, defaultBranch, username string
	add := &cobra.Command{Use: "add NAME LOCATION", Short: "Add a repository: the server clones it and imports its .infrahub.yml as a task",
		Long: `Add the Git repository at LOCATION (file://, http(s)://, ssh:// or user@host:path) under NAME.
A read-write repository (the default) follows every Git branch; --read-only follows one ref
(--ref, a branch, tag or commit). With --username, the password is read from the first line of
standard input (--password-stdin) or from INFRAHUB_GIT_PASSWORD, and stored as a
CorePasswordCredential the repository uses. The import runs as a task: see infrahub task list
and infrahub repository list.`,
		Args: cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			name, location := args[0], args[1]
			if u, err := url.Parse(location); err == nil && u.User != nil {
				if _, has := u.User.Password(); has {
					return fmt.Errorf("LOCATION %s holds a password: give it with --username and --password-stdin instead, so that it is stored as a credential", redact.URL(location))
				}
			}
			data := map[string]any{"name": map[string]any{"value": name}, "location": map[string]any{"value": location}}
			if username != "" {
				password := env["INFRAHUB_GIT_PASSWORD"]
				if passwordStdin {
					line, err := bufio.NewReader(c.InOrStdin()).ReadString('\n')
					if err != nil && err != io.EOF {
						return fmt.Errorf("--password-stdin: %w", err)
					}
					password = strings.TrimRight(line, "\r\n")
				}
				if password == "" {
					return fmt.Errorf("--username %s: no password (--password-stdin or INFRAHUB_GIT_PASSWORD)", username)
				}
				var cred struct {
					Create struct {
						Object struct {
							ID string `json:"id"`
						} `json:"object"`
					} `json:"CorePasswordCredentialCreate"`
				}
				if err := queryGraphQL(c, env, credentialCreate, map[string]any{"name": name + "-credential", "username": username, "password": password}, &cred); err != nil {
					return fmt.Errorf("storing the credential: %w", err)
				}
				data["credential"] = map[string]any{"id": cred.Create.Object.ID}
			}
			doc, field := repositoryCreate, "CoreRepositoryCreate"
			if readOnly {
				doc, field = readOnlyRepositoryCreate, "CoreReadOnlyRepositoryCreate"
				data["ref"] = map[string]any{"value": ref}
			} else if defaultBranch != "" {
				data["default_branch"] = map[string]any{"value": defaultBranch}
			}
			var out map[string]struct {
				Object struct {
					ID string `json:"id"`
				} `json:"object"`
			}
			if err := queryGraphQL(c, env, doc, map[string]any{"data": data}, &out); err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "repository %s added (%s): the server imports it as a task\n", name, out[field].Object.ID)
			return nil
		}}
	add.Flags().BoolVar(&readOnly, "read-only", false, "a read-only repository following one ref")
	add.Flags().StringVar(&ref, "ref", "main", "the branch, tag or commit a read-only repository follows")
	add.Flags().StringVar(&defaultBranch, "default-branch", "", "the Git branch of Infrahub's default branch (read-write; default main)")
	add.Flags().StringVar(&username, "username", "", "user name of the repository's credential")
	add.Flags().BoolVar(&passwordStdin, "password-stdin", false, "read the credential's password from standard input")

	var output string
	list := &cobra.Command{Use: "list", Short: "List the repositories with their commit and statuses", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			var out struct {
				Repos struct {
					Edges []struct {
						Node map[string]json.RawMessage `json:"node"`
					} `json:"edges"`
				} `json:"CoreGenericRepository"`
			}
			if err := queryGraphQL(c, env, repositoryListQuery, nil, &out); err != nil {
				return err
			}
			rows := make([]map[string]string, 0, len(out.Repos.Edges))
			for _, e := range out.Repos.Edges {
				row := map[string]string{}
				for k, raw := range e.Node {
					var s string
					if json.Unmarshal(raw, &s) == nil {
						row[k] = s
						continue
					}
					var v struct {
						Value any `json:"value"`
					}
					if json.Unmarshal(raw, &v) == nil && v.Value != nil {
						row[k] = fmt.Sprint(v.Value)
					}
				}
				row["location"] = redact.URL(row["location"])
				rows = append(rows, row)
			}
			if output == "json" {
				enc := json.NewEncoder(c.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(rows)
			}
			if output != "table" {
				return fmt.Errorf("-o %q: table or json", output)
			}
			tw := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tKIND\tLOCATION\tREF\tCOMMIT\tSYNC\tOPERATIONAL")
			for _, r := range rows {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r["name"], r["__typename"], r["location"], orDash(r["ref"]),
					orDash(shortCommit(r["commit"])), orDash(r["sync_status"]), orDash(r["operational_status"]))
			}
			return tw.Flush()
		}}
	list.Flags().StringVarP(&output, "output", "o", "table", "table or json")
	cmd.AddCommand(add, list)
	return cmd
}

func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}

// newRender is `infrahub render NAME key=value...`: a Jinja2 transform rendered by the server
// (GET /api/transform/jinja2/NAME with the query's variables), printed as is.
func newRender(env map[string]string) *cobra.Command {
	cmd := &cobra.Command{Use: "render TRANSFORM [VARIABLE=VALUE...]",
		Short: "Render a Jinja2 transform of the server with its query's variables, and print the result",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			q := url.Values{}
			for _, kv := range args[1:] {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return fmt.Errorf("%q: give variables as NAME=VALUE", kv)
				}
				q.Add(k, v)
			}
			path := "/api/transform/jinja2/" + url.PathEscape(args[0])
			if len(q) > 0 {
				path += "?" + q.Encode()
			}
			var text string
			if err := call(c, env, http.MethodGet, path, nil, &text); err != nil {
				return err
			}
			_, err := io.WriteString(c.OutOrStdout(), text)
			return err
		}}
	cmd.Flags().String("address", "", "server address (INFRAHUB_ADDRESS, default http://localhost:8000)")
	cmd.Flags().String("branch", "", "the branch to render on (default: the default branch)")
	return cmd
}

// newArtifact is `infrahub artifact get|generate`.
func newArtifact(env map[string]string) *cobra.Command {
	cmd := &cobra.Command{Use: "artifact", Short: "Read and generate the artifacts of a running server"}
	cmd.PersistentFlags().String("address", "", "server address (INFRAHUB_ADDRESS, default http://localhost:8000)")
	cmd.PersistentFlags().String("branch", "", "the branch (default: the default branch)")
	get := &cobra.Command{Use: "get ARTIFACT_ID", Short: "Print an artifact's stored content", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var text string
			if err := call(c, env, http.MethodGet, "/api/artifact/"+url.PathEscape(args[0]), nil, &text); err != nil {
				return err
			}
			_, err := io.WriteString(c.OutOrStdout(), text)
			return err
		}}
	var nodes []string
	gen := &cobra.Command{Use: "generate DEFINITION_ID", Short: "Generate a definition's artifacts (of --node targets only, when given) as a task",
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			body, _ := json.Marshal(map[string]any{"nodes": nodes})
			var text string
			if err := call(c, env, http.MethodPost, "/api/artifact/generate/"+url.PathEscape(args[0]), body, &text); err != nil {
				return err
			}
			fmt.Fprintln(c.OutOrStdout(), "generation submitted: see infrahub task list")
			return nil
		}}
	gen.Flags().StringArrayVar(&nodes, "node", nil, "the id of a target to generate; repeat for several (default: every target)")
	cmd.AddCommand(get, gen)
	return cmd
}
