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
// applies and commits the next group while the previous one is being synced, and one sync
// serves every group committed meanwhile. Checkpoints keep SQLite's own syncs (NORMAL syncs the
// WAL before a checkpoint and the database file after it).
type walSyncer struct {
	walPath, dbPath string

	committed atomic.Uint64 // commits returned so far; bumped by whoever commits, after Commit

	mu     sync.Mutex // guards what follows: one sync at a time
	f      *os.File   // the WAL file, opened read-write without creating it
	fi     os.FileInfo
	synced uint64 // commits covered by a completed sync
	err    error  // a failed sync: sticky, since the kernel may have dropped the unsynced pages

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
	w.synced = target
	return nil
}

// syncFiles syncs the WAL. Should the file have been replaced (every connection closed, which
// checkpoints and deletes it), the database file is synced too and the new WAL opened.
func (w *walSyncer) syncFiles() error {
	cur, err := os.Stat(w.walPath)
	if err == nil && os.SameFile(cur, w.fi) {
		return dataSync(w.f)
	}
	errs := []error{w.f.Sync(), syncPath(w.dbPath)}
	if err == nil {
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

// run answers the queued groups, syncing once for all the groups queued while it synced, and
// reports the highest position made durable. It returns when the queue is closed and drained.
func (w *walSyncer) run(durable func(last events.Position)) {
	defer close(w.done)
	var items []syncItem
	for item := range w.queue {
		items = append(items[:0], item)
	drain:
		for {
			select {
			case more, ok := <-w.queue:
				if !ok {
					break drain
				}
				items = append(items, more)
			default:
				break drain
			}
		}
		var need uint64
		var last events.Position
		for _, it := range items {
			need, last = max(need, it.seq), max(last, it.last)
		}
		err := w.syncTo(need)
		if err == nil && last > 0 {
			durable(last)
		}
		for _, it := range items {
			w.answering.Add(-int64(len(it.outcomes)))
			for _, o := range it.outcomes {
				if err != nil {
					o.req.answer(events.AppendResult{}, err)
				} else {
					o.req.answer(o.res, o.err)
				}
			}
		}
	}
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
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.f.Close()
}
