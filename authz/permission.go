package authz

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/infrahub-go/infrahub/fault"
)

// ErrInvalidPermission: a permission identifier, action or decision that is not Infrahub's.
var ErrInvalidPermission = fault.New(fault.ErrInvalid, "invalid permission")

// Decision is Infrahub's PermissionDecision, a set of flags: deny (1), allow on the default
// branch (2), allow on the other branches (4), allow everywhere (6 = 2|4). The stored value of
// a CoreGlobalPermission's or CoreObjectPermission's "decision" attribute.
type Decision uint8

const (
	Deny         Decision = 1
	AllowDefault Decision = 2
	AllowOther   Decision = 4
	AllowAll     Decision = AllowDefault | AllowOther
)

var decisionNames = map[Decision]string{Deny: "deny", AllowDefault: "allow_default", AllowOther: "allow_other", AllowAll: "allow_all"}

// String is the decision as identifiers spell it ("allow_all"); a value that is none of
// Infrahub's four is its number.
func (d Decision) String() string {
	if s, ok := decisionNames[d]; ok {
		return s
	}
	return strconv.Itoa(int(d))
}

// Valid reports whether d is one of Infrahub's four decisions.
func (d Decision) Valid() bool { _, ok := decisionNames[d]; return ok }

// ParseDecision reads a decision by name ("allow_other", "deny"; "allow" is Infrahub's older
// name of allow_all) or by number ("6").
func ParseDecision(s string) (Decision, error) {
	for d, n := range decisionNames {
		if s == n {
			return d, nil
		}
	}
	if s == "allow" {
		return AllowAll, nil
	}
	if n, err := strconv.Atoi(s); err == nil && Decision(n).Valid() {
		return Decision(n), nil
	}
	return 0, fmt.Errorf("%w: decision %q (use deny, allow_default, allow_other or allow_all)", ErrInvalidPermission, s)
}

// DecisionOf reads a stored decision attribute (a JSON number, or a string of one); absent
// (nil) is the schema's default, allow_all.
func DecisionOf(v any) (Decision, error) {
	switch x := v.(type) {
	case nil:
		return AllowAll, nil
	case float64:
		if d := Decision(x); float64(d) == x && d.Valid() {
			return d, nil
		}
	case int:
		if d := Decision(x); int(d) == x && d.Valid() {
			return d, nil
		}
	case int64:
		if d := Decision(x); int64(d) == x && d.Valid() {
			return d, nil
		}
	case string:
		return ParseDecision(x)
	}
	return 0, fmt.Errorf("%w: decision %v (use 1, 2, 4 or 6)", ErrInvalidPermission, v)
}

// Global is a platform-wide action (Infrahub's GlobalPermissions).
type Global string

const (
	EditDefaultBranch            Global = "edit_default_branch"
	SuperAdmin                   Global = "super_admin"
	MergeBranch                  Global = "merge_branch"
	RebaseBranch                 Global = "rebase_branch"
	MergeProposedChange          Global = "merge_proposed_change"
	ReviewProposedChange         Global = "review_proposed_change"
	ManageSchema                 Global = "manage_schema"
	ManageAccounts               Global = "manage_accounts"
	ManagePermissions            Global = "manage_permissions"
	ManageRepositories           Global = "manage_repositories"
	ManageGlobalPreferences      Global = "manage_global_preferences"
	OverrideContext              Global = "override_context"
	UpdateObjectHFIDDisplayLabel Global = "update_object_hfid_display_label"
)

// Globals lists every global action, in Infrahub's order.
var Globals = []Global{EditDefaultBranch, SuperAdmin, MergeBranch, RebaseBranch, MergeProposedChange,
	ReviewProposedChange, ManageSchema, ManageAccounts, ManagePermissions, ManageRepositories,
	ManageGlobalPreferences, OverrideContext, UpdateObjectHFIDDisplayLabel}

// Valid reports whether g is one of Globals.
func (g Global) Valid() bool {
	for _, x := range Globals {
		if x == g {
			return true
		}
	}
	return false
}

