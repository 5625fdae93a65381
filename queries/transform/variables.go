package transform

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/infrahub-go/infrahub/fault"
)

// FromURL is the value of a variable given in a URL's query string: every value of the
// parameter, in order. ConvertVariables converts it to the type the query declares.
type FromURL []string

// URLVariables makes the variables of a query string: every parameter but those in skip.
func URLVariables(q url.Values, skip ...string) map[string]any {
	out := make(map[string]any, len(q))
	for k, vs := range q {
		if !slices.Contains(skip, k) && len(vs) > 0 {
			out[k] = FromURL(vs)
		}
	}
	return out
}

// ConvertVariables converts the FromURL values of vars to the types the operations of the
// query document text declare for them: Int, Float, Boolean, String and ID (and their non-null
// forms); a list type takes every value of the parameter (a repeated parameter), each converted
// to the element type; a single-valued type takes the last value, as Starlette's query
// parameters give it to Infrahub; enums are their name; input objects and other scalars are
// decoded as JSON when the text is a JSON object or array, else passed as text. A variable the
// document does not declare is dropped (graphql-core ignores it). Other values pass unchanged.
// Errors wrap fault.ErrInvalid and name the query and the variable.
func ConvertVariables(queryName, text string, vars map[string]any) (map[string]any, error) {
	if len(vars) == 0 {
		return vars, nil
	}
	hasURL := false
	for _, v := range vars {
		if _, ok := v.(FromURL); ok {
			hasURL = true
			break
		}
	}
	if !hasURL {
		return vars, nil
	}
	doc, err := parser.ParseQuery(&ast.Source{Name: queryName, Input: text})
	if err != nil {
		return nil, fmt.Errorf("%w: query %s: %v", fault.ErrInvalid, queryName, err)
	}
	declared := map[string]*ast.Type{}
	for _, op := range doc.Operations {
		for _, d := range op.VariableDefinitions {
			if _, ok := declared[d.Variable]; !ok {
				declared[d.Variable] = d.Type
			}
		}
	}
	out := make(map[string]any, len(vars))
	for name, v := range vars {
		raw, ok := v.(FromURL)
		if !ok {
			out[name] = v
			continue
		}
		typ, ok := declared[name]
		if !ok {
			continue
		}
		conv, err := convertURL(typ, raw)
		if err != nil {
			return nil, fmt.Errorf("%w: query %s: variable %s (%s): %v", fault.ErrInvalid, queryName, name, typ.String(), err)
		}
		out[name] = conv
	}
	return out, nil
}

func convertURL(typ *ast.Type, raw []string) (any, error) {
	if typ.Elem != nil {
		list := make([]any, 0, len(raw))
		for _, s := range raw {
			v, err := convertScalar(typ.Elem, s)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		return list, nil
	}
	if len(raw) == 0 {
		return nil, nil
	}
	return convertScalar(typ, raw[len(raw)-1])
}

func convertScalar(typ *ast.Type, s string) (any, error) {
	if typ.Elem != nil { // a list of lists: one value per parameter, as JSON
		var v []any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return nil, fmt.Errorf("%q is not a JSON list", s)
		}
		return v, nil
	}
	switch typ.NamedType {
	case "String", "ID":
		return s, nil
	case "Int":
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%q is not an Int", s)
		}
		return n, nil
	case "Float":
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("%q is not a Float", s)
		}
		return f, nil
	case "Boolean":
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true", "1":
			return true, nil
		case "false", "0":
			return false, nil
		}
		return nil, fmt.Errorf("%q is not a Boolean (true or false)", s)
	}
	if t := strings.TrimSpace(s); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
		var v any
		d := json.NewDecoder(strings.NewReader(t))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			return nil, fmt.Errorf("%q is not JSON: %v", s, err)
		}
		return v, nil
	}
	return s, nil
}

// NodeIDs answers every string value of an "id" field anywhere in the JSON document data,
// sorted and unique: the nodes a query's answer depends on.
func NodeIDs(data []byte) ([]string, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	seen := map[string]bool{}
	// stack holds, per open container, whether it is an object and whether the next string
	// token of an object is a key.
	type frame struct{ object, key bool }
	var stack []frame
	afterID := false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: the query's data: %v", fault.ErrInvalid, err)
		}
		top := len(stack) - 1
		isKey := top >= 0 && stack[top].object && stack[top].key
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, frame{object: true, key: true})
			case '[':
				stack = append(stack, frame{})
			default:
				stack = stack[:top]
				top--
				if top >= 0 && stack[top].object {
					stack[top].key = true
				}
			}
			afterID = false
			continue
		case string:
			if isKey {
				stack[top].key = false
				afterID = t == "id"
				continue
			}
			if afterID {
				seen[t] = true
			}
		}
		afterID = false
		if top >= 0 && stack[top].object {
			stack[top].key = true
		}
	}
	out := make([]string, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	slices.Sort(out)
	return out, nil
}
