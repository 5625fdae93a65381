package schema

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ErrEmpty is returned (wrapped) when a schema file holds no document.
var ErrEmpty = errors.New("empty schema file")

// Parse reads one schema file, YAML or JSON. Unknown properties are errors naming them; each
// element remembers the line it was declared on. A file holding several YAML documents is
// rejected: schema files hold one.
func Parse(name string, data []byte) (*File, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	if err := dec.Decode(&doc); err != nil {
		if err.Error() == "EOF" {
			return nil, fmt.Errorf("%s: %w", name, ErrEmpty)
		}
		return nil, &Error{Problems: []Problem{yamlProblem(name, err)}}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{Problems: []Problem{{File: name, Line: extra.Line, Message: "several YAML documents in one schema file"}}}
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: %w", name, ErrEmpty)
	}
	root := doc.Content[0]
	ps := &problems{}
	if root.Kind != yaml.MappingNode {
		ps.add(Pos{name, root.Line}, "", "a schema file must be a mapping with version, generics, nodes or extensions")
		return nil, ps.err()
	}
	checkKeys(ps, name, root, reflect.TypeOf(File{}), "")
	if ps.err() != nil {
		return nil, ps.err()
	}
	f := &File{Name: name}
	if err := root.Decode(f); err != nil {
		return nil, &Error{Problems: yamlProblems(name, err)}
	}
	if f.Version == "" {
		ps.add(Pos{name, root.Line}, "version", "missing (expected \"1.0\")")
	} else if f.Version != "1.0" {
		ps.add(Pos{name, line(root, "version")}, "version", "unsupported version %q (expected \"1.0\")", f.Version)
	}
	setPositions(name, root, f)
	return f, ps.err()
}

// line returns the line of the value of key in mapping m (or of m itself).
func line(m *yaml.Node, key string) int {
	if v := value(m, key); v != nil {
		return v.Line
	}
	return m.Line
}

func value(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func items(m *yaml.Node, key string) []*yaml.Node {
	v := value(m, key)
	if v == nil || v.Kind != yaml.SequenceNode {
		return nil
	}
	return v.Content
}

func setPositions(name string, root *yaml.Node, f *File) {
	for i, n := range items(root, "generics") {
		if i < len(f.Generics) && f.Generics[i] != nil {
			setModelPositions(name, n, &f.Generics[i].Model)
		}
	}
	for i, n := range items(root, "nodes") {
		if i < len(f.Nodes) && f.Nodes[i] != nil {
			setModelPositions(name, n, &f.Nodes[i].Model)
		}
	}
	if f.Extensions != nil {
		for i, n := range items(value(root, "extensions"), "nodes") {
			if i < len(f.Extensions.Nodes) && f.Extensions.Nodes[i] != nil {
				e := f.Extensions.Nodes[i]
				e.Pos = Pos{name, n.Line}
				setElementPositions(name, n, e.Attributes, e.Relationships)
			}
		}
	}
}

func setModelPositions(name string, n *yaml.Node, m *Model) {
	m.Pos = Pos{name, n.Line}
	setElementPositions(name, n, m.Attributes, m.Relationships)
}

func setElementPositions(name string, n *yaml.Node, attrs []*Attribute, rels []*Relationship) {
	for j, a := range items(n, "attributes") {
		if j < len(attrs) && attrs[j] != nil {
			attrs[j].Pos = Pos{name, a.Line}
		}
	}
	for j, r := range items(n, "relationships") {
		if j < len(rels) && rels[j] != nil {
			rels[j].Pos = Pos{name, r.Line}
		}
	}
}

// checkKeys reports every mapping key that t (a struct type, through pointers and slices) does
// not declare, recursively.
func checkKeys(ps *problems, file string, n *yaml.Node, t reflect.Type, path string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	// an alias is checked where its anchor is defined; following it here could expand
	// exponentially (alias bombs)
	case n.Kind == yaml.SequenceNode && t.Kind() == reflect.Slice:
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%s]", path, itemLabel(c, i))
			if ns, nm := value(c, "namespace"), value(c, "name"); (path == "nodes" || path == "generics") && ns != nil && nm != nil {
				p = ns.Value + nm.Value // a model is named by its kind, as in validation problems
			}
			checkKeys(ps, file, c, t.Elem(), p)
		}
	case n.Kind == yaml.MappingNode && t.Kind() == reflect.Struct:
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			ft, ok := fields[k.Value]
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			if !ok {
				ps.add(Pos{file, k.Line}, p, "unknown property %q", k.Value)
				continue
			}
			checkKeys(ps, file, n.Content[i+1], ft, p)
		}
	}
}

// itemLabel names a list item by its name, kind or namespace+name when it has one.
func itemLabel(n *yaml.Node, i int) string {
	if ns, nm := value(n, "namespace"), value(n, "name"); ns != nil && nm != nil {
		return ns.Value + nm.Value
	}
	for _, k := range []string{"name", "kind"} {
		if v := value(n, k); v != nil && v.Kind == yaml.ScalarNode {
			return v.Value
		}
	}
	return strconv.Itoa(i)
}

// yamlFields maps the yaml keys of struct t (inline fields flattened) to their types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		if !f.IsExported() || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if opts == "inline" {
			for k, v := range yamlFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

var yamlLineRe = regexp.MustCompile(`line (\d+): (.*)`)

// yamlProblems turns a YAML decoding error into located problems, one per value that did not
// fit.
func yamlProblems(file string, err error) []Problem {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		out := make([]Problem, len(te.Errors))
		for i, e := range te.Errors {
			out[i] = messageProblem(file, e)
		}
		return out
	}
	return []Problem{yamlProblem(file, err)}
}

// yamlProblem turns a YAML error into a located problem.
func yamlProblem(file string, err error) Problem {
	return messageProblem(file, err.Error())
}

func messageProblem(file, msg string) Problem {
	msg = strings.TrimPrefix(msg, "yaml: ")
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		l, _ := strconv.Atoi(m[1])
		return Problem{File: file, Line: l, Message: m[2]}
	}
	return Problem{File: file, Message: msg}
}
