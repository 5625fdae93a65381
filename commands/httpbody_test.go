package commands

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A command body is read up to the limit without a MaxBytesReader (readLimited): a body at the
// limit is read whole, one beyond it is refused 413 and the server closes the connection instead
// of reading the rest, as with a MaxBytesReader over the whole body; a body read to its end
// keeps the connection.
func TestEndpointBodyLimit(t *testing.T) {
	const limit = 64
	srv := httptest.NewServer(&Endpoint{Commands: fixedDispatcher{res: Result{Stream: "s", StreamVersion: 1}}, MaxBodyBytes: limit})
	defer srv.Close()
	for _, size := range []int{2, limit - 1, limit, limit + 1, limit + 2, 10 * limit, 100_000} {
		for _, chunked := range []bool{false, true} {
			// {"type":"a","id":"xxx…"} of exactly size bytes (size 2: {})
			body := "{}"
			if size > 2 {
				body = `{"type":"a","id":"` + strings.Repeat("x", max(0, size-20)) + `"}`
				body = body[:min(len(body), size)]
				for len(body) < size {
					body += " "
				}
			}
			var rd io.Reader = strings.NewReader(body)
			if chunked {
				rd = io.MultiReader(rd) // no length known: sent chunked
			}
			resp, err := http.Post(srv.URL, "application/json", rd)
			if err != nil {
				t.Fatal(err)
			}
			out, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			name := fmt.Sprintf("size %d chunked %v", len(body), chunked)
			switch {
			case size > limit:
				if resp.StatusCode != http.StatusRequestEntityTooLarge || !resp.Close ||
					!strings.Contains(string(out), "longer than 64 bytes") {
					t.Errorf("%s: %d close=%v %s", name, resp.StatusCode, resp.Close, out)
				}
			case resp.Close:
				t.Errorf("%s: the connection is closed: %d %s", name, resp.StatusCode, out)
			}
		}
	}
}
