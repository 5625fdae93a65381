// Package webui serves a web UI built by the user (Infrahub's frontend/app, built into its dist
// folder) from a directory, on the same origin as the API: the directory's files, and index.html
// for every other page path (the single-page fallback: the UI's router reads the address).
//
// The API's routes are registered beside the Handler on the same http.ServeMux ("/" is the least
// specific pattern): an API path never reaches it, so /api/... keeps its JSON 404. Pages
// lets a browser's page load of a path the API shares with the UI (/graphql, the UI's GraphQL
// sandbox) answer the UI.
package webui

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"strings"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/fault"
)

// Index is the page every UI route answers.
const Index = "index.html"

// assetsDir holds the files Vite names by their content hash (assets/index-4f3a2b1c.js): they
// never change under one name, so browsers may keep them for good.
const assetsDir = "assets/"

// Cache-Control of the files under assets/ and of every other file (index.html included, so that
// a rebuilt UI is picked up at the next load).
const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
)

// Handler serves the files of one directory. Paths are resolved inside the directory only
// (os.Root: neither "..", an absolute path nor a symbolic link leads out of it).
type Handler struct {
	dir  string
	root *os.Root
	fsys fs.FS
}

// Open opens dir, which must be a directory holding index.html. Errors wrap fault.ErrInvalid and
// name the directory.
func Open(dir string) (*Handler, error) {
	if strings.TrimSpace(dir) == "" {
		return nil, fmt.Errorf("%w: empty: name the folder of a built UI (the dist folder holding index.html)", fault.ErrInvalid)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", fault.ErrInvalid, dir, cause(err))
	}
	h := &Handler{dir: dir, root: root, fsys: root.FS()}
	st, err := fs.Stat(h.fsys, Index)
	switch {
	case err != nil:
		err = fmt.Errorf("%w: %q holds no %s (%v): name the folder the UI's build wrote (frontend/app/dist)", fault.ErrInvalid, dir, Index, cause(err))
	case !st.Mode().IsRegular():
		err = fmt.Errorf("%w: %q: %s is not a regular file", fault.ErrInvalid, dir, Index)
	}
	if err != nil {
		_ = root.Close()
		return nil, err
	}
	return h, nil
}

// cause is the reason of a file error without the path it repeats.
func cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Dir is the directory served.
func (h *Handler) Dir() string { return h.dir }

// Close releases the directory.
func (h *Handler) Close() error { return h.root.Close() }

// ServeHTTP answers GET and HEAD: a file of the directory when the path names one, 404 for a
// missing file under /assets/ (a stale hashed name: HTML there would break the page's scripts),
// index.html otherwise.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		commands.WriteError(w, fmt.Errorf("%w: %s %s: the web UI answers GET and HEAD only", fault.ErrInvalid, r.Method, r.URL.Path))
		return
	}
	name, err := fileName(r.URL.Path)
	if err != nil {
		commands.WriteError(w, err)
		return
	}
	if name == "" || name == Index {
		h.ServeIndex(w, r)
		return
	}
	if !hidden(name) && h.serveFile(w, r, name) {
		return
	}
	if strings.HasPrefix(name, assetsDir) || hidden(name) {
		commands.WriteError(w, fmt.Errorf("%w: no file %s in the web UI", fault.ErrNotFound, r.URL.Path))
		return
	}
	h.ServeIndex(w, r)
}

// ServeIndex answers index.html (revalidated at every load).
func (h *Handler) ServeIndex(w http.ResponseWriter, r *http.Request) {
	if !h.serveFile(w, r, Index) {
		commands.WriteError(w, fmt.Errorf("%w: the web UI's %s is gone from %q", fault.ErrUnavailable, Index, h.dir))
	}
}

// serveFile answers the regular file name (a path inside the directory) and reports whether it
// exists.
func (h *Handler) serveFile(w http.ResponseWriter, r *http.Request, name string) bool {
	f, err := h.fsys.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return false
	}
	rs, ok := f.(interface {
		Read([]byte) (int, error)
		Seek(int64, int) (int64, error)
	})
	if !ok {
		return false
	}
	hdr := w.Header()
	if strings.HasPrefix(name, assetsDir) {
		hdr.Set("Cache-Control", cacheImmutable)
	} else {
		hdr.Set("Cache-Control", cacheRevalidate)
	}
	hdr.Set("X-Content-Type-Options", "nosniff")
	if name == Index {
		hdr.Set("Content-Type", "text/html; charset=utf-8")
	}
	// Content-Type by extension (text/javascript for .js), Range, If-Modified-Since and HEAD.
	http.ServeContent(w, r, st.Name(), st.ModTime(), rs)
	return true
}

// fileName turns a URL path into a name inside the directory ("" for the root). A path with a
// "." or ".." segment, a backslash or a NUL is refused: it never reaches the file system.
func fileName(urlPath string) (string, error) {
	if !strings.HasPrefix(urlPath, "/") || strings.ContainsAny(urlPath, "\\\x00") {
		return "", fmt.Errorf("%w: path %q is not a path of the web UI", fault.ErrInvalid, urlPath)
	}
	name := strings.Trim(urlPath, "/")
	if name == "" {
		return "", nil
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == "." || seg == ".." {
			return "", fmt.Errorf("%w: path %q: a %q segment leaves the web UI's folder", fault.ErrInvalid, urlPath, seg)
		}
	}
	if !fs.ValidPath(name) {
		return "", fmt.Errorf("%w: path %q is not a path of the web UI", fault.ErrInvalid, urlPath)
	}
	return name, nil
}

// hidden reports a name with a segment starting with "." (.git, .env): never served.
func hidden(name string) bool {
	for _, seg := range strings.Split(name, "/") {
		if strings.HasPrefix(seg, ".") {
			return true
		}
	}
	return false
}

// Pattern is the route of the Handler on a ServeMux: the least specific, every request no other
// route takes (any method: a method-bound "GET /" would conflict with a method-free "/api/").
const Pattern = "/"

// Register adds the Handler to mux under Pattern.
func (h *Handler) Register(mux *http.ServeMux) { mux.Handle(Pattern, h) }

// Public answers, ahead of next (authentication, then mux), the requests mux routes to the
// Handler and the page loads of pages (see Pages): the UI's files are public, its login page
// among them, whatever anonymous access allows. Every other request goes to next.
func (h *Handler) Public(mux *http.ServeMux, next http.Handler, pages ...string) http.Handler {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == Pattern {
			h.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
	return h.Pages(api, pages...)
}

// Pages answers index.html to a browser's page load (GET or HEAD asking for text/html, no
// WebSocket upgrade, no ?query=) of one of paths or a path below it, and hands every other
// request to next. The UI owns pages whose addresses the API serves too: /graphql is its GraphQL
// sandbox (and /graphql/{branch} redirects there) while scripts POST to /graphql/{branch}.
func (h *Handler) Pages(next http.Handler, paths ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if PageLoad(r) {
			for _, p := range paths {
				if r.URL.Path == p || strings.HasPrefix(r.URL.Path, p+"/") {
					h.ServeIndex(w, r)
					return
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// PageLoad reports whether r is a browser loading a page (rather than a script or a client
// asking for data).
func PageLoad(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) &&
		r.Header.Get("Upgrade") == "" &&
		r.URL.Query().Get("query") == "" &&
		strings.Contains(r.Header.Get("Accept"), "text/html")
}
