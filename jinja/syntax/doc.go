// Package syntax is the front end of our Jinja2 engine: a lexer and a parser for the Jinja2 3.1
// template language that accept, reject and describe templates exactly as Python Jinja2 3.1.6 does
// with its default delimiters ({{ }}, {% %}, {# #}), no line statements or line comments, and
// no extensions.
//
// Tokenize turns a source into tokens; Parse turns it into a *Template, the AST the evaluator
// walks. Every node carries the line Jinja2 gives the same node (Lineno), so that runtime errors
// can name the template line Jinja2 would. A template Jinja2 refuses is an *Error whose Message
// and Line are those of Jinja2's TemplateSyntaxError (or TemplateAssertionError, marked
// Assertion).
//
// The AST follows jinja2.nodes closely: KindOf gives each node's Jinja2 class name, Walk visits
// nodes in the order of Jinja2's Node.find_all, FilterNames lists the filters a template uses
// and Template.TopLevelKinds the kinds of its top-level statements (what the SDK's
// validate(restricted) checks).
//
// Bound: an expression or statement nested deeper than MaxNesting levels is a syntax error (Jinja2
// itself fails with Python's RecursionError somewhat earlier); this keeps the parser and the
// evaluator's recursion bounded.
package syntax
