package values

import (
	"fmt"
	"strconv"

	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/schema"
)

// large reports whether values of kind may be as long as limits.LargeValueBytes (long text and
// structured values); every other kind takes limits.ValueBytes.
func large(kind string) bool {
	switch kind {
	case KindTextArea, KindJSON, KindList, KindAny:
		return true
	}
	return false
}

// CheckSize refuses v, a value given for attribute a, when it is longer than its kind allows:
// lim.LargeValueBytes for TextArea, JSON, List and Any, lim.ValueBytes for every other kind. The
// size is the value's length as JSON text (a string's bytes), measured before anything else is
// done with it and only up to the bound. The error names the attribute, its kind, the limit and
// its variable (limits.ErrExceeded).
func CheckSize(a *schema.Attribute, v any, lim limits.Limits) error {
	bound, field := lim.ValueBytes, "ValueBytes"
	if large(a.Kind) {
		bound, field = lim.LargeValueBytes, "LargeValueBytes"
	}
	if n := sizeOf(v, bound); n > bound {
		return fmt.Errorf("attribute %q (%s): %w", a.Name, a.Kind,
			limits.Exceeded("value size in bytes", int64(n), int64(bound), limits.Setting(field)))
	}
	return nil
}

// sizeOf measures v about as long as its JSON text, stopping once past bound (it then answers
// what it has counted, more than bound).
func sizeOf(v any, bound int) int {
	switch x := v.(type) {
	case nil:
		return 4
	case string:
		return len(x)
	case bool:
		return 5
	case float64:
		return len(strconv.FormatFloat(x, 'g', -1, 64))
	case []any:
		n := 2
		for _, e := range x {
			if n += sizeOf(e, bound-n) + 1; n > bound {
				return n
			}
		}
		return n
	case []string:
		n := 2
		for _, e := range x {
			if n += len(e) + 3; n > bound {
				return n
			}
		}
		return n
	case map[string]any:
		n := 2
		for k, e := range x {
			if n += len(k) + 4 + sizeOf(e, bound-n); n > bound {
				return n
			}
		}
		return n
	case map[any]any:
		n := 2
		for k, e := range x {
			if n += len(fmt.Sprint(k)) + 4 + sizeOf(e, bound-n); n > bound {
				return n
			}
		}
		return n
	}
	return len(fmt.Sprint(v))
}
