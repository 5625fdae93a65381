package jinja

import (
	"sort"
	"strings"

	"github.com/infrahub-go/infrahub/jinja/value"
)

// attr, default, tojson and pprint.

func init() {
	builtinFilters["attr"] = biFilter(biSig("do_attr", 1, []string{"obj", "name"}), biFilterAttr)
	dflt := biFilter(biSig("do_default", 0, []string{"value", "default_value", "boolean"}, "", false), biFilterDefault)
	builtinFilters["default"] = dflt
	builtinFilters["d"] = dflt
	builtinFilters["tojson"] = biFilter(biSig("do_tojson", 1, []string{"value", "indent"}, nil), biFilterToJSON)
	builtinFilters["pprint"] = biFilter(biSig("do_pprint", 0, []string{"value"}), func(_ Runtime, b biBound) (value.Value, error) {
		return biPformat(b.p[0])
	})
}

// biFilterAttr is do_attr: the attribute only (never the item), through the environment's
// getattr (the sandbox's checks); an Undefined when there is no such attribute.
func biFilterAttr(r Runtime, b biBound) (value.Value, error) {
	obj := b.p[0]
	name, ok := b.p[1].(string)
	if !ok {
		return nil, value.Errorf("TypeError", "attribute name must be string, not '%s'", value.TypeName(b.p[1]))
	}
	dunder := strings.HasPrefix(name, "__") && strings.HasSuffix(name, "__") && len(name) > 4
	if u, isU := obj.(*value.Undefined); isU && !dunder {
		return nil, u.Err()
	}
	if _, err := value.Attr(obj, name); err != nil && !dunder {
		if !value.IsKind(err, "AttributeError") {
			return nil, err
		}
		return r.Undefined(value.UndefinedLookup(obj, name, false).Message()), nil
	}
	return r.GetAttr(obj, name), nil
}

func biFilterDefault(_ Runtime, b biBound) (value.Value, error) {
	if biIsUndefined(b.p[0]) {
		return b.p[1], nil
	}
	boolean, err := biTruth(b.p[2])
	if err != nil {
		return nil, err
	}
	if boolean {
		ok, err := biTruth(b.p[0])
		if err != nil {
			return nil, err
		}
		if !ok {
			return b.p[1], nil
		}
	}
	return b.p[0], nil
}

var biJsonHTMLEscaper = strings.NewReplacer("<", `\u003c`, ">", `\u003e`, "&", `\u0026`, "'", `\u0027`)

// biFilterToJSON is do_tojson: json.dumps(value, sort_keys=True, indent=indent) with <, >, &
// and ' escaped (htmlsafe_json_dumps).
func biFilterToJSON(_ Runtime, b biBound) (value.Value, error) {
	opts := value.JSONOptions{SortKeys: true}
	indentStr, byString := b.p[1].(string)
	switch x := b.p[1].(type) {
	case nil:
	case string:
		one := 1
		opts.Indent = &one
	case bool, int, int64:
		n, _ := value.Int(x, nil)
		i := int(max(n.(int64), 0))
		opts.Indent = &i
	default:
		if _, err := value.Mul(" ", x); err != nil {
			return nil, err
		}
		i := 0
		opts.Indent = &i
	}
	v := biPlainTuples(b.p[0])
	if opts.Indent != nil && *opts.Indent*biJsonDepth(v) > value.MaxSize/2 {
		return nil, biTooLarge()
	}
	s, err := value.ToJSON(v, opts)
	if err != nil {
		return nil, err
	}
	if byString {
		lines := strings.Split(s, "\n")
		size := 0
		for i, l := range lines {
			t := strings.TrimLeft(l, " ")
			if size += len(t) + 1 + (len(l)-len(t))*len(indentStr); size > value.MaxSize {
				return nil, biTooLarge()
			}
			lines[i] = strings.Repeat(indentStr, len(l)-len(t)) + t
		}
		s = strings.Join(lines, "\n")
	}
	return value.Markup(biJsonHTMLEscaper.Replace(s)), nil
}

// biJsonDepth is the nesting of lists, tuples and dicts in v, at most maxJSONDepth (deeper,
// circular, or too many to look at: json.dumps fails or the text is over the bound anyway).
func biJsonDepth(v value.Value) int {
	memo := map[any]int{}
	budget := 1 << 20
	var depth func(v value.Value, level int) int
	depth = func(v value.Value, level int) int {
		var items []value.Value
		var key any
		switch x := v.(type) {
		case *value.List:
			items, key = x.Items, x
		case *value.Dict:
			items, key = x.Values(), x
		case value.Tuple:
			items = x
		default:
			return 0
		}
		if budget--; budget < 0 || level >= biMaxJSONDepth {
			return biMaxJSONDepth
		}
		if d, ok := memo[key]; ok && key != nil {
			return d
		}
		if key != nil {
			memo[key] = biMaxJSONDepth // on the path: circular
		}
		d := 1
		for _, it := range items {
			d = min(max(d, 1+depth(it, level+1)), biMaxJSONDepth)
		}
		if key != nil {
			memo[key] = d
		}
		return d
	}
	return depth(v, 0)
}

