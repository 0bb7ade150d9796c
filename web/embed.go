// Package web serves Chronicle's browser UI: the Vite build of the React application in this
// directory, embedded into the binary, as a single-page application with strict security headers.
package web

import (
	"embed"
	"io/fs"
	"net/http"
)

// dist is the Vite build output. `all:` keeps the committed placeholder (a dot file), so a Go
// build compiles before the UI has ever been built.
//
//go:embed all:dist
var dist embed.FS

// Handler serves the UI embedded at build time (see NewHandler).
func Handler() http.Handler {
	sub, err := fs.Sub(dist, "dist")
	if err != nil { // cannot happen: "dist" is a valid path of the embedded tree
		panic("web: " + err.Error())
	}
	return NewHandler(sub)
}
