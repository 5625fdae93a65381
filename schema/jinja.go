package schema

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/infrahub-go/infrahub/jinja"
	"github.com/infrahub-go/infrahub/jinja/syntax"
)

// Template is a Jinja2 template of the schema (a computed attribute's jinja2_template or a
// display_label): parsed once, rendered with the values of the paths it names.
//
// Templates render with package jinja in Infrahub's environment of string templates (a
// SandboxedEnvironment with StrictUndefined, as the SDK's Jinja2Template): what Python renders,
// byte for byte. A variable is a path of the node: "<attribute>__value" or
// "<relationship>__<attribute>__value" through a cardinality-one relationship. A path with no
// value (the attribute is unset, the relationship has no peer) is None, which renders as "None",
// as in Infrahub.
type Template struct {
	src  string
	tpl  *jinja.Template
	vars []string
}

// templateEnv is the environment of every schema template.
var templateEnv = func() *jinja.Env {
	env, err := jinja.New(jinja.StringEnv())
	if err != nil {
		panic(err)
	}
	return env
}()

// trustedFilters are the filters the SDK trusts in templates the server renders
// (infrahub_sdk/template/jinja2/filters.py: trusted=True); a schema template using another one
// is refused, as Infrahub's validate(restricted=True) refuses it.
var trustedFilters = map[string]bool{
	"abs": true, "capitalize": true, "center": true, "count": true, "d": true, "default": true, "e": true,
	"escape": true, "filesizeformat": true, "first": true, "float": true, "forceescape": true, "format": true,
	"indent": true, "int": true, "join": true, "last": true, "length": true, "list": true, "lower": true,
	"max": true, "min": true, "replace": true, "reverse": true, "round": true, "slice": true, "string": true,
	"striptags": true, "sum": true, "title": true, "trim": true, "truncate": true, "upper": true,
	"urlencode": true, "wordcount": true, "wordwrap": true,
}

// templateTimeout bounds one render of a schema template.
const templateTimeout = 5 * time.Second

// ParseTemplate parses a Jinja2 template and lists the node paths it reads. It refuses a syntax
// error, a filter the SDK does not trust on the server, and statements that load other templates
// (include, import, extends: a schema template has no files).
func ParseTemplate(src string) (*Template, error) {
	tree, err := syntax.Parse(src, syntax.Options{Name: "<template>"})
	if err != nil {
		var se *syntax.Error
		if errors.As(err, &se) {
			return nil, fmt.Errorf("invalid Jinja2 template: %s (line %d)", se.Message, se.Line)
		}
		return nil, fmt.Errorf("invalid Jinja2 template: %w", err)
	}
	for _, name := range tree.FilterNames() {
		if !trustedFilters[name] {
			return nil, fmt.Errorf("invalid Jinja2 template: the '%s' filter isn't allowed to be used", name)
		}
	}
	var loads []string
	var vars []string
	tree.WalkTemplate(func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.Include, *syntax.Import, *syntax.FromImport, *syntax.Extends:
			loads = append(loads, strings.ToLower(syntax.KindOf(n)))
		case *syntax.Name:
			if strings.Contains(n.Name, "__") && !slices.Contains(vars, n.Name) {
				vars = append(vars, n.Name)
			}
		}
		return true
	})
	if len(loads) > 0 {
		return nil, fmt.Errorf("invalid Jinja2 template: %s is forbidden in a schema template", loads[0])
	}
	tpl, err := templateEnv.FromString(src)
	if err != nil {
		return nil, fmt.Errorf("invalid Jinja2 template: %w", err)
	}
	slices.Sort(vars)
	return &Template{src: src, tpl: tpl, vars: vars}, nil
}

// Source is the template's text.
func (t *Template) Source() string { return t.src }

// Variables lists the node paths the template reads ("name__value", "site__name__value").
func (t *Template) Variables() []string { return t.vars }

