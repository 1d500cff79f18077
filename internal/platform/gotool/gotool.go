// Package gotool runs the module's Go tool dependencies (go.mod's tool
// directives: stripe-mock, mailpit) as the real servers tests talk to.
package gotool

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"time"
)

type built struct {
	once sync.Once
	path string
	err  error
}

var (
	mu    sync.Mutex
	tools = map[string]*built{}
)

// Path returns the path of tool's executable (`go tool -n tool`), built the
// first time a process asks (the first build of all can take minutes; the go
// build cache keeps it for later processes).
func Path(tool string) (string, error) {
	mu.Lock()
	b := tools[tool]
	if b == nil {
		b = &built{}
		tools[tool] = b
	}
	mu.Unlock()
	b.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		defer cancel()
		var stderr bytes.Buffer
		cmd := exec.CommandContext(ctx, "go", "tool", "-n", tool) // #nosec G204 -- tool is one of go.mod's tool names, given by our code
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			b.err = fmt.Errorf("go tool -n %s: %w\n%s", tool, err, stderr.Bytes())
			return
		}
		b.path = strings.TrimSpace(string(out))
	})
	return b.path, b.err
}

// Command returns the command that runs tool with args, which the kernel
// kills should the test process die before its cleanup runs (a panic, a
// -timeout).
func Command(tool string, args ...string) (*exec.Cmd, error) {
	bin, err := Path(tool)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...) // #nosec G204 -- bin is the tool Path built; the arguments are the caller's
	setParentDeath(cmd)
	return cmd, nil
}
