package sqlite

import "time"

// A group commit holds as many of the callers appending at once as it usefully can. The writer
// starts a group with the appends already queued and, when fewer are queued than the callers
// seen at once lately (less those whose group is still being synced), waits at most fillWait
// for the others, whose previous append has just been answered and who are coming back. With
// many callers (2 × minCohort and more) a group waits for half of them only, so that they settle
// in two cohorts: one is applied and committed while the other's commit is synced. Without the
// wait, every group took only the few appends that happened to be queued and paid the fixed
// cost of a commit (the WAL frames of the pages all appends share, the locks, the statements)
// for them. A lone caller never waits.

// minCohort is the smallest cohort worth its own commit.
const minCohort = 16

// fillWait bounds how long the writer waits for a group to fill.
const fillWait = 500 * time.Microsecond
