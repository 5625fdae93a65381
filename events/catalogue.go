package events

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"sync"
)

// Upcaster turns a payload stored at one schema version into the next version's payload.
type Upcaster func(payload json.RawMessage) (json.RawMessage, error)

// TypeInfo describes one event type in a catalogue.
type TypeInfo struct {
	Name          string // stable wire name such as "node.created"; never a Go type name
	SchemaVersion int    // current version; stored events of older versions are upcast to it
	payload       reflect.Type
}

// Catalogue knows the event types of the system, their current schema versions, the Go payload
// type of each, and the upcasters from older versions. It is an instance, never a global: each
// composition root builds the one it needs.
type Catalogue struct {
	mu        sync.RWMutex
	types     map[string]TypeInfo
	upcasters map[upcastKey]Upcaster
}

type upcastKey struct {
	name    string
	version int
}

// NewCatalogue returns an empty catalogue.
func NewCatalogue() *Catalogue {
	return &Catalogue{types: map[string]TypeInfo{}, upcasters: map[upcastKey]Upcaster{}}
}

// Register adds an event type whose payload decodes into values of the type of sample (a struct
// value, not a pointer). Registering a name twice is an error.
func (c *Catalogue) Register(name string, version int, sample any) error {
	if name == "" || version < 1 {
		return fmt.Errorf("register %q v%d: %w: name must be set and version >= 1", name, version, ErrInvalidEvent)
	}
	t := reflect.TypeOf(sample)
	if t == nil || t.Kind() == reflect.Pointer {
		return fmt.Errorf("register %q: payload sample must be a non-pointer value", name)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.types[name]; ok {
		return fmt.Errorf("register %q: already registered", name)
	}
	c.types[name] = TypeInfo{Name: name, SchemaVersion: version, payload: t}
	return nil
}

// MustRegister is Register for start-up wiring, where a failure is a programming error.
func (c *Catalogue) MustRegister(name string, version int, sample any) {
	if err := c.Register(name, version, sample); err != nil {
		panic(err)
	}
}

// RegisterUpcaster adds the step from version `from` of type name to version from+1.
func (c *Catalogue) RegisterUpcaster(name string, from int, up Upcaster) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	info, ok := c.types[name]
	if !ok {
		return fmt.Errorf("upcaster for %q: %w", name, ErrUnknownEventType)
	}
	if from < 1 || from >= info.SchemaVersion {
		return fmt.Errorf("upcaster for %q from v%d: current version is %d", name, from, info.SchemaVersion)
	}
	key := upcastKey{name, from}
	if _, dup := c.upcasters[key]; dup {
		return fmt.Errorf("upcaster for %q from v%d: already registered", name, from)
	}
	c.upcasters[key] = up
	return nil
}

// Types lists the registered types sorted by name.
func (c *Catalogue) Types() []TypeInfo {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]TypeInfo, 0, len(c.types))
	for _, t := range c.types {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup returns the type's description.
func (c *Catalogue) Lookup(name string) (TypeInfo, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	t, ok := c.types[name]
	return t, ok
}

// New builds an envelope of a registered type at its current version with payload encoded.
func (c *Catalogue) New(name string, payload any, md Metadata) (Envelope, error) {
	info, ok := c.Lookup(name)
	if !ok {
		return Envelope{}, fmt.Errorf("event %q: %w", name, ErrUnknownEventType)
	}
	if got := reflect.TypeOf(payload); got != info.payload {
		return Envelope{}, fmt.Errorf("event %q: payload is %v, want %v: %w", name, got, info.payload, ErrInvalidEvent)
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		return Envelope{}, fmt.Errorf("event %q: encode payload: %w", name, err)
	}
	return Envelope{Type: name, SchemaVersion: info.SchemaVersion, Metadata: md, Payload: raw}, nil
}

// Upcast returns the payload of env at the current version of its type.
func (c *Catalogue) Upcast(env Envelope) (json.RawMessage, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	info, ok := c.types[env.Type]
	if !ok {
		return nil, fmt.Errorf("event %q at position %d: %w", env.Type, env.GlobalPosition, ErrUnknownEventType)
	}
	if env.SchemaVersion > info.SchemaVersion || env.SchemaVersion < 1 {
		return nil, fmt.Errorf("event %q v%d at position %d: this build knows up to v%d: %w",
			env.Type, env.SchemaVersion, env.GlobalPosition, info.SchemaVersion, ErrUnknownEventType)
	}
	payload := env.Payload
	for v := env.SchemaVersion; v < info.SchemaVersion; v++ {
		up, ok := c.upcasters[upcastKey{env.Type, v}]
		if !ok {
			return nil, fmt.Errorf("event %q: no upcaster from v%d: %w", env.Type, v, ErrUnknownEventType)
		}
		next, err := up(payload)
		if err != nil {
			return nil, fmt.Errorf("event %q: upcast v%d at position %d: %w", env.Type, v, env.GlobalPosition, err)
		}
		payload = next
	}
	return payload, nil
}

// PayloadDecoder is a payload type (its pointer) that reads its JSON itself: the value and the
// error json.Unmarshal would give, faster (a payload of many elements). Decode calls it
// instead of json.Unmarshal.
type PayloadDecoder interface {
	DecodePayload(raw []byte) error
}

// Decode upcasts env and decodes its payload into a new value of the registered payload type;
// the result is that value (not a pointer).
func (c *Catalogue) Decode(env Envelope) (any, error) {
	payload, err := c.Upcast(env)
	if err != nil {
		return nil, err
	}
	info, _ := c.Lookup(env.Type)
	ptr := reflect.New(info.payload)
	if d, ok := ptr.Interface().(PayloadDecoder); ok {
		err = d.DecodePayload(payload)
	} else {
		err = json.Unmarshal(payload, ptr.Interface())
	}
	if err != nil {
		return nil, fmt.Errorf("event %q at position %d: decode payload: %w", env.Type, env.GlobalPosition, err)
	}
	return ptr.Elem().Interface(), nil
}
