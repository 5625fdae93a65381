package graphql

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/commands/values"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/schema"
)

// root answers the fields of the Query type.
func (e *exec) root(w *jsonWriter, set ast.SelectionSet, def *ast.Definition) {
	w.beginObject()
	for _, f := range e.sel.collect(set, def.Name) {
		if !e.live() {
			return
		}
		key := keyOf(f)
		path := ast.Path{ast.PathName(key)}
		w.key(key)
		switch f.Name {
		case "__typename":
			w.value(def.Name)
		case "__schema":
			e.lazy(w, f.SelectionSet, schemaObject(e.s), path)
		case "__type":
			name, _ := f.ArgumentMap(e.vars)["name"].(string)
			if t := e.s.Types[name]; t != nil {
				e.lazy(w, f.SelectionSet, typeObject(e.s, t), path)
			} else {
				w.null()
			}
		case "Branch":
			e.api.branches(w, f)
		case "InfrahubBranch":
			e.api.infrahubBranch(w, f, path)
		case "InfrahubStatus":
			e.api.status(w, f, path)
		case "InfrahubSearchAnywhere":
			e.api.search(w, f, path)
		case "Relationship":
			e.api.relationships(w, f, path)
		case "InfrahubResourcePoolAllocated":
			e.api.poolAllocated(w, f, path)
		case "InfrahubResourcePoolUtilization":
			e.api.poolUtilization(w, f, path)
		case "DiffTree", "DiffTreeSummary":
			e.diffTree(w, f, path)
		case "InfrahubIPAddressGetNextAvailable", "InfrahubIPPrefixGetNextAvailable":
			e.nextAvailable(w, f, path)
		case "InfrahubInfo":
			e.plain(w, f.SelectionSet, "InfrahubInfo", map[string]any{"deployment_id": "infrahub-go", "version": e.x.Version}, path)
		case "AccountProfile":
			e.accountProfile(w, f, path)
		case "InfrahubPermissions":
			e.accountPermissions(w, f, path)
		case "InfrahubAccountToken":
			e.accountTokens(w, f, path)
		case "InfrahubTask", "InfrahubTaskBranchStatus":
			e.api.tasks(w, f, path)
		case "InfrahubEvent":
			e.api.events(w, f, path)
		default:
			if m, ok := e.set.Model(f.Name); ok {
				onDefault := e.scope.Branch == "" || e.scope.Branch == e.x.Default
				if err := authz.RequireView(authz.From(e.ctx), authz.Kind{Namespace: m.Namespace, Name: m.Name}, onDefault); err != nil {
					e.fail(path, err) // as Infrahub: the query is answered with an error, no objects
					w.null()
					break
				}
				e.kindQuery(w, f, f.Name, path)
			} else {
				e.fail(path, fmt.Errorf("%w: field %s is not served yet", graph.ErrInvalidQuery, f.Name))
				w.null()
			}
		}
		w.valueDone()
	}
	w.endObject()
}

// listQuery turns the arguments of a <Kind> field (or a relationship's) into a read query.
func (e *exec) listQuery(kind string, args map[string]any) (graph.Query, error) {
	q := graph.Query{Kind: kind, Filters: map[string]any{}}
	for k, v := range args {
		switch k {
		case "offset":
			if n, ok := toInt(v); ok {
				q.Offset = n
			}
		case "limit":
			if n, ok := toInt(v); ok {
				q.Limit = n
			}
		case "partial_match":
			b, _ := v.(bool)
			q.PartialMatch = b
		case "order":
			m, _ := v.(map[string]any)
			if disable, _ := m["disable"].(bool); disable {
				q.OrderBy = []graph.Order{}
			}
			if by, ok := m["by"].([]any); ok {
				q.OrderBy = []graph.Order{}
				for _, p := range by {
					item, _ := p.(map[string]any)
					field, _ := item["field"].(string)
					dir, _ := item["direction"].(string)
					q.OrderBy = append(q.OrderBy, graph.Order{Path: field, Desc: strings.EqualFold(dir, "DESC")})
				}
			}
			if nm, ok := m["node_metadata"].(map[string]any); ok {
				for _, f := range []string{"created_at", "updated_at"} {
					if dir, ok := nm[f].(string); ok {
						q.OrderBy = append(q.OrderBy, graph.Order{Path: "node_metadata__" + f, Desc: strings.EqualFold(dir, "DESC")})
					}
				}
			}
		case "include_descendants", "include_available", "kinds":
		default:
			if v == nil {
				continue // an argument given null is no filter
			}
			q.Filters[k] = v
		}
	}
	return q, nil
}

