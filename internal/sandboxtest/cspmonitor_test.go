package sandboxtest

import "testing"

func TestCSPMonitorScreen(t *testing.T) {
	out := "\x1b[2JCurrent Component Status -- 1 PR\n\x1b[H\x1b[2J" +
		"Current Component Status -- \x1b[31;1m2 PRs\x1b[0m\nPR $01"
	if got, want := CSPMonitorScreen(out), "Current Component Status -- 2 PRs\nPR $01"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := CSPMonitorScreen("no redraw"); got != "no redraw" {
		t.Errorf("without a redraw: %q", got)
	}
}
