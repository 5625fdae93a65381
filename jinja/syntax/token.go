package syntax

import (
	"math/big"
	"strconv"
	"strings"
)

// TokenKind is the type of a token, as Jinja2's lexer names it.
type TokenKind uint8

// The token kinds the parser sees (Jinja2 drops whitespace, comments and raw markers).
const (
	TokEOF TokenKind = iota
	TokData
	TokVariableBegin
	TokVariableEnd
	TokBlockBegin
	TokBlockEnd
	TokName
	TokString
	TokInteger
	TokFloat
	TokAdd      // +
	TokSub      // -
	TokDiv      // /
	TokFloorDiv // //
	TokMul      // *
	TokMod      // %
	TokPow      // **
	TokTilde    // ~
	TokLBracket // [
	TokRBracket // ]
	TokLParen   // (
	TokRParen   // )
	TokLBrace   // {
	TokRBrace   // }
	TokEq       // ==
	TokNe       // !=
	TokGt       // >
	TokGtEq     // >=
	TokLt       // <
	TokLtEq     // <=
	TokAssign   // =
	TokDot      // .
	TokColon    // :
	TokPipe     // |
	TokComma    // ,
	TokSemicolon
	numTokenKinds
)

// kindInfo is a kind's Jinja2 type name and the description Jinja2 uses in messages.
var kindInfo = [numTokenKinds]struct{ name, desc string }{
	TokEOF:           {"eof", "end of template"},
	TokData:          {"data", "template data / text"},
	TokVariableBegin: {"variable_begin", "begin of print statement"},
	TokVariableEnd:   {"variable_end", "end of print statement"},
	TokBlockBegin:    {"block_begin", "begin of statement block"},
	TokBlockEnd:      {"block_end", "end of statement block"},
	TokName:          {"name", "name"},
	TokString:        {"string", "string"},
	TokInteger:       {"integer", "integer"},
	TokFloat:         {"float", "float"},
	TokAdd:           {"add", "+"},
	TokSub:           {"sub", "-"},
	TokDiv:           {"div", "/"},
	TokFloorDiv:      {"floordiv", "//"},
	TokMul:           {"mul", "*"},
	TokMod:           {"mod", "%"},
	TokPow:           {"pow", "**"},
	TokTilde:         {"tilde", "~"},
	TokLBracket:      {"lbracket", "["},
	TokRBracket:      {"rbracket", "]"},
	TokLParen:        {"lparen", "("},
	TokRParen:        {"rparen", ")"},
	TokLBrace:        {"lbrace", "{"},
	TokRBrace:        {"rbrace", "}"},
	TokEq:            {"eq", "=="},
	TokNe:            {"ne", "!="},
	TokGt:            {"gt", ">"},
	TokGtEq:          {"gteq", ">="},
	TokLt:            {"lt", "<"},
	TokLtEq:          {"lteq", "<="},
	TokAssign:        {"assign", "="},
	TokDot:           {"dot", "."},
	TokColon:         {"colon", ":"},
	TokPipe:          {"pipe", "|"},
	TokComma:         {"comma", ","},
	TokSemicolon:     {"semicolon", ";"},
}

// String is the kind's Jinja2 type name ("name", "block_end", "lparen", ...).
func (k TokenKind) String() string {
	if k < numTokenKinds {
		return kindInfo[k].name
	}
	return "unknown"
}

// Describe is how Jinja2 names the kind in messages ("end of print statement", ")", ...).
func (k TokenKind) Describe() string {
	if k < numTokenKinds {
		return kindInfo[k].desc
	}
	return "unknown"
}

// Token is one token with the line it starts on.
//
// Value is the text for data, names and operators, and the decoded text of a string literal.
// Literal holds the value of a number: int64, *big.Int (an integer beyond int64) or float64.
type Token struct {
	Kind    TokenKind
	Line    int
	Value   string
	Literal any
}

// Describe is how Jinja2 names the token in messages: a name is its own text, any other token
// the description of its kind.
func (t Token) Describe() string {
	if t.Kind == TokName {
		return t.Value
	}
	return t.Kind.Describe()
}

func (t Token) isName(v string) bool { return t.Kind == TokName && t.Value == v }

// intLiteral converts an integer literal (0b/0o/0x prefixes, '_' separators) to int64 or *big.Int.
func intLiteral(text string) any {
	s := strings.ReplaceAll(text, "_", "")
	if n, err := strconv.ParseInt(s, 0, 64); err == nil { // base 0 reads the 0b/0o/0x prefixes
		return n
	}
	base := 10
	if len(s) > 1 && s[0] == '0' {
		switch s[1] | 0x20 {
		case 'b':
			base, s = 2, s[2:]
		case 'o':
			base, s = 8, s[2:]
		case 'x':
			base, s = 16, s[2:]
		}
	}
	n, ok := new(big.Int).SetString(s, base)
	if !ok { // cannot happen: the lexer only hands over well-formed literals
		return int64(0)
	}
	if n.IsInt64() {
		return n.Int64()
	}
	return n
}