// stringList reads a [String] argument.
func stringList(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func toInt(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), true
	case float64:
		return int(n), true
	}
	return 0, false
}

// kindQuery answers a top-level <Kind>(filters) field: Paginated<Kind>.
func (e *exec) kindQuery(w *jsonWriter, f *ast.Field, kind string, path ast.Path) {
	args := f.ArgumentMap(e.vars)
	q, _ := e.listQuery(kind, args)
	typ := "Paginated" + kind
	fields := e.sel.collect(f.SelectionSet, typ)
	var edges []*ast.Field
	for _, sf := range fields {
		if sf.Name == "edges" {
			edges = append(edges, sf)
		}
	}
	var page graph.Page
	var err error
	var nodeSel ast.SelectionSet
	if len(edges) == 0 { // count alone never loads nodes
		page.Count, err = e.x.Graph.Count(e.ctx, e.scope, kind, withPartial(q))
	} else {
		nodeSel = e.nodeSelections(edges, "Edged"+kind)
		q.Fields = e.sel.fieldNames(nodeSel)
		handled := false
		if parentID := parentOf(kind, args); parentID != "" {
			page.Nodes, handled, err = e.ipam.list(q, parentID, stringList(args["kinds"]))
			if handled && err == nil && slices.ContainsFunc(fields, func(sf *ast.Field) bool { return sf.Name == "count" }) {
				page.Count, err = e.x.Graph.Count(e.ctx, e.scope, kind, withPartial(q))
			}
		}
		if !handled && err == nil {
			sets := make([]ast.SelectionSet, len(edges))
			for i, ef := range edges {
				sets[i] = ef.SelectionSet
			}
			q.Omit = omitted(e.doc, sets...)
			page, err = e.x.Graph.List(e.ctx, e.scope, q)
		}
	}
	if err != nil {
		e.fail(path, err)
		w.null()
		return
	}
	var lv *level
	if len(edges) > 0 {
		lv = e.prefetch(page.Nodes, nodeSel, path)
	}
	w.beginObject()
	for _, sf := range fields {
		key := keyOf(sf)
		w.key(key)
		switch sf.Name {
		case "__typename":
			w.value(typ)
		case "count":
			w.value(page.Count)
		case "edges":
			w.beginArray()
			for i, n := range page.Nodes {
				if !e.live() {
					return
				}
				e.edge(w, sf.SelectionSet, "Edged"+kind, n, graph.Edge{}, false, lv, append(path, ast.PathName(key), ast.PathIndex(i)))
			}
			w.endArray()
		case "permissions":
			e.permissions(w, sf.SelectionSet, kind)
		default:
			w.null()
		}
		w.valueDone()
	}
	w.endObject()
}

func withPartial(q graph.Query) map[string]any {
	if !q.PartialMatch {
		return q.Filters
	}
	out := make(map[string]any, len(q.Filters)+1)
	for k, v := range q.Filters {
		out[k] = v
	}
	out["partial_match"] = true
	return out
}

// nodeSelections gathers the selection sets of the `node` fields under edges fields.
func (e *exec) nodeSelections(edges []*ast.Field, edgeType string) ast.SelectionSet {
	var out ast.SelectionSet
	for _, ef := range edges {
		for _, nf := range e.sel.collect(ef.SelectionSet, edgeType) {
			if nf.Name == "node" {
				out = append(out, nf.SelectionSet...)
			}
		}
	}
	return out
}

// edge writes one edge object: node, node_metadata, properties.
func (e *exec) edge(w *jsonWriter, sel ast.SelectionSet, typ string, n graph.Node, ed graph.Edge, nested bool, lv *level, path ast.Path) {
	w.beginObject()
	for _, f := range e.sel.collect(sel, typ) {
		key := keyOf(f)
		w.key(key)
		switch f.Name {
		case "__typename":
			w.value(typ)
		case "node":
			e.node(w, f.SelectionSet, n, lv, append(path, ast.PathName(key)))
		case "node_metadata":
			e.metadata(w, f.SelectionSet, n)
		case "properties":
			if nested {
				e.properties(w, f.SelectionSet, ed)
			} else {
				w.null()
			}
		case "relationship_metadata":
			e.plain(w, f.SelectionSet, relationshipMetadataType, map[string]any{"updated_at": n.UpdatedAt, "updated_by": nil}, path)
		default:
			w.null()
		}
		w.valueDone()
	}
	w.endObject()
}

