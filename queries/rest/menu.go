package rest

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/schema"
)

// Menu serves GET /api/menu?branch=&at= in the shape of Infrahub's Menu
// (backend/infrahub/menu/models.py), which the web UI's sidebar reads:
// {"sections": {"object": [...], "internal": [...]}}, items with identifier, label, path, icon,
// kind, order_weight, section and children, sorted by order_weight.
//
// It is built as Infrahub builds it (backend/infrahub/menu/generator.py): the default menu
// (defaultMenu), replaced and extended by the CoreMenuItem nodes of the branch (what menu files
// load), then every kind of the schema with include_in_menu true that no entry already names:
// under the entry its menu_placement names, else as a top entry of its own (with itself as
// first child), else, when menu_placement names no entry, under "Other". The server has no
// accounts yet, so entries asking for permissions are shown.
type Menu struct {
	Graph   NodeReader
	State   State
	Default string // the default branch
}

// Register adds the route to mux.
func (m *Menu) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/menu", m.menu)
}

// Menu sections.
const (
	sectionObject   = "object"
	sectionInternal = "internal"
)

// menuItem is Infrahub's MenuItemList.
type menuItem struct {
	ID          *string     `json:"id"` // null, as Infrahub answers it
	Namespace   string      `json:"namespace"`
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Protected   bool        `json:"protected"`
	Label       string      `json:"label"`
	Path        string      `json:"path"`
	Icon        string      `json:"icon"`
	Kind        string      `json:"kind"`
	OrderWeight int         `json:"order_weight"`
	Section     string      `json:"section"`
	Permissions []string    `json:"permissions"`
	Children    []*menuItem `json:"children"`
	Identifier  string      `json:"identifier"`

	parent string // the identifier of the parent entry, while the tree is built
}

func newMenuItem(namespace, name string) *menuItem {
	return &menuItem{Namespace: namespace, Name: name, Identifier: namespace + name, OrderWeight: 5000,
		Section: sectionObject, Permissions: []string{}, Children: []*menuItem{}}
}

func (m *Menu) menu(w http.ResponseWriter, r *http.Request) {
	scope, err := scopeOf(r, m.Graph, m.Default)
	if err != nil {
		writeError(w, err)
		return
	}
	if _, ok := m.State.Branch(scope.Branch); !ok {
		writeError(w, fmt.Errorf("%w: branch %q", branch.ErrNotFound, scope.Branch))
		return
	}
	set, _ := m.State.Schema(scope.Branch)
	stored, err := m.stored(r.Context(), scope, set)
	if err != nil {
		writeError(w, err)
		return
	}
	roots := menuTree(append(defaultItems(set, defaultMenu, ""), stored...))
	roots = placeKinds(set, roots)
	sections := map[string][]*menuItem{sectionObject: {}, sectionInternal: {}}
	for _, it := range roots {
		sections[it.Section] = append(sections[it.Section], it)
	}
	for _, list := range sections {
		sortMenu(list)
	}
	writeJSON(w, http.StatusOK, map[string]any{"sections": sections})
}

// stored reads the branch's CoreMenuItem nodes (in creation order) and their parents.
func (m *Menu) stored(ctx context.Context, scope graph.Scope, set *schema.Set) ([]*menuItem, error) {
	const kind = "CoreMenuItem"
	if _, ok := set.Node(kind); !ok {
		return nil, nil
	}
	page, err := m.Graph.List(ctx, scope, graph.Query{Kind: kind, OrderBy: []graph.Order{}})
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(page.Nodes))
	identifiers := map[string]string{}
	items := make([]*menuItem, 0, len(page.Nodes))
	for _, n := range page.Nodes {
		it := newMenuItem(text(n, "namespace"), text(n, "name"))
		it.Label, it.Description, it.Icon = text(n, "label"), text(n, "description"), text(n, "icon")
		it.Path, it.Kind = text(n, "path"), text(n, "kind")
		if it.Path == "" && it.Kind != "" { // what the SDK's menu loader stores
			it.Path = "/objects/" + it.Kind
		}
		it.Protected, _ = n.Attributes["protected"].Value.(bool)
		it.OrderWeight = 2000 // CoreMenu's default
		if f, ok := n.Attributes["order_weight"].Value.(float64); ok {
			it.OrderWeight = int(f)
		}
		if s := text(n, "section"); s == sectionInternal {
			it.Section = s
		}
		if list, ok := n.Attributes["required_permissions"].Value.([]any); ok {
			for _, p := range list {
				if s, ok := p.(string); ok {
					it.Permissions = append(it.Permissions, s)
				}
			}
		}
		ids = append(ids, n.ID)
		identifiers[n.ID] = it.Identifier
		items = append(items, it)
	}
	parents, err := m.Graph.Peers(ctx, scope, ids, kind, "parent")
	if err != nil {
		return nil, err
	}
	for i, id := range ids {
		if edges := parents[id]; len(edges) > 0 {
			items[i].parent = identifiers[edges[0].Peer]
			if items[i].parent == "" {
				items[i].parent = "?" + edges[0].Peer // a parent of another kind: never found
			}
		}
	}
	return items, nil
}

