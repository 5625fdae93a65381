// Package branch is the branch model shared by the write side and the read side: branch names
// and their rules, the lifecycle events (created, deleted, merged, rebased, conflict resolved),
// the State folded from them (branches, their schemas and conflict resolutions), and a branch's
// diff as data (Diff, NodeDiff, Conflict: conflicts are results, not errors). Its value types
// are what the query layer may see of the model (ARCHITECTURE §3, §6).
//
// The state of the nodes lives below it: branch/graph (version chains per slot, branch
// overlays) and branch/nodes (nodes, attributes and relationships over it, and the computation
// of diffs, merges and rebases).
package branch
