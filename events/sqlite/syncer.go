package sqlite

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	"github.com/infrahub-go/infrahub/events"
)

// walSyncer makes commits durable off the writer connection. The writer connection runs with
// synchronous=NORMAL: a commit writes its WAL frames and releases the database without syncing
// them. walSyncer then syncs the WAL file, and only after a sync that began once a commit had
// returned are the appends of that commit (and of every earlier one) answered. So the writer
// applies and commits the next group while the previous one is being synced. Syncs overlap:
// a group committed while an earlier group's sync runs gets a sync of its own at once (up to
// maxSyncs at a time) instead of waiting for that sync to end and then for its own; the kernel
// serves concurrent fdatasyncs of one file side by side. Their results are taken in the order
// the syncs began, so that a failure seen by a later sync also fails the earlier ones still
// unanswered (see run). Checkpoints keep SQLite's own syncs (NORMAL syncs the WAL before a
// checkpoint and the database file after it).
type walSyncer struct {
	walPath, dbPath string

	committed atomic.Uint64 // commits returned so far; bumped by whoever commits, after Commit

	mu     sync.Mutex // guards synced and err; held through the syncs of syncTo
	synced uint64     // commits covered by a completed sync
	err    error      // a failed sync: sticky, since the kernel may have dropped the unsynced pages

	fileMu sync.RWMutex // read-held while f is synced, write-held to replace it
	f      *os.File     // the WAL file, opened read-write without creating it
	fi     os.FileInfo

	queue     chan syncItem
	answering atomic.Int64 // requests handed over and not answered yet
	done      chan struct{}
}

// syncItem is a group commit waiting for its sync.
type syncItem struct {
	seq      uint64          // answered once a sync covers this many commits
	last     events.Position // highest position the group wrote, 0 if none
	outcomes []outcome
}

// syncQueue bounds the groups waiting for a sync; the writer waits when it is full.
const syncQueue = 256

// maxSyncs bounds the syncs of the WAL in progress at once.
const maxSyncs = 4

func newWALSyncer(dbPath string) (*walSyncer, error) {
	w := &walSyncer{walPath: dbPath + "-wal", dbPath: dbPath, queue: make(chan syncItem, syncQueue), done: make(chan struct{})}
	if err := w.reopen(); err != nil {
		return nil, err
	}
	// What a previous process committed without a sync becomes durable before it is read.
	if err := w.f.Sync(); err != nil {
		_ = w.f.Close()
		return nil, fmt.Errorf("sync %s: %w", w.walPath, err)
	}
	return w, nil
}

