package subscribe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/projections/activity"
	"github.com/infrahub-go/infrahub/queries/graphql"
	"github.com/infrahub-go/infrahub/redact"
)

// serveSSE is GET /api/events/stream: the events as text/event-stream, one per message, its
// id the log position and its data the event (InfrahubStreamEvent's fields) in JSON. Filters
// are query parameters, each repeated or comma-separated: event_type, kinds, ids, related_ids,
// branches, account_ids; after (or the Last-Event-ID header of a reconnecting EventSource) is
// the position to resume after (none: from now). A subscriber that falls behind gets an
// "overflow" event whose data holds the position to resume after, and the stream ends.
func (s *Server) serveSSE(w http.ResponseWriter, r *http.Request) {
	fail := func(err error) {
		http.Error(w, redact.String(err.Error()), fault.Classify(err).Status)
	}
	id, err := s.identity(r)
	if err != nil {
		fail(err)
		return
	}
	q := r.URL.Query()
	list := func(name string) []string {
		var out []string
		for _, v := range q[name] {
			for _, p := range strings.Split(v, ",") {
				if p = strings.TrimSpace(p); p != "" {
					out = append(out, p)
				}
			}
		}
		return out
	}
	f := activity.Filter{Names: eventNames(list("event_type")), Kinds: list("kinds"), NodeIDs: list("ids"),
		RelatedIDs: list("related_ids"), Branches: list("branches"), AccountIDs: list("account_ids")}
	after := q.Get("after")
	if last := r.Header.Get("Last-Event-ID"); last != "" {
		after = last
	}
	pos, err := parseAfter(after)
	if err != nil {
		fail(err)
		return
	}
	if err := s.acquire(); err != nil {
		fail(fmt.Errorf("%w: %w", fault.ErrUnavailable, err))
		return
	}
	defer s.release()
	s.wg.Add(1)
	defer s.wg.Done()
	// Not the request's deadline (INFRAHUB_REQUEST_TIMEOUT is for answers): the stream lasts
	// until the client goes (a write fails, at the latest at the next keep-alive) or Close.
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	defer cancel()
	stop := context.AfterFunc(s.ctx, cancel) // Close ends the stream
	defer stop()

	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // the stream lasts: the server's write timeout is for answers
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(": infrahub events\n\n"))
	if rc.Flush() != nil {
		return
	}
	// One writer: the events and the keep-alive comments take turns through this channel.
	out := make(chan []byte)
	done := make(chan error, 1)
	go func() {
		done <- s.stream(ctx, id, pos, f, func(ev activity.Event) error {
			data, err := json.Marshal(graphql.EventValue(ev))
			if err != nil {
				return err
			}
			msg := make([]byte, 0, len(data)+32)
			msg = append(msg, "id: "...)
			msg = strconv.AppendInt(msg, int64(ev.Position), 10)
			msg = append(append(append(msg, "\ndata: "...), data...), "\n\n"...)
			select {
			case out <- msg:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	t := time.NewTicker(s.l.SubscriptionKeepalive)
	defer t.Stop()
	for {
		var msg []byte
		select {
		case msg = <-out:
		case <-t.C:
			msg = []byte(": keep-alive\n\n")
		case err := <-done:
			_ = rc.SetWriteDeadline(time.Now().Add(s.l.SubscriptionIdleTimeout))
			var of *activity.OverflowError
			if errors.As(err, &of) {
				data, _ := json.Marshal(map[string]any{"message": of.Error(), "after": strconv.FormatInt(int64(of.After), 10)})
				_, _ = fmt.Fprintf(w, "event: overflow\ndata: %s\n\n", data)
			} else if err != nil && ctx.Err() == nil {
				data, _ := json.Marshal(map[string]any{"message": redact.String(err.Error())})
				_, _ = fmt.Fprintf(w, "event: error\ndata: %s\n\n", data)
			}
			_ = rc.Flush()
			return
		}
		// a client that does not read for the idle timeout is let go (the Source bounds what waits)
		_ = rc.SetWriteDeadline(time.Now().Add(s.l.SubscriptionIdleTimeout))
		if _, err := w.Write(msg); err != nil {
			return
		}
		if rc.Flush() != nil {
			return
		}
	}
}