// Render renders the template with the given values of its variables (a missing or nil one is
// None). Integral numbers are integers (a Number attribute renders "20", not "20.0").
func (t *Template) Render(values map[string]any) (string, error) {
	data := make(map[string]any, len(t.vars))
	for _, v := range t.vars {
		data[v] = templateValue(values[v])
	}
	ctx, cancel := context.WithTimeout(context.Background(), templateTimeout)
	defer cancel()
	s, err := t.tpl.Render(ctx, data)
	if err != nil {
		return "", fmt.Errorf("rendering the Jinja2 template: %w", err)
	}
	return s, nil
}

// templateValue turns a stored value into what the template sees: JSON numbers that are whole
// become integers, as Python's json.loads makes them, inside lists and objects too.
func templateValue(v any) any {
	switch v := v.(type) {
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return int64(v)
		}
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = templateValue(x)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = templateValue(x)
		}
		return out
	}
	return v
}

// Template returns the parsed form of a template of the set (parsed when the set was loaded),
// parsing it now when the set does not hold it.
func (s *Set) Template(src string) (*Template, error) {
	if t, ok := s.jinja[src]; ok {
		return t, nil
	}
	return ParseTemplate(src)
}

// IsJinja2 reports an attribute computed from a Jinja2 template.
func (a *Attribute) IsJinja2() bool {
	return a != nil && a.ComputedAttribute != nil && a.ComputedAttribute.Kind == "Jinja2" &&
		a.ComputedAttribute.Jinja2Template != nil && *a.ComputedAttribute.Jinja2Template != ""
}

// parseTemplate parses a template of model m once per set; a syntax error is a problem at
// path. It returns nil when the template is invalid.
func (b builder) parseTemplate(ps *problems, pos Pos, path, src string) *Template {
	s := b.s
	if t, ok := s.jinja[src]; ok {
		return t
	}
	t, err := ParseTemplate(src)
	if err != nil {
		ps.add(pos, path, "%v", err)
		return nil
	}
	if s.jinja == nil {
		s.jinja = map[string]*Template{}
	}
	s.jinja[src] = t
	return t
}

// checkComputed parses the Jinja2 templates of m's computed attributes and checks that each of
// their variables is a path of m: "<attribute>__<property>" or
// "<relationship>__<attribute>__<property>" through a cardinality-one relationship.
func (b builder) checkComputed(ps *problems, m *Model) {
	for _, a := range m.Attributes {
		if !a.IsJinja2() || a.Inherited {
			continue
		}
		path := attrPath(m.Kind, a.Name) + ".computed_attribute.jinja2_template"
		t := b.parseTemplate(ps, a.Pos, path, *a.ComputedAttribute.Jinja2Template)
		if t == nil {
			continue
		}
		for _, v := range t.Variables() {
			if msg := b.checkRef(m, v, refRule{prop: "jinja2_template"}); msg != "" {
				ps.add(a.Pos, path, "template variable %s", msg)
			}
		}
	}
}

// PeerRead is a computed attribute of node kind Kind reading attribute Attr of the peer of its
// cardinality-one relationship Rel.
type PeerRead struct {
	Kind, Rel, Attr string
}

// PeerReads lists the computed attributes that read attribute attr of a peer.
func (s *Set) PeerReads(attr string) []PeerRead { return s.peerReads[attr] }

// indexPeerReads fills PeerReads once the set is resolved.
func (b builder) indexPeerReads() {
	s := b.s
	s.peerReads = map[string][]PeerRead{}
	for _, kind := range sortedKeys(s.nodes) {
		n := s.nodes[kind]
		for _, a := range n.Attributes {
			if !a.IsJinja2() || a.State == StateAbsent {
				continue
			}
			t, ok := s.jinja[*a.ComputedAttribute.Jinja2Template]
			if !ok {
				continue
			}
			for _, v := range t.Variables() {
				parts := strings.Split(v, "__")
				if len(parts) != 3 {
					continue
				}
				if r := n.Relationship(parts[0]); r == nil || r.Cardinality != "one" {
					continue
				}
				pr := PeerRead{Kind: kind, Rel: parts[0], Attr: parts[1]}
				if !slices.Contains(s.peerReads[pr.Attr], pr) {
					s.peerReads[pr.Attr] = append(s.peerReads[pr.Attr], pr)
				}
			}
		}
	}
}
