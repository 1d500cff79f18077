// Package migrations embeds the forward-only goose SQL migrations, the only
// source of the database schema.
package migrations

import "embed"

// FS holds every migration file, applied in version order by db.Migrate.
//
//go:embed *.sql
var FS embed.FS
