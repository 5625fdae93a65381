package projections

import "sync"

// Expect announces a hand-off: the writer calls it before an append whose events it will hand
// (commands.Config.Handing) and done once they were handed or will not be. While none is
// announced, the forwarder's Tail reads an event it does not hold from the log at once instead
// of waiting a moment for its hand-off (branch, schema and task events are never handed).
func (r *Runner) Expect() (done func()) {
	r.handed.expected.Add(1)
	return sync.OnceFunc(func() {
		r.handed.expected.Add(-1)
		r.handed.ended.Notify()
	})
}
