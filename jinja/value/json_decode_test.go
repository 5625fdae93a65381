package value

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/fault"
)

// referenceFromJSONBytes is the former FromJSONBytes, on encoding/json's
// Token API: the reference the hand-written decoder is held to.
func referenceFromJSONBytes(raw []byte) (Value, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	v, err := referenceDecode(dec)
	if err != nil {
		return nil, fmt.Errorf("%w: JSON document: %v", fault.ErrInvalid, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: JSON document: extra data after the value", fault.ErrInvalid)
	}
	return v, nil
}

func referenceDecode(dec *json.Decoder) (Value, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '[':
			var items []Value
			for dec.More() {
				it, err := referenceDecode(dec)
				if err != nil {
					return nil, err
				}
				items = append(items, it)
			}
			_, err := dec.Token()
			return NewList(items...), err
		case '{':
			d := NewDict()
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := referenceDecode(dec)
				if err != nil {
					return nil, err
				}
				d.SetStr(k.(string), v)
			}
			_, err := dec.Token()
			return d, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case json.Number:
		return numberFromJSON(string(t)), nil
	}
	return tok, nil
}

// sameJSONValue reports where a and b differ: types exactly (int64, *big.Int,
// float64 bit for bit but any NaN, ...), dict keys in order, and the dict's
// index agreeing with its entries.
func sameJSONValue(a, b Value, path string) error {
	switch x := a.(type) {
	case nil, bool, string, int64:
		if a != b {
			return fmt.Errorf("%s: %#v != %#v", path, a, b)
		}
	case float64:
		y, ok := b.(float64)
		if !ok || !(math.Float64bits(x) == math.Float64bits(y) || math.IsNaN(x) && math.IsNaN(y)) {
			return fmt.Errorf("%s: %#v != %#v", path, a, b)
		}
	case *big.Int:
		y, ok := b.(*big.Int)
		if !ok || x.Cmp(y) != 0 {
			return fmt.Errorf("%s: %v != %#v", path, a, b)
		}
	case *List:
		y, ok := b.(*List)
		if !ok || len(x.Items) != len(y.Items) {
			return fmt.Errorf("%s: %#v != %#v", path, a, b)
		}
		for i := range x.Items {
			if err := sameJSONValue(x.Items[i], y.Items[i], fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case *Dict:
		y, ok := b.(*Dict)
		if !ok || x.Len() != y.Len() {
			return fmt.Errorf("%s: %#v != %#v", path, a, b)
		}
		for _, d := range []*Dict{x, y} {
			if small := len(d.entries) <= smallDict; small != (d.index == nil) || (!small && len(d.index) != len(d.entries)) {
				return fmt.Errorf("%s: index of %d keys for %d entries", path, len(d.index), len(d.entries))
			}
		}
		for i, e := range x.entries {
			f := y.entries[i]
			if e.Key != f.Key {
				return fmt.Errorf("%s: key %d: %q != %q", path, i, e.Key, f.Key)
			}
			if j, ok := y.find("s" + e.Key.(string)); !ok || j != i || f.h != "s"+e.Key.(string) {
				return fmt.Errorf("%s: index of %q is wrong", path, e.Key)
			}
			if err := sameJSONValue(e.Value, f.Value, fmt.Sprintf("%s[%q]", path, e.Key)); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("%s: unexpected %T", path, a)
	}
	return nil
}

// jsonDepth is how deeply the document's brackets nest (strings skipped).
func jsonDepth(raw []byte) int {
	depth, maxDepth, inStr := 0, 0, false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case inStr && c == '\\':
			i++
		case c == '"':
			inStr = !inStr
		case !inStr && (c == '[' || c == '{'):
			depth++
			maxDepth = max(maxDepth, depth)
		case !inStr && (c == ']' || c == '}'):
			depth--
		}
	}
	return maxDepth
}

// checkAgainstReference holds the decoder to the reference on raw: in strict
// mode (no NaN literals, no depth bound) the same value or both an error; the
// public FromJSONBytes the same, except that it accepts NaN/Infinity and
// refuses nesting deeper than MaxJSONDepth.
func checkAgainstReference(t *testing.T, raw []byte) {
	t.Helper()
	want, werr := referenceFromJSONBytes(raw)
	got, gerr := decodeJSONBytes(raw, math.MaxInt, false)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("%q: reference error %v, new error %v", raw, werr, gerr)
	}
	if gerr != nil {
		if !errors.Is(gerr, fault.ErrInvalid) || !strings.Contains(gerr.Error(), " at offset ") {
			t.Fatalf("%q: error %v: not ErrInvalid naming the offset", raw, gerr)
		}
	} else {
		if err := sameJSONValue(got, want, "$"); err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		gr, e1 := Repr(got)
		wr, e2 := Repr(want)
		if gr != wr || (e1 == nil) != (e2 == nil) {
			t.Fatalf("%q: repr %s != %s", raw, gr, wr)
		}
	}
	pub, perr := FromJSONBytes(raw)
	switch {
	case perr != nil && gerr == nil:
		if jsonDepth(raw) <= MaxJSONDepth {
			t.Fatalf("%q: FromJSONBytes error %v, strict decoder none", raw, perr)
		}
	case perr == nil && gerr != nil:
		if !bytes.Contains(raw, []byte("NaN")) && !bytes.Contains(raw, []byte("Infinity")) {
			t.Fatalf("%q: FromJSONBytes accepts without a NaN/Infinity literal (strict: %v)", raw, gerr)
		}
	case perr == nil:
		if err := sameJSONValue(pub, got, "$"); err != nil {
			t.Fatalf("%q: FromJSONBytes: %v", raw, err)
		}
	}
	if perr != nil && !errors.Is(perr, fault.ErrInvalid) {
		t.Fatalf("%q: %v not ErrInvalid", raw, perr)
	}
}

