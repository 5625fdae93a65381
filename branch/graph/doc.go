// Package graph is the branch-aware, time-travelling state in memory that both the command
// deciders and the embedded graph projection read from. It knows nothing of events or commands:
// callers fold the log into it with Apply and ask it questions at a branch and a log position.
//
// Shape (see shared/design/branch-state.md):
//
//   - Ids: nodes are UUIDv7 kept as [16]byte (NodeID); kinds, attribute names, relationship
//     identifiers and uniqueness constraints are interned to small integers (Interner).
//   - A slot is (node, field). Main is node-centric: one table numbers the nodes it knows (one
//     open-addressing index from id to number, node_index.go), and its slot, edge and node
//     layers are vectors by node number.
//     Per node, main keeps the head versions of its slots in one record of bytes with values
//     unboxed (record.go: about 35 bytes for 9 attributes; lists and maps stay boxed on the
//     side), its relationship fields with their peers, and its existence; a history chain
//     exists only for what changed, and a read at P walks it only when P is older than the head.
//     A read boxes the value it hands out; a string points into the record.
//   - A branch is an overlay: its base position and the slots it changed, each with its own chain.
//     A read on B at P takes B's latest version at or before P, else main's at min(P, base).
//   - The global overlay (branch-agnostic data) is consulted first by every read, on every branch.
//   - Node existence is a layer of its own with the same shape (value = kind, deleted = removed);
//     listing merges main's per-kind index with the nodes the overlays created; counts are chains
//     of (position, count) on main and (position, delta) on overlays, so a count never scans.
//   - Uniqueness is a layer keyed by (kind, constraint, value key) with the same shape; main
//     indexes it by kind and constraint, then by the key alone.
//   - A snapshot (WriteSnapshot) writes main by node number with its node table, so that a read
//     rebuilds no index by looking nodes up; the indexes from ids and keys are filled in the
//     background while the layers decode. Slot records are written as they are: a read checks
//     and copies them.
//   - Positions map to time through a sorted slice of (position, recorded_at).
//   - A diff walks the branch's overlay only, so it costs what the branch changed.
//
// Apply folds facts that were already decided: it rejects only what it cannot place (an unknown
// branch, a position that does not grow, an unknown operation), and it rejects those before it
// changes anything, so a batch is applied whole or not at all. Semantic no-ops (deleting a node
// that does not exist) are ignored rather than failing a projection.
//
// State is safe for concurrent use: one writer (Apply, CreateBranch, DeleteBranch) at a time and
// any number of readers.
package graph
