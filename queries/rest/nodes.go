package rest

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/projections/graph"
)

// NodeReader is what Nodes reads through: the graph projection's reads.
type NodeReader interface {
	graph.Reader
}

// Nodes serves the data of a branch through the graph projection's read port:
//
//	GET /api/nodes/{kind}?<filters>&order_by=&offset=&limit=   a page of nodes and the count
//	GET /api/nodes/{kind}/{id}                                  one node
//	GET /api/nodes/{kind}/{id}/peers/{relationship}              its peers
//
// Every route takes branch, at (a log position or an RFC 3339 time) and min_position (the
// server's httpguard.Positions refuses positions beyond the log head and waits, bounded, until
// the projection has folded them: read-your-writes). Answers are in snake_case (nodeJSON).
// Filters use Infrahub's names (name__value, site__name__value, tags__ids, any__value,
// partial_match...); a parameter given several times, or a __values/__ids parameter with
// commas, is a list.
type Nodes struct {
	Graph   NodeReader
	Default string // the default branch
	// State, when set, gives the branches' schemas: a generic's list then counts only the kinds
	// the identity may view.
	State State
}

// Register adds the routes to mux.
func (n *Nodes) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/nodes/{kind}", n.list)
	mux.HandleFunc("GET /api/nodes/{kind}/{id}", n.get)
	mux.HandleFunc("GET /api/nodes/{kind}/{id}/peers/{rel}", n.peers)
}

// reserved are the query parameters that are not filters.
var reserved = map[string]bool{"branch": true, "at": true, "min_position": true, "order_by": true, "offset": true, "limit": true}

func (n *Nodes) scope(r *http.Request) (graph.Scope, error) { return scopeOf(r, n.Graph, n.Default) }

// viewer decides, per kind, whether the identity of r may read objects of it on s's branch.
func (n *Nodes) viewer(r *http.Request, s graph.Scope) func(kind string) bool {
	return authz.Viewer(authz.From(r.Context()), s.Branch == n.Default)
}

// scopeOf reads the scope of a data read: branch (default def) and at.
func scopeOf(r *http.Request, g NodeReader, def string) (graph.Scope, error) {
	q := r.URL.Query()
	s := graph.Scope{Branch: q.Get("branch")}
	if s.Branch == "" {
		s.Branch = def
	}
	if raw := q.Get("at"); raw != "" {
		if num, err := strconv.ParseInt(raw, 10, 64); err == nil && num > 0 {
			s.At = events.Position(num)
		} else if t, err := time.Parse(time.RFC3339Nano, raw); err == nil {
			pos, err := g.PositionAt(r.Context(), t)
			if err != nil {
				return s, err
			}
			if pos == 0 {
				return s, fmt.Errorf("%w: parameter at: %s is before the first write", fault.ErrNotFound, raw)
			}
			s.At = pos
		} else {
			return s, fmt.Errorf("%w: parameter at: %q is neither a log position nor an RFC 3339 time", fault.ErrInvalid, raw)
		}
	}
	return s, nil
}

func filtersOf(q url.Values) map[string]any {
	out := map[string]any{}
	for k, vs := range q {
		if reserved[k] {
			continue
		}
		var list []any
		for _, v := range vs {
			if strings.HasSuffix(k, "__values") || strings.HasSuffix(k, "__ids") || k == "ids" || k == "hfid" {
				for _, part := range strings.Split(v, ",") {
					list = append(list, part)
				}
				continue
			}
			list = append(list, v)
		}
		if len(list) == 1 && !strings.HasSuffix(k, "__values") && !strings.HasSuffix(k, "__ids") && k != "ids" && k != "hfid" {
			out[k] = scalar(k, list[0].(string))
			continue
		}
		out[k] = list
	}
	return out
}

// scalar reads a query value: the booleans of __isnull and partial_match as such, anything else
// as text (the filters compare text with numbers and booleans by their text).
func scalar(key, s string) any {
	if strings.HasSuffix(key, "__isnull") || key == "partial_match" {
		if b, err := strconv.ParseBool(s); err == nil {
			return b
		}
	}
	return s
}