// conformanceContexts are the "context" documents of the conformance golden files.
func conformanceContexts(t testing.TB) [][]byte {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "conformance", "golden", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("golden files: %v (%d)", err, len(files))
	}
	var docs [][]byte
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var g struct {
			Cases []struct {
				Name    string          `json:"name"`
				Context json.RawMessage `json:"context"`
			} `json:"cases"`
		}
		if err := json.Unmarshal(raw, &g); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, c := range g.Cases {
			if len(c.Context) > 0 {
				docs = append(docs, c.Context)
			}
		}
	}
	return docs
}

func deviceConfigContext(t testing.TB) []byte {
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "conformance", "golden", "corpus.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Cases []struct {
			Name    string          `json:"name"`
			Context json.RawMessage `json:"context"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	for _, c := range g.Cases {
		if c.Name == "corpus/device_config_sw01_bru01" {
			return c.Context
		}
	}
	t.Fatal("case corpus/device_config_sw01_bru01 missing")
	return nil
}

// randomJSON writes a random document: valid JSON when mutate is false.
type jsonGen struct {
	r *rand.Rand
	b []byte
}

var genStrings = []string{"", "a", "key", "é", "日本", "😀", `\"`, `\\`, `\/`, `\b\f\n\r\t`, `\u00e9`, `\u0000`, `\ud83d\ude00`,
	`\uD83D\uDE00`, `\ud800`, `\udc00`, `\ud800\u0041`, `\ud800\ud800\udc00`, `\udbff\udfff`, "\x7f", "\xff", "\xc3", "\xed\xa0\x80",
	"\xef\xbf\xbd", "\xf4\x90\x80\x80", "name", "id", "__typename", "node", "edges"}

var genNumbers = []string{"0", "-0", "1", "-1", "255", "256", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
	"-9223372036854775809", "123456789012345678", "1234567890123456789", "99999999999999999999999999999", "0.0", "-0.0", "1.5",
	"1e2", "1E2", "1e+2", "1e-2", "1e400", "-1e400", "1e-400", "2.2250738585072011e-308", "4.9e-324", "1.7976931348623157e308",
	"0.1", "100000000000000000000000.0", "12.5e-3"}

