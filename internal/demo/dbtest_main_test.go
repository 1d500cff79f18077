package demo_test

import (
	"os"
	"testing"

	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
)

// TestMain drops finished tests' databases in the background (dbtest.Run).
func TestMain(m *testing.M) { os.Exit(dbtest.Run(m)) }
