// Package archtest holds the architecture tests of the module: they fail the build when a package
// reaches for a layer it must not import (ARCHITECTURE.md §3), or when a package outside cmd/ reads
// the environment or command-line flags. It has no code of its own, only tests.
package archtest
