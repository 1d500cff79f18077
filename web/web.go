// Package web embeds the server-rendered templates, static files and message
// catalogs, so the binary serves the whole site by itself.
package web

import "embed"

// Templates holds the html/template files: layout.html and one file per page.
//
//go:embed templates/*.html
var Templates embed.FS

// Static holds the CSS and images served under /static/.
//
//go:embed static
var Static embed.FS

// I18n holds one JSON message catalog per language (zh-CN.json, en.json).
//
//go:embed i18n/*.json
var I18n embed.FS
