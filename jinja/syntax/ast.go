package syntax

// Pos is the line a node starts on, as Jinja2 numbers it (the first line is 1). A few helper
// values Jinja2 leaves without a line have 0.
type Pos struct{ Line int }

// Lineno is the node's line.
func (p Pos) Lineno() int { return p.Line }

// Node is any AST node. Use KindOf for its Jinja2 class name and Walk to visit its children.
type Node interface{ Lineno() int }

// Stmt is a statement: an item of a template's or a block's body.
type Stmt interface {
	Node
	stmtNode()
}

// Expr is an expression.
type Expr interface {
	Node
	exprNode()
}

// Ctx is how a Name or Tuple is used: read, assigned, or declared as a parameter.
type Ctx string

// The contexts.
const (
	CtxLoad  Ctx = "load"
	CtxStore Ctx = "store"
	CtxParam Ctx = "param"
)

// Template is a parsed template (nodes.Template).
type Template struct {
	Name string
	Body []Stmt
}

// ---- statements ----

// Output writes its nodes in order: Data for template text, any other expression for a
// {{ ... }} (or the expressions of a {% print %}).
type Output struct {
	Pos
	Nodes []Expr
}

// Extends is {% extends Template %}.
type Extends struct {
	Pos
	Template Expr
}

// For is {% for Target in Iter [if Test] [recursive] %} Body [{% else %} Else] {% endfor %}.
// Target is a Name or a Tuple (of Names and Tuples), in the store context.
type For struct {
	Pos
	Target    Expr
	Iter      Expr
	Body      []Stmt
	Else      []Stmt
	Test      Expr // nil without a filter
	Recursive bool
}

// If is {% if Test %} Body, each {% elif %} as an If in Elif (their own Elif and Else are
// empty), and Else.
type If struct {
	Pos
	Test Expr
	Body []Stmt
	Elif []*If
	Else []Stmt
}

// Macro is {% macro Name(Args) %}; Defaults belong to the last len(Defaults) Args.
type Macro struct {
	Pos
	Name     string
	Args     []*Name // param context
	Defaults []Expr
	Body     []Stmt
}

// CallBlock is {% call(Args) Call %} Body {% endcall %}: the body is the `caller` of the call.
type CallBlock struct {
	Pos
	Call     *Call
	Args     []*Name
	Defaults []Expr
	Body     []Stmt
}

// FilterBlock is {% filter f|g(x) %} Body {% endfilter %}: Filter is the chain applied to the
// rendered body; its innermost Filter has a nil Node.
type FilterBlock struct {
	Pos
	Body   []Stmt
	Filter *Filter
}

// With is {% with a = 1, b = a %} Body {% endwith %}: each value is evaluated after the
// previous target was assigned.
type With struct {
	Pos
	Targets []Expr // param context
	Values  []Expr
	Body    []Stmt
}

// Block is {% block Name [scoped] [required] %} Body {% endblock %}.
type Block struct {
	Pos
	Name     string
	Body     []Stmt
	Scoped   bool
	Required bool
}

// Include is {% include Template [ignore missing] [with|without context] %}.
type Include struct {
	Pos
	Template      Expr
	WithContext   bool // default true
	IgnoreMissing bool
}

// Import is {% import Template as Target [with|without context] %}.
type Import struct {
	Pos
	Template    Expr
	Target      string
	WithContext bool // default false
}

// FromImport is {% from Template import a, b as c [with|without context] %}.
type FromImport struct {
	Pos
	Template    Expr
	Names       []ImportName
	WithContext bool // default false
}

// ImportName is one imported name; Alias is empty without `as`.
type ImportName struct {
	Name  string
	Alias string
}

// Assign is {% set Target = Node %}; Target is a Name, an NSRef or a Tuple (store context).
type Assign struct {
	Pos
	Target Expr
	Node   Expr
}

// AssignBlock is {% set Target [| filters] %} Body {% endset %}; Filter is nil without filters,
// else a chain whose innermost Filter has a nil Node.
type AssignBlock struct {
	Pos
	Target Expr
	Filter *Filter
	Body   []Stmt
}

// Autoescape is {% autoescape Value %} Body {% endautoescape %} (Jinja2:
// Scope([ScopedEvalContextModifier(options=[Keyword('autoescape', Value)], body=Body)])).
type Autoescape struct {
	Pos
	Value Expr
	Body  []Stmt
}

// ---- expressions ----

// Data is template text (nodes.TemplateData).
type Data struct {
	Pos
	Data string
}

// Name is a variable.
type Name struct {
	Pos
	Name string
	Ctx  Ctx
}

// NSRef is the target `Name.Attr` of a {% set %} into a namespace.
type NSRef struct {
	Pos
	Name string
	Attr string
}

// Const is a literal: int64, *big.Int (beyond int64), float64, string, bool or nil (none).
type Const struct {
	Pos
	Value any
}

// Tuple is `a, b` or `(a, b)`; as an assignment target its Ctx is store or param.
type Tuple struct {
	Pos
	Items []Expr
	Ctx   Ctx
}

// List is `[a, b]`.
type List struct {
	Pos
	Items []Expr
}

// Dict is `{k: v, ...}`.
type Dict struct {
	Pos
	Items []*Pair
}

