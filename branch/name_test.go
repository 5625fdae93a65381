package branch_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/branch"
)

func TestValidateName(t *testing.T) {
	for _, ok := range []string{"main", "b1", "feature/vlan-42", "release-1.2", "user_x/fix.part", "a@b"} {
		if err := branch.ValidateName(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	cases := map[string]string{
		"":                       "empty",
		strings.Repeat("x", 251): "longer than 250",
		"-global-":               "reserved",
		"@":                      "reserved",
		"/a":                     "start or end with /",
		"a/":                     "start or end with /",
		"a.":                     "end with .",
		"a..b":                   `".."`,
		"a//b":                   `"//"`,
		"a@{1}":                  `"@{"`,
		"has space":              `' '`,
		"tilde~":                 `'~'`,
		"caret^":                 `'^'`,
		"colon:":                 `':'`,
		"what?":                  `'?'`,
		"star*":                  `'*'`,
		"br[acket":               `'['`,
		"back\\slash":            `'\\'`,
		"ctl\x01":                `'\x01'`,
		"a/.hidden":              "start with .",
		"x.lock/y":               `".lock"`,
		"refs/heads/topic.lock":  `".lock"`,
	}
	for name, why := range cases {
		err := branch.ValidateName(name)
		if !errors.Is(err, branch.ErrInvalidName) || !strings.Contains(err.Error(), why) {
			t.Errorf("%q: err = %v, want one saying %s", name, err, why)
		}
	}
}