// emptyEdge writes an unset relationship of cardinality one as Infrahub answers it
// (backend/infrahub/graphql/resolvers/single_relationship.py starts from
// {"node": None, "properties": {}}): an edge object whose node is null, whose properties are an
// object of nulls and whose other fields are null. Web clients read `.node` of it.
func emptyEdge(e *exec, w *jsonWriter, sel ast.SelectionSet, typ string) {
	w.beginObject()
	for _, f := range e.sel.collect(sel, typ) {
		w.key(keyOf(f))
		switch f.Name {
		case "__typename":
			w.value(typ)
		case "properties":
			e.plain(w, f.SelectionSet, relationshipPropertyType, map[string]any{}, nil)
		default:
			w.null()
		}
		w.valueDone()
	}
	w.endObject()
}

func (e *exec) metadata(w *jsonWriter, sel ast.SelectionSet, n graph.Node) {
	actor := func(a string) any {
		if a == "" {
			return nil
		}
		return map[string]any{"id": a, "__typename": "CoreAccount", "display_label": a}
	}
	e.plain(w, sel, nodeMetadataType, map[string]any{"created_at": n.CreatedAt, "updated_at": n.UpdatedAt,
		"created_by": actor(n.CreatedBy), "updated_by": actor(n.UpdatedBy)}, nil)
}

func (e *exec) properties(w *jsonWriter, sel ast.SelectionSet, ed graph.Edge) {
	ref := func(id string) any {
		if id == "" {
			return nil
		}
		return map[string]any{"id": id}
	}
	e.plain(w, sel, relationshipPropertyType, map[string]any{"is_protected": ed.IsProtected, "is_visible": true,
		"source": ref(ed.Source), "owner": ref(ed.Owner), "updated_at": nil}, nil)
}

func (e *exec) permissions(w *jsonWriter, sel ast.SelectionSet, kind string) {
	e.kindPermissions(w, sel, kind)
}

// node writes one node with its selection; lv holds what was prefetched for its level.
func (e *exec) node(w *jsonWriter, sel ast.SelectionSet, n graph.Node, lv *level, path ast.Path) {
	if e.touched != nil {
		e.touched(n.ID)
	}
	var model *schema.Model
	avail := false
	if m, ok := e.set.Node(n.Kind); ok {
		model = &m.Model
	} else if model = availableModel(e.set, n.Kind); model != nil {
		avail = true
	}
	w.beginObject()
	for _, f := range e.sel.collect(sel, n.Kind) {
		key := keyOf(f)
		fpath := func() ast.Path { return append(slices.Clip(path), ast.PathName(key)) }
		w.key(key)
		switch f.Name {
		case "__typename":
			w.value(n.Kind)
		case "id":
			w.value(n.ID)
		case "hfid":
			if hfid := values.AnsweredHFID(n.Kind, n.HFID); hfid == nil {
				w.null()
			} else {
				w.value(hfid)
			}
		case "display_label":
			w.value(n.DisplayLabel)
		case "_updated_at":
			w.value(n.UpdatedAt)
		case "ancestors", "descendants":
			e.hierarchy(w, f, n, fpath())
		default:
			if model == nil {
				w.null()
				break
			}
			if a := attrNamed(model, f.Name); a != nil {
				e.attribute(w, f, a, n.Attributes[a.Name], n)
				break
			}
			if r := relNamed(model, f.Name); r != nil {
				if avail {
					e.ipam.relationship(w, f, r, n, fpath())
				} else {
					e.relationship(w, f, r, n, lv.rel(n.Kind, key), fpath())
				}
				break
			}
			if f.Name == fieldExternallyManaged {
				w.value(false) // an account's field: no identity provider manages one here
				break
			}
			w.null()
		}
		w.valueDone()
	}
	w.endObject()
}

func attrNamed(m *schema.Model, name string) *schema.Attribute {
	for _, a := range m.Attributes {
		if a.Name == name && a.State != schema.StateAbsent {
			return a
		}
	}
	return nil
}

