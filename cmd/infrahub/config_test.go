package main

import (
	"strings"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/limits"
)

func TestLoadConfigDefaults(t *testing.T) {
	cfg, err := LoadConfig(map[string]string{"INFRAHUB_DATA": "/srv/ih"})
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"listen":  ":8000",
		"events":  "sqlite:///srv/ih/events.db",
		"broker":  "mem://",
		"graph":   "memory://",
		"storage": "file:///srv/ih/storage",
		"git":     "/srv/ih/git",
		"topic":   "infrahub.events",
	}
	got := map[string]string{"listen": cfg.Listen, "events": cfg.EventsURL, "broker": cfg.BrokerURL,
		"graph": cfg.GraphURL, "storage": cfg.StorageURL, "git": cfg.GitDir, "topic": cfg.EventsTopic()}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func TestLoadConfigBooleans(t *testing.T) {
	for _, v := range []string{"1", "true", "True", "TRUE"} {
		cfg, err := LoadConfig(map[string]string{"INFRAHUB_DB_TLS_ENABLED": v, "INFRAHUB_CACHE_TLS_INSECURE": v})
		if err != nil || !bool(cfg.DBTLSEnabled) || !bool(cfg.CacheTLSInsecure) {
			t.Errorf("%q: %+v, %v", v, cfg.DBTLSEnabled, err)
		}
	}
	for _, v := range []string{"0", "false", "False", "FALSE"} {
		cfg, err := LoadConfig(map[string]string{"INFRAHUB_BROKER_TLS_ENABLED": v})
		if err != nil || bool(cfg.BrokerTLSEnabled) {
			t.Errorf("%q: %+v, %v", v, cfg.BrokerTLSEnabled, err)
		}
	}
}

// Every bad value stops start-up with a message naming the variable.
func TestConfigErrorsNameTheVariable(t *testing.T) {
	cases := map[string]map[string]string{
		"INFRAHUB_DB_TLS_ENABLED":      {"INFRAHUB_DB_TLS_ENABLED": "yes"},
		"INFRAHUB_BROKER_TLS_INSECURE": {"INFRAHUB_BROKER_TLS_INSECURE": "maybe"},
		"INFRAHUB_EVENTS_URL":          {"INFRAHUB_EVENTS_URL": "mysql://db/x"},
		"INFRAHUB_BROKER_URL":          {"INFRAHUB_BROKER_URL": "kafka://k:9092"},
		"INFRAHUB_GRAPH_URL":           {"INFRAHUB_GRAPH_URL": "dgraph://x"},
		"INFRAHUB_STORAGE_URL":         {"INFRAHUB_STORAGE_URL": "gs://bucket"},
		"INFRAHUB_CACHE_URL":           {"INFRAHUB_CACHE_URL": "memcached://x"},
		"INFRAHUB_LISTEN":              {"INFRAHUB_LISTEN": "8000"},
		"INFRAHUB_LOG_LEVEL":           {"INFRAHUB_LOG_LEVEL": "loud"},
		"INFRAHUB_BROKER_NAMESPACE":    {"INFRAHUB_BROKER_NAMESPACE": "a b"},
		"INFRAHUB_GIT_SYNC_INTERVAL":   {"INFRAHUB_GIT_SYNC_INTERVAL": "-1"},
		"INFRAHUB_GC_HEAP_FLOOR_BYTES": {"INFRAHUB_GC_HEAP_FLOOR_BYTES": "-1"},
		"INFRAHUB_DEBUG_LISTEN":        {"INFRAHUB_DEBUG_LISTEN": "0.0.0.0:6060"},
	}
	for name, env := range cases {
		cfg, err := LoadConfig(env)
		if err == nil {
			err = cfg.Resolve()
		}
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error %v does not name the variable", name, err)
		}
	}
	// Several problems are reported together.
	cfg, _ := LoadConfig(map[string]string{"INFRAHUB_BROKER_URL": "kafka://k", "INFRAHUB_GRAPH_URL": "x://y"})
	err := cfg.Resolve()
	if err == nil || !strings.Contains(err.Error(), "INFRAHUB_BROKER_URL") || !strings.Contains(err.Error(), "INFRAHUB_GRAPH_URL") {
		t.Errorf("two bad settings: %v", err)
	}
}

func TestFlagsOverrideEnvironment(t *testing.T) {
	root := newRoot(map[string]string{"INFRAHUB_LISTEN": ":9000", "INFRAHUB_DATA": "/env"})
	serve, _, err := root.Find([]string{"serve"})
	if err != nil {
		t.Fatal(err)
	}
	if err := serve.ParseFlags([]string{"--listen", "127.0.0.1:7000"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(map[string]string{"INFRAHUB_LISTEN": ":9000", "INFRAHUB_DATA": "/env"}, serve)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:7000" || cfg.DataDir != "/env" {
		t.Fatalf("listen %q data %q", cfg.Listen, cfg.DataDir)
	}
}

// Limits come from their INFRAHUB_* variables with Infrahub-sized defaults; a bad one is named.
func TestConfigLimits(t *testing.T) {
	c, err := LoadConfig(map[string]string{"INFRAHUB_GRAPHQL_MAX_COST": "500", "INFRAHUB_REQUEST_TIMEOUT": "5s"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Limits.QueryCost != 500 || c.Limits.RequestTimeout != 5*time.Second || c.Limits != withCost(500, 5*time.Second) {
		t.Fatalf("limits: %+v", c.Limits)
	}
	if _, err := LoadConfig(map[string]string{"INFRAHUB_MAX_VALUE_BYTES": "lots"}); err == nil ||
		!strings.Contains(err.Error(), "INFRAHUB_MAX_VALUE_BYTES") {
		t.Fatalf("a bad limit: %v", err)
	}
	c, _ = LoadConfig(map[string]string{"INFRAHUB_GRAPHQL_MAX_DEPTH": "0"})
	if err := c.Resolve(); err == nil || !strings.Contains(err.Error(), "QueryDepth") {
		t.Fatalf("a zero limit: %v", err)
	}
}

func withCost(cost int, timeout time.Duration) limits.Limits {
	l := limits.Default()
	l.QueryCost, l.RequestTimeout = cost, timeout
	return l
}

// INFRAHUB_CORS_ORIGINS is a comma-separated list of origins; none by default; a value that is
// not an origin stops the start naming the variable.
func TestConfigCORSOrigins(t *testing.T) {
	c, err := LoadConfig(map[string]string{})
	if err != nil || len(c.CORSOrigins) != 0 {
		t.Fatalf("default origins: %v %v", c.CORSOrigins, err)
	}
	c, err = LoadConfig(map[string]string{"INFRAHUB_CORS_ORIGINS": "https://ui.example, http://localhost:3000,"})
	if err != nil || strings.Join(c.CORSOrigins, " ") != "https://ui.example http://localhost:3000" {
		t.Fatalf("origins: %q %v", c.CORSOrigins, err)
	}
	if err := c.Resolve(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"*", "ui.example", "https://ui.example/app"} {
		c, _ = LoadConfig(map[string]string{"INFRAHUB_CORS_ORIGINS": bad})
		if err := c.Resolve(); err == nil || !strings.Contains(err.Error(), "INFRAHUB_CORS_ORIGINS") || !strings.Contains(err.Error(), bad) {
			t.Errorf("origin %q: %v", bad, err)
		}
	}
}
