package graphql

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/vektah/gqlparser/v2/ast"
	"go.yaml.in/yaml/v3"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/schema"
)

// schemaChoice answers SchemaDropdownAdd, SchemaDropdownRemove, SchemaEnumAdd and
// SchemaEnumRemove: one choice of a Dropdown attribute, or one value of an attribute's enum, added
// or removed on the branch. The change is a schema load of the kind's declaration (as `schema
// export` writes it) with the attribute's choices or enum changed, so it is checked, recorded and
// merged like any other load. Refused as Infrahub refuses them: a kind outside the user
// namespaces, an unknown or inherited attribute, an attribute of the wrong kind, a value that is
// already there (add) or missing, last, or still used by a node (remove).
func (x mutator) schemaChoice(w *jsonWriter, f *ast.Field, typ string, data map[string]any, path ast.Path) error {
	e := x.e
	kind, _ := data["kind"].(string)
	attrName, _ := data["attribute"].(string)
	isDropdown := f.Name == "SchemaDropdownAdd" || f.Name == "SchemaDropdownRemove"
	adding := f.Name == "SchemaDropdownAdd" || f.Name == "SchemaEnumAdd"
	valueKey := "enum"
	if isDropdown {
		valueKey = "dropdown"
	}
	value, _ := data[valueKey].(string)
	model, ok := e.set.Model(kind)
	if !ok {
		return fmt.Errorf("%w: data.kind: no kind %q on branch %s", commands.ErrNotFound, kind, e.api.branchName())
	}
	attr := attrNamed(model, attrName)
	switch {
	case attr == nil:
		return fmt.Errorf("%w: data.attribute: attribute %s does not exist on %s", commands.ErrInvalid, attrName, kind)
	case attr.Inherited:
		return fmt.Errorf("%w: data.attribute: attribute %s on %s is inherited and must be changed on the generic", commands.ErrInvalid, attrName, kind)
	case isDropdown && attr.Kind != "Dropdown":
		return fmt.Errorf("%w: data.attribute: attribute %s on %s is not a Dropdown", commands.ErrInvalid, attrName, kind)
	case !isDropdown && len(attr.Enum) == 0:
		return fmt.Errorf("%w: data.attribute: attribute %s on %s is not an enum", commands.ErrInvalid, attrName, kind)
	}
	var present []string
	if isDropdown {
		for _, c := range attr.Choices {
			present = append(present, c.Name)
		}
	} else {
		for _, v := range attr.Enum {
			present = append(present, fmt.Sprint(v))
		}
	}
	what := "enum"
	if isDropdown {
		what = "dropdown"
	}
	switch {
	case adding && slices.Contains(present, value):
		return fmt.Errorf("%w: data.%s: the %s value %s already exists on %s in attribute %s", commands.ErrInvalid, valueKey, what, value, kind, attrName)
	case !adding && !slices.Contains(present, value):
		return fmt.Errorf("%w: data.%s: the %s value %s does not exist on %s in attribute %s", commands.ErrInvalid, valueKey, what, value, kind, attrName)
	case !adding && len(present) == 1:
		return fmt.Errorf("%w: data.%s: unable to remove the last %s on %s in attribute %s", commands.ErrInvalid, valueKey, what, kind, attrName)
	}
	if !adding {
		n, err := e.x.Graph.Count(e.ctx, e.scope, kind, map[string]any{attrName + "__value": value})
		if err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%w: data.%s: there are still %s objects using this %s", commands.ErrInvalid, valueKey, kind, what)
		}
	}
	file, err := changedDeclaration(e.set, kind, attrName, func(a map[string]any) {
		if !isDropdown {
			a["enum"] = edit(asList(a["enum"]), adding, func(v any) bool { return fmt.Sprint(v) == value }, value)
			return
		}
		choice := map[string]any{"name": value}
		for _, k := range []string{"color", "description", "label"} {
			if s, ok := data[k].(string); ok {
				choice[k] = s
			}
		}
		a["choices"] = edit(asList(a["choices"]), adding, func(v any) bool {
			m, _ := v.(map[string]any)
			return m["name"] == value
		}, choice)
	})
	if err != nil {
		return err
	}
	if _, err := e.mut.dispatch(commands.TypeLoadSchema, commands.LoadSchema{Branch: e.api.branchName(), Schemas: []json.RawMessage{file}}); err != nil {
		return err
	}
	out := map[string]any{"ok": true}
	if f.Name == "SchemaDropdownAdd" {
		obj := map[string]any{"value": value, "label": nil, "color": nil, "description": nil}
		for _, k := range []string{"color", "description", "label"} {
			if s, ok := data[k].(string); ok {
				obj[k] = s
			}
		}
		if set, ok := e.x.SchemaOf(e.api.branchName()); ok {
			if m, ok := set.Model(kind); ok {
				if a := attrNamed(m, attrName); a != nil {
					for _, c := range a.Choices {
						if c.Name == value {
							obj["label"], obj["color"], obj["description"] = deref(c.Label), deref(c.Color), deref(c.Description)
						}
					}
				}
			}
		}
		out["object"] = obj
	}
	e.plain(w, f.SelectionSet, typ, out, path)
	return nil
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// edit adds item to list, or removes the entries matching is.
func edit(list []any, adding bool, is func(any) bool, item any) []any {
	if adding {
		return append(list, item)
	}
	return slices.DeleteFunc(list, is)
}

// changedDeclaration is a schema file (JSON) holding only the declaration of kind, as the
// branch's users declared it, with change applied to its attribute attrName. A kind that users
// did not declare (a built-in one) is refused.
func changedDeclaration(set *schema.Set, kind, attrName string, change func(map[string]any)) (json.RawMessage, error) {
	raw, err := set.Declared().YAML()
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	for _, section := range []string{"generics", "nodes"} {
		for _, item := range asList(doc[section]) {
			m, _ := item.(map[string]any)
			if fmt.Sprint(m["namespace"])+fmt.Sprint(m["name"]) != kind {
				continue
			}
			for _, a := range asList(m["attributes"]) {
				am, _ := a.(map[string]any)
				if am["name"] == attrName {
					change(am)
				}
			}
			return json.Marshal(map[string]any{"version": "1.0", section: []any{m}})
		}
	}
	return nil, fmt.Errorf("%w: data.kind: operation not allowed for %s in restricted namespace %s", commands.ErrInvalid, kind, namespaceOf(kind))
}
