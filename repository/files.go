package repository

import (
	"bytes"
	"container/list"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/infrahub-go/infrahub/limits"
)

// commitFS is the read-only file tree of one commit. Its listing is built once; contents come
// from the Cache's blob cache, else from the mirror.
type commitFS struct {
	c       *Cache
	m       *mirror
	commit  plumbing.Hash
	modTime time.Time
	nodes   map[string]*node // by path; "." is the root
}

type node struct {
	name     string
	path     string
	dir      bool
	mode     fs.FileMode
	hash     plumbing.Hash
	children []*node // of a folder, by name
	size     atomic.Int64
}

// load builds the listing of commit; m.mu is held (read or write).
func (c *Cache) load(m *mirror, commit plumbing.Hash) (*commitFS, error) {
	repo, err := m.open(false)
	if err != nil {
		return nil, err
	}
	if repo == nil {
		return nil, plumbing.ErrObjectNotFound
	}
	m.objMu.Lock()
	defer m.objMu.Unlock()
	cm, err := repo.CommitObject(commit)
	if err != nil {
		return nil, err
	}
	tree, err := cm.Tree()
	if err != nil {
		return nil, fmt.Errorf("repository %s: commit %s: %w", m.id, commit, err)
	}
	f := &commitFS{c: c, m: m, commit: commit, modTime: cm.Committer.When, nodes: map[string]*node{}}
	root := &node{name: ".", path: ".", dir: true, mode: fs.ModeDir | 0o555}
	f.nodes["."] = root
	var walk func(dir *node, t *object.Tree) error
	walk = func(dir *node, t *object.Tree) error {
		for _, e := range t.Entries {
			p := e.Name
			if dir.path != "." {
				p = dir.path + "/" + e.Name
			}
			n := &node{name: e.Name, path: p, hash: e.Hash}
			switch e.Mode {
			case filemode.Dir:
				n.dir, n.mode = true, fs.ModeDir|0o555
				sub, err := repo.TreeObject(e.Hash)
				if err != nil {
					return fmt.Errorf("repository %s: commit %s: %s: %w", m.id, commit, p, err)
				}
				if err := walk(n, sub); err != nil {
					return err
				}
			case filemode.Submodule:
				continue // a submodule's files are in another repository
			case filemode.Executable:
				n.mode = 0o555
			default: // regular files; a symlink reads as the path it holds
				n.mode = 0o444
			}
			n.size.Store(-1)
			dir.children = append(dir.children, n)
			f.nodes[p] = n
		}
		sort.Slice(dir.children, func(i, j int) bool { return dir.children[i].name < dir.children[j].name })
		return nil
	}
	if err := walk(root, tree); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *commitFS) lookup(op, name string) (*node, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	n := f.nodes[name]
	if n == nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	return n, nil
}

// content answers a file's bytes (shared: callers copy before handing them out).
func (f *commitFS) content(op string, n *node) ([]byte, error) {
	key := blobKey{f.m.id, n.hash}
	if b, ok := f.c.blobs.get(key); ok {
		return b, nil
	}
	f.m.mu.RLock()
	defer f.m.mu.RUnlock()
	repo := f.m.repo.Load()
	if repo == nil {
		return nil, &fs.PathError{Op: op, Path: n.path, Err: fmt.Errorf("the mirror was removed: %w", fs.ErrNotExist)}
	}
	f.m.objMu.Lock()
	defer f.m.objMu.Unlock()
	obj, err := repo.Storer.EncodedObject(plumbing.BlobObject, n.hash)
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: n.path, Err: err}
	}
	n.size.Store(obj.Size())
	if max := f.c.cfg.MaxFileBytes; obj.Size() > max {
		return nil, &fs.PathError{Op: op, Path: n.path, Err: limits.Exceeded("the size of file "+n.path, obj.Size(), max, MaxFileBytesSetting)}
	}
	rd, err := obj.Reader()
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: n.path, Err: err}
	}
	defer rd.Close()
	b := make([]byte, 0, obj.Size())
	buf := bytes.NewBuffer(b)
	if _, err := io.Copy(buf, rd); err != nil {
		return nil, &fs.PathError{Op: op, Path: n.path, Err: err}
	}
	b = buf.Bytes()
	f.c.blobs.put(key, b)
	return b, nil
}

// Open opens a file (its content read whole) or a folder.
func (f *commitFS) Open(name string) (fs.File, error) {
	n, err := f.lookup("open", name)
	if err != nil {
		return nil, err
	}
	if n.dir {
		return &dirFile{f: f, n: n}, nil
	}
	b, err := f.content("open", n)
	if err != nil {
		return nil, err
	}
	return &file{f: f, n: n, r: bytes.NewReader(b)}, nil
}

// ReadFile answers a copy of a file's content; a file read before comes from memory.
func (f *commitFS) ReadFile(name string) ([]byte, error) {
	n, err := f.lookup("readfile", name)
	if err != nil {
		return nil, err
	}
	if n.dir {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: fmt.Errorf("is a folder")}
	}
	b, err := f.content("readfile", n)
	if err != nil {
		return nil, err
	}
	return bytes.Clone(b), nil
}

// ReadDir lists a folder, sorted by name.
func (f *commitFS) ReadDir(name string) ([]fs.DirEntry, error) {
	n, err := f.lookup("readdir", name)
	if err != nil {
		return nil, err
	}
	if !n.dir {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fmt.Errorf("not a folder")}
	}
	out := make([]fs.DirEntry, len(n.children))
	for i, ch := range n.children {
		out[i] = fs.FileInfoToDirEntry(info{f: f, n: ch})
	}
	return out, nil
}

