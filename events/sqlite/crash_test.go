package sqlite

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/infrahub-go/infrahub/events"
)

const crashDBEnv = "INFRAHUB_SQLITE_CRASH_DB"

// TestAcknowledgedAppendsSurviveKill kills (SIGKILL) a process appending from many goroutines
// and checks that every append it acknowledged is in the log when the database is opened again:
// an answer is given only after the commit.
func TestAcknowledgedAppendsSurviveKill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$")
	cmd.Env = append(os.Environ(), crashDBEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	type ack struct {
		stream  string
		version int64
	}
	var acked []ack
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		var a ack
		if _, err := fmt.Sscanf(lines.Text(), "ok %s %d", &a.stream, &a.version); err != nil {
			continue
		}
		if acked = append(acked, a); len(acked) == 300 {
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
		}
	}
	_ = cmd.Wait()
	if len(acked) < 300 {
		t.Fatalf("the helper acknowledged %d appends before it ended, want at least 300", len(acked))
	}
	s := openAt(t, path)
	defer s.Close()
	for _, a := range acked {
		got, err := s.ReadStream(context.Background(), events.StreamID(a.stream), a.version-1, 1)
		if err != nil || len(got) != 1 || got[0].StreamVersion != a.version {
			t.Fatalf("acknowledged append %s@%d is missing after the kill: %v, %v", a.stream, a.version, got, err)
		}
	}
}

// TestCrashHelper is the process TestAcknowledgedAppendsSurviveKill kills; it appends until then.
func TestCrashHelper(t *testing.T) {
	path := os.Getenv(crashDBEnv)
	if path == "" {
		t.Skip("run by TestAcknowledgedAppendsSurviveKill")
	}
	s, err := Open(context.Background(), Config{Path: path}, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for c := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stream := fmt.Sprintf("crash/%d", c)
			for i := int64(0); ; i++ {
				res, err := s.Append(context.Background(), events.StreamID(stream), i, events.Envelope{Type: "t",
					Metadata: events.Metadata{CommandID: fmt.Sprintf("c%d-%d", c, i)}})
				if err != nil {
					return
				}
				mu.Lock()
				fmt.Printf("ok %s %d\n", stream, res.StreamVersion)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}
