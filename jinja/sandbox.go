package jinja

import (
	"github.com/infrahub-go/infrahub/jinja/value"
)

// sandboxFormat is the sandbox's str.format (and format_map) of s: Python's string.Formatter
// whose field lookups (`{0.attr}`, `{0[key]}`) go through the sandbox's getattr and getitem.
func (a access) sandboxFormat(s string, isMap bool) *value.Func {
	name := "format"
	if isMap {
		name = "format_map"
	}
	return &value.Func{Name: name, Bound: true, Self: s, Fn: func(args []value.Value, kw []value.Kwarg) (value.Value, error) {
		if isMap {
			if len(kw) > 0 {
				return nil, value.Errorf("TypeError", "format_map() takes no keyword arguments")
			}
			if len(args) != 1 {
				return nil, value.Errorf("TypeError", "format_map() takes exactly one argument (%d given)", len(args))
			}
			var err error
			if kw, err = mappingKwargs(args[0]); err != nil {
				return nil, err
			}
			args = nil
		}
		return value.StrFormatWith(s, args, kw, value.FormatHooks{Attr: a.getattr, Item: a.getitem})
	}}
}
