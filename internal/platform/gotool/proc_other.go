//go:build !linux

package gotool

import "os/exec"

// setParentDeath does nothing: only Linux can tie a child's life to its parent's.
func setParentDeath(*exec.Cmd) {}
