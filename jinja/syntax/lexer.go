package syntax

import (
	"strings"
	"unicode/utf8"
)

// Options are the lexer settings of a Jinja2 Environment that change how a source is read.
// The zero value is Jinja2's defaults.
type Options struct {
	Name                string // the template's name, carried into errors
	TrimBlocks          bool   // drop the first newline after a block tag (trim_blocks)
	LstripBlocks        bool   // strip the whitespace before a block tag or comment from the start of its line (lstrip_blocks)
	KeepTrailingNewline bool   // keep the source's final newline (keep_trailing_newline)
}

type lexState uint8

const (
	stRoot lexState = iota
	stVariable
	stBlock
	stComment
	stRaw
)

type lexer struct {
	src          string
	pos          int
	line         int
	opts         Options
	state        lexState
	queue        []Token // the tokens of the last step not handed out yet (at most two)
	head         int
	balance      []byte // the closing brackets expected inside the current tag
	lineStarting bool   // the last match ended with a newline (or nothing was matched yet)
	err          *Error
}

// Tokenize reads a template source into the tokens Jinja2's parser sees (without the final
// end of template token). On an error it returns the tokens read before it.
func Tokenize(src string, opts Options) ([]Token, error) {
	lx := newLexer(src, opts)
	toks := make([]Token, 0, len(lx.src)/4+1)
	for {
		tok, ok := lx.next()
		if !ok {
			break
		}
		toks = append(toks, tok)
	}
	if lx.err != nil {
		return toks, lx.err
	}
	return toks, nil
}

func newLexer(src string, opts Options) *lexer {
	return &lexer{src: normalizeSource(src, opts.KeepTrailingNewline), line: 1, opts: opts, lineStarting: true,
		queue: make([]Token, 0, 2)}
}

// normalizeSource turns every \r\n and \r into \n and drops one final newline unless kept.
func normalizeSource(src string, keepTrailing bool) string {
	if strings.IndexByte(src, '\r') >= 0 {
		src = strings.ReplaceAll(src, "\r\n", "\n")
		src = strings.ReplaceAll(src, "\r", "\n")
	}
	if !keepTrailing && strings.HasSuffix(src, "\n") {
		src = src[:len(src)-1]
	}
	return src
}

// next hands out the next token, lexing on demand as Jinja2's lexer (a generator) does; it
// reports false at the end of the source or on an error (then in lx.err).
func (lx *lexer) next() (Token, bool) {
	for lx.head >= len(lx.queue) {
		lx.queue, lx.head = lx.queue[:0], 0
		if lx.err != nil || lx.pos >= len(lx.src) {
			return Token{}, false
		}
		if lx.err = lx.step(); lx.err != nil {
			return Token{}, false
		}
	}
	tok := lx.queue[lx.head]
	lx.head++
	return tok, true
}

func (lx *lexer) fail(msg string, line int) *Error {
	return &Error{Message: msg, Line: line, Name: lx.opts.Name}
}

func (lx *lexer) emit(kind TokenKind, value string, lit any) {
	lx.queue = append(lx.queue, Token{Kind: kind, Line: lx.line, Value: value, Literal: lit})
}

// advance moves past a match that ends at end, counting its newlines.
func (lx *lexer) advance(end int) {
	m := lx.src[lx.pos:end]
	lx.line += strings.Count(m, "\n")
	if m != "" {
		lx.lineStarting = m[len(m)-1] == '\n'
	}
	lx.pos = end
}

// step matches one rule of the current state, queueing the tokens it yields.
func (lx *lexer) step() *Error {
	var err *Error
	switch lx.state {
	case stRoot:
		lx.state = lx.root()
	case stVariable, stBlock:
		lx.state, err = lx.tag(lx.state)
	case stComment:
		lx.state, err = lx.comment()
	case stRaw:
		lx.state, err = lx.raw()
	}
	return err
}

