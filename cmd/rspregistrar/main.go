// Command rspregistrar is an RSerPool Pool Registrar, a drop-in replacement for
// RSPLIB's rspregistrar.
package main

import (
	"fmt"
	"os"
)

var version = "dev"

func main() {
	// The command line, sockets and event loop are being built (issues 2 and 5).
	fmt.Fprintf(os.Stderr, "rspregistrar %s: not usable yet\n", version)
	os.Exit(1)
}
