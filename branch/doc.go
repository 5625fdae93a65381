// Package branch will hold the branch-aware state model shared by the command deciders and the
// embedded graph projection: visibility of main and branch overlays at a log position, diff,
// merge, rebase and conflicts as data (ARCHITECTURE §6, design/branch-state.md).
package branch
