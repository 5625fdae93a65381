package workers

import (
	"context"
	"errors"
	"fmt"

	"github.com/infrahub-go/infrahub/events/forward"
	"github.com/infrahub-go/infrahub/task"
)

// Requeue publishes the work message of each task of ids that is not over, in the shape the
// forwarder publishes (forward.RouteMessage of the task's task.created event), marked
// MetadataRequeued: a requeued task left RUNNING or SCHEDULED is taken over for a new attempt.
// Embedded mode (mem://) calls it at start with the tasks the tasks projection holds as not
// over, since in-memory messages died with the previous process; call it only when no other
// worker may hold those tasks. It answers how many messages it published.
func (p *Pool) Requeue(ctx context.Context, ids []string) (int, error) {
	if err := p.queue.EnsureQueue(ctx, p.topic, p.group); err != nil {
		return 0, fmt.Errorf("workers: requeue: %w", err)
	}
	n := 0
	for _, id := range ids {
		t, evs, err := p.read(ctx, id)
		if errors.Is(err, task.ErrNotFound) {
			continue
		}
		if err != nil {
			return n, fmt.Errorf("workers: requeue task %s: %w", id, err)
		}
		if t.State.Final() {
			continue
		}
		msg, err := forward.RouteMessage(evs[0])
		if err != nil {
			return n, fmt.Errorf("workers: requeue task %s: %w", id, err)
		}
		msg.Metadata.Set(MetadataRequeued, "true")
		msg.SetContext(ctx)
		if err := p.queue.Publisher().Publish(p.topic, msg); err != nil {
			return n, fmt.Errorf("workers: requeue task %s: %w", id, err)
		}
		n++
	}
	if n > 0 {
		p.log.Info("workers: requeued tasks", "count", n)
	}
	return n, nil
}
