package schema

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/nikolalohinski/gonja/v2/builtins"
	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/loaders"
	"github.com/nikolalohinski/gonja/v2/parser"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// Template is a Jinja2 template of the schema (a computed attribute's jinja2_template or a
// display_label): parsed once, rendered with the values of the paths it names.
//
// Templates render with gonja. A variable is a path of the node: "<attribute>__value" or
// "<relationship>__<attribute>__value" through a cardinality-one relationship. A path with no
// value (the attribute is unset, the relationship has no peer) is nil, which renders as an
// empty string (Python's Jinja2, which Infrahub uses, would render None as "None").
type Template struct {
	src  string
	tpl  *exec.Template
	vars []string
}

// templateName is the one name the loader of a template knows: include, import and extends
// are not available to schema templates (nor is any file).
const templateName = "/template"

// templateEnv is the environment of every schema template: gonja's filters, tests and methods,
// and its control structures but those that load other templates.
var templateEnv = func() *exec.Environment {
	allowed := map[string]parser.ControlStructureParser{}
	for _, name := range []string{"autoescape", "call", "do", "filter", "for", "if", "macro", "raw", "set", "with", "break", "continue"} {
		if p, ok := builtins.ControlStructures.Get(name); ok {
			allowed[name] = p
		}
	}
	return &exec.Environment{
		Context:           exec.EmptyContext().Update(builtins.GlobalFunctions),
		Filters:           builtins.Filters,
		Tests:             builtins.Tests,
		ControlStructures: exec.NewControlStructureSet(allowed),
		Methods:           builtins.Methods,
	}
}()

// ParseTemplate parses a Jinja2 template and lists the node paths it reads.
func ParseTemplate(src string) (t *Template, err error) {
	defer func() {
		if r := recover(); r != nil { // the parser panics on some malformed input
			t, err = nil, fmt.Errorf("invalid Jinja2 template: %v", r)
		}
	}()
	loader, err := loaders.NewMemoryLoader(map[string]string{templateName: src})
	if err != nil {
		return nil, err
	}
	tpl, err := exec.NewTemplate(templateName, config.New(), loader, templateEnv)
	if err != nil {
		return nil, fmt.Errorf("invalid Jinja2 template: %s", parseMessage(err, src))
	}
	return &Template{src: src, tpl: tpl, vars: templateVariables(src)}, nil
}

// parseMessage shortens gonja's parse error (which repeats the whole source) to its reason.
func parseMessage(err error, src string) string {
	msg := err.Error()
	msg = strings.Replace(msg, fmt.Sprintf("failed to parse template '%s': ", src), "", 1)
	return msg
}

// templateVariables lists, sorted and once each, the names of the form a__b a template reads
// (names after a dot are attributes of a value, not variables).
func templateVariables(src string) []string {
	st := tokens.LexAll(src, config.New())
	var out []string
	prevDot := false
	for !st.End() {
		tok := st.Current()
		if tok.Type == tokens.Name && !prevDot && strings.Contains(tok.Val, "__") && !slices.Contains(out, tok.Val) {
			out = append(out, tok.Val)
		}
		prevDot = tok.Type == tokens.Dot
		st.Next()
	}
	slices.Sort(out)
	return out
}

// Source is the template's text.
func (t *Template) Source() string { return t.src }

// Variables lists the node paths the template reads ("name__value", "site__name__value").
func (t *Template) Variables() []string { return t.vars }

// Render renders the template with the given values of its variables (a missing or nil one
// renders as an empty string). Integral numbers render without a fraction.
func (t *Template) Render(values map[string]any) (out string, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = "", fmt.Errorf("rendering the Jinja2 template: %v", r)
		}
	}()
	data := make(map[string]any, len(t.vars))
	for _, v := range t.vars {
		data[v] = templateValue(values[v])
	}
	s, err := t.tpl.ExecuteToString(exec.NewContext(data))
	if err != nil {
		return "", fmt.Errorf("rendering the Jinja2 template: %w", err)
	}
	return s, nil
}

// templateValue turns a stored value into what the template sees: JSON numbers that are whole
// become integers (a Number attribute renders "20", not "20.0").
func templateValue(v any) any {
	if f, ok := v.(float64); ok && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return int64(f)
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
