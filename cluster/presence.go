package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Bounds of presence.
const (
	// DefaultPresenceTTL is how long a process stays listed after its last announcement.
	DefaultPresenceTTL = 15 * time.Second
	// MaxMembers is the most members Members lists (the first ones by key order of the scan).
	MaxMembers = 1000
	// MaxStatsBytes is the most JSON bytes of a member's stats; larger stats are left out.
	MaxStatsBytes = 4096
	// scanCount is the COUNT hint of each SCAN step.
	scanCount = 200
)

// Member is one live process of the deployment as it announced itself.
type Member struct {
	ID        string          `json:"id"`
	Role      string          `json:"role"`
	StartedAt time.Time       `json:"started_at"`
	State     string          `json:"state"`
	Stats     json.RawMessage `json:"stats,omitempty"`
	// SeenAt is when it last announced itself (by its own clock).
	SeenAt time.Time `json:"seen_at"`
}

// PresenceConfig configures a Presence.
type PresenceConfig struct {
	Client *redis.Client
	// Prefix starts every member's key (e.g. "infrahub:presence:"); the key is Prefix+ID.
	Prefix string
	ID     string // this process's id (its instance)
	Role   string
	// State answers the process's state at each announcement (e.g. "starting", "ready").
	State func() string
	// Stats answers a small value announced as JSON (at most MaxStatsBytes); nil for none.
	Stats func() any
	// TTL is how long an announcement lasts (DefaultPresenceTTL when zero).
	TTL time.Duration
	// Interval is how often the process announces itself (TTL/3 when zero; at most TTL/2).
	Interval time.Duration
	Logger   *slog.Logger
}

// Presence announces this process under a key with a time to live and lists the live ones.
type Presence struct {
	cfg     PresenceConfig
	started time.Time
	log     *slog.Logger
	mu      sync.Mutex
	failing bool
}

// NewPresence checks cfg.
func NewPresence(cfg PresenceConfig) (*Presence, error) {
	if cfg.Client == nil {
		return nil, fmt.Errorf("%w: presence: Client is not set", ErrInvalid)
	}
	if strings.TrimSpace(cfg.Prefix) == "" || strings.TrimSpace(cfg.ID) == "" {
		return nil, fmt.Errorf("%w: presence: Prefix and ID must be set", ErrInvalid)
	}
	if cfg.TTL == 0 {
		cfg.TTL = DefaultPresenceTTL
	}
	if cfg.TTL < 3*MinTTL || cfg.TTL > MaxTTL {
		return nil, fmt.Errorf("%w: presence: TTL %s is not between %s and %s", ErrInvalid, cfg.TTL, 3*MinTTL, MaxTTL)
	}
	if cfg.Interval == 0 {
		cfg.Interval = cfg.TTL / 3
	}
	if cfg.Interval < MinTTL/10 || cfg.Interval > cfg.TTL/2 {
		return nil, fmt.Errorf("%w: presence: Interval %s is not between %s and TTL/2 (%s)", ErrInvalid, cfg.Interval, MinTTL/10, cfg.TTL/2)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Presence{cfg: cfg, started: time.Now().UTC(), log: log.With("component", "cluster/presence")}, nil
}

// Run announces this process at once and every Interval until ctx ends, then removes its key.
// Failures are logged (once per outage) and retried at the next tick.
func (p *Presence) Run(ctx context.Context) error {
	t := time.NewTicker(p.cfg.Interval)
	defer t.Stop()
	for {
		p.announceLogged(ctx)
		select {
		case <-ctx.Done():
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			defer cancel()
			_ = p.cfg.Client.Del(dctx, p.key()).Err()
			return nil
		case <-t.C:
		}
	}
}

func (p *Presence) announceLogged(ctx context.Context) {
	actx, cancel := context.WithTimeout(ctx, p.cfg.TTL/3)
	defer cancel()
	err := p.Announce(actx)
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case err != nil && ctx.Err() == nil && !p.failing:
		p.failing = true
		p.log.Warn("cannot announce this process; retrying", "err", err)
	case err == nil && p.failing:
		p.failing = false
		p.log.Info("announcing this process again")
	}
}

func (p *Presence) key() string { return p.cfg.Prefix + p.cfg.ID }

// Announce writes this process's member record now.
func (p *Presence) Announce(ctx context.Context) error {
	m := Member{ID: p.cfg.ID, Role: p.cfg.Role, StartedAt: p.started, SeenAt: time.Now().UTC()}
	if p.cfg.State != nil {
		m.State = p.cfg.State()
	}
	if p.cfg.Stats != nil {
		raw, err := json.Marshal(p.cfg.Stats())
		switch {
		case err != nil:
			p.log.Warn("presence stats are not JSON; left out", "err", err)
		case len(raw) > MaxStatsBytes:
			p.log.Warn("presence stats too large; left out", "bytes", len(raw), "max", MaxStatsBytes)
		default:
			m.Stats = raw
		}
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("cluster: presence: %w", err)
	}
	if err := p.cfg.Client.Set(ctx, p.key(), raw, p.cfg.TTL).Err(); err != nil {
		return unavailable("announce "+p.cfg.ID, err)
	}
	return nil
}

// Members lists the live members (at most MaxMembers), by id.
func (p *Presence) Members(ctx context.Context) ([]Member, error) {
	return Members(ctx, p.cfg.Client, p.cfg.Prefix)
}

// Members lists the live members announced under prefix (at most MaxMembers), by id. A record
// that is not a member's JSON is skipped.
func Members(ctx context.Context, client *redis.Client, prefix string) ([]Member, error) {
	var keys []string
	var cursor uint64
	match := globEscape(prefix) + "*"
	for {
		page, next, err := client.Scan(ctx, cursor, match, scanCount).Result()
		if err != nil {
			return nil, unavailable("list members", err)
		}
		keys = append(keys, page...)
		cursor = next
		if cursor == 0 || len(keys) >= MaxMembers {
			break
		}
	}
	slices.Sort(keys)
	keys = slices.Compact(keys) // SCAN may return a key twice
	if len(keys) > MaxMembers {
		keys = keys[:MaxMembers]
	}
	out := make([]Member, 0, len(keys))
	for chunk := range slices.Chunk(keys, scanCount) {
		vals, err := client.MGet(ctx, chunk...).Result()
		if err != nil {
			return nil, unavailable("read members", err)
		}
		for _, v := range vals {
			s, ok := v.(string) // nil: expired since the scan
			if !ok {
				continue
			}
			var m Member
			if json.Unmarshal([]byte(s), &m) != nil || m.ID == "" {
				continue
			}
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b Member) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// globEscape escapes the characters SCAN's MATCH pattern treats specially.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
