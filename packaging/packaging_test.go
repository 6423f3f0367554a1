package packaging

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rserpool/rspregistrar/internal/config"
)

// tool returns the path of a program the test needs, skipping the test
// when it is missing (make sandbox-deps installs them), or failing it when
// RSPREG_NEED_TOOLS is set: make unit sets it after sandbox-deps, so that a
// test skipped for a missing tool never passes there.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("RSPREG_NEED_TOOLS") != "" {
			t.Fatalf("%s not installed (make sandbox-deps installs it)", name)
		}
		t.Skipf("%s not installed (make sandbox-deps installs it)", name)
	}
	return p
}

// options returns the option names -h lists, "-name=" for options with a
// value, "-name" for flags.
func options(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, l := range strings.Split(config.Usage("rspregistrar"), "\n") {
		f := strings.Fields(l)
		if len(f) == 0 || !strings.HasPrefix(l, "  -") || strings.HasSuffix(f[0], ",") {
			continue
		}
		name, _, hasValue := strings.Cut(f[0], "=")
		if hasValue {
			name += "="
		}
		out = append(out, name)
	}
	if len(out) < 40 {
		t.Fatalf("only %d options found in the usage text", len(out))
	}
	return out
}

// TestManPage renders docs/rspregistrar.8 with man and groff's warnings on,
// and checks that it documents every option -h lists with its default, the
// environment variables and the signals.
func TestManPage(t *testing.T) {
	man := tool(t, "man")
	src, err := os.ReadFile("../docs/rspregistrar.8")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(man, "--warnings", "-E", "UTF-8", "-l", "../docs/rspregistrar.8")
	cmd.Env = append(os.Environ(), "MANWIDTH=80", "LC_ALL=C.UTF-8", "MANPAGER=cat", "PAGER=cat")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || stderr.Len() != 0 {
		t.Fatalf("man -l: %v\n%s", err, stderr.String())
	}
	page := stdout.String()
	for _, section := range []string{"NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "ENVIRONMENT", "SIGNALS", "FILES",
		"EXIT STATUS", "DIFFERENCES FROM RSPLIB", "EXAMPLES", "SEE ALSO"} {
		if !regexp.MustCompile(`(?m)^` + section + `$`).MatchString(page) {
			t.Errorf("no section %s", section)
		}
	}
	// Each option is a .TP paragraph whose tag names it and whose text
	// ends with its default.
	paragraphs := strings.Split(string(src), "\n.TP\n")
	for _, opt := range options(t) {
		name := strings.TrimSuffix(opt, "=")
		found := false
		for _, p := range paragraphs {
			first, _, _ := strings.Cut(p, "\n")
			f := strings.Fields(strings.ReplaceAll(first, `\-`, "-"))
			if len(f) < 2 || (f[1] != name && !strings.HasPrefix(f[1], name+"=") && f[1] != name+`",`) {
				continue
			}
			found = true
			if !strings.Contains(p, "Default") && opt != "-h" && opt != "-version" {
				t.Errorf("%s: no default in\n%s", opt, p)
			}
		}
		if !found && opt != "-help" && opt != "--help" && opt != "--version" {
			t.Errorf("the manual page does not document %s", opt)
		}
	}
	for _, env := range []string{"CSP_SERVER", "CSP_INTERVAL", "SIGHUP", "SIGTERM"} {
		if !strings.Contains(page, env) {
			t.Errorf("the manual page does not mention %s", env)
		}
	}
}

