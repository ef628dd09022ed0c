// Command airt administers user accounts offline-first: every command works
// against a local store, and `airt sync` reconciles it with `airt server`.
package main

import (
	"os"

	"github.com/airt/airt/commands"
)

func main() { os.Exit(commands.Run(os.Args[1:], commands.OSEnv())) }
