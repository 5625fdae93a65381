// Package graphiql serves GraphiQL, the in-browser GraphQL IDE, from assets embedded in the
// binary: a browser needs nothing from the Internet to explore the API. The assets are GraphiQL 3
// and React 18, minified and gzipped (assets/update.sh rebuilds them; assets/LICENSES.txt).
package graphiql

import (
	"bytes"
	"compress/gzip"
	"embed"
	"html/template"
	"io"
	"net/http"
	"path"
	"strings"
	"sync"
)

//go:embed assets/*.gz
var assets embed.FS

// Prefix is the path under which the assets are served.
const Prefix = "/graphiql/"

var types = map[string]string{
	".js":  "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
}

// Assets serves the embedded files under Prefix, gzipped to clients that accept it and
// decompressed (once, then kept) for the others.
func Assets() http.Handler {
	var mu sync.Mutex
	plain := map[string][]byte{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, Prefix)
		zipped, err := assets.ReadFile("assets/" + name + ".gz")
		if err != nil || strings.Contains(name, "/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", types[path.Ext(name)])
		w.Header().Set("Cache-Control", "public, max-age=86400")
		w.Header().Set("Vary", "Accept-Encoding")
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			w.Header().Set("Content-Encoding", "gzip")
			_, _ = w.Write(zipped)
			return
		}
		mu.Lock()
		body, ok := plain[name]
		if !ok {
			zr, err := gzip.NewReader(bytes.NewReader(zipped))
			if err == nil {
				body, err = io.ReadAll(zr)
			}
			if err != nil {
				mu.Unlock()
				http.Error(w, "asset "+name+": "+err.Error(), http.StatusInternalServerError)
				return
			}
			plain[name] = body
		}
		mu.Unlock()
		_, _ = w.Write(body)
	})
}

// page is the HTML that starts GraphiQL against one endpoint.
var page = template.Must(template.New("graphiql").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Title}}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{{.Prefix}}graphiql.css">
<style>html, body, #app { height: 100%; margin: 0; }</style>
</head>
<body>
<div id="app">Loading GraphiQL…</div>
<script src="{{.Prefix}}react.js"></script>
<script src="{{.Prefix}}react-dom.js"></script>
<script src="{{.Prefix}}graphiql.js"></script>
<script>
(function () {
  var endpoint = {{.Endpoint}};
  var fetcher = GraphiQL.createFetcher({ url: endpoint });
  var root = ReactDOM.createRoot(document.getElementById("app"));
  root.render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultEditorToolsVisibility: true,
    defaultQuery: {{.Query}}
  }));
})();
</script>
</body>
</html>
`))

// WantsPage tells whether a GET request comes from a browser that asks for a page rather than a
// GraphQL answer: it accepts HTML and carries no query.
func WantsPage(r *http.Request) bool {
	return r.Method == http.MethodGet && r.URL.Query().Get("query") == "" &&
		strings.Contains(r.Header.Get("Accept"), "text/html")
}

// Page writes the GraphiQL page that sends its documents to endpoint (a path of this server,
// such as /graphql/my-branch).
func Page(w http.ResponseWriter, endpoint, title string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = page.Execute(w, struct {
		Title, Prefix, Endpoint, Query string
	}{title, Prefix, endpoint, "# " + title + "\n# Ctrl-Enter runs the document; Ctrl-Space completes.\nquery {\n  InfrahubInfo {\n    version\n  }\n}\n"})
}
