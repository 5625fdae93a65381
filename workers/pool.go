package workers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/bus"
	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/task"
)

// Queue is what a Pool needs of the bus (*bus.Bus): the shared work queue, and a publisher
// for dead letters and Requeue.
type Queue interface {
	EnsureQueue(ctx context.Context, topic, group string) error
	Queue(ctx context.Context, topic, group string, n int) (<-chan *message.Message, error)
	Publisher() message.Publisher
}

// DefaultConcurrency is the number of tasks a Pool runs at once by default.
const DefaultConcurrency = 8

// readPage is the number of events of a task's stream read at once.
const readPage = 1000

// Config of a Pool.
type Config struct {
	Store     events.Store      // the log: task streams are read and appended here
	Catalogue *events.Catalogue // knows the task events (task.RegisterEvents)
	Queue     Queue             // the bus
	Registry  *Registry         // the workflows this pool runs
	// Concurrency is the number of tasks run at once (messages in flight). Default
	// DefaultConcurrency.
	Concurrency int
	// Limits: TaskAttempts, TaskRetryDelay, TaskLogLines and TaskTimeout. Zero: limits.Default().
	Limits limits.Limits
	// WorkerID names this pool in task.started events; it must be unique among running pools.
	// Default: the host name and a random suffix.
	WorkerID string
	Logger   *slog.Logger // default: discard
	// Topic and Group name the work queue (default bus.TopicTasks, bus.GroupWorkers); DeadTopic
	// and DeadGroup the dead-letter queue (default bus.TopicTasksDead, bus.GroupDead).
	Topic, Group, DeadTopic, DeadGroup string
}

