package graphql

import (
	"bytes"
	"errors"
	"sync"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/infrahub-go/infrahub/schema"
)

// Schemas caches built GraphQL schemas by Infrahub schema hash, so that branches with the same
// schema share one built schema. The zero value is ready to use; it is safe for concurrent use.
// A schema is built once per hash even when many goroutines ask for it at the same time.
type Schemas struct {
	mu      sync.Mutex
	entries map[string]*entry
}

type entry struct {
	once sync.Once
	s    *ast.Schema
	err  error
}

// Get returns the GraphQL schema of set, building it on first use of its hash.
func (c *Schemas) Get(set *schema.Set) (*ast.Schema, error) {
	if set == nil {
		return nil, errors.New("graphql: nil schema set")
	}
	hash := set.Hash()
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[string]*entry{}
	}
	e, ok := c.entries[hash]
	if !ok {
		e = &entry{}
		c.entries[hash] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.s, e.err = Build(set) })
	return e.s, e.err
}

// Forget drops the schema built for hash (when no branch uses that schema any more).
func (c *Schemas) Forget(hash string) {
	c.mu.Lock()
	delete(c.entries, hash)
	c.mu.Unlock()
}

// Len returns the number of schemas held.
func (c *Schemas) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// SDL prints s in the GraphQL schema definition language, without the built-in definitions
// (scalars, introspection types and directives of the specification).
func SDL(s *ast.Schema) string {
	var buf bytes.Buffer
	formatter.NewFormatter(&buf, formatter.WithIndent("  ")).FormatSchema(s)
	return buf.String()
}

// Validate parses query and validates it against s with the rules of the GraphQL
// specification. It returns the parsed document, or the errors (with their locations).
func Validate(s *ast.Schema, query string) (*ast.QueryDocument, gqlerror.List) {
	doc, err := parser.ParseQuery(&ast.Source{Name: "query", Input: query})
	if err != nil {
		var gqlErr *gqlerror.Error
		if errors.As(err, &gqlErr) {
			return nil, gqlerror.List{gqlErr}
		}
		return nil, gqlerror.List{gqlerror.Wrap(err)}
	}
	if errs := validator.Validate(s, doc); len(errs) > 0 {
		return nil, errs
	}
	return doc, nil
}
