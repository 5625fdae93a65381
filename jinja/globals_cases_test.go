package jinja

import "testing"

// The expectations of these rows are what Python Jinja2 3.1.6 renders for
// `{% set r = v|name(*a, **k) %}{{ r }}` (a test: `{{ v is name(*a, **k) }}`; a global:
// `{% set r = name(*a, **k) %}`) in Infrahub's file environment and, when it differs, its
// string environment (sandboxed, StrictUndefined); a generator is listed and marked with its
// type. To add a row, render the call with Python and write what it prints.

// TestBuiltinGlobalCases checks the global functions against Python's results.
func TestBuiltinGlobalCases(t *testing.T) { biRunCases(t, biGlobalCases) }

var biGlobalCases = []biCallCase{
	{"g", "range", "", "", "[3]", "{}", "", "range(0, 3)", ""},
	{"g", "range", "", "", "[1, 4]", "{}", "", "range(1, 4)", ""},
	{"g", "range", "", "", "[0, 10, 3]", "{}", "", "range(0, 10, 3)", ""},
	{"g", "range", "", "", "[5, 0, -2]", "{}", "", "range(5, 0, -2)", ""},
	{"g", "range", "", "", "[0]", "{}", "", "range(0, 0)", ""},
	{"g", "range", "", "", "[-2]", "{}", "", "range(0, -2)", ""},
	{"g", "range", "", "", "[1180591620717411303424, 1180591620717411303426]", "{}", "list", "[1180591620717411303424, 1180591620717411303425]", ""},
	{"g", "range", "", "", "[1180591620717411303424, 1180591620717411303426]", "{}", "", "range(1180591620717411303424, 1180591620717411303426)", ""},
	{"g", "range", "", "", "[1.5]", "{}", "", "", "TypeError: 'float' object cannot be interpreted as an integer"},
	{"g", "range", "", "", "[]", "{}", "", "", "TypeError: range expected at least 1 argument, got 0"},
	{"g", "range", "", "", "[1, 5, 0]", "{}", "", "", "ValueError: range() arg 3 must not be zero"},
	{"g", "range", "", "", "[\"3\"]", "{}", "", "", "TypeError: 'str' object cannot be interpreted as an integer"},
	{"g", "range", "file", "", "[200000]", "{}", "length", "200000", ""},
	{"g", "range", "string", "", "[200000]", "{}", "length", "", "OverflowError: Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000)."},
	{"g", "range", "", "", "[100000]", "{}", "length", "100000", ""},
	{"g", "range", "file", "", "[]", "{\"stop\": 3}", "", "", "TypeError: range() takes no keyword arguments"},
	{"g", "range", "string", "", "[]", "{\"stop\": 3}", "", "", "TypeError: safe_range() got an unexpected keyword argument 'stop'"},
	{"g", "range", "", "", "[1, 2, 3, 4]", "{}", "", "", "TypeError: range expected at most 3 arguments, got 4"},
	{"g", "range", "file", "", "[{\"$u\": \"v\"}]", "{}", "", "", "TypeError: 'Undefined' object cannot be interpreted as an integer"},
	{"g", "range", "string", "", "[{\"$u\": \"v\"}]", "{}", "", "", "TypeError: 'StrictUndefined' object cannot be interpreted as an integer"},
	{"g", "range", "", "", "[3]", "{}", "list", "[0, 1, 2]", ""},
	{"g", "range", "", "", "[10, 0, -3]", "{}", "list", "[10, 7, 4, 1]", ""},
	{"g", "dict", "", "", "[]", "{\"a\": 1, \"b\": \"x\"}", "", "{'a': 1, 'b': 'x'}", ""},
	{"g", "dict", "", "", "[]", "{}", "", "{}", ""},
	{"g", "dict", "", "", "[{\"a\": 1}]", "{\"b\": 2}", "", "{'a': 1, 'b': 2}", ""},
	{"g", "dict", "", "", "[[{\"$t\": [\"k\", \"v\"]}]]", "{}", "", "{'k': 'v'}", ""},
	{"g", "dict", "", "", "[1, 2]", "{}", "", "", "TypeError: dict expected at most 1 argument, got 2"},
	{"g", "dict", "", "", "[[1]]", "{}", "", "", "TypeError: cannot convert dictionary update sequence element #0 to a sequence"},
	{"g", "dict", "", "", "[[{\"$t\": [1, 2, 3]}]]", "{}", "", "", "ValueError: dictionary update sequence element #0 has length 3; 2 is required"},
	{"g", "dict", "", "", "[{\"$u\": \"v\"}]", "{}", "", "", "UndefinedError: 'v' is undefined"},
	{"g", "dict", "", "", "[[[\"a\", 1], [\"a\", 2]]]", "{}", "", "{'a': 2}", ""},
	{"g", "namespace", "", "", "[]", "{}", "", "<Namespace {}>", ""},
	{"g", "namespace", "", "", "[]", "{\"z\": 1, \"a\": 2}", "", "<Namespace {'z': 1, 'a': 2}>", ""},
	{"g", "namespace", "", "", "[{\"x\": 1}]", "{}", "", "<Namespace {'x': 1}>", ""},
	{"g", "namespace", "", "", "[1, 2]", "{}", "", "", "TypeError: dict expected at most 1 argument, got 2"},
	{"g", "namespace", "", "", "[[{\"$t\": [\"a\", 1]}]]", "{\"b\": 2}", "", "<Namespace {'a': 1, 'b': 2}>", ""},
	{"g", "cycler", "", "", "[]", "{}", "", "", "RuntimeError: at least one item has to be provided"},
	{"g", "cycler", "", "", "[1]", "{\"x\": 2}", "", "", "TypeError: Cycler.__init__() got an unexpected keyword argument 'x'"},
	{"g", "joiner", "", "", "[1, 2, 3]", "{}", "", "", "TypeError: Joiner.__init__() takes from 1 to 2 positional arguments but 4 were given"},
	{"g", "joiner", "", "", "[]", "{\"sep\": 1, \"x\": 2}", "", "", "TypeError: Joiner.__init__() got an unexpected keyword argument 'x'"},
	{"g", "lipsum", "", "", "[1, false, 3, 4]", "{}", "wordcount", "3", ""},
	{"g", "lipsum", "", "", "[]", "{\"n\": 2, \"html\": false, \"min\": 5, \"max\": 6}", "wordcount", "10", ""},
	{"g", "lipsum", "", "", "[0]", "{}", "", "", ""},
	{"g", "lipsum", "", "", "[1, true, 3, 3]", "{}", "", "", "ValueError: empty range for randrange() (3, 3, 0)"},
	{"g", "lipsum", "", "", "[\"x\"]", "{}", "", "", "TypeError: 'str' object cannot be interpreted as an integer"},
	{"g", "lipsum", "", "", "[1, 2, 3, 4, 5]", "{}", "", "", "TypeError: generate_lorem_ipsum() takes from 0 to 4 positional arguments but 5 were given"},
	{"g", "lipsum", "", "", "[]", "{\"nope\": 1}", "", "", "TypeError: generate_lorem_ipsum() got an unexpected keyword argument 'nope'"},
	{"g", "lipsum", "", "", "[2]", "{\"min\": 3, \"max\": 4}", "striptags,wordcount", "6", ""},
}
