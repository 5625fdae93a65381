package repository

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// flatEntry is a file of a flattened tree.
type flatEntry struct {
	hash plumbing.Hash
	mode filemode.FileMode
}

// mergeCommit makes the merge commit of source into target (first parent target) when the two
// changed different files since their merge base; a file both changed differently is a
// conflict, answered as the list of such paths. m.objMu is held.
func (c *Cache) mergeCommit(repo *git.Repository, src, dst *object.Commit, source, target string) (plumbing.Hash, []string, error) {
	bases, err := dst.MergeBase(src)
	if err != nil {
		return plumbing.ZeroHash, nil, err
	}
	if len(bases) != 1 {
		return plumbing.ZeroHash, []string{fmt.Sprintf("(%d merge bases)", len(bases))}, nil
	}
	var flat [3]map[string]flatEntry
	for i, cm := range []*object.Commit{bases[0], dst, src} {
		if flat[i], err = flatten(cm); err != nil {
			return plumbing.ZeroHash, nil, err
		}
	}
	base, ours, theirs := flat[0], flat[1], flat[2]
	merged := map[string]flatEntry{}
	var conflicts []string
	seen := map[string]bool{}
	for _, side := range []map[string]flatEntry{base, ours, theirs} {
		for p := range side {
			if seen[p] {
				continue
			}
			seen[p] = true
			b, bok := base[p]
			o, ook := ours[p]
			t, tok := theirs[p]
			switch {
			case ook == tok && o == t: // same on both sides (or deleted on both)
			case ook == bok && o == b: // only theirs changed it
				o, ook = t, tok
			case tok == bok && t == b: // only ours changed it
			default:
				conflicts = append(conflicts, p)
				continue
			}
			if ook {
				merged[p] = o
			}
		}
	}
	// A file on one side where the other has a folder.
	for p := range merged {
		for d := p; strings.Contains(d, "/"); {
			d = d[:strings.LastIndex(d, "/")]
			if _, ok := merged[d]; ok {
				conflicts = append(conflicts, d)
			}
		}
	}
	if len(conflicts) > 0 {
		sort.Strings(conflicts)
		return plumbing.ZeroHash, slices.Compact(conflicts), nil
	}
	tree, err := writeTree(repo, merged, "")
	if err != nil {
		return plumbing.ZeroHash, nil, err
	}
	sig := c.signature()
	commit := &object.Commit{
		Author: *sig, Committer: *sig, TreeHash: tree,
		Message:      fmt.Sprintf("Merge branch '%s' into %s\n", source, target),
		ParentHashes: []plumbing.Hash{dst.Hash, src.Hash},
	}
	obj := repo.Storer.NewEncodedObject()
	if err := commit.Encode(obj); err != nil {
		return plumbing.ZeroHash, nil, err
	}
	h, err := repo.Storer.SetEncodedObject(obj)
	return h, nil, err
}

// flatten lists every file of a commit (submodules included) by path.
func flatten(cm *object.Commit) (map[string]flatEntry, error) {
	tree, err := cm.Tree()
	if err != nil {
		return nil, err
	}
	out := map[string]flatEntry{}
	w := object.NewTreeWalker(tree, true, nil)
	defer w.Close()
	for {
		name, e, err := w.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, err
		}
		if e.Mode == filemode.Dir {
			continue
		}
		out[name] = flatEntry{hash: e.Hash, mode: e.Mode}
	}
}

// writeTree stores the tree of the files under dir (prefix "" is the root) and its subtrees.
func writeTree(repo *git.Repository, files map[string]flatEntry, dir string) (plumbing.Hash, error) {
	var entries []object.TreeEntry
	subdirs := map[string]bool{}
	for p, e := range files {
		rest, ok := strings.CutPrefix(p, dir)
		if !ok {
			continue
		}
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			subdirs[rest[:i]] = true
			continue
		}
		entries = append(entries, object.TreeEntry{Name: rest, Mode: e.mode, Hash: e.hash})
	}
	for name := range subdirs {
		h, err := writeTree(repo, files, dir+name+"/")
		if err != nil {
			return plumbing.ZeroHash, err
		}
		entries = append(entries, object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: h})
	}
	// Git orders entries by name, a folder's name compared as if it ended with '/'.
	key := func(e object.TreeEntry) string {
		if e.Mode == filemode.Dir {
			return e.Name + "/"
		}
		return e.Name
	}
	sort.Slice(entries, func(i, j int) bool { return key(entries[i]) < key(entries[j]) })
	obj := repo.Storer.NewEncodedObject()
	if err := (&object.Tree{Entries: entries}).Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	return repo.Storer.SetEncodedObject(obj)
}
