package sandboxtest

import "strings"

// CSPMonitorScreen returns the last redraw in the output of RSPLIB's
// cspmonitor with the ANSI escape sequences removed, for test logs.
func CSPMonitorScreen(out string) string {
	if i := strings.LastIndex(out, "Current Component Status"); i >= 0 {
		out = out[i:]
	}
	var b strings.Builder
	for i := 0; i < len(out); i++ {
		if out[i] == 0x1b {
			// Skip to the sequence's final byte (CSI: '@'..'~').
			for i++; i < len(out) && !(out[i] >= '@' && out[i] <= '~' && out[i] != '['); i++ {
			}
			continue
		}
		b.WriteByte(out[i])
	}
	return b.String()
}
