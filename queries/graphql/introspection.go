package graphql

import (
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// lazyObject is an object whose fields are computed when selected (introspection types refer
// to each other without end).
type lazyObject struct {
	typ string
	get func(field string, args map[string]any) any
}

// lazy writes a value that may hold lazy objects.
func (e *exec) lazy(w *jsonWriter, sel ast.SelectionSet, v any, path ast.Path) {
	switch x := v.(type) {
	case lazyObject:
		w.beginObject()
		for _, f := range e.sel.collect(sel, x.typ) {
			w.key(keyOf(f))
			if f.Name == "__typename" {
				w.value(x.typ)
			} else {
				e.lazy(w, f.SelectionSet, x.get(f.Name, f.ArgumentMap(e.vars)), path)
			}
			w.valueDone()
		}
		w.endObject()
	case []lazyObject:
		w.beginArray()
		for _, item := range x {
			if !e.live() {
				return
			}
			e.lazy(w, sel, item, path)
		}
		w.endArray()
	default:
		e.plain(w, sel, "", v, path)
	}
}

func deprecated(ds ast.DirectiveList) (bool, any) {
	if d := ds.ForName("deprecated"); d != nil {
		reason := "No longer supported"
		if a := d.Arguments.ForName("reason"); a != nil && a.Value != nil {
			reason = a.Value.Raw
		}
		return true, reason
	}
	return false, nil
}

func describe(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func schemaObject(s *ast.Schema) lazyObject {
	return lazyObject{typ: "__Schema", get: func(field string, _ map[string]any) any {
		switch field {
		case "description":
			return nil
		case "types":
			names := make([]string, 0, len(s.Types))
			for n := range s.Types {
				names = append(names, n)
			}
			sort.Strings(names)
			out := make([]lazyObject, len(names))
			for i, n := range names {
				out[i] = typeObject(s, s.Types[n])
			}
			return out
		case "queryType":
			return typeObject(s, s.Query)
		case "mutationType":
			if s.Mutation == nil {
				return nil
			}
			return typeObject(s, s.Mutation)
		case "subscriptionType":
			if s.Subscription == nil {
				return nil
			}
			return typeObject(s, s.Subscription)
		case "directives":
			names := make([]string, 0, len(s.Directives))
			for n := range s.Directives {
				names = append(names, n)
			}
			sort.Strings(names)
			out := make([]lazyObject, 0, len(names))
			for _, n := range names {
				out = append(out, directiveObject(s, s.Directives[n]))
			}
			return out
		}
		return nil
	}}
}

var kindNames = map[ast.DefinitionKind]string{ast.Scalar: "SCALAR", ast.Object: "OBJECT", ast.Interface: "INTERFACE",
	ast.Union: "UNION", ast.Enum: "ENUM", ast.InputObject: "INPUT_OBJECT"}

func typeObject(s *ast.Schema, def *ast.Definition) lazyObject {
	return lazyObject{typ: "__Type", get: func(field string, args map[string]any) any {
		withDeprecated, _ := args["includeDeprecated"].(bool)
		switch field {
		case "kind":
			return kindNames[def.Kind]
		case "name":
			return def.Name
		case "description":
			return describe(def.Description)
		case "specifiedByURL", "ofType":
			return nil
		case "isOneOf":
			return false
		case "fields":
			if def.Kind != ast.Object && def.Kind != ast.Interface {
				return nil
			}
			out := []lazyObject{}
			for _, f := range def.Fields {
				if strings.HasPrefix(f.Name, "__") {
					continue
				}
				if dep, _ := deprecated(f.Directives); dep && !withDeprecated {
					continue
				}
				out = append(out, fieldObject(s, f))
			}
			return out
		case "interfaces":
			if def.Kind != ast.Object && def.Kind != ast.Interface {
				return nil
			}
			out := []lazyObject{}
			for _, n := range def.Interfaces {
				if t := s.Types[n]; t != nil {
					out = append(out, typeObject(s, t))
				}
			}
			return out
		case "possibleTypes":
			if def.Kind != ast.Interface && def.Kind != ast.Union {
				return nil
			}
			out := []lazyObject{}
			for _, t := range s.GetPossibleTypes(def) {
				out = append(out, typeObject(s, t))
			}
			return out
		case "enumValues":
			if def.Kind != ast.Enum {
				return nil
			}
			out := []lazyObject{}
			for _, v := range def.EnumValues {
				dep, reason := deprecated(v.Directives)
				if dep && !withDeprecated {
					continue
				}
				out = append(out, lazyObject{typ: "__EnumValue", get: func(f string, _ map[string]any) any {
					switch f {
					case "name":
						return v.Name
					case "description":
						return describe(v.Description)
					case "isDeprecated":
						return dep
					case "deprecationReason":
						return reason
					}
					return nil
				}})
			}
			return out
		case "inputFields":
			if def.Kind != ast.InputObject {
				return nil
			}
			out := []lazyObject{}
			for _, f := range def.Fields {
				out = append(out, inputValueObject(s, f.Name, f.Description, f.Type, f.DefaultValue, f.Directives))
			}
			return out
		}
		return nil
	}}
}

func typeRef(s *ast.Schema, t *ast.Type) lazyObject {
	if t.NonNull {
		inner := *t
		inner.NonNull = false
		return lazyObject{typ: "__Type", get: func(field string, _ map[string]any) any {
			switch field {
			case "kind":
				return "NON_NULL"
			case "ofType":
				return typeRef(s, &inner)
			}
			return nil
		}}
	}
	if t.Elem != nil {
		return lazyObject{typ: "__Type", get: func(field string, _ map[string]any) any {
			switch field {
			case "kind":
				return "LIST"
			case "ofType":
				return typeRef(s, t.Elem)
			}
			return nil
		}}
	}
	if def := s.Types[t.NamedType]; def != nil {
		return typeObject(s, def)
	}
	return lazyObject{typ: "__Type", get: func(string, map[string]any) any { return nil }}
}

func fieldObject(s *ast.Schema, f *ast.FieldDefinition) lazyObject {
	dep, reason := deprecated(f.Directives)
	return lazyObject{typ: "__Field", get: func(field string, _ map[string]any) any {
		switch field {
		case "name":
			return f.Name
		case "description":
			return describe(f.Description)
		case "args":
			out := []lazyObject{}
			for _, a := range f.Arguments {
				out = append(out, inputValueObject(s, a.Name, a.Description, a.Type, a.DefaultValue, a.Directives))
			}
			return out
		case "type":
			return typeRef(s, f.Type)
		case "isDeprecated":
			return dep
		case "deprecationReason":
			return reason
		}
		return nil
	}}
}

func inputValueObject(s *ast.Schema, name, desc string, t *ast.Type, def *ast.Value, ds ast.DirectiveList) lazyObject {
	dep, reason := deprecated(ds)
	return lazyObject{typ: "__InputValue", get: func(field string, _ map[string]any) any {
		switch field {
		case "name":
			return name
		case "description":
			return describe(desc)
		case "type":
			return typeRef(s, t)
		case "defaultValue":
			if def == nil {
				return nil
			}
			return def.String()
		case "isDeprecated":
			return dep
		case "deprecationReason":
			return reason
		}
		return nil
	}}
}

func directiveObject(s *ast.Schema, d *ast.DirectiveDefinition) lazyObject {
	return lazyObject{typ: "__Directive", get: func(field string, _ map[string]any) any {
		switch field {
		case "name":
			return d.Name
		case "description":
			return describe(d.Description)
		case "isRepeatable":
			return d.IsRepeatable
		case "locations":
			out := make([]any, len(d.Locations))
			for i, l := range d.Locations {
				out[i] = string(l)
			}
			return out
		case "args":
			out := []lazyObject{}
			for _, a := range d.Arguments {
				out = append(out, inputValueObject(s, a.Name, a.Description, a.Type, a.DefaultValue, a.Directives))
			}
			return out
		}
		return nil
	}}
}
