package nodetx

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/schema"
)

// Data is the data of a node as commands take it: attribute name → value or
// {"value", "source", "owner", "is_protected"}; relationship name → related node(s), each an id
// or a name (a string, or {"id"}: a name is looked up through the peer's default_filter, then its
// human-friendly id), an HFID (a list, or {"hfid"}) or {"ref"} (a label given to an earlier
// operation of the same batch); a list for a cardinality-many relationship replaces the set.
type Data map[string]json.RawMessage

// attrInput is an attribute value with optional lineage. What few values have (lineage, a
// number pool, a password) is kept apart (attrExtra), so that the attributes of a node take
// less room.
type attrInput struct {
	value                   any
	hasValue, lineageChange bool
	extra                   *attrExtra // nil: none; never changed once set (with copies it)
}

// attrExtra is the rest of an attrInput.
type attrExtra struct {
	source, owner *string
	isProtected   *bool
	// fromPool names the number pool to take the value from; claim is the pool's claim of the
	// value taken (set once allocated)
	fromPool *PoolRef
	claim    *claimKey
	// password is the clear value of a HashedPassword given in clear (value is its new hash): an
	// update keeps the stored hash when it is the same password. Never written anywhere.
	password string
}

func (in attrInput) x() attrExtra {
	if in.extra == nil {
		return attrExtra{}
	}
	return *in.extra
}

func (in attrInput) fromPool() *PoolRef { return in.x().fromPool }
func (in attrInput) claim() *claimKey   { return in.x().claim }
func (in attrInput) password() string   { return in.x().password }

// with changes a copy of in's extra (other copies of in keep theirs).
func (in *attrInput) with(change func(x *attrExtra)) {
	x := in.x()
	change(&x)
	in.extra = &x
}

// decodeValue reads one value of a command's data as json.Unmarshal into an any does (plain
// strings, numbers, literals and lists of plain strings without its reflection).
func decodeValue(raw json.RawMessage) (any, error) {
	if v, ok := scalar(raw); ok {
		return v, nil
	}
	if ss, ok := plainStrings(raw); ok {
		l := make([]any, len(ss))
		for i, s := range ss {
			l[i] = s
		}
		return l, nil
	}
	var v any
	err := json.Unmarshal(raw, &v)
	return v, err
}

// prepare decodes every value of data that decodes (see CreateNode.Prepare).
func prepare(data Data) map[string]any {
	out := make(map[string]any, len(data))
	for k, raw := range data {
		if v, err := decodeValue(raw); err == nil {
			out[k] = v
		}
	}
	return out
}

// parseAttrInput reads an attribute's value as given (v, decoded from the command).
func parseAttrInput(v any) (attrInput, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return attrInput{value: v, hasValue: true}, nil
	}
	wrapped := false
	for k := range m {
		switch k {
		case "value", "source", "owner", "is_protected", "is_visible", "from_pool":
			wrapped = true
		}
	}
	if !wrapped {
		return attrInput{value: v, hasValue: true}, nil
	}
	var in attrInput
	for k, x := range m {
		switch k {
		case "value":
			in.value, in.hasValue = x, true
		case "source", "owner":
			s, err := refID(x)
			if err != nil {
				return in, fmt.Errorf("%s: %w", k, err)
			}
			if k == "source" {
				in.with(func(x *attrExtra) { x.source = &s })
			} else {
				in.with(func(x *attrExtra) { x.owner = &s })
			}
			in.lineageChange = true
		case "is_protected":
			b, ok := x.(bool)
			if !ok {
				return in, fmt.Errorf("is_protected: want true or false, got %v", x)
			}
			in.with(func(x *attrExtra) { x.isProtected = &b })
			in.lineageChange = true
		case "from_pool":
			p, err := parsePoolRef(x)
			if err != nil {
				return in, err
			}
			in.with(func(x *attrExtra) { x.fromPool = &p })
		case "is_visible":
		default:
			return in, fmt.Errorf("unknown key %q (want value, from_pool, source, owner, is_protected)", k)
		}
	}
	return in, nil
}

// refID reads a lineage reference: an id string or {"id": ...}.
func refID(x any) (string, error) {
	switch v := x.(type) {
	case nil:
		return "", nil
	case string:
		if _, err := graph.ParseNodeID(v); err != nil {
			return "", fmt.Errorf("%q is not a node id", v)
		}
		return v, nil
	case map[string]any:
		return refID(v["id"])
	}
	return "", fmt.Errorf("want a node id, got %v", x)
}

