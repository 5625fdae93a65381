package main

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/sqlite"
)

// The INFRAHUB_DB_* settings of Neo4j have Infrahub's defaults (backend/infrahub/config.py
// DatabaseSettings: bolt, localhost, 7687, neo4j/admin, database neo4j when unset) and make the
// driver's URI with the TLS settings.
func TestNeo4jConfigDefaultsAndURI(t *testing.T) {
	c, err := LoadConfig(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if c.DBProtocol != "bolt" || c.DBAddress != "localhost" || c.DBPort != 7687 || c.DBUsername != "neo4j" ||
		c.DBPassword != "admin" || c.DBDatabase != "" || c.GraphProjectionNeo4j {
		t.Fatalf("defaults: %q %q %d %q %q %q %v", c.DBProtocol, c.DBAddress, c.DBPort, c.DBUsername, c.DBPassword, c.DBDatabase, c.GraphProjectionNeo4j)
	}
	db, err := c.neo4jDB()
	if err != nil || db.Database != "neo4j" || db.TLSConfig != nil {
		t.Fatalf("default DB: %+v %v", db.Database, err)
	}
	if uri, err := db.URI(); err != nil || uri != "bolt://localhost:7687" {
		t.Fatalf("default URI: %q %v", uri, err)
	}
	for env, want := range map[string]string{
		"INFRAHUB_DB_PROTOCOL=neo4j INFRAHUB_DB_ADDRESS=graph.example INFRAHUB_DB_PORT=7688": "neo4j://graph.example:7688",
		"INFRAHUB_DB_TLS_ENABLED=true":                               "bolt+s://localhost:7687",
		"INFRAHUB_DB_TLS_ENABLED=true INFRAHUB_DB_TLS_INSECURE=True": "bolt+ssc://localhost:7687",
		"INFRAHUB_DB_TLS_INSECURE=1":                                 "bolt://localhost:7687", // without TLS, nothing to skip
	} {
		vars := map[string]string{}
		for _, kv := range strings.Fields(env) {
			k, v, _ := strings.Cut(kv, "=")
			vars[k] = v
		}
		c, err := LoadConfig(vars)
		if err == nil {
			err = c.Resolve()
		}
		if err != nil {
			t.Fatalf("%s: %v", env, err)
		}
		db, err := c.neo4jDB()
		if err != nil {
			t.Fatal(err)
		}
		if uri, err := db.URI(); err != nil || uri != want {
			t.Errorf("%s: URI %q %v, want %q", env, uri, err, want)
		}
	}
	c, _ = LoadConfig(map[string]string{"INFRAHUB_DB_DATABASE": "infrahub.graph", "INFRAHUB_GRAPH_PROJECTION_NEO4J": "true",
		"INFRAHUB_DB_USERNAME": "svc", "INFRAHUB_DB_PASSWORD": "pw"})
	if db, err := c.neo4jDB(); err != nil || db.Database != "infrahub.graph" || db.Username != "svc" || db.Password != "pw" || !c.GraphProjectionNeo4j {
		t.Fatalf("set database: %+v %v", db.Database, err)
	}
}

// INFRAHUB_DB_TLS_CA_FILE gives the driver its CAs; a file that is missing or holds no PEM is an
// error naming the variable.
func TestNeo4jConfigTLSCAFile(t *testing.T) {
	c, _ := LoadConfig(map[string]string{"INFRAHUB_DB_TLS_ENABLED": "true", "INFRAHUB_DB_TLS_CA_FILE": writeUntrustedCA(t)})
	db, err := c.neo4jDB()
	if err != nil || db.TLSConfig == nil || db.TLSConfig.RootCAs == nil {
		t.Fatalf("CA file: %v %v", db.TLSConfig, err)
	}
	junk := filepath.Join(t.TempDir(), "junk.pem")
	if err := os.WriteFile(junk, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{filepath.Join(t.TempDir(), "missing.pem"), junk} {
		c, _ := LoadConfig(map[string]string{"INFRAHUB_DB_TLS_ENABLED": "true", "INFRAHUB_DB_TLS_CA_FILE": f})
		if _, err := c.neo4jDB(); err == nil || !strings.Contains(err.Error(), "INFRAHUB_DB_TLS_CA_FILE") {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// A bad INFRAHUB_DB_* value stops the start naming its variable; the password is in no error.
func TestNeo4jConfigErrorsNameTheVariable(t *testing.T) {
	cases := map[string]map[string]string{
		"INFRAHUB_DB_PROTOCOL":            {"INFRAHUB_DB_PROTOCOL": "http"},
		"INFRAHUB_DB_PORT":                {"INFRAHUB_DB_PORT": "0"},
		"INFRAHUB_DB_ADDRESS":             {"INFRAHUB_DB_ADDRESS": "bolt://db:7687"},
		"INFRAHUB_DB_DATABASE":            {"INFRAHUB_DB_DATABASE": "Graph_DB"},
		"INFRAHUB_GRAPH_PROJECTION_NEO4J": {"INFRAHUB_GRAPH_PROJECTION_NEO4J": "maybe"},
	}
	cases["INFRAHUB_DB_PORT: "] = map[string]string{"INFRAHUB_DB_PORT": "seven"}
	cases["INFRAHUB_DB_ADDRESS: \"db:7687\""] = map[string]string{"INFRAHUB_DB_ADDRESS": "db:7687"}
	for name, env := range cases {
		env["INFRAHUB_DB_PASSWORD"] = secret
		cfg, err := LoadConfig(env)
		if err == nil {
			err = cfg.Resolve()
		}
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error %v does not name the variable", name, err)
		} else if strings.Contains(err.Error(), secret) {
			t.Errorf("%s: the error shows the password: %v", name, err)
		}
	}
	// An address holding credentials is shown without them.
	cfg, _ := LoadConfig(map[string]string{"INFRAHUB_DB_ADDRESS": "neo4j:" + secret + "@db"})
	if err := cfg.Resolve(); err == nil || strings.Contains(err.Error(), secret) {
		t.Errorf("address with credentials: %v", err)
	}
}

// neo4jError names the target and never shows the password, even when a cause carries it.
func TestNeo4jErrorHidesThePassword(t *testing.T) {
	cfg, _ := LoadConfig(map[string]string{"INFRAHUB_DB_PASSWORD": secret, "INFRAHUB_DB_ADDRESS": "db.example"})
	cause := errors.New("auth failed for neo4j/" + secret)
	err := neo4jError(cfg, "unreachable", cause)
	if strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), "INFRAHUB_DB_ADDRESS=db.example") ||
		!strings.Contains(err.Error(), "INFRAHUB_DB_PORT=7687") || !errors.Is(err, cause) {
		t.Fatalf("%v", err)
	}
}

// unreachableNeo4j is the INFRAHUB_DB_* of a loopback port nothing listens on.
func unreachableNeo4j(t *testing.T) (map[string]string, string) {
	host, port, err := net.SplitHostPort(closedPort(t))
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{"INFRAHUB_DB_ADDRESS": host, "INFRAHUB_DB_PORT": port, "INFRAHUB_DB_PASSWORD": secret}, host
}

// `infrahub replay --projection neo4j` with Neo4j unreachable fails at once with an error naming
// INFRAHUB_DB_ADDRESS (no Neo4j runs here: the replay into a real one is not tested).
func TestReplayNeo4jUnreachable(t *testing.T) {
	dir := t.TempDir()
	store, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(dir, "events.db")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Append(context.Background(), "s", events.AnyVersion, events.Envelope{Type: "x.happened", Payload: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	_ = store.Close()
	env, host := unreachableNeo4j(t)
	env["INFRAHUB_DATA"], env["INFRAHUB_LOG_LEVEL"] = dir, "error"
	start := time.Now()
	out, err := runCLI(t, env, "replay", "--projection", "neo4j")
	took := time.Since(start)
	if err == nil {
		t.Fatalf("replay into an unreachable Neo4j succeeded: %q", out)
	}
	msg := err.Error()
	for _, want := range []string{"replay neo4j", "INFRAHUB_DB_ADDRESS=" + host, "INFRAHUB_DB_PORT=" + env["INFRAHUB_DB_PORT"], "unreachable"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error does not say %q: %s", want, msg)
		}
	}
	if strings.Contains(msg, secret) || strings.Contains(out, secret) {
		t.Errorf("the password is shown: %s %s", msg, out)
	}
	if took > neo4jConnectTimeout {
		t.Errorf("took %s: not fast", took)
	}
	if _, err := runCLI(t, env, "replay", "--projection", "nope"); err == nil || !strings.Contains(err.Error(), "neo4j") {
		t.Errorf("the known projections do not list neo4j: %v", err)
	}
}

// serve with INFRAHUB_GRAPH_PROJECTION_NEO4J and Neo4j unreachable: with INFRAHUB_FAIL_FAST the
// start fails naming INFRAHUB_DB_ADDRESS; without, the server starts, retries with backoff,
// /health answers 503 naming neo4j and /api/status lists the projection as not connected.
func TestNeo4jServeUnreachable(t *testing.T) {
	env, _ := unreachableNeo4j(t)
	env["INFRAHUB_GRAPH_PROJECTION_NEO4J"], env["INFRAHUB_FAIL_FAST"] = "true", "true"
	out, code := runToExit(t, env, 30*time.Second)
	last := lastLine(out)
	if code == 0 || code == -1 || !strings.Contains(last, "INFRAHUB_DB_ADDRESS") || !strings.Contains(last, "neo4j") ||
		!strings.Contains(last, "INFRAHUB_FAIL_FAST") {
		t.Fatalf("fail fast: exit %d, %s", code, last)
	}
	if strings.Contains(out, secret) {
		t.Fatalf("the output leaks the password:\n%s", out)
	}

	delete(env, "INFRAHUB_FAIL_FAST")
	env["INFRAHUB_DATA"] = t.TempDir()
	c := launchChild(t, freeAddr(t), env)
	eventually(t, 30*time.Second, "/health names neo4j", func() (bool, string) {
		code, h, raw := getHealth(t, c.base)
		d := h.Dependencies["neo4j"]
		return code == http.StatusServiceUnavailable && d.Variable == "INFRAHUB_DB_ADDRESS" && !d.OK && d.Attempts >= 2, raw
	})
	var st struct {
		Projections map[string]map[string]any `json:"projections"`
	}
	if code := getJSON(t, c.base+"/api/status", &st); code != http.StatusOK {
		t.Fatalf("/api/status: %d", code)
	}
	if p := st.Projections["graph-neo4j"]; p == nil || p["connected"] != false ||
		!strings.Contains(p["target"].(string), "INFRAHUB_DB_PORT="+env["INFRAHUB_DB_PORT"]) {
		t.Fatalf("/api/status graph-neo4j: %v", st.Projections)
	}
	if c.exited() {
		t.Fatalf("serve exited while Neo4j was away:\n%s", c.logs.String())
	}
	if err := c.stop(); err != nil {
		t.Fatal(err)
	}
	if logs := c.logs.String(); strings.Contains(logs, secret) || !strings.Contains(logs, "neo4j unreachable") {
		t.Fatalf("logs (password shown, or no retry logged):\n%s", logs)
	}
}