// complete runs the completion function for the command line line (the
// cursor at its end) with COMP_WORDBREAKS as bash splits words, with "="
// (bash's default) or without, and returns the replies.
func complete(t *testing.T, bash, line string, equalBreaks bool) []string {
	t.Helper()
	breaks := `" '><=;|&(:`
	if !equalBreaks {
		breaks = `" '><;|&(:`
	}
	// The words as bash splits them at blanks and at the word breaks
	// (only "=" and ":" matter here).
	var words []string
	cur := ""
	for _, r := range line {
		switch {
		case r == ' ':
			words, cur = append(words, cur), ""
		case strings.ContainsRune(breaks, r) && r != ' ' && r != '"' && r != '\'':
			if cur != "" {
				words = append(words, cur)
			}
			words, cur = append(words, string(r)), ""
		default:
			cur += string(r)
		}
	}
	words = append(words, cur)
	var quoted []string
	for _, w := range words {
		quoted = append(quoted, "'"+w+"'")
	}
	script := fmt.Sprintf(`source ../packaging/rspregistrar.bash-completion
COMP_WORDBREAKS=%q
COMP_LINE=%q
COMP_POINT=${#COMP_LINE}
COMP_WORDS=(%s)
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
_rspregistrar rspregistrar
printf '%%s\n' "${COMPREPLY[@]}"
`, breaks, line, strings.Join(quoted, " "))
	out, err := exec.Command(bash, "--norc", "--noprofile", "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	s := strings.TrimSuffix(string(out), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// TestBashCompletion loads the completion in bash and completes option
// names (all of -h's and nothing else) and values, with and without "=" as a
// word break.
func TestBashCompletion(t *testing.T) {
	bash := tool(t, "bash")
	out, err := exec.Command(bash, "--norc", "--noprofile", "-c", "source ../packaging/rspregistrar.bash-completion && complete -p rspregistrar").CombinedOutput()
	if err != nil || string(out) != "complete -F _rspregistrar rspregistrar\n" {
		t.Fatalf("loading the completion: %v %q", err, out)
	}

	all := complete(t, bash, "rspregistrar -", true)
	want := append(options(t), "-h", "-help", "--help", "-version", "--version")
	slices.Sort(all)
	slices.Sort(want)
	want = slices.Compact(want)
	if !slices.Equal(all, want) {
		t.Errorf("completing \"-\":\n got %q\nwant %q", all, want)
	}

	dir := t.TempDir()
	for _, f := range []string{"pr.log", "pr.pid"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		line         string
		equals, noEq string // replies, joined by spaces
	}{
		{"rspregistrar -logl", "-loglevel=", "-loglevel="},
		{"rspregistrar -quiet -disable", "-disable-ipv6", "-disable-ipv6"},
		{"rspregistrar -loglevel=", "0 1 2 3 4 5 6 7 8 9", "-loglevel=0 -loglevel=1 -loglevel=2 -loglevel=3 -loglevel=4 -loglevel=5 -loglevel=6 -loglevel=7 -loglevel=8 -loglevel=9"},
		{"rspregistrar -logcolor=o", "on off", "-logcolor=on -logcolor=off"},
		{"rspregistrar -minaddressscope=s", "sitelocal", "-minaddressscope=sitelocal"},
		{"rspregistrar -asap=", "auto", "-asap=auto"},
		{"rspregistrar -enrpannounce=o", "off", "-enrpannounce=off"},
		{"rspregistrar -logfile=" + dir + "/pr.l", dir + "/pr.log", "-logfile=" + dir + "/pr.log"},
		{"rspregistrar -daemonpidfile=" + dir + "/pr.p", dir + "/pr.pid", "-daemonpidfile=" + dir + "/pr.pid"},
		{"rspregistrar -peer=", "", ""},
		{"rspregistrar -nosuchoption", "", ""},
	} {
		for _, eq := range []bool{true, false} {
			want := tt.equals
			if !eq {
				want = tt.noEq
			}
			if got := strings.Join(complete(t, bash, tt.line, eq), " "); got != want {
				t.Errorf("%q (\"=\" breaks words: %v):\n got %q\nwant %q", tt.line, eq, got, want)
			}
		}
	}
}

// TestInstall runs make install into a temporary DESTDIR with PREFIX=/opt/rsp,
// checks the files, runs the installed binary, verifies the installed unit
// with systemd-analyze (its ExecStart pointed at the installed binary and
// man finding the installed page), and uninstalls again.
func TestInstall(t *testing.T) {
	mk := tool(t, "make")
	dest := t.TempDir()
	bin := filepath.Join(t.TempDir(), "rspregistrar")
	run := func(target string) {
		t.Helper()
		cmd := exec.Command(mk, "--no-print-directory", "-C", "..", target, "DESTDIR="+dest, "PREFIX=/opt/rsp", "BIN="+bin,
			"VERSION=install-test")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("make %s: %v\n%s", target, err, out)
		}
	}
	run("install")
	files := map[string]os.FileMode{
		"bin/rspregistrar":                               0o755,
		"share/man/man8/rspregistrar.8":                  0o644,
		"lib/systemd/system/rspregistrar.service":        0o644,
		"share/bash-completion/completions/rspregistrar": 0o644,
	}
	for f, mode := range files {
		st, err := os.Stat(filepath.Join(dest, "opt/rsp", f))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if st.Mode().Perm() != mode {
			t.Errorf("%s: mode %v, want %v", f, st.Mode().Perm(), mode)
		}
	}
	installed := filepath.Join(dest, "opt/rsp/bin/rspregistrar")
	if out, err := exec.Command(installed, "-version").Output(); err != nil || string(out) != "rspregistrar install-test\n" {
		t.Errorf("installed binary -version: %q %v", out, err)
	}
	unit, err := os.ReadFile(filepath.Join(dest, "opt/rsp/lib/systemd/system/rspregistrar.service"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^ExecStart=/opt/rsp/bin/rspregistrar `).Match(unit) {
		t.Errorf("ExecStart does not follow PREFIX:\n%s", unit)
	}
	if !regexp.MustCompile(`(?m)^KillSignal=SIGINT$`).Match(unit) || !regexp.MustCompile(`(?m)^Restart=on-failure$`).Match(unit) ||
		!regexp.MustCompile(`(?m)^ExecStartPre=\+/usr/sbin/modprobe sctp$`).Match(unit) {
		t.Errorf("unit lacks RSPLIB's stop signal, restart policy or modprobe:\n%s", unit)
	}

	analyze := tool(t, "systemd-analyze")
	tool(t, "man")
	tool(t, "/usr/sbin/modprobe") // kmod, which the unit runs
	vdir := t.TempDir()
	vunit := filepath.Join(vdir, "rspregistrar.service")
	if err := os.WriteFile(vunit, bytes.ReplaceAll(unit, []byte("/opt/rsp/bin/"), []byte(filepath.Join(dest, "opt/rsp/bin")+"/")), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(analyze, "verify", vunit)
	cmd.Env = append(os.Environ(), "MANPATH="+filepath.Join(dest, "opt/rsp/share/man"), "SYSTEMD_LOG_LEVEL=notice")
	if out, err := cmd.CombinedOutput(); err != nil || len(out) != 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}

	run("uninstall")
	for f := range files {
		if _, err := os.Stat(filepath.Join(dest, "opt/rsp", f)); !os.IsNotExist(err) {
			t.Errorf("%s left after uninstall: %v", f, err)
		}
	}
}