// Stat describes a file or folder (a file's size reads its object header once).
func (f *commitFS) Stat(name string) (fs.FileInfo, error) {
	n, err := f.lookup("stat", name)
	if err != nil {
		return nil, err
	}
	return info{f: f, n: n}, nil
}

// info is a node's fs.FileInfo.
type info struct {
	f *commitFS
	n *node
}

func (i info) Name() string       { return i.n.name }
func (i info) Mode() fs.FileMode  { return i.n.mode }
func (i info) ModTime() time.Time { return i.f.modTime }
func (i info) IsDir() bool        { return i.n.dir }
func (i info) Sys() any           { return i.n.hash }
func (i info) Size() int64 {
	if i.n.dir {
		return 0
	}
	if s := i.n.size.Load(); s >= 0 {
		return s
	}
	if b, ok := i.f.c.blobs.get(blobKey{i.f.m.id, i.n.hash}); ok {
		return int64(len(b))
	}
	i.f.m.mu.RLock()
	defer i.f.m.mu.RUnlock()
	repo := i.f.m.repo.Load()
	if repo == nil {
		return 0
	}
	i.f.m.objMu.Lock()
	defer i.f.m.objMu.Unlock()
	s, err := repo.Storer.EncodedObjectSize(i.n.hash)
	if err != nil {
		return 0
	}
	i.n.size.Store(s)
	return s
}

type file struct {
	f *commitFS
	n *node
	r *bytes.Reader
}

func (x *file) Stat() (fs.FileInfo, error) { return info{f: x.f, n: x.n}, nil }
func (x *file) Read(p []byte) (int, error) { return x.r.Read(p) }
func (x *file) Seek(off int64, whence int) (int64, error) {
	return x.r.Seek(off, whence)
}
func (x *file) ReadAt(p []byte, off int64) (int, error) { return x.r.ReadAt(p, off) }
func (x *file) Close() error                            { return nil }

type dirFile struct {
	f   *commitFS
	n   *node
	pos int
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return info{f: d.f, n: d.n}, nil }
func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.n.path, Err: fmt.Errorf("is a folder")}
}
func (d *dirFile) Close() error { return nil }
func (d *dirFile) ReadDir(count int) ([]fs.DirEntry, error) {
	rest := d.n.children[d.pos:]
	if count > 0 && len(rest) == 0 {
		return nil, io.EOF
	}
	if count > 0 && count < len(rest) {
		rest = rest[:count]
	}
	d.pos += len(rest)
	out := make([]fs.DirEntry, len(rest))
	for i, ch := range rest {
		out[i] = fs.FileInfoToDirEntry(info{f: d.f, n: ch})
	}
	return out, nil
}

// treeCache keeps the listings of the most recently used commits.
type treeCache struct {
	mu    sync.Mutex
	max   int
	order *list.List // of *treeEntry, most recent first
	byKey map[string]*list.Element
}

type treeEntry struct {
	key string
	f   *commitFS
}

func newTreeCache(max int) *treeCache {
	return &treeCache{max: max, order: list.New(), byKey: map[string]*list.Element{}}
}

func (t *treeCache) get(key string) *commitFS {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e := t.byKey[key]; e != nil {
		t.order.MoveToFront(e)
		return e.Value.(*treeEntry).f
	}
	return nil
}

func (t *treeCache) put(key string, f *commitFS) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e := t.byKey[key]; e != nil {
		t.order.MoveToFront(e)
		return
	}
	t.byKey[key] = t.order.PushFront(&treeEntry{key: key, f: f})
	for t.order.Len() > t.max {
		last := t.order.Back()
		t.order.Remove(last)
		delete(t.byKey, last.Value.(*treeEntry).key)
	}
}

// drop forgets the entries whose key starts with prefix.
func (t *treeCache) drop(prefix string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, e := range t.byKey {
		if strings.HasPrefix(k, prefix) {
			t.order.Remove(e)
			delete(t.byKey, k)
		}
	}
}

// blobCache keeps file contents by (mirror, blob hash), at most max bytes.
type blobCache struct {
	mu    sync.Mutex
	max   int64
	used  int64
	order *list.List // of *blobEntry, most recent first
	byKey map[blobKey]*list.Element
}

type blobKey struct {
	mirror string
	hash   plumbing.Hash
}

type blobEntry struct {
	key  blobKey
	data []byte
}

func newBlobCache(max int64) *blobCache {
	return &blobCache{max: max, order: list.New(), byKey: map[blobKey]*list.Element{}}
}

func (b *blobCache) get(key blobKey) ([]byte, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if e := b.byKey[key]; e != nil {
		b.order.MoveToFront(e)
		return e.Value.(*blobEntry).data, true
	}
	return nil, false
}

func (b *blobCache) put(key blobKey, data []byte) {
	size := int64(len(data))
	if size > b.max/4 { // a few large files must not push everything else out
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.byKey[key] != nil {
		return
	}
	b.byKey[key] = b.order.PushFront(&blobEntry{key: key, data: data})
	b.used += size
	for b.used > b.max {
		last := b.order.Back()
		ent := last.Value.(*blobEntry)
		b.order.Remove(last)
		delete(b.byKey, ent.key)
		b.used -= int64(len(ent.data))
	}
}

func (b *blobCache) drop(mirror string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for k, e := range b.byKey {
		if k.mirror == mirror {
			b.used -= int64(len(e.Value.(*blobEntry).data))
			b.order.Remove(e)
			delete(b.byKey, k)
		}
	}
}

var _ interface {
	fs.ReadFileFS
	fs.ReadDirFS
	fs.StatFS
} = (*commitFS)(nil)
