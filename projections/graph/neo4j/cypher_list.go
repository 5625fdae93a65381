package neo4j

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/projections/graph"
)

// ListInput is a List or Count query resolved against the schema.
type ListInput struct {
	Kinds   []string        // the node kinds read (a generic's used_by)
	Filters []graph.Filter  // from graph.ParseFilters
	Keys    []graph.SortKey // from graph.ResolveOrder; the node id always breaks ties
	Offset  int             // List only
	Limit   int             // List only; 0: no limit
	Count   bool            // a Count: no order, no page
}

// ListStatement builds the one statement that answers a List (columns count and page, the ids
// of the page in order) or a Count (column count). It is pure: the golden tests hold its output
// for a set of queries. Every filter and sort key is a subquery on the node (n) evaluated in
// scope (see Visible and Latest); values are compared on their JSON text, as stored on the
// AttributeValue vertex.
func ListStatement(in ListInput) (Statement, error) {
	var b strings.Builder
	params := map[string]any{"kinds": in.Kinds}
	b.WriteString("MATCH (n:Node)\nWHERE n.kind IN $kinds")
	for i, f := range in.Filters {
		if f.Op == graph.OpIDs {
			p := fmt.Sprintf("f%d", i)
			fmt.Fprintf(&b, " AND n.uuid IN $%s", p)
			params[p] = f.Values
		}
	}
	b.WriteString("\n" + live("n", "n") + "\n")
	for i, f := range in.Filters {
		p := fmt.Sprintf("f%d", i)
		if err := filterClause(&b, params, p, f); err != nil {
			return Statement{}, fmt.Errorf("filter %q: %w", f.Name, err)
		}
	}
	if in.Count {
		b.WriteString("RETURN count(n) AS count")
		return Statement{Cypher: b.String(), Params: params}, nil
	}
	vars := "n"
	order := make([]string, 0, len(in.Keys)+1)
	for i, k := range in.Keys {
		p := fmt.Sprintf("k%d", i)
		var expr string
		switch {
		case k.Meta == graph.OrderID:
			expr = "n.uuid"
		case k.Meta == graph.OrderCreatedAt:
			expr = "n.created_at"
		case k.Meta == graph.OrderUpdatedAt:
			expr = "n.updated_at"
		case k.Rel != nil:
			params[p+"_rel"], params[p+"_name"] = k.Rel.Identifier, k.Attr
			fmt.Fprintf(&b, "CALL {\n  WITH n\n  %s\n  %s\n  RETURN head(collect(pk_value)) AS %s\n}\n",
				indent(livePeers(side(k.Rel.Identifier, k.Rel.Direction), p+"_rel", "n")), indent(attrValue("p", p+"_name", "pk")), p)
			expr = p
		case k.Attr != "":
			params[p+"_name"] = k.Attr
			b.WriteString(attrValue("n", p+"_name", p) + "\n")
			expr = p + "_value"
		default:
			return Statement{}, fmt.Errorf("order %q: nothing to sort on", k.Path)
		}
		if expr != "n.uuid" && expr != "n.created_at" && expr != "n.updated_at" {
			fmt.Fprintf(&b, "WITH %s, %s AS %s\n", vars, expr, p)
			vars += ", " + p
			expr = p
		}
		if k.Desc {
			expr += " DESC"
		}
		order = append(order, expr)
	}
	order = append(order, "n.uuid")
	fmt.Fprintf(&b, "WITH %s\nORDER BY %s\nWITH collect(n.uuid) AS ids\n", vars, strings.Join(order, ", "))
	params["offset"] = int64(in.Offset)
	if in.Limit > 0 {
		params["end"] = int64(in.Offset + in.Limit)
		b.WriteString("RETURN size(ids) AS count, ids[$offset..$end] AS page")
	} else {
		b.WriteString("RETURN size(ids) AS count, ids[$offset..] AS page")
	}
	return Statement{Cypher: b.String(), Params: params}, nil
}

// side is the side of a relationship end (nodes.SideOut, SideIn or SideBoth).
func side(identifier, direction string) string {
	f := nodes.RelField(identifier, direction)
	return f[strings.LastIndexByte(f, '|')+1:]
}