// Ref is a related node as a command names it.
type Ref struct {
	ID   string   `json:"id,omitempty"`
	HFID []string `json:"hfid,omitempty"`
	Ref  string   `json:"ref,omitempty"`
	Kind string   `json:"kind,omitempty"`
	// Relationship properties of this end (Infrahub's _relation__source etc.).
	Source      string `json:"_relation__source,omitempty"`
	Owner       string `json:"_relation__owner,omitempty"`
	IsProtected *bool  `json:"_relation__is_protected,omitempty"`
	// FromPool asks a resource pool for a new peer.
	FromPool *PoolRef `json:"from_pool,omitempty"`

	id   graph.NodeID // ID parsed, when it is a node id (isID)
	isID bool
}

// parseRef reads a related node. A string is an id or a name, as infrahubctl sends a string
// ({"id": …}, infrahub_sdk/node/related_node.py): parser.ref looks a name up.
func parseRef(x any) (Ref, error) {
	switch v := x.(type) {
	case string:
		return Ref{ID: v}, nil
	case []any:
		h, err := hfidOf(v)
		if err != nil {
			return Ref{}, err
		}
		return Ref{HFID: h}, nil
	case map[string]any:
		if id, ok := v["id"].(string); ok && id != "" && len(v) == 1 { // {"id": …}: what decoding gives
			return Ref{ID: id}, nil
		}
		if fp, ok := v["from_pool"]; ok {
			p, err := parsePoolRef(fp)
			if err != nil {
				return Ref{}, err
			}
			return Ref{FromPool: &p}, nil
		}
		if list, ok := v["hfid"].([]any); ok {
			if _, err := hfidOf(list); err != nil {
				return Ref{}, err
			}
		}
		raw, _ := json.Marshal(v)
		var r Ref
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			return r, fmt.Errorf("related node: %v", err)
		}
		if r.ID == "" && len(r.HFID) == 0 && r.Ref == "" {
			return r, errors.New("related node: give id, hfid or ref")
		}
		return r, nil
	}
	return Ref{}, fmt.Errorf("related node: want an id, an hfid or an object, got %v", x)
}

// hfidOf reads the parts of an hfid naming a related node: strings (numbers and booleans as
// their text); anything else is refused, naming the element.
func hfidOf(list []any) ([]string, error) {
	h := make([]string, 0, len(list))
	for i, p := range list {
		switch p.(type) {
		case string, float64, bool:
			h = append(h, fmt.Sprint(p))
		default:
			return nil, fmt.Errorf("related node: hfid element %d: want a string, got %s", i, jsonType(p))
		}
	}
	return h, nil
}

// jsonType names the JSON type of a decoded value that is not a string, number or boolean.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "a list"
	}
	return "an object"
}

// parseRefs reads a relationship value: one related node for cardinality one (null: none), a
// list of related nodes for many.
func parseRefs(r *schema.Relationship, v any) ([]Ref, error) {
	if v == nil {
		return nil, nil
	}
	if r.Cardinality == "one" {
		if l, ok := v.([]any); ok && len(l) == 0 {
			return nil, nil
		}
		ref, err := parseRef(v)
		if err != nil {
			return nil, err
		}
		return []Ref{ref}, nil
	}
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	out := make([]Ref, 0, len(list))
	for i, x := range list {
		ref, err := parseRef(x)
		if err != nil {
			return nil, fmt.Errorf("item %d: %w", i+1, err)
		}
		out = append(out, ref)
	}
	return out, nil
}

// relInput is one relationship given in a command: its resolved peers and lineage.
type relInput struct {
	name  string // the relationship's name (rel.Name, or the name the command used)
	rel   *schema.Relationship
	field string
	peers []graph.NodeID
	props *nodes.Props
	// pools are from_pool requests, each a new peer once allocated (resolvePools)
	pools []PoolRef
}

// checkCount refuses a peer count the relationship does not allow.
func checkCount(r *schema.Relationship, n int) error {
	switch {
	case r.Cardinality == "one" && n > 1:
		return fmt.Errorf("%w: cardinality one takes one related node, got %d", fault.ErrInvalid, n)
	case r.MaxCount > 0 && n > r.MaxCount:
		return fmt.Errorf("%w: at most %d related nodes, got %d", fault.ErrInvalid, r.MaxCount, n)
	case n > 0 && r.MinCount > 0 && n < r.MinCount:
		return fmt.Errorf("%w: at least %d related nodes, got %d", fault.ErrInvalid, r.MinCount, n)
	}
	return nil
}
