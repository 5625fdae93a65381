package schema

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/infrahub-go/infrahub/events"
)

// TypeLoaded is the event of a schema load on a branch. Its payload holds the files exactly as
// loaded (JSON), so that replaying the branch's loads in order rebuilds its schema, and the hash
// that the load produced, so that a replay can tell when the loader's behaviour changed.
const TypeLoaded = "schema.loaded"

// LoadedFile is one file of a load.
type LoadedFile struct {
	Name string `json:"name"`
	// Content is the file as a JSON object, or as a JSON string holding the file's text (YAML or
	// JSON), which keeps its line numbers for error messages.
	Content json.RawMessage `json:"content"`
}

// ParseContent parses a file given as a JSON object or as a JSON string holding its text.
func ParseContent(name string, content json.RawMessage) (*File, error) {
	trimmed := bytes.TrimSpace(content)
	if len(trimmed) > 0 && trimmed[0] == '"' {
		var text string
		if err := json.Unmarshal(trimmed, &text); err != nil {
			return nil, &Error{Problems: []Problem{{File: name, Message: "not a JSON string: " + err.Error()}}}
		}
		return Parse(name, []byte(text))
	}
	f, err := Parse(name, trimmed)
	if err == nil {
		f.clearLines() // the lines of a JSON object sent as such say nothing to its sender
	}
	return f, err
}

// clearLines forgets the lines where the file's elements were declared.
func (f *File) clearLines() {
	for _, g := range f.Generics {
		if g != nil {
			g.Pos.Line = 0
			clearElementLines(g.Attributes, g.Relationships)
		}
	}
	for _, n := range f.Nodes {
		if n != nil {
			n.Pos.Line = 0
			clearElementLines(n.Attributes, n.Relationships)
		}
	}
	if f.Extensions != nil {
		for _, e := range f.Extensions.Nodes {
			if e != nil {
				e.Pos.Line = 0
				clearElementLines(e.Attributes, e.Relationships)
			}
		}
	}
}

func clearElementLines(attrs []*Attribute, rels []*Relationship) {
	for _, a := range attrs {
		if a != nil {
			a.Pos.Line = 0
		}
	}
	for _, r := range rels {
		if r != nil {
			r.Pos.Line = 0
		}
	}
}

// Loaded is the payload of TypeLoaded.
type Loaded struct {
	Files        []LoadedFile `json:"files"`
	Hash         string       `json:"hash"`
	PreviousHash string       `json:"previous_hash"`
	Changes      Changes      `json:"changes"`
}

// RegisterEvents adds the schema's event types to c.
func RegisterEvents(c *events.Catalogue) {
	c.MustRegister(TypeLoaded, 1, Loaded{})
}

// ParseFiles parses the files of a Loaded payload.
func (l Loaded) ParseFiles() ([]*File, error) {
	files := make([]*File, 0, len(l.Files))
	for _, f := range l.Files {
		parsed, err := ParseContent(f.Name, f.Content)
		if err != nil {
			return nil, fmt.Errorf("schema event file %s: %w", f.Name, err)
		}
		files = append(files, parsed)
	}
	return files, nil
}
