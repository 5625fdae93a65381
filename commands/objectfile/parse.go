package objectfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/infrahub-go/infrahub/limits"
)

// The keys infrahubctl reads (infrahub_sdk/yaml.py InfrahubFileData, spec/object.py
// InfrahubObjectFileData, spec/models.py InfrahubObjectParameters). Its models ignore any other
// key, and so do we, with a warning.
var (
	topKeys    = []string{"apiVersion", "kind", "spec", "metadata"}
	specKeys   = []string{"kind", "data", "parameters"}
	paramKeys  = []string{"expand_range"}
	yamlLineRe = regexp.MustCompile(`line (\d+)`)
	// yamlLinePrefixRe is the "line N: " the YAML decoder puts in its messages.
	yamlLinePrefixRe = regexp.MustCompile(`^line \d+: `)
)

// ParseFile reads an object file: one or more YAML documents, each `apiVersion: infrahub.app/v1`
// (the default when missing, as for infrahubctl), `kind: Object` (or `Menu`) and a spec. Every
// problem is returned at once in an *Error; the documents that parsed are returned with it, each
// with the warnings of what it holds that is ignored. Reading stops at the first document whose
// items take the file past lim.ObjectsPerFile (the *Error then names the limit), and when ctx
// ends (its error is returned). Zero limits are limits.Default().
func ParseFile(ctx context.Context, name string, data []byte, lim limits.Limits) ([]Document, error) {
	if lim == (limits.Limits{}) {
		lim = limits.Default()
	}
	c := &collector{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []Document
	items := 0 // top-level items so far
	for index := 1; c.limit == nil; index++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("object file %s: %w", name, err)
		}
		var root yaml.Node
		err := dec.Decode(&root)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			msg := yamlLinePrefixRe.ReplaceAllString(strings.TrimPrefix(err.Error(), "yaml: "), "")
			c.add(name, yamlErrLine(err), index, "", "invalid YAML: %s", msg)
			break
		}
		if len(root.Content) == 0 {
			continue
		}
		warned := len(c.warnings)
		if d, ok := parseDocument(c, name, index, deref(root.Content[0]), &items, lim); ok {
			d.Warnings = append([]Problem(nil), c.warnings[warned:]...)
			docs = append(docs, d)
		}
	}
	if len(docs) == 0 && len(c.list) == 0 {
		c.add(name, 0, 0, "", "no document in the file")
	}
	return docs, c.err()
}