// Action is what an object permission grants on objects (Infrahub's PermissionAction); Any
// matches every action.
type Action string

const (
	View   Action = "view"
	Create Action = "create"
	Update Action = "update"
	Delete Action = "delete"
	Any    Action = "any"
)

// Valid reports whether a is one of Infrahub's five actions.
func (a Action) Valid() bool {
	switch a {
	case View, Create, Update, Delete, Any:
		return true
	}
	return false
}

// GlobalPermission is one CoreGlobalPermission: "global:<action>:<decision>".
type GlobalPermission struct {
	Action   Global
	Decision Decision
}

func (p GlobalPermission) String() string {
	return "global:" + string(p.Action) + ":" + p.Decision.String()
}

// ObjectPermission is one CoreObjectPermission: "object:<namespace>:<name>:<action>:<decision>",
// where namespace and name may be "*" (any).
type ObjectPermission struct {
	Namespace, Name string
	Action          Action
	Decision        Decision
}

func (p ObjectPermission) String() string {
	return "object:" + p.Namespace + ":" + p.Name + ":" + string(p.Action) + ":" + p.Decision.String()
}

// Wildcard matches any namespace or name in an object permission.
const Wildcard = "*"

// specificity is Infrahub's: one point for each of a namespace, a name and an action that is
// not a wildcard, and one for a deny, so that a deny beats an allow of the same pattern.
func (p ObjectPermission) specificity() int {
	n := 0
	if p.Namespace != Wildcard {
		n++
	}
	if p.Name != Wildcard {
		n++
	}
	if p.Action != Any {
		n++
	}
	if p.Decision&AllowAll == 0 {
		n++
	}
	return n
}

func (p ObjectPermission) matches(namespace, name string, a Action) bool {
	return (p.Namespace == Wildcard || p.Namespace == namespace) &&
		(p.Name == Wildcard || p.Name == name) &&
		(p.Action == Any || p.Action == a)
}

// ParseGlobal reads "global:<action>:<decision>".
func ParseGlobal(s string) (GlobalPermission, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 || parts[0] != "global" {
		return GlobalPermission{}, fmt.Errorf("%w: %q is not global:<action>:<decision>", ErrInvalidPermission, s)
	}
	g := Global(parts[1])
	if !g.Valid() {
		return GlobalPermission{}, fmt.Errorf("%w: %q: unknown global action %q", ErrInvalidPermission, s, parts[1])
	}
	d, err := ParseDecision(parts[2])
	if err != nil {
		return GlobalPermission{}, fmt.Errorf("%q: %w", s, err)
	}
	return GlobalPermission{Action: g, Decision: d}, nil
}

// ParseObject reads "object:<namespace>:<name>:<action>:<decision>".
func ParseObject(s string) (ObjectPermission, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 5 || parts[0] != "object" || parts[1] == "" || parts[2] == "" {
		return ObjectPermission{}, fmt.Errorf("%w: %q is not object:<namespace>:<name>:<action>:<decision>", ErrInvalidPermission, s)
	}
	a := Action(parts[3])
	if !a.Valid() {
		return ObjectPermission{}, fmt.Errorf("%w: %q: unknown action %q (use view, create, update, delete or any)", ErrInvalidPermission, s, parts[3])
	}
	d, err := ParseDecision(parts[4])
	if err != nil {
		return ObjectPermission{}, fmt.Errorf("%q: %w", s, err)
	}
	return ObjectPermission{Namespace: parts[1], Name: parts[2], Action: a, Decision: d}, nil
}

// Parse reads either form; the answer is a GlobalPermission or an ObjectPermission.
func Parse(s string) (fmt.Stringer, error) {
	if strings.HasPrefix(s, "global:") {
		return ParseGlobal(s)
	}
	if strings.HasPrefix(s, "object:") {
		return ParseObject(s)
	}
	return nil, fmt.Errorf("%w: %q starts with neither global: nor object:", ErrInvalidPermission, s)
}
