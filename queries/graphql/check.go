package graphql

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/infrahub-go/infrahub/schema"
)

// Check builds the GraphQL schema of set and validates it as a GraphQL schema (gqlparser's
// schema validation: fields of interfaces present with compatible types on every object that
// implements them, unique names, known types). It returns nil when the schema is valid, or a
// *schema.Error whose problem names the kind and field the GraphQL schema breaks on, at the
// kind's declaration. A schema load that fails it must be refused: every GraphQL document of the
// branch would fail otherwise.
func Check(set *schema.Set) error {
	if set == nil {
		return errors.New("graphql: nil schema set")
	}
	_, err := buildSchema(set)
	return checkError(set, err)
}

// checkError turns an error of build into the problem of the kind it comes from.
func checkError(set *schema.Set, err error) error {
	var invalid *invalidSchema
	if errors.As(err, &invalid) {
		return &schema.Error{Problems: []schema.Problem{problemOf(set, invalid)}}
	}
	return err
}

// fieldInMessage finds the field gqlparser's schema validation names in its message; memberOf
// finds "Type.field" in "Field Type.field can only..." and "Argument Type.field(arg:)...".
var (
	fieldInMessage = regexp.MustCompile(`(?:field called|the field|field named|fields? on) "?([A-Za-z_][A-Za-z0-9_]*)"?`)
	memberOf       = regexp.MustCompile(`^(?:Field|Argument) ([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)`)
	identifier     = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*`)
)

// generatedAffixes are the prefixes and suffixes of the types generated per kind.
var (
	generatedPrefixes = []string{"NestedPaginated", "NestedEdged", "Paginated", "Edged"}
	generatedSuffixes = []string{"CreateInput", "UpdateInput", "UpsertInput", "Create", "Update", "Upsert", "Delete"}
)

// problemOf locates a GraphQL schema error and names the kind (and field) of the Infrahub schema
// it comes from: by its position in the static SDL, else by the first type of a kind that its
// message names (a generated definition has no position).
func problemOf(set *schema.Set, invalid *invalidSchema) schema.Problem {
	msg := invalid.err.Error()
	var typeName, field string
	var gqlErr *gqlerror.Error
	if errors.As(invalid.err, &gqlErr) {
		msg = gqlErr.Message
		if file, _ := gqlErr.Extensions["file"].(string); file == staticSource && len(gqlErr.Locations) > 0 {
			typeName, field = locate(invalid.src, gqlErr.Locations[0].Line)
		}
	}
	if m := fieldInMessage.FindStringSubmatch(msg); m != nil {
		field = m[1]
	}
	if m := memberOf.FindStringSubmatch(msg); m != nil {
		if m[1] == "Query" || m[1] == "Mutation" {
			typeName, field = m[2], "" // a root field is named after its kind
		} else {
			typeName, field = m[1], m[2]
		}
	}
	if typeName == "" {
		for _, name := range identifier.FindAllString(msg, -1) {
			if _, model := kindOf(set, name); model != nil {
				typeName = name
				break
			}
		}
	}
	p := schema.Problem{Message: "the GraphQL schema generated for this schema is invalid: " + msg}
	kind, model := kindOf(set, typeName)
	if model == nil {
		p.Path = typeName
		return p
	}
	p.File, p.Line = model.Pos.File, model.Pos.Line
	switch {
	case field == "":
		p.Path = kind
	case model.Relationship(field) != nil:
		p.Path = fmt.Sprintf("%s.relationships[%s]", kind, field)
		if pos := model.Relationship(field).Pos; pos.Line > 0 {
			p.File, p.Line = pos.File, pos.Line
		}
	case model.Attribute(field) != nil:
		p.Path = fmt.Sprintf("%s.attributes[%s]", kind, field)
		if pos := model.Attribute(field).Pos; pos.Line > 0 {
			p.File, p.Line = pos.File, pos.Line
		}
	default:
		p.Path = kind + "." + field
	}
	return p
}

// locate returns the type whose definition holds line of src, and the field defined on that
// line (empty when the line is the definition's first).
func locate(src string, line int) (typeName, field string) {
	lines := strings.Split(src, "\n")
	if line < 1 || line > len(lines) {
		return "", ""
	}
	for i := line - 1; i >= 0; i-- {
		l := lines[i]
		for _, kw := range []string{"type ", "interface ", "input ", "enum ", "union ", "scalar "} {
			if strings.HasPrefix(l, kw) {
				name := strings.TrimPrefix(l, kw)
				if j := strings.IndexAny(name, " {("); j >= 0 {
					name = name[:j]
				}
				return name, field
			}
		}
		if i == line-1 {
			f := strings.TrimSpace(l)
			if j := strings.IndexAny(f, ":("); j > 0 {
				field = f[:j]
			}
		}
	}
	return "", ""
}

// kindOf maps a generated GraphQL type name to the kind it was generated for.
func kindOf(set *schema.Set, typeName string) (string, *schema.Model) {
	candidates := []string{typeName}
	for _, p := range generatedPrefixes {
		if k, ok := strings.CutPrefix(typeName, p); ok {
			candidates = append(candidates, k)
		}
	}
	for _, s := range generatedSuffixes {
		if k, ok := strings.CutSuffix(typeName, s); ok {
			candidates = append(candidates, k)
		}
	}
	for _, k := range candidates {
		if m, ok := set.Model(k); ok {
			return k, m
		}
	}
	return "", nil
}
