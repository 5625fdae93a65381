package graphql

import (
	"bytes"
	"container/list"
	"errors"
	"fmt"
	"sync"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/schema"
)

// Schemas caches built GraphQL schemas by Infrahub schema hash, so that branches with the same
// schema share one built schema, with the documents validated against each. It holds at most Max
// schemas: when a new one is built, the least recently used is dropped (with its documents; a
// request still running on it keeps it until it ends). The zero value is ready to use; it is safe
// for concurrent use. A schema is built once per hash even when many goroutines ask for it at the
// same time.
type Schemas struct {
	// Max is the number of schemas kept (limits.Limits.SchemaCache); zero is the default.
	Max int

	mu      sync.Mutex
	entries map[string]*list.Element // of *entry
	recent  list.List                // *entry, the most recently used first
}

type entry struct {
	hash string
	once sync.Once
	s    *ast.Schema
	err  error
	docs docCache
}

// Get returns the GraphQL schema of set, building it on first use of its hash.
func (c *Schemas) Get(set *schema.Set) (*ast.Schema, error) {
	if set == nil {
		return nil, errors.New("graphql: nil schema set")
	}
	e := c.entry(set.Hash())
	if err := e.build(set); err != nil {
		return nil, err
	}
	return e.s, nil
}

// Check is Check through the cache: the schema a load checks is the one its first query uses.
func (c *Schemas) Check(set *schema.Set) error {
	if set == nil {
		return errors.New("graphql: nil schema set")
	}
	e := c.entry(set.Hash())
	e.once.Do(func() { e.s, e.err = buildSchema(set) })
	return checkError(set, e.err)
}

// build builds the entry's schema from set once (set has the entry's hash).
func (e *entry) build(set *schema.Set) error {
	e.once.Do(func() { e.s, e.err = buildSchema(set) })
	if e.err != nil {
		return fmt.Errorf("graphql: build schema %s: %w", set.Hash(), e.err)
	}
	return nil
}

// entry answers the entry of hash, made the most recent, creating it (and dropping the least
// recently used beyond Max) when it is not held.
func (c *Schemas) entry(hash string) *entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[hash]; ok {
		c.recent.MoveToFront(el)
		return el.Value.(*entry)
	}
	if c.entries == nil {
		c.entries = map[string]*list.Element{}
	}
	e := &entry{hash: hash}
	c.entries[hash] = c.recent.PushFront(e)
	bound := c.Max
	if bound <= 0 {
		bound = limits.Default().SchemaCache
	}
	for c.recent.Len() > bound {
		old := c.recent.Back()
		c.recent.Remove(old)
		delete(c.entries, old.Value.(*entry).hash)
	}
	return e
}

// Forget drops the schema built for hash (when no branch uses that schema any more).
func (c *Schemas) Forget(hash string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[hash]; ok {
		c.recent.Remove(el)
		delete(c.entries, hash)
	}
}

// Len returns the number of schemas held.
func (c *Schemas) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// docCache keeps the documents validated against one schema, by text: clients send the same few
// documents again and again, and a validated document is only read afterwards. It holds at most
// twice the cost limit in selections and the length limit in text; when full it starts again
// empty.
type docCache struct {
	mu         sync.Mutex
	docs       map[string]*ast.QueryDocument
	selections int64
	bytes      int
}

func (c *docCache) get(query string) *ast.QueryDocument {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.docs[query]
}

func (c *docCache) put(query string, doc *ast.QueryDocument, cost cost, l limits.Limits) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.docs == nil || c.selections+cost.selections > 2*int64(l.QueryCost) || c.bytes+len(query) > l.QueryBytes {
		c.docs, c.selections, c.bytes = map[string]*ast.QueryDocument{}, 0, 0
	}
	c.docs[query] = doc
	c.selections += cost.selections
	c.bytes += len(query)
}

// SDL prints s in the GraphQL schema definition language, without the built-in definitions
// (scalars, introspection types and directives of the specification).
func SDL(s *ast.Schema) string {
	var buf bytes.Buffer
	formatter.NewFormatter(&buf, formatter.WithIndent("  ")).FormatSchema(s)
	return buf.String()
}

// parse parses a document (no validation).
func parse(query string) (*ast.QueryDocument, *gqlerror.Error) {
	doc, err := parser.ParseQuery(&ast.Source{Name: "query", Input: query})
	if err != nil {
		var gqlErr *gqlerror.Error
		if errors.As(err, &gqlErr) {
			return nil, gqlErr
		}
		return nil, gqlerror.Wrap(err)
	}
	return doc, nil
}

// Validate parses query, refuses it when its cost exceeds the default limits, and validates it
// against s with the rules of the GraphQL specification. It returns the parsed document, or the
// errors (with their locations).
func Validate(s *ast.Schema, query string) (*ast.QueryDocument, gqlerror.List) {
	doc, err := parse(query)
	if err != nil {
		return nil, gqlerror.List{err}
	}
	if _, code, err := admit(doc, limits.Default()); err != nil {
		return nil, gqlerror.List{coded(code, gqlerror.Errorf("%v", err))}
	}
	if errs := validator.Validate(s, doc); len(errs) > 0 {
		return nil, errs
	}
	return doc, nil
}