// root reads template data up to the next tag opener and the opener itself.
func (lx *lexer) root() lexState {
	src := lx.src
	p := lx.pos
	for {
		i := strings.IndexByte(src[p:], '{')
		if i < 0 || p+i+1 >= len(src) {
			// no tag: the rest is data
			lx.emit(TokData, src[lx.pos:], nil)
			lx.advance(len(src))
			return stRoot
		}
		p += i
		if c := src[p+1]; c == '{' || c == '%' || c == '#' {
			break
		}
		p++
	}
	sign, end, state := "", p+2, stRoot
	if end < len(src) && (src[end] == '-' || src[end] == '+') {
		sign = src[end : end+1]
	}
	switch src[p+1] {
	case '{':
		state, end = stVariable, end+len(sign)
	case '#':
		state, end = stComment, end+len(sign)
	case '%':
		if rawEnd, ok := matchRawBegin(src, p+2+len(sign)); ok {
			state, end = stRaw, rawEnd
		} else {
			state, end = stBlock, end+len(sign)
		}
	}
	if text := lx.stripBefore(src[lx.pos:p], sign, state != stVariable); text != "" {
		lx.emit(TokData, text, nil)
	}
	// the opener starts on the line after all of the data's newlines, stripped or not
	lx.line += strings.Count(src[lx.pos:p], "\n")
	lx.pos = p
	switch state {
	case stVariable:
		lx.emit(TokVariableBegin, src[p:end], nil)
	case stBlock:
		lx.emit(TokBlockBegin, src[p:end], nil)
	}
	lx.advance(end)
	return state
}

// stripBefore applies whitespace control to the data before a tag: "-" strips all trailing
// whitespace; otherwise lstrip_blocks (for block tags and comments, not "+") strips the
// whitespace between the line start and the tag.
func (lx *lexer) stripBefore(text, sign string, lstripKind bool) string {
	if sign == "-" {
		return rstripPy(text)
	}
	if sign == "+" || !lx.opts.LstripBlocks || !lstripKind {
		return text
	}
	lpos := strings.LastIndexByte(text, '\n') + 1
	if lpos > 0 || lx.lineStarting {
		if rest := text[lpos:]; rest != "" && allPySpace(rest) {
			return text[:lpos]
		}
	}
	return text
}

// matchRawBegin matches `\s*raw\s*(?:-%}\s*|%})` at i, returning the end of the match.
func matchRawBegin(src string, i int) (int, bool) {
	i = skipSpace(src, i)
	if !strings.HasPrefix(src[i:], "raw") {
		return 0, false
	}
	i = skipSpace(src, i+3)
	switch {
	case strings.HasPrefix(src[i:], "-%}"):
		return skipSpace(src, i+3), true
	case strings.HasPrefix(src[i:], "%}"):
		return i + 2, true
	}
	return 0, false
}

// blockEnd matches the end of a block tag at i: `\+%}|\-%}\s*|%}\n?` (the newline with trim_blocks).
func (lx *lexer) blockEnd(i int, closer string) (int, bool) {
	src := lx.src
	if i >= len(src) {
		return 0, false
	}
	if c := src[i]; (c == '+' || c == '-') && strings.HasPrefix(src[i+1:], closer) {
		if c == '+' {
			return i + 1 + len(closer), true
		}
		return skipSpace(src, i+1+len(closer)), true
	}
	switch {
	case strings.HasPrefix(src[i:], closer):
		end := i + len(closer)
		if lx.opts.TrimBlocks && end < len(src) && src[end] == '\n' {
			end++
		}
		return end, true
	}
	return 0, false
}

