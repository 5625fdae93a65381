package value

// absent marks a parameter a call did not pass.
type absent struct{}

var missing Value = absent{}

// argStyle is how CPython words argument errors for a method.
type argStyle int

const (
	noArgs   argStyle = iota // METH_NOARGS: "str.upper() takes no arguments (1 given)"
	oneArg                   // METH_O: "list.append() takes exactly one argument (0 given)"
	posOnly                  // Argument Clinic, positional-only: "replace expected at least 2 arguments, got 1"
	oldPos                   // PyArg_ParseTuple: "find() takes at most 3 arguments (4 given)"
	keywords                 // Argument Clinic with keywords: "split() takes at most 2 arguments (3 given)"
	kwOnly                   // keyword-only: "sort() takes no positional arguments"
)

// sig is the signature of a builtin method.
type sig struct {
	typ, name string
	style     argStyle
	params    []string
	required  int
}

func plural(n int) string {
	if n == 1 {
		return "argument"
	}
	return "arguments"
}

// bind matches args and kwargs to the parameters; absent ones are missing.
func (s sig) bind(args []Value, kwargs []Kwarg) ([]Value, error) {
	q := s.typ + "." + s.name + "()"
	if len(kwargs) > 0 && s.style != keywords && s.style != kwOnly {
		return nil, typeError("%s takes no keyword arguments", q)
	}
	n, max := len(args), len(s.params)
	switch s.style {
	case noArgs:
		if n > 0 {
			return nil, typeError("%s takes no arguments (%d given)", q, n)
		}
	case oneArg:
		if n != 1 {
			return nil, typeError("%s takes exactly one argument (%d given)", q, n)
		}
	case posOnly:
		switch {
		case n < s.required && s.required == max:
			return nil, typeError("%s expected %d %s, got %d", s.name, max, plural(max), n)
		case n < s.required:
			return nil, typeError("%s expected at least %d %s, got %d", s.name, s.required, plural(s.required), n)
		case n > max && s.required == max:
			return nil, typeError("%s expected %d %s, got %d", s.name, max, plural(max), n)
		case n > max:
			return nil, typeError("%s expected at most %d %s, got %d", s.name, max, plural(max), n)
		}
	case oldPos, keywords:
		if n > max {
			return nil, typeError("%s() takes at most %d %s (%d given)", s.name, max, plural(max), n)
		}
	case kwOnly:
		if n > 0 {
			return nil, typeError("%s() takes no positional arguments", s.name)
		}
	}
	out := make([]Value, max)
	for i := range out {
		out[i] = missing
	}
	copy(out, args)
	for _, kw := range kwargs {
		i := indexOf(s.params, kw.Name)
		if i < 0 {
			return nil, typeError("'%s' is an invalid keyword argument for %s()", kw.Name, s.name)
		}
		if i < n {
			return nil, typeError("argument for %s() given by name ('%s') and position (%d)", s.name, kw.Name, i+1)
		}
		out[i] = norm(kw.Value)
	}
	for i := range out {
		if out[i] != missing {
			out[i] = norm(out[i])
		}
		if i < s.required && out[i] == missing {
			if s.style == oldPos {
				return nil, typeError("%s() takes at least %d %s (%d given)", s.name, s.required, plural(s.required), n)
			}
			return nil, typeError("%s() missing required argument '%s' (pos %d)", s.name, s.params[i], i+1)
		}
	}
	return out, nil
}

func indexOf(names []string, name string) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	return -1
}

// argIndex converts an argument to an int64 index (PyNumber_AsSsize_t).
func argIndex(v Value) (int64, error) {
	if err := strictErr(v); err != nil {
		return 0, err
	}
	if !isInt(v) {
		return 0, typeError("'%s' object cannot be interpreted as an integer", TypeName(v))
	}
	n, ok := small(v)
	if !ok {
		return 0, Errorf("OverflowError", "Python int too large to convert to C ssize_t")
	}
	return n, nil
}

// optIndex is argIndex with a default for a missing or None argument.
func optIndex(v Value, def int64, noneOK bool) (int64, error) {
	if v == missing || noneOK && v == nil {
		return def, nil
	}
	return argIndex(v)
}

// argStr requires a str argument: "must be str, not int".
func argStr(v Value) (string, error) {
	s, ok := norm(v).(string)
	if !ok {
		if err := strictErr(v); err != nil {
			return "", err
		}
		return "", typeError("must be str, not %s", TypeName(v))
	}
	return s, nil
}