func (n *Nodes) list(w http.ResponseWriter, r *http.Request) {
	s, err := n.scope(r)
	if err != nil {
		writeError(w, err)
		return
	}
	q := r.URL.Query()
	query := graph.Query{Kind: r.PathValue("kind"), Filters: filtersOf(q)}
	if raw := q.Get("order_by"); raw != "" {
		query.OrderBy = []graph.Order{}
		for _, p := range strings.Split(raw, ",") {
			desc := strings.HasPrefix(p, "-")
			query.OrderBy = append(query.OrderBy, graph.Order{Path: strings.TrimPrefix(p, "-"), Desc: desc})
		}
	}
	for name, dst := range map[string]*int{"offset": &query.Offset, "limit": &query.Limit} {
		if raw := q.Get(name); raw != "" {
			v, err := strconv.Atoi(raw)
			if err != nil || v < 0 {
				writeError(w, fmt.Errorf("%w: parameter %s: %q is not a count", fault.ErrInvalid, name, raw))
				return
			}
			*dst = v
		}
	}
	may := n.viewer(r, s)
	if !may(query.Kind) {
		writeError(w, authz.RequireView(authz.From(r.Context()), authz.KindNamed(query.Kind), s.Branch == n.Default))
		return
	}
	page, err := n.Graph.List(r.Context(), s, query)
	if err != nil {
		writeError(w, err)
		return
	}
	out := make([]nodeJSON, 0, len(page.Nodes))
	for _, node := range page.Nodes {
		if may(node.Kind) { // a generic's list leaves out the kinds the identity may not view
			out = append(out, nodeAnswer(node))
		}
	}
	count, err := n.viewableCount(r, s, query, may, page.Count)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": count, "nodes": out})
}

// viewableCount is total, the count of a list of kind q.Kind, less the nodes of the kinds that
// implement it and that the identity may not view.
func (n *Nodes) viewableCount(r *http.Request, s graph.Scope, q graph.Query, may func(string) bool, total int) (int, error) {
	if n.State == nil {
		return total, nil
	}
	set, _ := n.State.Schema(s.Branch)
	if set == nil {
		return total, nil
	}
	g, ok := set.Generic(q.Kind)
	if !ok {
		return total, nil
	}
	for _, kind := range g.UsedBy {
		if may(kind) {
			continue
		}
		c, err := n.Graph.Count(r.Context(), s, kind, q.Filters)
		if err != nil {
			return 0, err
		}
		total -= c
	}
	return max(total, 0), nil
}

func (n *Nodes) get(w http.ResponseWriter, r *http.Request) {
	s, err := n.scope(r)
	if err != nil {
		writeError(w, err)
		return
	}
	may := n.viewer(r, s)
	node, err := n.Graph.Get(r.Context(), s, r.PathValue("id"))
	if err == nil && (!may(node.Kind) || !may(r.PathValue("kind"))) {
		err = authz.RequireView(authz.From(r.Context()), authz.KindNamed(node.Kind), s.Branch == n.Default)
		if may(node.Kind) {
			err = authz.RequireView(authz.From(r.Context()), authz.KindNamed(r.PathValue("kind")), s.Branch == n.Default)
		}
	} else if err == nil && node.Kind != r.PathValue("kind") {
		// The path names the kind (or a generic) the caller expects.
		page, lerr := n.Graph.List(r.Context(), s, graph.Query{Kind: r.PathValue("kind"), Filters: map[string]any{"ids": []any{node.ID}}})
		if lerr != nil || page.Count == 0 {
			err = fmt.Errorf("%w: %s is a %s, not a %s", graph.ErrNotFound, node.ID, node.Kind, r.PathValue("kind"))
		}
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, nodeAnswer(node))
}

func (n *Nodes) peers(w http.ResponseWriter, r *http.Request) {
	s, err := n.scope(r)
	if err != nil {
		writeError(w, err)
		return
	}
	id := r.PathValue("id")
	may := n.viewer(r, s)
	if !may(r.PathValue("kind")) {
		writeError(w, authz.RequireView(authz.From(r.Context()), authz.KindNamed(r.PathValue("kind")), s.Branch == n.Default))
		return
	}
	edges, err := n.Graph.Peers(r.Context(), s, []string{id}, r.PathValue("kind"), r.PathValue("rel"))
	if err != nil {
		writeError(w, err)
		return
	}
	list := make([]peerJSON, 0, len(edges[id]))
	for _, e := range edges[id] {
		if !may(e.PeerKind) {
			continue
		}
		list = append(list, peerJSON{ID: e.Peer, Kind: e.PeerKind, Source: orNull(e.Source), Owner: orNull(e.Owner), IsProtected: e.IsProtected})
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": len(list), "peers": list})
}