// Pair is one `Key: Value` of a Dict.
type Pair struct {
	Pos
	Key   Expr
	Value Expr
}

// Keyword is a keyword argument `Key=Value`.
type Keyword struct {
	Pos
	Key   string
	Value Expr
}

// CondExpr is `Expr1 if Test else Expr2`; Expr2 is nil without else (an undefined value).
type CondExpr struct {
	Pos
	Test  Expr
	Expr1 Expr
	Expr2 Expr
}

// Filter is `Node|Name(Args, Kwargs, *DynArgs, **DynKwargs)`. Name may be dotted ("a.b").
// Node is nil in filter blocks and block sets.
type Filter struct {
	Pos
	Node      Expr
	Name      string
	Args      []Expr
	Kwargs    []*Keyword
	DynArgs   Expr
	DynKwargs Expr
}

// Test is `Node is Name(Args...)` (or `Node is Name Arg`); `is not` wraps it in a Unary not.
type Test struct {
	Pos
	Node      Expr
	Name      string
	Args      []Expr
	Kwargs    []*Keyword
	DynArgs   Expr
	DynKwargs Expr
}

// Call is `Node(Args, Kwargs, *DynArgs, **DynKwargs)`.
type Call struct {
	Pos
	Node      Expr
	Args      []Expr
	Kwargs    []*Keyword
	DynArgs   Expr
	DynKwargs Expr
}

// Getitem is `Node[Arg]` (Arg may be a Slice or a Tuple of them) and `Node.0`.
type Getitem struct {
	Pos
	Node Expr
	Arg  Expr
}

// Getattr is `Node.Attr`.
type Getattr struct {
	Pos
	Node Expr
	Attr string
}

// Slice is `Start:Stop:Step` inside brackets; missing parts are nil.
type Slice struct {
	Pos
	Start Expr
	Stop  Expr
	Step  Expr
}

// Concat is `a ~ b ~ c`.
type Concat struct {
	Pos
	Nodes []Expr
}

// Compare is `Expr op1 e1 op2 e2 ...`, chained as in Python.
type Compare struct {
	Pos
	Expr Expr
	Ops  []Operand
}

// CmpOp is a comparison operator, named as Jinja2 names it.
type CmpOp string

// The comparison operators.
const (
	CmpEq    CmpOp = "eq"
	CmpNe    CmpOp = "ne"
	CmpLt    CmpOp = "lt"
	CmpLtEq  CmpOp = "lteq"
	CmpGt    CmpOp = "gt"
	CmpGtEq  CmpOp = "gteq"
	CmpIn    CmpOp = "in"
	CmpNotIn CmpOp = "notin"
)

// Operand is one step of a Compare.
type Operand struct {
	Op   CmpOp
	Expr Expr
}

// BinaryOp is the operator of a BinOp.
type BinaryOp string

// The binary operators. And and Or short-circuit and return an operand, as in Python.
const (
	OpAdd      BinaryOp = "+"
	OpSub      BinaryOp = "-"
	OpMul      BinaryOp = "*"
	OpDiv      BinaryOp = "/"
	OpFloorDiv BinaryOp = "//"
	OpMod      BinaryOp = "%"
	OpPow      BinaryOp = "**"
	OpAnd      BinaryOp = "and"
	OpOr       BinaryOp = "or"
)

// BinOp is `Left Op Right` (Jinja2's Add, Sub, Mul, Div, FloorDiv, Mod, Pow, And, Or).
type BinOp struct {
	Pos
	Op    BinaryOp
	Left  Expr
	Right Expr
}

// UnaryOp is the operator of a Unary.
type UnaryOp string

// The unary operators.
const (
	OpNot UnaryOp = "not"
	OpNeg UnaryOp = "-"
	OpPos UnaryOp = "+"
)

// Unary is `not Node`, `-Node` or `+Node` (Jinja2's Not, Neg, Pos).
type Unary struct {
	Pos
	Op   UnaryOp
	Node Expr
}

func (*Output) stmtNode()      {}
func (*Extends) stmtNode()     {}
func (*For) stmtNode()         {}
func (*If) stmtNode()          {}
func (*Macro) stmtNode()       {}
func (*CallBlock) stmtNode()   {}
func (*FilterBlock) stmtNode() {}
func (*With) stmtNode()        {}
func (*Block) stmtNode()       {}
func (*Include) stmtNode()     {}
func (*Import) stmtNode()      {}
func (*FromImport) stmtNode()  {}
func (*Assign) stmtNode()      {}
func (*AssignBlock) stmtNode() {}
func (*Autoescape) stmtNode()  {}

func (*Data) exprNode()     {}
func (*Name) exprNode()     {}
func (*NSRef) exprNode()    {}
func (*Const) exprNode()    {}
func (*Tuple) exprNode()    {}
func (*List) exprNode()     {}
func (*Dict) exprNode()     {}
func (*CondExpr) exprNode() {}
func (*Filter) exprNode()   {}
func (*Test) exprNode()     {}
func (*Call) exprNode()     {}
func (*Getitem) exprNode()  {}
func (*Getattr) exprNode()  {}
func (*Slice) exprNode()    {}
func (*Concat) exprNode()   {}
func (*Compare) exprNode()  {}
func (*BinOp) exprNode()    {}
func (*Unary) exprNode()    {}
