package main

import (
	"log/slog"
	"runtime"
)

// A server blocks in system calls on its hot paths: the fdatasync of the log's WAL (a few
// hundred µs), the WAL's writes, the sockets' writes. With one processor (Go's P) per CPU, the
// goroutine coming back from such a call waits for a processor while request handlers hold them
// all, and the turn of a branch's node commands is serial on it. One processor more than the CPUs
// lets it go on at once, the kernel sharing the CPUs among the threads: 16 HTTP clients creating
// nodes on 2 CPUs made 8 % more creates per second (bench row 13, interleaved runs).

// maxExtraProcs bounds INFRAHUB_EXTRA_PROCS.
const maxExtraProcs = 64

// setProcs sets Go's processors to its default plus cfg.ExtraProcs, unless the operator set
// GOMAXPROCS (which wins) or ExtraProcs is 0, and says so at start. Setting them stops Go from
// following a change of the container's CPU limit while the server runs.
func setProcs(cfg Config, logger *slog.Logger) int {
	n := runtime.GOMAXPROCS(0)
	switch {
	case cfg.GOMAXPROCS != "":
		logger.Info("processors", "gomaxprocs", n, "set_by", "GOMAXPROCS")
	case cfg.ExtraProcs == 0:
		logger.Info("processors", "gomaxprocs", n, "set_by", "Go's default (INFRAHUB_EXTRA_PROCS=0)")
	default:
		n += cfg.ExtraProcs
		runtime.GOMAXPROCS(n)
		logger.Info("processors", "gomaxprocs", n, "set_by", "INFRAHUB_EXTRA_PROCS", "extra", cfg.ExtraProcs)
	}
	return n
}
