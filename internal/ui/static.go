package ui

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/request"
	"github.com/jiedao-market/jiedao/web"
)

// The static files (web/static) are served under two names: the plain one
// (/static/app.css), kept for a short while, and a fingerprinted one with the
// content's hash (/static/app.3f2a9c1e.css), which never changes and is kept
// for a year. Templates link the fingerprinted name ({{static "app.css"}}), so
// a new build's CSS is fetched at once and an unchanged one never again.

// immutable is the lifetime of a fingerprinted file.
const immutable = "public, max-age=31536000, immutable"

// staticFile is one embedded file under one of its names.
type staticFile struct {
	body        []byte
	contentType string
	fingerprint bool
}

// staticFiles are the embedded files by the name they are served under, and
// each file's fingerprinted URL by its plain name; made once at start.
type staticFiles struct {
	byName map[string]staticFile
	urls   map[string]string
}

func loadStatic() (staticFiles, error) {
	s := staticFiles{byName: map[string]staticFile{}, urls: map[string]string{}}
	root, err := fs.Sub(web.Static, "static")
	if err != nil {
		return s, err
	}
	err = fs.WalkDir(root, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(root, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:4]) + ext
		ct := mime.TypeByExtension(ext)
		if ct == "" {
			ct = fiber.MIMEOctetStream
		}
		s.byName[name] = staticFile{body: body, contentType: ct}
		s.byName[hashed] = staticFile{body: body, contentType: ct, fingerprint: true}
		s.urls[name] = "/static/" + hashed
		return nil
	})
	return s, err
}

// url returns the fingerprinted URL of the static file name (the template
// func "static"); a name that is not embedded fails the render.
func (s staticFiles) url(name string) (string, error) {
	u, ok := s.urls[name]
	if !ok {
		return "", fmt.Errorf("no static file %q", name)
	}
	return u, nil
}

// handleStatic serves a static file: a fingerprinted name for a year, a plain
// one for http.public_max_age. Both are shareable (ETag, 304, compression).
func (h *Handler) handleStatic(c *fiber.Ctx) error {
	f, ok := h.pages.static.byName[c.Params("*")]
	if !ok {
		return request.ErrRouteNotFound
	}
	request.Shareable(c)
	if f.fingerprint {
		c.Set(fiber.HeaderCacheControl, immutable)
	} else {
		c.Set(fiber.HeaderCacheControl, fmt.Sprintf("public, max-age=%d", int(h.cfg.HTTP.PublicMaxAge.Seconds())))
	}
	c.Set(fiber.HeaderContentType, f.contentType)
	return c.Send(f.body)
}
