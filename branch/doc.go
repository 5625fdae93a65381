// Package branch is the branch model shared by every layer: branch names and their rules, the
// branch events (created, deleted, merged, rebased, conflict resolved), the branch registry and
// per-branch schemas folded from the log (State), and the diff and conflict value types. The
// branch-aware node state itself is in branch/graph (versioned slots and overlays) and
// branch/nodes (the node Store and its Views) (ARCHITECTURE §6, design/branch-state.md).
package branch
