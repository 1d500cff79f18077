package stripetest

import (
	"os/exec"
	"syscall"
)

// setParentDeath has the kernel kill stripe-mock if the test process dies
// before its cleanup runs (a panic, a -timeout).
func setParentDeath(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
