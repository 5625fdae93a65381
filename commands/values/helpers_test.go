package values

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/schema"
)

// row is one case of a kind table: in normalises to want, or fails with an error containing err.
type row struct {
	name string
	attr *schema.Attribute
	in   any
	want any
	err  string
}

func runRows(t *testing.T, rows []row) {
	t.Helper()
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			got, err := Normalize(r.attr, r.in)
			if r.err != "" {
				if err == nil {
					t.Fatalf("Normalize(%#v) = %#v, want error containing %q", r.in, got, r.err)
				}
				if !strings.Contains(err.Error(), r.err) {
					t.Fatalf("error %q does not contain %q", err, r.err)
				}
				var ve *Error
				if !errors.As(err, &ve) || ve.Attribute != r.attr.Name {
					t.Fatalf("error %q is not an *Error naming attribute %q", err, r.attr.Name)
				}
				if !strings.HasPrefix(err.Error(), `attribute "`+r.attr.Name+`": `) {
					t.Fatalf("error %q does not start with the attribute name", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Normalize(%#v): %v", r.in, err)
			}
			if !reflect.DeepEqual(got, r.want) {
				t.Fatalf("Normalize(%#v) = %#v (%T), want %#v (%T)", r.in, got, got, r.want, r.want)
			}
		})
	}
}

type opt func(*schema.Attribute)

func attr(name, kind string, opts ...opt) *schema.Attribute {
	a := &schema.Attribute{Name: name, Kind: kind}
	for _, o := range opts {
		o(a)
	}
	return a
}

func optional(a *schema.Attribute) { a.Optional = true }

func params(p schema.Parameters) opt { return func(a *schema.Attribute) { a.Parameters = &p } }

func ptr[T any](v T) *T { return &v }

func choices(names ...string) opt {
	return func(a *schema.Attribute) {
		for _, n := range names {
			a.Choices = append(a.Choices, &schema.Choice{Name: n})
		}
	}
}

func enum(vals ...any) opt { return func(a *schema.Attribute) { a.Enum = vals } }

func ordered(b bool) opt { return func(a *schema.Attribute) { a.Ordered = &b } }
