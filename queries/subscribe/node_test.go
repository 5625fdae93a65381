package subscribe_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/projections/activity"
)

// graphqlWS installs the npm graphql-ws client (with ws and graphql) once in the user's cache
// and answers the folder holding testdata/client.mjs beside its node_modules. Without node
// (outside CI) the test is skipped.
func graphqlWS(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		if os.Getenv("CI") == "" {
			t.Skip("node is not installed: the graphql-ws (npm) client test needs node and npm")
		}
		t.Fatal("node is required in CI for the graphql-ws client test")
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "infrahub-go-test", "graphql-ws-6.4.2")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "graphql-ws", "package.json")); err != nil {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "npm", "install", "--no-audit", "--no-fund", "--prefix", dir,
			"graphql-ws@6.4.2", "ws@8", "graphql@16")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm install graphql-ws: %v\n%s", err, out)
		}
	}
	src, err := os.ReadFile(filepath.Join("testdata", "client.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "client.mjs"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// nodeClient runs the graphql-ws client and answers its output lines as they come.
func nodeClient(t *testing.T, dir string, env ...string) <-chan map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	cmd := exec.CommandContext(ctx, "node", filepath.Join(dir, "client.mjs"))
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan map[string]any, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				lines <- m
			}
		}
	}()
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	return lines
}

func nextLine(t *testing.T, lines <-chan map[string]any) map[string]any {
	t.Helper()
	select {
	case m, ok := <-lines:
		if !ok {
			t.Fatal("the client ended")
		}
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no message from the client in 10 s")
	}
	return nil
}

// TestGraphQLWSClient: the npm graphql-ws client (graphql-transport-ws) over a real socket: the
// events of its filter in order, from a position, live, seen with the account's permissions
// (connectionParams carry its API key); a wrong key is refused with 4403.
func TestGraphQLWSClient(t *testing.T) {
	dir := graphqlWS(t)
	e := newEnv(t, 1000, nil)
	e.src.Append(device(activity.NodeCreated, "TestDevice", "main", "d1"), // 1
		device(activity.NodeCreated, "TestSecret", "main", "s1"),  // 2: not visible
		device(activity.NodeCreated, "TestDevice", "other", "d2")) // 3: another branch
	lines := nodeClient(t, dir, "URL="+e.wsURL+"/graphql", "COUNT=3", "QUERY="+eventsDoc,
		`VARIABLES={"after":"0","branches":["main"]}`, `CONNECTION_PARAMS={"X-INFRAHUB-KEY":"limited-key"}`)
	if m := nextLine(t, lines); m["started"] != true {
		t.Fatalf("first line %v", m)
	}
	m := nextLine(t, lines)
	time.Sleep(50 * time.Millisecond)
	e.src.Append(device(activity.NodeUpdated, "TestSecret", "main", "s1"), // 4: not visible
		device(activity.NodeUpdated, "TestDevice", "main", "d1"), // 5
		device(activity.NodeDeleted, "TestDevice", "main", "d1")) // 6
	var got []string
	for {
		next, ok := m["next"].(map[string]any)
		if !ok {
			t.Fatalf("want next, got %v", m)
		}
		ev := next["data"].(map[string]any)["InfrahubEvents"].(map[string]any)
		got = append(got, ev["position"].(string)+":"+ev["event"].(string))
		if len(got) == 3 {
			break
		}
		m = nextLine(t, lines)
	}
	want := "[1:infrahub.node.created 5:infrahub.node.updated 6:infrahub.node.deleted]"
	if "["+strings.Join(got, " ")+"]" != want {
		t.Errorf("got %v, want %s", got, want)
	}

	refused := nodeClient(t, dir, "URL="+e.wsURL+"/graphql", "QUERY="+eventsDoc, `CONNECTION_PARAMS={"X-INFRAHUB-KEY":"wrong"}`)
	for m := range refused {
		if code, ok := m["closed"]; ok {
			if code != float64(4403) {
				t.Errorf("closed with %v, want 4403", code)
			}
			return
		}
		if m["next"] != nil {
			t.Fatalf("a refused client got %v", m)
		}
	}
	t.Error("the refused client ended without a close")
}
