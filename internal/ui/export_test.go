package ui

import (
	"bytes"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/config"
)

// RenderWorkNav renders role's working navigation on the page at path in
// lang, with counts standing for what navCounts returns (the worklist's
// pending items per group).
func RenderWorkNav(lang string, role access.Role, path string, counts map[string]int) (string, error) {
	p, err := newPages(config.Config{Auth: config.Auth{CSRFSecret: []byte("test")}})
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	v := view{Lang: lang, Path: path, Actor: access.Actor{Role: role}, Nav: workNav(role, path, counts)}
	err = p.sets[lang+"/dashboard"].ExecuteTemplate(&buf, "worknav", v)
	return buf.String(), err
}

// LangURL is langURL: u with its lang parameter set, when u is a page.
var LangURL = langURL
