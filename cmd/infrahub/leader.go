package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/cluster"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/forward"
	"github.com/infrahub-go/infrahub/queries/graphql"
)

// How this process forwards the log to the bus.
type forwarding int

const (
	// forwardLocal: the bus is this process's own (mem://: its forwarder is the one that bus
	// needs), or the log is (sqlite without Redis).
	forwardLocal forwarding = iota
	// forwardElected: a broker shared through RabbitMQ, with Redis: only the holder of the
	// forwarder's lease forwards, with its fencing token on every message.
	forwardElected
	// forwardEvery: a shared log and broker without Redis: every process forwards; consumers
	// skip the duplicates (their checkpoints), at the cost of bandwidth.
	forwardEvery
)

func forwardingOf(cfg Config) forwarding {
	switch {
	case strings.HasPrefix(cfg.BrokerURL, "mem:"):
		return forwardLocal
	case cfg.CacheURL != "":
		return forwardElected
	case strings.HasPrefix(cfg.EventsURL, "sqlite:"):
		return forwardLocal
	default:
		return forwardEvery
	}
}

// Names in Redis, under the deployment's namespace (INFRAHUB_BROKER_NAMESPACE), so that several
// deployments can share one Redis as they share one broker.
func forwarderLeaseName(cfg Config) string { return cfg.BrokerNamespace + ":forwarder" }
func presencePrefix(cfg Config) string     { return cfg.BrokerNamespace + ":presence:" }

// presenceInterval is how often a process announces itself (its presence lasts
// cluster.DefaultPresenceTTL): often enough that InfrahubStatus's schema hashes follow a schema
// load within about a second.
const presenceInterval = time.Second

// startForwarder runs the forwarder as this deployment's forwarding mode says.
func (s *server) startForwarder() {
	switch s.forwarding {
	case forwardElected:
		s.loop(s.bg, "forwarder election", s.electForwarder)
	default:
		s.loop(s.bg, "forwarder", s.fwd.Run)
	}
}

// electForwarder forwards while this process holds the forwarder's lease: the forwarder asks
// the lease before every publish and checkpoint save (Fence), and stops as soon as it is lost;
// then this process waits to be elected again.
func (s *server) electForwarder(ctx context.Context) error {
	return cluster.Elect(ctx, cluster.Config{Client: s.locks.Client, Name: forwarderLeaseName(s.cfg),
		TTL: s.cfg.ForwarderLeaseTTL, ID: s.cfg.Instance, Logger: s.log},
		func(ctx context.Context, l *cluster.Lease) error {
			s.lease.Store(l)
			defer s.lease.Store(nil)
			return s.fwd.Run(ctx)
		})
}

// fence answers the fencing token of the lease this process holds, or why it holds none.
func (s *server) fence() (int64, error) {
	l := s.lease.Load()
	if l == nil {
		return 0, fmt.Errorf("%w: this process does not hold the forwarder's lease", cluster.ErrLost)
	}
	return l.Valid()
}

// fencedCheckpoints saves the forwarder's checkpoint only while the lease is held, the final
// save of a forwarder stopped because its lease was lost included: a stale leader never moves
// the shared checkpoint.
type fencedCheckpoints struct {
	events.Checkpoints
	fence func() (int64, error)
}

func (f fencedCheckpoints) SaveCheckpoint(ctx context.Context, name string, pos events.Position, version int) error {
	if _, err := f.fence(); err != nil {
		return fmt.Errorf("%w: %w", forward.ErrFenced, err)
	}
	return f.Checkpoints.SaveCheckpoint(ctx, name, pos, version)
}

// forwarderStatus is the forwarder in /api/status: its counters, and whether this process
// forwards (always without election; with election, while it holds the lease).
type forwarderStatus struct {
	forward.Stats
	// Election is "redis" when only the lease holder forwards, "none" otherwise.
	Election string `json:"election"`
	Leader   bool   `json:"leader"`
	// Fence is the fencing token of the lease held (0 when not leading or without election).
	Fence int64 `json:"fence,omitempty"`
	// LeaderInstance is the instance holding the lease, read from Redis ("" when none or
	// unknown).
	LeaderInstance string `json:"leader_instance,omitempty"`
}

func (s *server) forwarderStatus(ctx context.Context) forwarderStatus {
	st := forwarderStatus{Stats: s.fwd.Stats(), Election: "none", Leader: true}
	if s.forwarding != forwardElected {
		return st
	}
	st.Election = "redis"
	tok, err := s.fence()
	st.Leader, st.Fence = err == nil, tok
	ctx, cancel := context.WithTimeout(ctx, 250*time.Millisecond)
	defer cancel()
	if id, _, err := cluster.Holder(ctx, s.locks.Client, forwarderLeaseName(s.cfg)); err == nil {
		st.LeaderInstance = id
	}
	return st
}

// presenceStats is what a process announces besides its role and state.
type presenceStats struct {
	Version string `json:"version"`
	// Position is the log position its branch registry folded: every process folds the same
	// log, so the schema of a branch as it has it is the schema at that position.
	Position        events.Position `json:"position"`
	ForwarderLeader bool            `json:"forwarder_leader"`
}

// startPresence announces this process in Redis while it runs (when INFRAHUB_CACHE_URL is set).
func (s *server) startPresence() error {
	if s.locks == nil {
		return nil
	}
	p, err := cluster.NewPresence(cluster.PresenceConfig{Client: s.locks.Client, Prefix: presencePrefix(s.cfg),
		ID: s.cfg.Instance, Role: s.role, Interval: presenceInterval, Logger: s.log,
		State: func() string {
			if s.ready.Load() {
				return "ready"
			}
			return "starting"
		},
		Stats: func() any {
			_, err := s.fence()
			return presenceStats{Version: version, Position: s.branches.Position(),
				ForwarderLeader: s.forwarding != forwardElected || err == nil}
		}})
	if err != nil {
		return err
	}
	s.presence = p
	s.loop(s.bg, "presence", p.Run)
	return nil
}

// workers lists the live processes for GraphQL's InfrahubStatus: this one first (answering
// from its own schema), then the others as they announced themselves, each with the schema a
// branch had at the log position it folded. Without Redis, or when Redis does not answer, this
// process alone.
func (s *server) workers(ctx context.Context) []graphql.WorkerInfo {
	self := graphql.WorkerInfo{ID: s.cfg.Instance, Active: true}
	if s.presence == nil {
		return []graphql.WorkerInfo{self}
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	members, err := s.presence.Members(ctx)
	if err != nil {
		s.log.Warn("listing the workers", "err", err)
		return []graphql.WorkerInfo{self}
	}
	out := []graphql.WorkerInfo{self}
	for _, m := range members {
		if m.ID == s.cfg.Instance {
			continue
		}
		var st presenceStats
		_ = json.Unmarshal(m.Stats, &st) // none: position 0, the built-in schema
		pos := st.Position
		out = append(out, graphql.WorkerInfo{ID: m.ID, Active: m.State == "ready",
			SchemaHash: func(br string) string {
				if _, ok := s.branches.Branch(br); !ok && br != branch.Default {
					return ""
				}
				return s.branches.SchemaAt(br, pos).Hash()
			}})
	}
	return out
}

// randomHex returns 2n random hex digits.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