// Validate reports what is missing or out of range.
func (c Config) Validate() error {
	var errs []error
	if c.Store == nil {
		errs = append(errs, errors.New("Store is required"))
	}
	if c.Catalogue == nil {
		errs = append(errs, errors.New("Catalogue is required"))
	} else {
		for _, typ := range []string{task.TypeCreated, task.TypeStarted, task.TypeFailed} {
			if _, ok := c.Catalogue.Lookup(typ); !ok {
				errs = append(errs, fmt.Errorf("Catalogue does not know event type %q (task.RegisterEvents)", typ))
			}
		}
	}
	if c.Queue == nil {
		errs = append(errs, errors.New("Queue is required"))
	}
	if c.Registry == nil {
		errs = append(errs, errors.New("Registry is required"))
	}
	if c.Concurrency < 0 {
		errs = append(errs, fmt.Errorf("Concurrency %d is negative", c.Concurrency))
	}
	if c.Limits != (limits.Limits{}) {
		if err := c.Limits.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("Limits: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("workers: %w", err)
	}
	return nil
}

// Pool runs tasks from the work queue.
type Pool struct {
	store  events.Store
	cat    *events.Catalogue
	queue  Queue
	reg    *Registry
	n      int
	lim    limits.Limits
	id     string
	log    *slog.Logger
	topic  string
	group  string
	dead   string
	deadGr string

	mu     sync.Mutex
	active map[string]bool // tasks a run of this pool holds

	running                            atomic.Bool
	inFlight                           atomic.Int64
	done, failed, retried, skip, bogus atomic.Int64
}

// New builds a Pool from a valid cfg.
func New(cfg Config) (*Pool, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Pool{store: cfg.Store, cat: cfg.Catalogue, queue: cfg.Queue, reg: cfg.Registry, n: cfg.Concurrency,
		lim: cfg.Limits, id: cfg.WorkerID, log: cfg.Logger, topic: cfg.Topic, group: cfg.Group,
		dead: cfg.DeadTopic, deadGr: cfg.DeadGroup, active: map[string]bool{}}
	if p.n == 0 {
		p.n = DefaultConcurrency
	}
	if p.lim == (limits.Limits{}) {
		p.lim = limits.Default()
	}
	if p.id == "" {
		host, err := os.Hostname()
		if err != nil || host == "" {
			host = "worker"
		}
		p.id = host + "-" + uuid.NewString()[:8]
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	p.log = p.log.With("component", "workers", "worker", p.id)
	def := func(s *string, d string) {
		if *s == "" {
			*s = d
		}
	}
	def(&p.topic, bus.TopicTasks)
	def(&p.group, bus.GroupWorkers)
	def(&p.dead, bus.TopicTasksDead)
	def(&p.deadGr, bus.GroupDead)
	return p, nil
}

// ID is the worker id this pool writes in task.started events.
func (p *Pool) ID() string { return p.id }

// Stats is a snapshot of a pool's counters (for InfrahubStatus and metrics).
type Stats struct {
	Running   int64 `json:"running"`   // messages being handled now (tasks claimed or run)
	Completed int64 `json:"completed"` // tasks this pool completed
	Failed    int64 `json:"failed"`    // tasks this pool failed (each dead-lettered)
	Retried   int64 `json:"retried"`   // failed attempts this pool retried
	Skipped   int64 `json:"skipped"`   // messages of tasks over or held by another worker
	Poison    int64 `json:"poison"`    // messages that are not a task (acked and dropped)
}

// Stats returns the counters.
func (p *Pool) Stats() Stats {
	return Stats{Running: p.inFlight.Load(), Completed: p.done.Load(), Failed: p.failed.Load(),
		Retried: p.retried.Load(), Skipped: p.skip.Load(), Poison: p.bogus.Load()}
}

// Run declares the work and dead-letter queues, then runs tasks until ctx ends, and returns
// once the tasks in flight have stopped. A task interrupted by the end of ctx gets no outcome:
// its message goes back to the queue for another worker. The subscription outlives ctx until
// then, so that the message of a run that finished meanwhile is acked after its outcome rather
// than handed to another worker.
func (p *Pool) Run(ctx context.Context) error {
	if !p.running.CompareAndSwap(false, true) {
		return errors.New("workers: Run is already running")
	}
	defer p.running.Store(false)
	for _, q := range [][2]string{{p.topic, p.group}, {p.dead, p.deadGr}} {
		if err := p.queue.EnsureQueue(ctx, q[0], q[1]); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("workers: %w", err)
		}
	}
	qctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	msgs, err := p.queue.Queue(qctx, p.topic, p.group, p.n)
	if err != nil {
		return fmt.Errorf("workers: %w", err)
	}
	p.log.Info("workers started", "concurrency", p.n, "workflows", p.reg.Names())
	var wg sync.WaitGroup
	var closed error
	for stopped := false; !stopped; {
		select {
		case msg, ok := <-msgs:
			if !ok {
				stopped = true
				if ctx.Err() == nil {
					closed = fmt.Errorf("workers: the work queue %s closed", bus.QueueName(p.topic, p.group))
				}
				break
			}
			wg.Add(1)
			p.inFlight.Add(1)
			go func() {
				defer wg.Done()
				defer p.inFlight.Add(-1)
				p.handle(ctx, msg)
			}()
		case <-ctx.Done():
			stopped = true
		}
	}
	wg.Wait()
	stop()
	for msg := range msgs {
		msg.Nack()
	}
	p.log.Info("workers stopped", "stats", p.Stats())
	return closed
}

// read folds the stream of task id; evs are its events.
func (p *Pool) read(ctx context.Context, id string) (task.Task, []events.Envelope, error) {
	var evs []events.Envelope
	var after int64
	for {
		page, err := p.store.ReadStream(ctx, task.Stream(id), after, readPage)
		if err != nil {
			return task.Task{}, nil, err
		}
		evs = append(evs, page...)
		if len(page) < readPage {
			break
		}
		after = page[len(page)-1].StreamVersion
	}
	t, err := task.Fold(p.cat, evs)
	return t, evs, err
}

func (p *Pool) noteAppendError(ctx context.Context, id, typ string, err error) {
	if errors.Is(err, errLost) || ctx.Err() != nil {
		return
	}
	p.log.Warn("workers: could not append to the task", "task", id, "event", typ, "err", err)
}