func (w *walSyncer) reopen() error {
	f, err := os.OpenFile(w.walPath, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("open WAL: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("stat WAL: %w", err)
	}
	if w.f != nil {
		_ = w.f.Close()
	}
	w.f, w.fi = f, fi
	return nil
}

// commit records that a commit returned; the caller then waits for syncTo(commit()).
func (w *walSyncer) commit() uint64 { return w.committed.Add(1) }

// seq is the number of commits returned so far: an answer based on what they wrote must wait
// for syncTo(seq).
func (w *walSyncer) seq() uint64 { return w.committed.Load() }

// syncTo returns once a sync covers the first seq commits.
func (w *walSyncer) syncTo(seq uint64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if w.synced >= seq {
		return nil
	}
	target := w.committed.Load() // every commit counted here has written its frames
	if err := w.syncFiles(); err != nil {
		w.err = fmt.Errorf("sync %s: %w", w.walPath, err)
		return w.err
	}
	w.synced = max(w.synced, target) // a sync of run may have covered more meanwhile
	return nil
}

// syncFiles syncs the WAL. Should the file have been replaced (every connection closed, which
// checkpoints and deletes it), the database file is synced too and the new WAL opened.
func (w *walSyncer) syncFiles() error {
	w.fileMu.RLock()
	cur, err := os.Stat(w.walPath)
	if err == nil && os.SameFile(cur, w.fi) {
		defer w.fileMu.RUnlock()
		return dataSync(w.f)
	}
	w.fileMu.RUnlock()
	w.fileMu.Lock()
	defer w.fileMu.Unlock()
	errs := []error{w.f.Sync(), syncPath(w.dbPath)}
	if cur, err = os.Stat(w.walPath); err == nil && !os.SameFile(cur, w.fi) {
		if err := w.reopen(); err != nil {
			errs = append(errs, err)
		} else {
			errs = append(errs, w.f.Sync())
		}
	}
	return errors.Join(errs...)
}

func syncPath(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}

// flight is one sync of the WAL in progress.
type flight struct {
	target uint64 // commits returned before the sync began: what it makes durable
	err    error
	done   bool
}

// syncRun is the state of run, the syncer goroutine.
type syncRun struct {
	waiting  []syncItem // handed over and not answered, in commit order
	flights  []*flight  // in the order they began
	started  uint64     // highest target of a sync begun
	finished chan *flight
}

// run answers the queued groups: it begins a sync whenever a group waits that no sync in
// progress covers, and answers each group once a sync covering it (and every sync begun before
// that one) has completed. It returns when the queue is closed and every group is answered.
func (w *walSyncer) run(durable func(last events.Position)) {
	defer close(w.done)
	r := syncRun{finished: make(chan *flight, maxSyncs)}
	queue := w.queue
	for queue != nil || len(r.waiting) > 0 {
		select {
		case it, ok := <-queue:
			if ok {
				r.waiting = append(r.waiting, it)
			} else {
				queue = nil
			}
		case f := <-r.finished:
			f.done = true
		}
		synced, err := w.settle(&r)
		w.answer(&r, synced, err, durable)
		if err == nil && len(r.waiting) > 0 && r.waiting[len(r.waiting)-1].seq > max(synced, r.started) && len(r.flights) < maxSyncs {
			w.begin(&r)
		}
	}
	for len(r.flights) > 0 { // syncs begun for groups answered with an error
		<-r.finished
		r.flights = r.flights[1:]
	}
}

// begin starts a sync of everything committed so far.
func (w *walSyncer) begin(r *syncRun) {
	f := &flight{target: w.committed.Load()} // read before the sync begins
	r.flights = append(r.flights, f)
	r.started = f.target
	go func() {
		f.err = w.syncFiles()
		r.finished <- f
	}()
}

// settle takes the results of the completed syncs begun before any still in progress, in the
// order they began, and returns the commits known durable and the sticky error. A sync that
// completes may have consumed the write-back error of pages an earlier, slower sync covers
// (the kernel reports it to one caller of the file): taking results in order makes that error
// sticky before the earlier sync's groups are answered.
func (w *walSyncer) settle(r *syncRun) (uint64, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(r.flights) > 0 && r.flights[0].done {
		f := r.flights[0]
		r.flights = r.flights[1:]
		if f.err != nil && w.err == nil {
			w.err = fmt.Errorf("sync %s: %w", w.walPath, f.err)
		}
		if w.err == nil {
			w.synced = max(w.synced, f.target)
		}
	}
	return w.synced, w.err
}

// answer answers the waiting groups a sync covers (all of them, with err, once a sync failed)
// and reports the highest position made durable.
func (w *walSyncer) answer(r *syncRun, synced uint64, err error, durable func(last events.Position)) {
	n := 0
	for n < len(r.waiting) && (err != nil || r.waiting[n].seq <= synced) {
		n++
	}
	if n == 0 {
		return
	}
	var last events.Position
	for _, it := range r.waiting[:n] {
		last = max(last, it.last)
	}
	if err == nil && last > 0 {
		durable(last)
	}
	for _, it := range r.waiting[:n] {
		w.answering.Add(-int64(len(it.outcomes)))
		for _, o := range it.outcomes {
			if err != nil {
				o.req.answer(events.AppendResult{}, err)
			} else {
				o.req.answer(o.res, o.err)
			}
		}
	}
	r.waiting = append(r.waiting[:0], r.waiting[n:]...)
}

// submit hands a group over; the writer calls it.
func (w *walSyncer) submit(it syncItem) {
	w.answering.Add(int64(len(it.outcomes)))
	w.queue <- it
}

// stop answers what is queued and closes the WAL file; the writer must have stopped.
func (w *walSyncer) stop() error {
	close(w.queue)
	<-w.done
	w.fileMu.Lock()
	defer w.fileMu.Unlock()
	return w.f.Close()
}
