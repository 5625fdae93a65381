package branch

import (
	"fmt"
	"strings"

	"github.com/infrahub-go/infrahub/fault"
)

var (
	// ErrInvalidName is wrapped by every branch name error.
	ErrInvalidName = fault.New(fault.ErrInvalid, "invalid branch name")
	// ErrNotFound is wrapped by every error about a branch that does not exist, in every layer.
	ErrNotFound = fault.New(fault.ErrNotFound, "branch not found")
)

// Global is the pseudo-branch of branch-agnostic data; no branch may take its name.
const Global = "-global-"

// ValidateName applies Git's reference name rules (git check-ref-format), so that every branch
// can have a Git branch of the same name, and a length limit.
func ValidateName(name string) error {
	bad := func(why string) error { return fmt.Errorf("%w %q: %s", ErrInvalidName, name, why) }
	switch {
	case name == "":
		return bad("it is empty")
	case len(name) > 250:
		return bad("it is longer than 250 characters")
	case name == Global || name == "@":
		return bad("it is reserved")
	case strings.HasPrefix(name, "/") || strings.HasSuffix(name, "/"):
		return bad("it may not start or end with /")
	case strings.HasSuffix(name, "."):
		return bad("it may not end with .")
	case strings.Contains(name, ".."):
		return bad(`it may not contain ".."`)
	case strings.Contains(name, "//"):
		return bad(`it may not contain "//"`)
	case strings.Contains(name, "@{"):
		return bad(`it may not contain "@{"`)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(" ~^:?*[\\", r) {
			return bad(fmt.Sprintf("it may not contain %q", r))
		}
	}
	for _, part := range strings.Split(name, "/") {
		if strings.HasPrefix(part, ".") {
			return bad("no part between slashes may start with .")
		}
		if strings.HasSuffix(part, ".lock") {
			return bad(`no part between slashes may end with ".lock"`)
		}
	}
	return nil
}