func (g *jsonGen) ws() {
	for g.r.IntN(4) == 0 {
		g.b = append(g.b, " \t\r\n"[g.r.IntN(4)])
	}
}

func (g *jsonGen) str() {
	g.b = append(g.b, '"')
	for n := g.r.IntN(4); n > 0; n-- {
		g.b = append(g.b, genStrings[g.r.IntN(len(genStrings))]...)
	}
	g.b = append(g.b, '"')
}

func (g *jsonGen) value(depth int) {
	g.ws()
	k := g.r.IntN(10)
	if depth > 6 {
		k = g.r.IntN(6)
	}
	switch k {
	case 0:
		g.b = append(g.b, []string{"true", "false", "null"}[g.r.IntN(3)]...)
	case 1, 2:
		g.b = append(g.b, genNumbers[g.r.IntN(len(genNumbers))]...)
	case 3:
		g.b = strconv.AppendInt(g.b, g.r.Int64()>>g.r.IntN(64), 10)
	case 4:
		g.b = strconv.AppendFloat(g.b, g.r.NormFloat64()*math.Pow(10, float64(g.r.IntN(40)-20)), "eEg"[g.r.IntN(3)], -1, 64)
	case 5:
		g.str()
	case 6, 7:
		g.b = append(g.b, '[')
		for i, n := 0, g.r.IntN(5); i < n; i++ {
			if i > 0 {
				g.ws()
				g.b = append(g.b, ',')
			}
			g.value(depth + 1)
		}
		g.ws()
		g.b = append(g.b, ']')
	default:
		g.b = append(g.b, '{')
		for i, n := 0, g.r.IntN(6); i < n; i++ {
			if i > 0 {
				g.ws()
				g.b = append(g.b, ',')
			}
			g.ws()
			g.str()
			g.ws()
			g.b = append(g.b, ':')
			g.value(depth + 1)
		}
		g.ws()
		g.b = append(g.b, '}')
	}
	g.ws()
}

// mutate breaks or bends a document: truncation, a byte changed,
// inserted or removed, a literal swapped in.
func (g *jsonGen) mutate(doc []byte) []byte {
	if len(doc) == 0 {
		return doc
	}
	out := append([]byte(nil), doc...)
	i := g.r.IntN(len(out))
	switch g.r.IntN(5) {
	case 0:
		return out[:i]
	case 1:
		const set = "{}[],:\"\\ -+.eE0123456789tfnuNI\x00\x1f\xff"
		out[i] = set[g.r.IntN(len(set))]
		return out
	case 2:
		return append(out[:i], out[i+1:]...)
	case 3:
		lit := []string{"NaN", "Infinity", "-Infinity", ",", "]", "}", `"`, `\u12`, "01", "1.", ".5", "1e", "-", "\ufeff"}[g.r.IntN(14)]
		return append(out[:i], append([]byte(lit), out[i:]...)...)
	default:
		return append(out, out[:i]...)
	}
}

func TestFromJSONBytesMatchesReferenceOnConformanceContexts(t *testing.T) {
	docs := conformanceContexts(t)
	if len(docs) < 1000 {
		t.Fatalf("only %d contexts", len(docs))
	}
	for _, doc := range docs {
		checkAgainstReference(t, doc)
	}
}

func TestFromJSONBytesMatchesReferenceOnRandomDocuments(t *testing.T) {
	g := &jsonGen{r: rand.New(rand.NewPCG(1, 2))}
	for range 20000 {
		g.b = g.b[:0]
		g.value(0)
		doc := append([]byte(nil), g.b...)
		checkAgainstReference(t, doc)
		checkAgainstReference(t, g.mutate(doc))
	}
}

