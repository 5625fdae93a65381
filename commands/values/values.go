// Package values checks attribute values against their schema attribute and turns them into their
// canonical stored form: one function per family of attribute kinds (text, numbers and booleans,
// network addresses, structured values), an equality of stored values for idempotent upserts, and
// the normalised default value of an attribute.
//
// Values come as decoded from JSON or YAML: string, float64/int/int64 (or json.Number), bool, nil,
// []any and map[string]any.
package values

import (
	"fmt"
	"strings"

	"github.com/infrahub-go/infrahub/schema"
)

// Attribute kinds.
const (
	KindID             = "ID"
	KindText           = "Text"
	KindString         = "String"
	KindTextArea       = "TextArea"
	KindNumber         = "Number"
	KindNumberPool     = "NumberPool"
	KindBoolean        = "Boolean"
	KindCheckbox       = "Checkbox"
	KindDropdown       = "Dropdown"
	KindDateTime       = "DateTime"
	KindEmail          = "Email"
	KindPassword       = "Password"
	KindHashedPassword = "HashedPassword"
	KindURL            = "URL"
	KindFile           = "File"
	KindMacAddress     = "MacAddress"
	KindColor          = "Color"
	KindBandwidth      = "Bandwidth"
	KindIPHost         = "IPHost"
	KindIPNetwork      = "IPNetwork"
	KindIPAddress      = "IPAddress"
	KindList           = "List"
	KindJSON           = "JSON"
	KindAny            = "Any"
)

// Error is a value refused for an attribute. Its message names the attribute and says what is
// wrong, e.g. `attribute "status": "actve" is not one of active, maintenance, provisioning`.
type Error struct {
	Attribute string // attribute name
	Kind      string // attribute kind
	Value     any    // the value given
	Reason    string // what is wrong, without the attribute
}

func (e *Error) Error() string { return fmt.Sprintf("attribute %q: %s", e.Attribute, e.Reason) }

// fail builds the error for value v of attribute a.
func fail(a *schema.Attribute, v any, format string, args ...any) error {
	return &Error{Attribute: a.Name, Kind: a.Kind, Value: v, Reason: fmt.Sprintf(format, args...)}
}

// normalizer checks a non-nil value of one kind and returns its stored form.
type normalizer func(a *schema.Attribute, v any) (any, error)

var normalizers map[string]normalizer

func init() {
	normalizers = map[string]normalizer{
		KindID: plainString, KindPassword: plainString, KindHashedPassword: hashedPassword, KindFile: plainString,
		KindText: text, KindString: text, KindTextArea: text,
		KindEmail: email, KindURL: urlValue, KindColor: color, KindDateTime: dateTime,
		KindDropdown: dropdown,
		KindNumber:   number, KindNumberPool: numberPool, KindBandwidth: bandwidth,
		KindBoolean: boolean, KindCheckbox: boolean,
		KindIPHost: ipHost, KindIPNetwork: ipNetwork, KindIPAddress: ipAddress, KindMacAddress: macAddress,
		KindList: list, KindJSON: jsonValue, KindAny: anyValue,
	}
}

// Normalize checks v, a value given for attribute a, and returns its canonical stored form. nil is
// accepted only when a is optional (and then nil is returned); the caller applies the default
// value before calling. The error, an *Error, names the attribute and says what is wrong.
func Normalize(a *schema.Attribute, v any) (any, error) {
	if v == nil {
		if a.Optional {
			return nil, nil
		}
		return nil, fail(a, v, "a value is required")
	}
	n, ok := normalizers[a.Kind]
	if !ok {
		return nil, fail(a, v, "unknown attribute kind %q", a.Kind)
	}
	out, err := n(a, v)
	if err != nil {
		return nil, err
	}
	if err := checkEnum(a, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Default returns the normalised default value of a, and false when a has none (or it is not a
// valid value, which schema validation refuses).
func Default(a *schema.Attribute) (any, bool) {
	if a.DefaultValue == nil {
		return nil, false
	}
	v, err := Normalize(a, a.DefaultValue)
	if err != nil || v == nil {
		return nil, false
	}
	return v, true
}

// checkEnum refuses a stored value that is not one of a's enum values (compared as text, as
// schema validation compares defaults).
func checkEnum(a *schema.Attribute, v any) error {
	if len(a.Enum) == 0 {
		return nil
	}
	s := fmt.Sprint(v)
	names := make([]string, 0, len(a.Enum))
	for _, e := range a.Enum {
		if fmt.Sprint(e) == s {
			return nil
		}
		names = append(names, fmt.Sprint(e))
	}
	return fail(a, v, "%s is not one of %s", show(v), strings.Join(names, ", "))
}

// show renders a value in an error message: strings quoted, others as JSON would show them.
func show(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("%q", x)
	case nil:
		return "null"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprint(v)
}

// typeName names the JSON type of v for "expected X, got Y" messages.
func typeName(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case bool:
		return "boolean"
	case nil:
		return "null"
	case []any:
		return "list"
	case map[string]any:
		return "object"
	}
	if _, ok := toNumber(v); ok {
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

// wrongType is the error for a value of the wrong JSON type.
func wrongType(a *schema.Attribute, v any, want string) error {
	switch typeName(v) {
	case "list":
		return fail(a, v, "expected %s for kind %s, got a list", want, a.Kind)
	case "object":
		return fail(a, v, "expected %s for kind %s, got an object", want, a.Kind)
	}
	return fail(a, v, "expected %s for kind %s, got %s %s", want, a.Kind, typeName(v), show(v))
}

// str returns v as a string or the wrong-type error.
func str(a *schema.Attribute, v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", wrongType(a, v, "a string")
	}
	return s, nil
}

func plainString(a *schema.Attribute, v any) (any, error) { return str(a, v) }
