package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/projections"
	"github.com/infrahub-go/infrahub/projections/counter"
	"github.com/infrahub-go/infrahub/projections/tasks"
	"github.com/infrahub-go/infrahub/redact"
	"github.com/infrahub-go/infrahub/task"
)

// withLog loads the configuration, opens the event log (which applies the migrations) and
// runs f with them.
func withLog(env map[string]string, cmd *cobra.Command, f func(Config, logStore) error) error {
	cfg, err := loadConfig(env, cmd)
	if err != nil {
		return err
	}
	store, err := openLog(cmd.Context(), cfg, newLogger(cfg, cmd.ErrOrStderr()))
	if err != nil {
		return err
	}
	defer store.Close()
	return f(cfg, store)
}

func newMigrate(env map[string]string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply the event log's database migrations (serve also applies them at start)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withLog(env, cmd, func(cfg Config, store logStore) error {
				head, err := store.Head(cmd.Context())
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "event log %s is up to date (head position %d)\n", redact.URL(cfg.EventsURL), head)
				return nil
			})
		},
	}
	addDataFlag(cmd)
	return cmd
}

// projectionFactories lists the projections that `replay` can rebuild.
var projectionFactories = map[string]func() (projections.Projector, error){
	counter.Name: func() (projections.Projector, error) { return counter.New(), nil },
	"branches": func() (projections.Projector, error) {
		builtin, err := branch.Builtin()
		if err != nil {
			return nil, err
		}
		return branch.NewState(nodes.NewCatalogue(), builtin), nil
	},
	nodes.Name: func() (projections.Projector, error) { return nodes.New() },
	tasks.Name: func() (projections.Projector, error) {
		cat := events.NewCatalogue()
		task.RegisterEvents(cat)
		return tasks.New(cat, limits.Default()), nil
	},
}

func projectionNames() string {
	names := []string{neo4jProjection}
	for n := range projectionFactories {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func newReplay(env map[string]string) *cobra.Command {
	var name string
	var batch int
	cmd := &cobra.Command{
		Use:   "replay --projection NAME",
		Short: "Rebuild a projection from position 0 of the event log",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			factory, ok := projectionFactories[name]
			if !ok && name != neo4jProjection {
				return fmt.Errorf("--projection %q: unknown projection (known: %s)", name, projectionNames())
			}
			return withLog(env, cmd, func(cfg Config, store logStore) error {
				if name == neo4jProjection {
					return replayNeo4j(cmd, cfg, store, batch)
				}
				head, err := store.Head(cmd.Context())
				if err != nil {
					return err
				}
				bar := newBar(cmd.ErrOrStderr(), int64(head), "replaying "+name)
				p, err := factory()
				if err != nil {
					return err
				}
				runner := &projections.Runner{Log: store, Checkpoints: store, BatchSize: batch}
				stats, err := runner.Rebuild(cmd.Context(), p, func(pos, _ events.Position) { _ = bar.Set64(int64(pos)) })
				_ = bar.Finish()
				if err != nil {
					return fmt.Errorf("replay %s: %w", name, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "replayed %d events into %s in %s: %.0f events/s\n",
					stats.Events, name, stats.Duration.Round(time.Millisecond), stats.EventsPerSecond)
				if g, ok := p.(*nodes.Store); ok {
					// An in-memory projection is only worth its snapshot: the next start resumes from it.
					bucket, err := openStorage(cmd.Context(), cfg)
					if err != nil {
						return err
					}
					defer bucket.Close()
					if err := saveSnapshot(cmd.Context(), bucket, g); err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "snapshot of %s written at position %d\n", name, g.Position())
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&name, "projection", "", "projection to rebuild ("+projectionNames()+")")
	cmd.Flags().IntVar(&batch, "batch", 10000, "events per log read")
	_ = cmd.MarkFlagRequired("projection")
	addDataFlag(cmd)
	return cmd
}

func newBar(w io.Writer, max int64, desc string) *progressbar.ProgressBar {
	return progressbar.NewOptions64(max,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("events"),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
}
