package nodes

import "github.com/infrahub-go/infrahub/branch"

// The diff's value types live in package branch. The names below are the ones files under
// commands/ still use.

// Diff is branch.Diff.
//
// Deprecated: moved to package branch; kept until commands/ is updated.
type Diff = branch.Diff

// Conflict is branch.Conflict.
//
// Deprecated: moved to package branch; kept until commands/ is updated.
type Conflict = branch.Conflict

// ConflictRef is branch.ConflictRef.
//
// Deprecated: moved to package branch; kept until commands/ is updated.
type ConflictRef = branch.ConflictRef
