package sqlite

import (
	"context"

	"github.com/infrahub-go/infrahub/events"
)

// AppendCommandCommitted is AppendCommand that also calls committed with the append's outcome
// as soon as the writer has committed the group that holds it, before the group is durable: an
// append sent after that is applied after this one (its version check sees this one's events).
// The call still returns only once the append is durable, with the same outcome (or the sync's
// error). committed is not called when the group fails before it commits (the call returns its
// error); it runs on the writer's goroutine and must not block.
func (s *Store) AppendCommandCommitted(ctx context.Context, stream events.StreamID, expectedVersion int64, cmd events.CommandInfo,
	committed func(events.AppendResult, error), evs ...events.Envelope) (events.AppendResult, error) {
	args, err := s.prepareAppend(ctx, stream, expectedVersion, evs, cmd)
	if err != nil {
		return events.AppendResult{}, err
	}
	req := newAppendRequest(ctx, args)
	req.committed = committed
	// Not counted among the callers a group waits for (fill.go): a caller of this sends its next
	// append once this one has committed, never into the same group.
	select {
	case s.reqs <- req:
	case <-ctx.Done():
		return events.AppendResult{}, appendErr(stream, ctx.Err())
	case <-s.closing:
		return events.AppendResult{}, appendErr(stream, events.ErrClosed)
	}
	return req.wait(s.loopDone)
}

// tellCommitted calls the committed hooks of a group's outcomes, once it has committed.
func tellCommitted(outcomes []outcome) {
	for _, o := range outcomes {
		if o.req.committed != nil {
			res, err := o.res, o.err
			if err != nil {
				err, res = appendErr(o.req.stream, err), events.AppendResult{}
			}
			o.req.committed(res, err)
		}
	}
}
