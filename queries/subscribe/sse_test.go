package subscribe_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/projections/activity"
)

type sseEvent struct{ id, event, data string }

// readSSE reads a text/event-stream as curl -N shows it, one event per blank line.
func readSSE(t *testing.T, url string, h http.Header) (<-chan sseEvent, *http.Response) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	out := make(chan sseEvent, 100)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.data != "" {
					out <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.event = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[6:]
			}
		}
	}()
	return out, resp
}

func nextSSE(t *testing.T, ch <-chan sseEvent) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("the stream ended")
		}
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event in 5 s")
	}
	return sseEvent{}
}

// TestSSE: the event stream's filters, ids, resume with Last-Event-ID, permissions and overflow.
func TestSSE(t *testing.T) {
	e := newEnv(t, 4, nil)
	e.src.Append(device(activity.NodeCreated, "TestDevice", "main", "d1"), // 1
		device(activity.NodeCreated, "TestSecret", "main", "s1"),                                       // 2
		activity.Event{Name: activity.BranchCreated, Branch: "b1", RelatedNodes: []activity.NodeRef{}}, // 3
		device(activity.NodeUpdated, "TestDevice", "b1", "d1"))                                         // 4
	ch, resp := readSSE(t, e.srv.URL+"/api/events/stream?after=0&event_type=infrahub.node.*", http.Header{"X-Test-User": {"limited"}})
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	for _, want := range []string{"1", "4"} { // 2 is a TestSecret, 3 a branch event
		ev := nextSSE(t, ch)
		var data map[string]any
		if err := json.Unmarshal([]byte(ev.data), &data); err != nil {
			t.Fatal(err)
		}
		if ev.id != want || data["position"] != want || data["primary_node"].(map[string]any)["kind"] != "TestDevice" {
			t.Errorf("event %s: %s", ev.id, ev.data)
		}
	}
	// resume: Last-Event-ID wins over after; branches and kinds, comma-separated
	ch2, _ := readSSE(t, e.srv.URL+"/api/events/stream?after=0&branches=main,b1&kinds=TestDevice", http.Header{"Last-Event-ID": {"1"}})
	if ev := nextSSE(t, ch2); ev.id != "4" {
		t.Errorf("resume after 1: %s %s", ev.id, ev.data)
	}
	// branch life, live
	ch3, _ := readSSE(t, e.srv.URL+"/api/events/stream?event_type=infrahub.branch.", nil)
	time.Sleep(50 * time.Millisecond)
	e.src.Append(activity.Event{Name: activity.BranchDeleted, Branch: "b1", RelatedNodes: []activity.NodeRef{}}) // 5
	if ev := nextSSE(t, ch3); ev.id != "5" || !strings.Contains(ev.data, `"event":"infrahub.branch.deleted"`) {
		t.Errorf("branch event %s %s", ev.id, ev.data)
	}
	// overflow: a stream that does not read falls behind; its end says where to resume
	slow, _ := readSSE(t, e.srv.URL+"/api/events/stream?kinds=TestDevice", nil)
	time.Sleep(50 * time.Millisecond)
	big := strings.Repeat("y", 64<<10)
	for range 300 {
		ev := device(activity.NodeUpdated, "TestDevice", "main", "d9")
		ev.Attributes[0].Value = big
		e.src.Append(ev)
	}
	for {
		ev := nextSSE(t, slow)
		if ev.event == "overflow" {
			if !strings.Contains(ev.data, `"after":"`) {
				t.Errorf("overflow %s", ev.data)
			}
			break
		}
	}
	e.sub.Close() // ends the streams still open
	for range ch {
	}
	if r, err := http.Get(e.srv.URL + "/api/events/stream?after=x"); err != nil || r.StatusCode != http.StatusBadRequest {
		t.Errorf("after=x: %v %v", r.StatusCode, err)
	}
}