// python3 -c 'import json; print(repr(json.loads(DOC)))' (lone surrogates: U+FFFD, as encoding/json)
func TestFromJSONBytesPythonValues(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{`[NaN, Infinity, -Infinity, 1e-400, 1e400, -0, -0.0]`, `[nan, inf, -inf, 0.0, inf, 0, -0.0]`},
		{`{"a": 1, "b": 2, "a": 3}`, `{'a': 3, 'b': 2}`},
		{`"\ud83d\ude00\u00e9\/\"\\\b\f\n\r\t"`, `'😀é/"\\\x08\x0c\n\r\t'`},
		{`["\ud800", "\udc00x", "\ud800\u0041", "` + "\xff\xed\xa0\x80" + `"]`, "['\ufffd', '\ufffdx', '\ufffdA', '\ufffd\ufffd\ufffd\ufffd']"},
		{` [18446744073709551616, -9223372036854775808, 1.0, 1E2] `, `[18446744073709551616, -9223372036854775808, 1.0, 100.0]`},
		{`{}`, `{}`},
		{`[[], {"": []}]`, `[[], {'': []}]`},
	} {
		v, err := FromJSONBytes([]byte(c.doc))
		if err != nil {
			t.Errorf("%s: %v", c.doc, err)
			continue
		}
		if got := mustRepr(t, v); got != c.want {
			t.Errorf("%s:\ngot  %s\nwant %s", c.doc, got, c.want)
		}
	}
}

func TestFromJSONBytesErrorsNameTheOffset(t *testing.T) {
	for doc, want := range map[string]string{
		``:              "Expecting value at offset 0",
		`[1] [2]`:       "Extra data at offset 4",
		`{"a" 1}`:       "Expecting ':' delimiter at offset 5",
		`[1 2]`:         "Expecting ',' delimiter at offset 3",
		`{1: 2}`:        "Expecting property name enclosed in double quotes at offset 1",
		`["a` + "\n\"]": "Invalid control character at offset 3",
		`"\x"`:          `Invalid \escape at offset 1`,
		`"\u12x4"`:      `Invalid \uXXXX escape at offset 1`,
		`"abc`:          "Unterminated string starting at offset 0",
		`01`:            "Extra data at offset 1",
		`1.`:            "Invalid number at offset 0",
		`-NaN`:          "Expecting value at offset 0",
		`nan`:           "Expecting value at offset 0",
		"\ufeff[1]":     "Expecting value at offset 0",
		`[1,]`:          "Expecting value at offset 3",
	} {
		_, err := FromJSONBytes([]byte(doc))
		if !errors.Is(err, fault.ErrInvalid) || err == nil || !strings.HasSuffix(err.Error(), want) {
			t.Errorf("%q: %v, want ErrInvalid ending %q", doc, err, want)
		}
	}
}

func TestFromJSONBytesBoundsNesting(t *testing.T) {
	nest := func(n int, open, close string) []byte {
		return []byte(strings.Repeat(open, n) + strings.Repeat(close, n))
	}
	if _, err := FromJSONBytes(nest(MaxJSONDepth, "[", "]")); err != nil {
		t.Fatalf("depth %d: %v", MaxJSONDepth, err)
	}
	for _, doc := range [][]byte{nest(MaxJSONDepth+1, "[", "]"), nest(10000, `{"a":`, "}"), nest(1_000_000, "[", "]"),
		[]byte(strings.Repeat("[", 10_000_000))} {
		_, err := FromJSONBytes(doc)
		if !errors.Is(err, fault.ErrInvalid) || !strings.Contains(err.Error(), "nesting deeper than 1000 levels") {
			t.Fatalf("%d bytes: %v", len(doc), err)
		}
	}
}

func FuzzFromJSONBytes(f *testing.F) {
	for _, doc := range conformanceContexts(f)[:200] {
		f.Add(doc)
	}
	for _, s := range []string{``, `[NaN]`, `-Infinity`, `"\ud800\udc00"`, "\"\xff\"", `{"a":1,"a":2}`, `1e400`, `[1,]`, `01`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkAgainstReference(t, raw)
	})
}

func BenchmarkFromJSONBytes(b *testing.B) {
	doc := deviceConfigContext(b)
	for _, impl := range []struct {
		name string
		fn   func([]byte) (Value, error)
	}{{"scanner", FromJSONBytes}, {"reference", referenceFromJSONBytes}} {
		b.Run(impl.name, func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := impl.fn(doc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
