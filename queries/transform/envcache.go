package transform

import (
	"container/list"
	"sync"

	"github.com/infrahub-go/infrahub/jinja"
)

// envKey names the files a Jinja2 environment loads from: a repository at a commit (a commit's
// files never change, so an environment is never stale).
type envKey struct{ repository, commit string }

// envCache keeps the last max environments used (least recently used out first); each keeps
// its parsed templates, so that rendering a template again does not parse it again.
type envCache struct {
	mu    sync.Mutex
	max   int
	order *list.List // of *envEntry, most recent first
	items map[envKey]*list.Element
}

type envEntry struct {
	key envKey
	env *jinja.Env
}

// commitLoader keeps the sources it loaded: the files of a commit never change, so a template
// (or an include) is read once per environment, not once per render.
type commitLoader struct {
	inner jinja.Loader
	mu    sync.Mutex
	srcs  map[string]string
}

func (l *commitLoader) Load(name string) (string, error) {
	l.mu.Lock()
	src, ok := l.srcs[name]
	l.mu.Unlock()
	if ok {
		return src, nil
	}
	src, err := l.inner.Load(name)
	if err != nil {
		return "", err
	}
	l.mu.Lock()
	l.srcs[name] = src
	l.mu.Unlock()
	return src, nil
}

func newEnvCache(max int) *envCache {
	return &envCache{max: max, order: list.New(), items: map[envKey]*list.Element{}}
}

// get answers the environment of k, made by build when it is not held (an error is not kept).
func (c *envCache) get(k envKey, build func() (*jinja.Env, error)) (*jinja.Env, error) {
	c.mu.Lock()
	if el, ok := c.items[k]; ok {
		c.order.MoveToFront(el)
		c.mu.Unlock()
		return el.Value.(*envEntry).env, nil
	}
	c.mu.Unlock()
	env, err := build()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[k]; ok { // made meanwhile by another caller: keep one
		c.order.MoveToFront(el)
		return el.Value.(*envEntry).env, nil
	}
	c.items[k] = c.order.PushFront(&envEntry{key: k, env: env})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*envEntry).key)
	}
	return env, nil
}

// len is the number of environments held.
func (c *envCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
