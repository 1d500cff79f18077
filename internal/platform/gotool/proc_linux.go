package gotool

import (
	"os/exec"
	"syscall"
)

// setParentDeath has the kernel kill the tool if the test process dies
// before its cleanup runs (a panic, a -timeout).
func setParentDeath(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