func text(n graph.Node, name string) string {
	s, _ := n.Attributes[name].Value.(string)
	return s
}

// menuTree merges items by identifier (a later item replaces an earlier one in place, keeping
// its parent unless it names one) and links them into trees; an item whose parent is not
// there is left out, as Infrahub leaves it out.
func menuTree(items []*menuItem) []*menuItem {
	byID := map[string]*menuItem{}
	var order []*menuItem
	for _, it := range items {
		if prev, ok := byID[it.Identifier]; ok {
			parent := prev.parent
			*prev = *it
			if prev.parent == "" {
				prev.parent = parent
			}
			continue
		}
		byID[it.Identifier] = it
		order = append(order, it)
	}
	var roots []*menuItem
	for _, it := range order {
		if it.parent == "" {
			roots = append(roots, it)
		} else if p, ok := byID[it.parent]; ok && p != it {
			p.Children = append(p.Children, it)
		}
	}
	return roots
}

// placeKinds adds the schema's kinds with include_in_menu true that no entry names yet.
func placeKinds(set *schema.Set, roots []*menuItem) []*menuItem {
	var models []*schema.Model
	for _, n := range append(append(set.Nodes(), set.Profiles()...), set.Templates()...) {
		models = append(models, &n.Model)
	}
	for _, g := range set.Generics() {
		models = append(models, &g.Model)
	}
	pending := slices.DeleteFunc(models, func(m *schema.Model) bool { return m.IncludeInMenu == nil || !*m.IncludeInMenu })
	for progress := true; progress && len(pending) > 0; {
		progress = false
		var left []*schema.Model
		for _, m := range pending {
			switch {
			case findMenu(roots, m.Kind) != nil:
			case m.MenuPlacement == nil || *m.MenuPlacement == "":
				top := kindItem(m)
				sub := kindItem(m)
				sub.Name, sub.Identifier, sub.OrderWeight = m.Name+"Sub", m.Kind+"Sub", 1
				top.Children = append(top.Children, sub)
				roots = append(roots, top)
			case findMenu(roots, *m.MenuPlacement) != nil:
				p := findMenu(roots, *m.MenuPlacement)
				p.Children = append(p.Children, kindItem(m))
			default:
				left = append(left, m)
				continue
			}
			progress = true
		}
		pending = left
	}
	if other := findMenu(roots, menuDefaultParent); other != nil {
		for _, m := range pending {
			other.Children = append(other.Children, kindItem(m))
		}
	}
	return roots
}

// kindItem is the menu entry of a kind: its label (else its kind), its icon and its list.
func kindItem(m *schema.Model) *menuItem {
	it := newMenuItem(m.Namespace, m.Name)
	it.Label, it.Kind, it.Path = m.Label, m.Kind, "/objects/"+m.Kind
	if it.Label == "" {
		it.Label = m.Kind
	}
	if m.Icon != nil {
		it.Icon = *m.Icon
	}
	return it
}

// findMenu finds the entry with identifier id in the trees.
func findMenu(items []*menuItem, id string) *menuItem {
	for _, it := range items {
		if it.Identifier == id {
			return it
		}
		if found := findMenu(it.Children, id); found != nil {
			return found
		}
	}
	return nil
}

// sortMenu orders entries and their children by order_weight, keeping the order of ties.
func sortMenu(items []*menuItem) {
	slices.SortStableFunc(items, func(a, b *menuItem) int { return a.OrderWeight - b.OrderWeight })
	for _, it := range items {
		sortMenu(it.Children)
	}
}