func filterClause(b *strings.Builder, params map[string]any, p string, f graph.Filter) error {
	switch f.Op {
	case graph.OpIDs:
		return nil // in the first MATCH
	case graph.OpAttr, graph.OpAttrNull, graph.OpHFID:
		name := f.Attr
		if f.Op == graph.OpHFID {
			name = HFIDAttribute
		}
		params[p+"_name"] = name
		b.WriteString(attrValue("n", p+"_name", p) + "\n")
		var cond string
		switch f.Op {
		case graph.OpAttr:
			cond = matchCond(params, p, p+"_json", p+"_value", f)
		case graph.OpAttrNull:
			cond = fmt.Sprintf("coalesce(%s_json, 'null') %s 'null'", p, map[bool]string{true: "=", false: "<>"}[f.Null])
		case graph.OpHFID:
			js, err := json.Marshal(f.Values)
			if err != nil {
				return err
			}
			params[p] = string(js)
			cond = fmt.Sprintf("%s_json = $%s", p, p)
		}
		fmt.Fprintf(b, "WITH n, %[1]s_json, %[1]s_value WHERE %[2]s\nWITH n\n", p, cond)
	case graph.OpAny:
		fmt.Fprintf(b, `CALL {
  WITH n
  MATCH (n)-[ha:HAS_ATTRIBUTE]->(a:Attribute)
  WHERE %[2]s AND NOT a.name IN ['%[3]s', '%[4]s']
  WITH DISTINCT a
  CALL {
    WITH a
    MATCH (a)-[e:HAS_VALUE]->(v:AttributeValue)
    WHERE %[5]s
    RETURN v
    %[6]s
  }
  RETURN collect([v.json, v.value]) AS %[1]s
}
`, p, Visible("ha"), HFIDAttribute, LabelAttribute, Visible("e"), Latest("e"))
		fmt.Fprintf(b, "WITH n, %[1]s WHERE any(x IN %[1]s WHERE %[2]s)\nWITH n\n", p, anyCond(params, p, f))
	case graph.OpRelIDs, graph.OpRelNull, graph.OpRelAttr:
		params[p+"_rel"] = f.Rel.Identifier
		ret := "collect(p.uuid)"
		extra := ""
		if f.Op == graph.OpRelAttr {
			params[p+"_name"] = f.Attr
			extra = "\n  " + indent(attrValue("p", p+"_name", "pv"))
			ret = "collect([pv_json, pv_value])"
		}
		fmt.Fprintf(b, "CALL {\n  WITH n\n  %s%s\n  RETURN %s AS %s\n}\n",
			indent(livePeers(side(f.Rel.Identifier, f.Rel.Direction), p+"_rel", "n")), extra, ret, p)
		var cond string
		switch f.Op {
		case graph.OpRelIDs:
			params[p+"_ids"] = f.Values
			cond = fmt.Sprintf("any(x IN %[1]s WHERE x IN $%[1]s_ids)", p)
		case graph.OpRelNull:
			cond = fmt.Sprintf("size(%s) %s 0", p, map[bool]string{true: "=", false: ">"}[f.Null])
		case graph.OpRelAttr:
			cond = fmt.Sprintf("any(x IN %s WHERE %s)", p, matchCond(params, p, "x[0]", "x[1]", f))
		}
		fmt.Fprintf(b, "WITH n, %s WHERE %s\nWITH n\n", p, cond)
	default:
		return fmt.Errorf("unknown operation %d", f.Op)
	}
	return nil
}

// matchCond is graph.Filter.Match over a stored value's JSON text and value: equal JSON (a text
// value also matching the number or boolean it spells), or with Partial a string containing a
// string filter value, ignoring case. Parameter $p holds the JSON texts, $p_sub the substrings.
func matchCond(params map[string]any, p, js, val string, f graph.Filter) string {
	var texts, subs []string
	for _, v := range f.Values {
		if s, ok := v.(string); ok && f.Partial {
			subs = append(subs, strings.ToLower(s))
			continue
		}
		texts = append(texts, jsonsOf(v)...)
	}
	params[p] = texts
	cond := fmt.Sprintf("coalesce(%s, 'null') IN $%s", js, p)
	if f.Partial {
		params[p+"_sub"] = subs
		cond = fmt.Sprintf("(%s OR any(s IN $%s_sub WHERE CASE WHEN %s STARTS WITH '\"' THEN toLower(%s) CONTAINS s ELSE false END))", cond, p, js, val)
	}
	return cond
}

// anyCond is graph.Filter.MatchAny over x = [json, value] of one attribute.
func anyCond(params map[string]any, p string, f graph.Filter) string {
	params[p] = jsonsOf(f.Values[0])
	cond := fmt.Sprintf("x[0] IN $%s", p)
	if s, ok := f.Values[0].(string); ok && f.Partial {
		params[p+"_sub"] = strings.ToLower(s)
		cond = fmt.Sprintf(`(%s OR (x[0] <> 'null' AND NOT x[0] STARTS WITH '[' AND NOT x[0] STARTS WITH '{'
    AND CASE WHEN x[0] STARTS WITH '"' THEN toLower(x[1]) ELSE x[0] END CONTAINS $%s_sub))`, cond, p)
	}
	return cond
}

// jsonsOf is the JSON texts of the stored values v matches (graph.Filter.Match without
// partial): v's own and, for a text, the number or boolean it spells (graph.Text).
func jsonsOf(v any) []string {
	js, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	out := []string{string(js)}
	if s, ok := v.(string); ok {
		if s == "true" || s == "false" {
			out = append(out, s)
		} else if f, err := strconv.ParseFloat(s, 64); err == nil {
			if t, _ := graph.Text(f); t == s {
				if fj, err := json.Marshal(f); err == nil {
					out = append(out, string(fj))
				}
			}
		}
	}
	return out
}
