package jinja

import "github.com/infrahub-go/infrahub/jinja/value"

// The builtins of every environment: Jinja2 3.1's filters, tests and global functions. The files
// filters_*.go, tests_*.go and globals*.go fill them in their init functions; an Env starts from
// them and adds Config.Filters.
var (
	builtinFilters = map[string]Filter{}
	builtinTests   = map[string]Test{}
	builtinGlobals = map[string]value.Value{}
)
