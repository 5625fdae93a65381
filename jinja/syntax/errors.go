package syntax

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/infrahub-go/infrahub/fault"
)

// Error is a template Jinja2 refuses: Message and Line are those of Jinja2's TemplateSyntaxError
// for the same source, Name the template's name. Assertion marks the errors Jinja2 raises as
// TemplateAssertionError (a subclass of TemplateSyntaxError). An Error wraps fault.ErrInvalid.
type Error struct {
	Message   string
	Line      int
	Name      string
	Assertion bool
}

func (e *Error) Error() string {
	if e.Name != "" {
		return fmt.Sprintf("template syntax error: %s (line %d of %q)", e.Message, e.Line, e.Name)
	}
	return fmt.Sprintf("template syntax error: %s (line %d)", e.Message, e.Line)
}

// Unwrap makes every syntax error a fault.ErrInvalid.
func (e *Error) Unwrap() error { return fault.ErrInvalid }

// pyRepr is Python's repr of a str, as Jinja2's messages quote names and token descriptions.
func pyRepr(s string) string {
	quote := byte('\'')
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		quote = '"'
	}
	var b strings.Builder
	b.WriteByte(quote)
	for _, r := range s {
		switch {
		case r == rune(quote) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case unicode.IsPrint(r):
			b.WriteRune(r)
		case r < 0x100:
			b.WriteString(`\x` + hex(uint64(r), 2))
		case r < 0x10000:
			b.WriteString(`\u` + hex(uint64(r), 4))
		default:
			b.WriteString(`\U` + hex(uint64(r), 8))
		}
	}
	b.WriteByte(quote)
	return b.String()
}

func hex(v uint64, width int) string {
	s := strconv.FormatUint(v, 16)
	for len(s) < width {
		s = "0" + s
	}
	return s
}