// tag reads one token inside {{ }} or {% %}.
func (lx *lexer) tag(state lexState) (lexState, *Error) {
	src, pos := lx.src, lx.pos
	if len(lx.balance) == 0 {
		if state == stVariable {
			if strings.HasPrefix(src[pos:], "-}}") {
				end := skipSpace(src, pos+3)
				lx.emit(TokVariableEnd, src[pos:end], nil)
				lx.advance(end)
				return stRoot, nil
			}
			if strings.HasPrefix(src[pos:], "}}") {
				lx.emit(TokVariableEnd, "}}", nil)
				lx.advance(pos + 2)
				return stRoot, nil
			}
		} else if end, ok := lx.blockEnd(pos, "%}"); ok {
			lx.emit(TokBlockEnd, src[pos:end], nil)
			lx.advance(end)
			return stRoot, nil
		}
	}
	if end := skipSpace(src, pos); end > pos {
		lx.advance(end)
		return state, nil
	}
	if end, ok := matchFloat(src, pos); ok {
		lx.emit(TokFloat, src[pos:end], floatLiteral(src[pos:end]))
		lx.advance(end)
		return state, nil
	}
	if end, ok := matchInteger(src, pos); ok {
		lx.emit(TokInteger, src[pos:end], intLiteral(src[pos:end]))
		lx.advance(end)
		return state, nil
	}
	if end := matchName(src, pos); end > pos {
		name := src[pos:end]
		if !isIdentifier(name) {
			return state, lx.fail("Invalid character in identifier", lx.line)
		}
		lx.emit(TokName, name, nil)
		lx.advance(end)
		return state, nil
	}
	if end, ok := matchString(src, pos); ok {
		value, msg := decodeString(src[pos+1 : end-1])
		if msg != "" {
			return state, lx.fail(msg, lx.line)
		}
		lx.emit(TokString, value, nil)
		lx.advance(end)
		return state, nil
	}
	if kind, n := matchOperator(src, pos); n > 0 {
		if err := lx.balanceBracket(src[pos]); err != nil {
			return state, err
		}
		lx.emit(kind, src[pos:pos+n], nil)
		lx.advance(pos + n)
		return state, nil
	}
	r, _ := utf8.DecodeRuneInString(src[pos:])
	return state, lx.fail("unexpected char "+pyRepr(string(r))+" at "+itoa(utf8.RuneCountInString(src[:pos])), lx.line)
}

// balanceBracket tracks brackets inside a tag: the tag's end is only recognised when they are
// balanced, and a closing bracket must match the last opening one.
func (lx *lexer) balanceBracket(c byte) *Error {
	switch c {
	case '{':
		lx.balance = append(lx.balance, '}')
	case '(':
		lx.balance = append(lx.balance, ')')
	case '[':
		lx.balance = append(lx.balance, ']')
	case '}', ')', ']':
		if len(lx.balance) == 0 {
			return lx.fail("unexpected '"+string(c)+"'", lx.line)
		}
		want := lx.balance[len(lx.balance)-1]
		lx.balance = lx.balance[:len(lx.balance)-1]
		if want != c {
			return lx.fail("unexpected '"+string(c)+"', expected '"+string(want)+"'", lx.line)
		}
	}
	return nil
}

// comment skips a comment up to its end: `(.*?)(\+#}|\-#}\s*|#}\n?)`.
func (lx *lexer) comment() (lexState, *Error) {
	src, pos := lx.src, lx.pos
	q := strings.Index(src[pos:], "#}")
	if q < 0 {
		return stComment, lx.fail("Missing end of comment tag", lx.line)
	}
	q += pos
	p := q
	if q > pos && (src[q-1] == '+' || src[q-1] == '-') {
		p = q - 1
	}
	end, _ := lx.blockEnd(p, "#}")
	lx.advance(end)
	return stRoot, nil
}

// raw reads the data of a raw block up to its end tag
// `(.*?)({%(-|\+|)\s*endraw\s*(?:\+%}|\-%}\s*|%}\n?))`, with whitespace control before the tag.
func (lx *lexer) raw() (lexState, *Error) {
	src, pos := lx.src, lx.pos
	for p := pos; ; {
		i := strings.Index(src[p:], "{%")
		if i < 0 {
			return stRaw, lx.fail("Missing end of raw directive", lx.line)
		}
		p += i
		sign := ""
		j := p + 2
		if j < len(src) && (src[j] == '-' || src[j] == '+') {
			sign = src[j : j+1]
			j++
		}
		j = skipSpace(src, j)
		if strings.HasPrefix(src[j:], "endraw") {
			if end, ok := lx.blockEnd(skipSpace(src, j+6), "%}"); ok {
				text := lx.stripBefore(src[pos:p], sign, true)
				if text != "" {
					lx.emit(TokData, text, nil)
				}
				lx.advance(end)
				return stRoot, nil
			}
		}
		p += 2
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
