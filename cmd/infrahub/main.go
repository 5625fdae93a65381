// Command infrahub runs every role of the system: the embedded or distributed server, the
// migrations, projection replays, and (later) workers and client commands.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/infrahub-go/infrahub/redact"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRoot(environ()).ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "infrahub:", redact.String(err.Error()))
		os.Exit(1)
	}
}

func environ() map[string]string {
	out := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			out[k] = v
		}
	}
	return out
}

// newRoot builds the command tree; env is the process environment (tests pass their own).
func newRoot(env map[string]string) *cobra.Command {
	root := &cobra.Command{
		Use:           "infrahub",
		Short:         "Infrastructure source of truth: schema, branches, diff, merge, time travel, artifacts",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServe(env), newWorker(env), newSchema(env), newBranch(env), newObject(env), newTask(env), newTemplate(), newRepository(env), newRender(env), newArtifact(env), newMigrate(env), newReplay(env), newVersion())
	return root
}

// loadConfig reads the environment, applies the flags that were set and resolves defaults.
func loadConfig(env map[string]string, cmd *cobra.Command) (Config, error) {
	cfg, err := LoadConfig(env)
	if err != nil {
		return cfg, fmt.Errorf("configuration: %w", err)
	}
	flags := cmd.Flags()
	if flags.Changed("listen") {
		cfg.Listen, _ = flags.GetString("listen")
	}
	if flags.Changed("data") {
		cfg.DataDir, _ = flags.GetString("data")
	}
	if flags.Changed("workers") {
		cfg.Workers, _ = flags.GetInt("workers")
	}
	if flags.Changed("ui-dir") {
		cfg.UIDir, _ = flags.GetString("ui-dir")
	}
	if flags.Changed("fail-fast") {
		v, _ := flags.GetBool("fail-fast")
		cfg.FailFast = Bool(v)
	}
	if err := cfg.Resolve(); err != nil {
		return cfg, fmt.Errorf("configuration: %w", err)
	}
	return cfg, nil
}

func addDataFlag(cmd *cobra.Command) {
	cmd.Flags().String("data", "./data", "folder of the embedded event log, blobs and git copies (INFRAHUB_DATA)")
}

func newVersion() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintf(cmd.OutOrStdout(), "infrahub %s\n", version)
		},
	}
}
