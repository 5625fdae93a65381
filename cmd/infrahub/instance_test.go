package main

import (
	"strings"
	"testing"
	"time"
)

// Without INFRAHUB_INSTANCE each start has an id of its own (host name + random suffix) whose
// queues expire soon; a named instance keeps its queues for a day.
func TestInstanceIDAndQueueExpiry(t *testing.T) {
	resolve := func(env map[string]string) Config {
		t.Helper()
		c, err := LoadConfig(env)
		if err == nil {
			err = c.Resolve()
		}
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	a, b := resolve(map[string]string{}), resolve(map[string]string{})
	if a.Instance == b.Instance || !strings.HasPrefix(a.Instance, hostname()+"-") || len(a.Instance) != len(hostname())+7 {
		t.Fatalf("generated instances %q and %q", a.Instance, b.Instance)
	}
	if a.QueueExpiry() != generatedQueueExpiry || generatedQueueExpiry >= queueExpiry {
		t.Fatalf("a generated instance's queues expire after %s", a.QueueExpiry())
	}
	named := resolve(map[string]string{"INFRAHUB_INSTANCE": "api-1"})
	if named.Instance != "api-1" || named.QueueExpiry() != 24*time.Hour {
		t.Fatalf("named instance %q expires after %s", named.Instance, named.QueueExpiry())
	}
	if a.ForwarderLeaseTTL != 5*time.Second {
		t.Fatalf("default lease TTL %s", a.ForwarderLeaseTTL)
	}
	if c := resolve(map[string]string{"INFRAHUB_FORWARDER_LEASE_TTL": "1500ms"}); c.ForwarderLeaseTTL != 1500*time.Millisecond {
		t.Fatalf("lease TTL %s", c.ForwarderLeaseTTL)
	}
	for _, bad := range []string{"1ms", "1h", "soon"} {
		c, err := LoadConfig(map[string]string{"INFRAHUB_FORWARDER_LEASE_TTL": bad})
		if err == nil {
			err = c.Resolve()
		}
		if err == nil || !strings.Contains(err.Error(), "INFRAHUB_FORWARDER_LEASE_TTL") {
			t.Errorf("lease TTL %q: %v", bad, err)
		}
	}
}

// With Redis and RabbitMQ only the elected process forwards; without Redis, every process on a
// shared log does; with the in-process bus, each process forwards to its own bus.
func TestForwardingMode(t *testing.T) {
	pg, mq, rd := "postgres://db/x", "amqp://mq/", "redis://cache:6379/0"
	for _, tc := range []struct {
		events, broker, cache string
		want                  forwarding
	}{
		{"sqlite:///d/events.db", "mem://", "", forwardLocal},
		{"sqlite:///d/events.db", mq, "", forwardLocal},
		{"sqlite:///d/events.db", mq, rd, forwardElected},
		{pg, "mem://", rd, forwardLocal}, // each process's bus is its own
		{pg, mq, rd, forwardElected},
		{pg, mq, "", forwardEvery},
	} {
		if got := forwardingOf(Config{EventsURL: tc.events, BrokerURL: tc.broker, CacheURL: tc.cache}); got != tc.want {
			t.Errorf("%s %s %q: %d, want %d", tc.events, tc.broker, tc.cache, got, tc.want)
		}
	}
}