func yamlErrLine(err error) int {
	var te *yaml.TypeError
	msg := err.Error()
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// parseDocument reads one document; items counts the top-level items of the file so far, bounded
// by lim.ObjectsPerFile before they are read.
func parseDocument(c *collector, file string, index int, root *yaml.Node, items *int, lim limits.Limits) (Document, bool) {
	d := Document{File: file, Index: index, Line: root.Line}
	if root.Kind != yaml.MappingNode {
		c.add(file, root.Line, index, "", "a document must be a mapping with apiVersion, kind and spec")
		return d, false
	}
	before := len(c.list)
	ignoreKeys(c, file, index, "", root, topKeys)
	api := mapValue(root, "apiVersion")
	switch {
	case api == nil:
		c.warn(file, root.Line, index, "apiVersion", "missing, taken as %q", APIVersion)
	case api.Kind != yaml.ScalarNode || api.Value != APIVersion:
		c.add(file, api.Line, index, "apiVersion", "unsupported apiVersion %q (expected %q)", api.Value, APIVersion)
	}
	kind := mapValue(root, "kind")
	switch {
	case kind == nil:
		c.add(file, root.Line, index, "kind", "missing (expected %q or %q)", KindObject, KindMenu)
	case kind.Kind != yaml.ScalarNode || (kind.Value != KindObject && kind.Value != KindMenu):
		c.add(file, kind.Line, index, "kind", "unknown document kind %q (expected %q or %q)", kind.Value, KindObject, KindMenu)
	default:
		d.Kind = kind.Value
	}
	if m := mapValue(root, "metadata"); m != nil && m.Kind != yaml.MappingNode && m.Tag != "!!null" {
		c.add(file, m.Line, index, "metadata", "must be a mapping")
	}
	spec := mapValue(root, "spec")
	if spec == nil {
		c.add(file, root.Line, index, "spec", "missing")
		return d, false
	}
	if spec.Kind != yaml.MappingNode {
		c.add(file, spec.Line, index, "spec", "must be a mapping with kind and data")
		return d, false
	}
	d.Spec.Line = spec.Line
	ignoreKeys(c, file, index, "spec", spec, specKeys)
	if k := mapValue(spec, "kind"); k != nil {
		d.Spec.KindLine = k.Line
		if k.Kind != yaml.ScalarNode || k.Value == "" {
			c.add(file, k.Line, index, "spec.kind", "must be a kind name")
		} else {
			d.Spec.Kind = k.Value
		}
	} else if d.Kind == KindMenu {
		d.Spec.Kind, d.Spec.KindLine = MenuItemKind, spec.Line
	} else {
		c.add(file, spec.Line, index, "spec.kind", "missing")
	}
	if p := mapValue(spec, "parameters"); p != nil {
		d.Spec.ExpandRange = parseParameters(c, file, index, "spec.parameters", p)
	}
	data := mapValue(spec, "data")
	switch {
	case data == nil:
		c.warn(file, spec.Line, index, "spec.data", "missing: the document holds no objects")
	case data.Kind != yaml.SequenceNode:
		c.add(file, data.Line, index, "spec.data", "must be a list of objects")
	case *items+len(data.Content) > lim.ObjectsPerFile:
		c.exceeded(file, data.Line, index, "spec.data", "objects of the file", *items+len(data.Content), lim.ObjectsPerFile, limits.Setting("ObjectsPerFile"))
	default:
		*items += len(data.Content)
		d.Spec.Data = parseItems(c, file, index, "", data)
	}
	return d, len(c.list) == before
}

// parseParameters reads a parameters mapping and returns expand_range.
func parseParameters(c *collector, file string, doc int, path string, p *yaml.Node) bool {
	if p.Kind != yaml.MappingNode {
		c.add(file, p.Line, doc, path, "must be a mapping")
		return false
	}
	ignoreKeys(c, file, doc, path, p, paramKeys)
	v := mapValue(p, "expand_range")
	if v == nil {
		return false
	}
	var b bool
	if v.Kind != yaml.ScalarNode || v.Decode(&b) != nil {
		c.add(file, v.Line, doc, path+".expand_range", "must be true or false, not %q", v.Value)
	}
	return b
}

// parseItems reads a list of objects; path locates the list in the document.
func parseItems(c *collector, file string, doc int, path string, list *yaml.Node) []Item {
	items := make([]Item, 0, len(list.Content))
	for i, n := range list.Content {
		n = deref(n)
		it, ok := parseItem(c, file, doc, join(path, itemSeg(i+1)), n)
		if ok {
			it.Index = i + 1
			items = append(items, it)
		}
	}
	return items
}

func parseItem(c *collector, file string, doc int, path string, n *yaml.Node) (Item, bool) {
	it := Item{Line: n.Line}
	if n.Kind != yaml.MappingNode {
		c.add(file, n.Line, doc, path, "an object must be a mapping of fields")
		return it, false
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			c.add(file, k.Line, doc, join(path, fieldSeg(k.Value)), "given twice")
			continue
		}
		seen[k.Value] = true
		it.Fields = append(it.Fields, Field{Name: k.Value, Line: k.Line, Value: deref(v)})
	}
	return it, true
}

// checkKeys reports keys of mapping m that are not in allowed, and keys given twice.
func checkKeys(c *collector, file string, doc int, path string, m *yaml.Node, allowed []string) {
	keys(c, file, doc, path, m, allowed, false)
}

// ignoreKeys reports keys given twice, and warns of the keys of mapping m that are not in
// allowed: they are ignored.
func ignoreKeys(c *collector, file string, doc int, path string, m *yaml.Node, allowed []string) {
	keys(c, file, doc, path, m, allowed, true)
}

func keys(c *collector, file string, doc int, path string, m *yaml.Node, allowed []string, ignore bool) {
	seen := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		p := k.Value
		if path != "" {
			p = path + "." + k.Value
		}
		if seen[k.Value] {
			c.add(file, k.Line, doc, p, "given twice")
		}
		seen[k.Value] = true
		switch {
		case contains(allowed, k.Value):
		case ignore:
			c.warn(file, k.Line, doc, p, "unknown key, ignored%s", suggestion(k.Value, allowed))
		default:
			c.add(file, k.Line, doc, p, "unknown key%s", suggestion(k.Value, allowed))
		}
	}
}

// deref follows aliases to the anchored node (bounded, in case of a cycle).
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// mapValue returns the value of key in mapping m, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return deref(m.Content[i+1])
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
