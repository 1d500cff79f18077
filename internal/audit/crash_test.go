package audit_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/platform/db"
	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
)

// The crash test re-executes this test binary as a sequencer process: with
// envChild set to a database URL, TestMain runs crashChild instead of tests.
const (
	envChild = "JIEDAO_AUDIT_SEQUENCER_CHILD"
	envMode  = "JIEDAO_AUDIT_SEQUENCER_MODE"
)

func TestMain(m *testing.M) {
	if url := os.Getenv(envChild); url != "" {
		os.Exit(crashChild(url, os.Getenv(envMode)))
	}
	os.Exit(m.Run())
}

// crashChild is the sequencer process. In mode "partial" it integrates one
// batch, says "partial N" after its first UPDATE statement and waits there,
// its transaction open, for the kill. In mode "sequencer" it runs a
// Sequencer until no entry is pending and says "done".
func crashChild(url, mode string) int {
	ctx := context.Background()
	gdb, err := db.Open(ctx, url, db.Options{MaxOpenConns: 2})
	if err != nil {
		fmt.Println("open:", err)
		return 2
	}
	switch mode {
	case "partial":
		_, err := audit.IntegrateWithHook(ctx, gdb, 10*audit.UpdateChunk, func(written int) {
			fmt.Printf("partial %d\n", written)
			// Wait for the kill; stdin closes only if the parent dies first.
			_, _ = io.Copy(io.Discard, os.Stdin)
			os.Exit(3)
		})
		fmt.Println("integrate:", err)
		return 2
	case "sequencer":
		run, stop := context.WithCancel(ctx)
		defer stop()
		done := make(chan struct{})
		go func() {
			defer close(done)
			audit.NewSequencer(gdb, 10*time.Millisecond, audit.UpdateChunk, slog.New(slog.NewTextHandler(os.Stderr, nil))).Run(run)
		}()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for range tick.C {
			var pending int64
			if err := gdb.Raw(`SELECT count(*) FROM audit_entries WHERE seq IS NULL`).Scan(&pending).Error; err != nil {
				fmt.Println("count:", err)
				return 2
			}
			if pending == 0 {
				break
			}
		}
		stop()
		<-done
		fmt.Println("done")
		return 0
	}
	fmt.Println("unknown mode", mode)
	return 2
}

// TestSequencerKilledMidBatch: a sequencer process killed (SIGKILL) after
// writing part of a batch leaves nothing of it: the batch's transaction
// rolls back whole, and a restarted sequencer integrates every entry once.
func TestSequencerKilledMidBatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	gdb, url := dbtest.NewWithURL(t)
	seed(t, gdb, 3) // the chain does not start empty
	const pending = 2*audit.UpdateChunk + 50
	if err := gdb.Transaction(func(tx *gorm.DB) error {
		for i := range pending {
			if err := audit.Record(tx, access.SystemActor("test", ""), "district.touch", "district", i, nil); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	child := exec.Command(os.Args[0])
	child.Env = append(os.Environ(), envChild+"="+url, envMode+"=partial")
	stdin, err := child.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != fmt.Sprintf("partial %d\n", audit.UpdateChunk) {
		child.Process.Kill()
		t.Fatalf("sequencer child said %q (%v), want it stopped after writing %d rows", line, err, audit.UpdateChunk)
	}
	// Mid-batch: the rows written are not committed.
	if n := count(t, gdb, `SELECT count(*) FROM audit_entries WHERE seq IS NULL`); n != pending {
		t.Errorf("mid-batch %d entries pending, want all %d (nothing committed)", n, pending)
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	var exit *exec.ExitError
	if err := child.Wait(); !errors.As(err, &exit) || !strings.Contains(exit.String(), "killed") {
		t.Fatalf("sequencer child ended with %v, want killed", err)
	}
	if n := count(t, gdb, `SELECT count(*) FROM audit_entries WHERE seq IS NULL`); n != pending {
		t.Errorf("after the kill %d entries pending, want all %d (the batch rolled back)", n, pending)
	}

	// The restarted sequencer takes the batch again, once the dead one's
	// session (and its lock) is gone; it skips rounds until then.
	bounded, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	restart := exec.CommandContext(bounded, os.Args[0])
	restart.Env = append(os.Environ(), envChild+"="+url, envMode+"=sequencer")
	restart.Stderr = os.Stderr
	if said, err := restart.Output(); err != nil || string(said) != "done\n" {
		t.Fatalf("restarted sequencer: %q, %v; want done", said, err)
	}
	if n := count(t, gdb, `SELECT count(DISTINCT seq) FROM audit_entries`); n != pending+3 {
		t.Errorf("%d distinct seqs, want %d: every entry integrated once", n, pending+3)
	}
	wantIntact(t, gdb, pending+3)
}