func relNamed(m *schema.Model, name string) *schema.Relationship {
	for _, r := range m.Relationships {
		if r.Name == name && r.State != schema.StateAbsent {
			return r
		}
	}
	return nil
}

// hierarchy writes ancestors or descendants (NestedPaginated of the hierarchy's kind).
func (e *exec) hierarchy(w *jsonWriter, f *ast.Field, n graph.Node, path ast.Path) {
	var (
		list []graph.Node
		err  error
	)
	if f.Name == "ancestors" {
		list, err = e.x.Graph.Ancestors(e.ctx, e.scope, n.ID)
	} else {
		list, err = e.x.Graph.Descendants(e.ctx, e.scope, n.ID)
	}
	if err != nil {
		e.fail(path, err)
		w.null()
		return
	}
	typ := f.Definition.Type.Name()
	peerType := strings.TrimPrefix(typ, "NestedPaginated")
	edgesFields := []*ast.Field{}
	for _, sf := range e.sel.collect(f.SelectionSet, typ) {
		if sf.Name == "edges" {
			edgesFields = append(edgesFields, sf)
		}
	}
	lv := e.prefetch(list, e.nodeSelections(edgesFields, "NestedEdged"+peerType), path)
	edges := make([]graph.Edge, len(list))
	for i, p := range list {
		edges[i] = graph.Edge{Peer: p.ID, PeerKind: p.Kind}
	}
	e.many(w, f, typ, peerType, list, edges, len(list), lv, path)
}

// many writes a NestedPaginated value: count and edges of the given peers.
func (e *exec) many(w *jsonWriter, f *ast.Field, typ, peerType string, peers []graph.Node, edges []graph.Edge, count int, lv *level, path ast.Path) {
	w.beginObject()
	for _, sf := range e.sel.collect(f.SelectionSet, typ) {
		key := keyOf(sf)
		w.key(key)
		switch sf.Name {
		case "__typename":
			w.value(typ)
		case "count":
			w.value(count)
		case "edges":
			w.beginArray()
			for i, p := range peers {
				if !e.live() {
					return
				}
				e.edge(w, sf.SelectionSet, "NestedEdged"+peerType, p, edges[i], true, lv, append(slices.Clip(path), ast.PathName(key), ast.PathIndex(i)))
			}
			w.endArray()
		case "permissions":
			e.permissions(w, sf.SelectionSet, peerType)
		default:
			w.null()
		}
		w.valueDone()
	}
	w.endObject()
}

// relationship writes a relationship field of n from the prefetched level data.
func (e *exec) relationship(w *jsonWriter, f *ast.Field, r *schema.Relationship, n graph.Node, rd *relData, path ast.Path) {
	if rd == nil {
		w.null()
		return
	}
	peers, edges, count := rd.of(n.ID)
	typ := f.Definition.Type.Name()
	if r.Cardinality == "one" {
		if len(peers) == 0 {
			emptyEdge(e, w, f.SelectionSet, typ)
			return
		}
		e.edge(w, f.SelectionSet, typ, peers[0], edges[0], true, rd.child, path)
		return
	}
	e.many(w, f, typ, strings.TrimPrefix(typ, "NestedPaginated"), peers, edges, count, rd.child, path)
}

// plain writes a value made of maps, lists and scalars according to a selection set; typ names
// the object type for __typename and fragments.
func (e *exec) plain(w *jsonWriter, sel ast.SelectionSet, typ string, v any, path ast.Path) {
	switch x := v.(type) {
	case map[string]any:
		if t, ok := x["__typename"].(string); ok {
			typ = t
		}
		w.beginObject()
		for _, f := range e.sel.collect(sel, typ) {
			key := keyOf(f)
			w.key(key)
			if f.Name == "__typename" {
				w.value(typ)
			} else {
				sub := ""
				if f.Definition != nil {
					sub = f.Definition.Type.Name()
				}
				e.plain(w, f.SelectionSet, sub, x[f.Name], path)
			}
			w.valueDone()
		}
		w.endObject()
	case []any:
		w.beginArray()
		for _, item := range x {
			if !e.live() {
				return
			}
			e.plain(w, sel, typ, item, path)
		}
		w.endArray()
	default:
		w.value(v)
	}
}
