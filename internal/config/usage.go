package config

import (
	"fmt"
	"strings"
)

// UsageLine is the one-line usage RSPLIB prints after "Invalid argument":
// "Usage: PROG {-option=syntax} {-flag} ...".
func UsageLine(prog string) string {
	var b strings.Builder
	b.WriteString("Usage: ")
	b.WriteString(prog)
	for i := range options {
		o := &options[i]
		b.WriteString(" {-")
		b.WriteString(o.name)
		if !o.flag() {
			b.WriteByte('=')
			b.WriteString(o.syntax)
		}
		b.WriteByte('}')
	}
	return b.String()
}

// Usage is the -h text: one option per line with its default and, where
// RSPLIB clamps, its range; then the environment variables.
func Usage(prog string) string {
	def := Default()
	left := make([]string, len(options))
	width := 0
	for i := range options {
		o := &options[i]
		left[i] = "-" + o.name
		if !o.flag() {
			left[i] += "=" + o.syntax
		}
		width = max(width, len(left[i]))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s [-option=value | -flag]...\n", prog)
	b.WriteString("RSerPool Pool Registrar. Options:\n")
	for i := range options {
		o := &options[i]
		fmt.Fprintf(&b, "  %-*s  %s", width, left[i], o.usage)
		switch {
		case o.max != 0:
			fmt.Fprintf(&b, " [%d..%d]", o.min, o.max)
		case o.min != 0:
			fmt.Fprintf(&b, " [>= %d]", o.min)
		}
		if o.flag() {
			b.WriteString(" (default: off)\n")
		} else {
			fmt.Fprintf(&b, " (default: %s)\n", o.def(&def))
		}
	}
	fmt.Fprintf(&b, "  %-*s  %s\n", width, "-h, -help, --help", "print this text and exit")
	fmt.Fprintf(&b, "  %-*s  %s\n", width, "-version, --version", "print the version and exit")
	b.WriteString("Environment:\n")
	fmt.Fprintf(&b, "  %-*s  %s\n", width, "CSP_SERVER=address:port", "CSP monitor address (overridden by -cspserver)")
	fmt.Fprintf(&b, "  %-*s  %s\n", width, "CSP_INTERVAL=milliseconds", "enables CSP reports at this interval, at least 250 ms (overridden by -cspinterval)")
	return b.String()
}