const biMaxJSONDepth = 1000

// ---- pprint.pformat (width 80, sorted dicts) ----

const biPprintWidth = 80

type biPrettyPrinter struct {
	b       strings.Builder
	context []any
	work    int // bytes of repr made so far: pprint makes the repr of each part at each level
}

// biPformat is Python's pprint.pformat(v).
func biPformat(v value.Value) (value.Value, error) {
	p := &biPrettyPrinter{}
	if err := p.format(v, 0, 0, 0); err != nil {
		return nil, err
	}
	return p.b.String(), nil
}

func biRuneCount(s string) int { return len([]rune(s)) }

// biSortedItems is sorted(d.items(), key=_safe_tuple): by key, keys without an order with
// each other by their type's name.
func biSortedItems(d *value.Dict) []value.Tuple {
	items := d.Items()
	sort.SliceStable(items, func(i, j int) bool {
		lt, err := value.Less(items[i][0], items[j][0])
		if err != nil {
			return "<class '"+value.TypeName(items[i][0])+"'>" < "<class '"+value.TypeName(items[j][0])+"'>"
		}
		return lt
	})
	return items
}

func (p *biPrettyPrinter) seen(x any) bool {
	for _, c := range p.context {
		if c == x {
			return true
		}
	}
	return false
}

// safeRepr is PrettyPrinter._safe_repr: repr with the keys of dicts sorted.
func (p *biPrettyPrinter) safeRepr(v value.Value) (string, error) {
	if p.work += 2; p.work > 4*value.MaxSize {
		return "", biTooLarge()
	}
	switch x := v.(type) {
	case *value.Dict:
		if x.Len() == 0 {
			return "{}", nil
		}
		if p.seen(x) {
			return "{...}", nil
		}
		p.context = append(p.context, x)
		defer func() { p.context = p.context[:len(p.context)-1] }()
		parts := make([]string, 0, x.Len())
		for _, kv := range biSortedItems(x) {
			k, err := p.safeRepr(kv[0])
			if err != nil {
				return "", err
			}
			val, err := p.safeRepr(kv[1])
			if err != nil {
				return "", err
			}
			parts = append(parts, k+": "+val)
		}
		return "{" + strings.Join(parts, ", ") + "}", nil
	case *value.List:
		if len(x.Items) == 0 {
			return "[]", nil
		}
		if p.seen(x) {
			return "[...]", nil
		}
		p.context = append(p.context, x)
		defer func() { p.context = p.context[:len(p.context)-1] }()
		s, err := p.reprItems(x.Items)
		return "[" + s + "]", err
	case value.Tuple:
		if len(x) == 0 {
			return "()", nil
		}
		s, err := p.reprItems(x)
		if len(x) == 1 {
			return "(" + s + ",)", err
		}
		return "(" + s + ")", err
	}
	s, err := value.Repr(v)
	if p.work += len(s) + 2; p.work > 4*value.MaxSize {
		return "", biTooLarge()
	}
	return s, err
}

func (p *biPrettyPrinter) reprItems(items []value.Value) (string, error) {
	parts := make([]string, len(items))
	for i, it := range items {
		s, err := p.safeRepr(it)
		if err != nil {
			return "", err
		}
		parts[i] = s
		if len(parts) > value.MaxSize {
			return "", biTooLarge()
		}
	}
	return strings.Join(parts, ", "), nil
}

// format is PrettyPrinter._format.
func (p *biPrettyPrinter) format(v value.Value, indent, allowance, level int) error {
	if p.b.Len() > value.MaxSize {
		return biTooLarge()
	}
	rep, err := p.safeRepr(v)
	if err != nil {
		return err
	}
	if biRuneCount(rep) <= biPprintWidth-indent-allowance {
		p.b.WriteString(rep)
		return nil
	}
	switch x := v.(type) {
	case *value.Dict:
		if p.seen(x) {
			break
		}
		p.context = append(p.context, x)
		defer func() { p.context = p.context[:len(p.context)-1] }()
		p.b.WriteString("{")
		if x.Len() > 0 {
			if err := p.dictItems(biSortedItems(x), indent, allowance+1, level+1); err != nil {
				return err
			}
		}
		p.b.WriteString("}")
		return nil
	case *value.List:
		if p.seen(x) {
			break
		}
		p.context = append(p.context, x)
		defer func() { p.context = p.context[:len(p.context)-1] }()
		p.b.WriteString("[")
		if err := p.items(x.Items, indent, allowance+1, level+1); err != nil {
			return err
		}
		p.b.WriteString("]")
		return nil
	case value.Tuple:
		end := ")"
		if len(x) == 1 {
			end = ",)"
		}
		p.b.WriteString("(")
		if err := p.items(x, indent, allowance+len(end), level+1); err != nil {
			return err
		}
		p.b.WriteString(end)
		return nil
	case string:
		p.str(x, indent, allowance, level+1)
		return nil
	}
	p.b.WriteString(rep)
	return nil
}

func (p *biPrettyPrinter) dictItems(items []value.Tuple, indent, allowance, level int) error {
	indent++
	for i, kv := range items {
		last := i == len(items)-1
		rep, err := p.safeRepr(kv[0])
		if err != nil {
			return err
		}
		p.b.WriteString(rep + ": ")
		a := 1
		if last {
			a = allowance
		}
		if err := p.format(kv[1], indent+biRuneCount(rep)+2, a, level); err != nil {
			return err
		}
		if !last {
			p.b.WriteString(",\n" + strings.Repeat(" ", indent))
		}
	}
	return nil
}

func (p *biPrettyPrinter) items(items []value.Value, indent, allowance, level int) error {
	indent++
	for i, it := range items {
		if i > 0 {
			p.b.WriteString(",\n" + strings.Repeat(" ", indent))
		}
		a := 1
		if i == len(items)-1 {
			a = allowance
		}
		if err := p.format(it, indent, a, level); err != nil {
			return err
		}
	}
	return nil
}

// biStr is PrettyPrinter._pprint_str: a long str cut into adjacent literals at word ends.
func (p *biPrettyPrinter) str(s string, indent, allowance, level int) {
	if s == "" {
		p.b.WriteString("''")
		return
	}
	lines := biSplitLinesKeep(s)
	if level == 1 {
		indent++
		allowance++
	}
	maxWidth := biPprintWidth - indent
	maxWidth1 := maxWidth
	var chunks []string
	var rep string
	for i, line := range lines {
		rep = value.QuoteString(line)
		if i == len(lines)-1 {
			maxWidth1 -= allowance
		}
		if biRuneCount(rep) <= maxWidth1 {
			chunks = append(chunks, rep)
			continue
		}
		parts := biWordParts(line)
		maxWidth2 := maxWidth
		current := ""
		for j, part := range parts {
			candidate := current + part
			if j == len(parts)-1 && i == len(lines)-1 {
				maxWidth2 -= allowance
			}
			if biRuneCount(value.QuoteString(candidate)) > maxWidth2 {
				if current != "" {
					chunks = append(chunks, value.QuoteString(current))
				}
				current = part
			} else {
				current = candidate
			}
		}
		if current != "" {
			chunks = append(chunks, value.QuoteString(current))
		}
	}
	if len(chunks) == 1 {
		p.b.WriteString(rep)
		return
	}
	if level == 1 {
		p.b.WriteString("(")
	}
	for i, c := range chunks {
		if i > 0 {
			p.b.WriteString("\n" + strings.Repeat(" ", indent))
		}
		p.b.WriteString(c)
	}
	if level == 1 {
		p.b.WriteString(")")
	}
}

// biSplitLinesKeep is str.splitlines(True).
func biSplitLinesKeep(s string) []string {
	var lines []string
	rs := []rune(s)
	start := 0
	for i := 0; i < len(rs); i++ {
		switch rs[i] {
		case '\n', '\r', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
			if rs[i] == '\r' && i+1 < len(rs) && rs[i+1] == '\n' {
				i++
			}
			lines = append(lines, string(rs[start:i+1]))
			start = i + 1
		}
	}
	if start < len(rs) {
		lines = append(lines, string(rs[start:]))
	}
	return lines
}

// biWordParts is re.findall(r'\S*\s*', line) without its final empty match.
func biWordParts(line string) []string {
	var parts []string
	rs := []rune(line)
	for i := 0; i < len(rs); {
		j := i
		for j < len(rs) && !biPyIsSpace(rs[j]) {
			j++
		}
		for j < len(rs) && biPyIsSpace(rs[j]) {
			j++
		}
		parts = append(parts, string(rs[i:j]))
		i = j
	}
	return parts
}
