package packaging

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDebianVersion(t *testing.T) {
	for _, tt := range []struct{ describe, want string }{
		{"v1.2.0", "1.2.0"},
		{"1.2.0", "1.2.0"},
		{"v1.2.0-rc1", "1.2.0~rc1"},
		{"v1.2.0-rc1-3-g0123abc", "1.2.0~rc1+3.g0123abc"},
		{"v1.2.0-5-gabc1234", "1.2.0+5.gabc1234"},
		{"v1.2.0-5-gabc1234-dirty", "1.2.0+5.gabc1234+dirty"},
		{"v1.2.0-dirty", "1.2.0+0.dirty"},
		{"360751e", "0~git360751e"},
		{"360751e-dirty", "0~git360751e+dirty"},
	} {
		got, err := DebianVersion(tt.describe)
		if err != nil || got != tt.want {
			t.Errorf("DebianVersion(%q) = %q, %v; want %q", tt.describe, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "dev", "release-1", "v", "1.0_beta", "1.0 beta"} {
		if got, err := DebianVersion(bad); err == nil {
			t.Errorf("DebianVersion(%q) = %q, want an error", bad, got)
		}
	}

	// dpkg must order the versions as git history does.
	dpkg := tool(t, "dpkg")
	order := []string{"0~git360751e", "0~git360751e+dirty", "1.2.0~rc1", "1.2.0~rc1+3.g0123abc", "1.2.0", "1.2.0+0.dirty", "1.2.0+1.g0123abc",
		"1.2.0+5.gabc1234", "1.2.0+5.gabc1234+dirty", "1.2.0+12.g0000000", "1.2.1~rc1", "1.2.1", "1.10.0"}
	for i := 1; i < len(order); i++ {
		if err := exec.Command(dpkg, "--compare-versions", order[i-1], "lt", order[i]).Run(); err != nil {
			t.Errorf("dpkg does not sort %s before %s: %v", order[i-1], order[i], err)
		}
	}
}

// hostState is what installing the package on this machine would change:
// the test must leave it as it was.
func hostState(t *testing.T, dpkgQuery string) string {
	t.Helper()
	var b strings.Builder
	for _, p := range []string{"rspregistrar", "rsplib-registrar"} {
		out, _ := exec.Command(dpkgQuery, "-W", "-f=${Package} ${Status} ${Version}\n", p).CombinedOutput()
		b.Write(out)
	}
	for _, f := range []string{"/usr/lib/systemd/system/rspregistrar.service", "/etc/systemd/system/multi-user.target.wants/rspregistrar.service",
		"/etc/systemd/system/rsplib-registrar.service", "/var/lib/systemd/deb-systemd-helper-enabled/rspregistrar.service.dsh-also"} {
		_, err := os.Lstat(f)
		b.WriteString(f + ": " + strings.TrimPrefix(strings.TrimPrefix(errString(err), "lstat "), f) + "\n")
	}
	return b.String()
}

func errString(err error) string {
	if err == nil {
		return "exists"
	}
	return err.Error()
}

// TestDeb builds the package as make deb does (make build, then Deb.Build),
// installs it with dpkg into a throw-away root that holds a stand-in of
// RSPLIB's rsplib-registrar package, and checks that dpkg removed that one,
// that the files, the unit, its enabling by postinst, the manual page and
// the control fields are right, removes and purges it (postrm drops the
// enablement), and checks that lintian finds nothing but what
// packaging/lintian-overrides explains. The machine's own dpkg database and
// systemd configuration stay untouched.
func TestDeb(t *testing.T) {
	mk := tool(t, "make")
	dpkg := tool(t, "dpkg")
	dpkgDeb := tool(t, "dpkg-deb")
	dpkgQuery := tool(t, "dpkg-query")
	lintian := tool(t, "lintian")
	man := tool(t, "man")
	var fakeroot string
	if os.Geteuid() != 0 {
		// dpkg must make the files root's.
		fakeroot = tool(t, "fakeroot")
	}
	if _, err := exec.LookPath("deb-systemd-helper"); err != nil {
		t.Fatal("no deb-systemd-helper (init-system-helpers, essential in Debian), which postinst runs")
	}

	const describe = "v1.2.3-4-gabcdef0"
	const version = "1.2.3+4.gabcdef0"
	bin := filepath.Join(t.TempDir(), "rspregistrar")
	if out, err := exec.Command(mk, "--no-print-directory", "-C", "..", "build", "BIN="+bin, "VERSION="+describe).CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, out)
	}
	date := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	pkg, err := Deb{Root: "..", Binary: bin, Arch: runtime.GOARCH, Version: describe, Date: date, OutDir: t.TempDir()}.Build()
	if err != nil {
		t.Fatal(err)
	}
	if want := "rspregistrar_" + version + "_" + runtime.GOARCH + ".deb"; filepath.Base(pkg) != want {
		t.Errorf("package file %s, want %s", filepath.Base(pkg), want)
	}

	// The control fields.
	fields := map[string]string{
		"Package":      "rspregistrar",
		"Version":      version,
		"Architecture": runtime.GOARCH,
		"Section":      "net",
		"Priority":     "optional",
		"Conflicts":    "rsplib-registrar",
		"Replaces":     "rsplib-registrar",
		"Provides":     "rsplib-registrar",
		"Depends":      "kmod",
	}
	for f, want := range fields {
		out, err := exec.Command(dpkgDeb, "-f", pkg, f).Output()
		if got := strings.TrimSpace(string(out)); err != nil || got != want {
			t.Errorf("control field %s: %q %v, want %q", f, got, err, want)
		}
	}
	for _, f := range []string{"Maintainer", "Description"} {
		if out, err := exec.Command(dpkgDeb, "-f", pkg, f).Output(); err != nil || len(bytes.TrimSpace(out)) == 0 {
			t.Errorf("no control field %s: %v", f, err)
		}
	}

	// A root with an installed rsplib-registrar (its binary and manual
	// page) and kmod, which the package depends on.
	root := t.TempDir()
	admin := filepath.Join(root, "var/lib/dpkg")
	for _, d := range []string{"info", "updates", "../../../usr/bin", "../../../usr/share/man/man1"} {
		if err := os.MkdirAll(filepath.Join(admin, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	stub := func(name, version string) string {
		return "Package: " + name + "\nStatus: install ok installed\nPriority: optional\nSection: net\nMaintainer: test <test@example.org>\n" +
			"Architecture: " + runtime.GOARCH + "\nVersion: " + version + "\nDescription: stand-in for TestDeb\n\n"
	}
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("var/lib/dpkg/status", stub("kmod", "30+20221128-1")+stub("rsplib-registrar", "3.4.4-1"))
	write("var/lib/dpkg/info/kmod.list", "")
	write("var/lib/dpkg/info/rsplib-registrar.list", "/.\n/usr\n/usr/bin\n/usr/bin/rspregistrar\n/usr/share\n/usr/share/man\n/usr/share/man/man1\n/usr/share/man/man1/rspregistrar.1.gz\n")
	write("usr/bin/rspregistrar", "RSPLIB's\n")
	write("usr/share/man/man1/rspregistrar.1.gz", "RSPLIB's\n")

	before := hostState(t, dpkgQuery)
	// The maintainer scripts run outside the root (it has no shell) with
	// DPKG_ROOT set, which they and deb-systemd-helper honour.
	runDpkg := func(action ...string) {
		t.Helper()
		args := append([]string{dpkg, "--root=" + root, "--log=" + filepath.Join(root, "dpkg.log"), "--force-not-root", "--force-script-chrootless"}, action...)
		if fakeroot != "" {
			args = append([]string{fakeroot}, args...)
		}
		cmd := exec.Command(args[0], args[1:]...)
		// dpkg wants ldconfig and start-stop-daemon in PATH, which for
		// users other than root often lacks the sbin directories.
		cmd.Env = append(os.Environ(), "PATH="+os.Getenv("PATH")+":/usr/sbin:/sbin")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("dpkg %s: %v\n%s", action[0], err, out)
		}
		t.Logf("dpkg %s:\n%s", action[0], out)
		if after := hostState(t, dpkgQuery); after != before {
			t.Fatalf("dpkg %s in %s changed this machine:\nbefore\n%s\nafter\n%s", action[0], root, before, after)
		}
	}
	runDpkg("-i", pkg)
	status, _ := exec.Command(dpkgQuery, "--admindir="+admin, "-W", "-f=${Package} ${db:Status-Abbrev} ${Version}\n").CombinedOutput()
	if got, want := string(status), "kmod ii  30+20221128-1\nrspregistrar ii  "+version+"\n"; got != want {
		t.Errorf("packages in the root:\n%s\nwant (rsplib-registrar removed)\n%s", got, want)
	}
	if _, err := os.Stat(filepath.Join(root, "usr/share/man/man1/rspregistrar.1.gz")); !os.IsNotExist(err) {
		t.Errorf("rsplib-registrar's manual page is still there: %v", err)
	}

	// Exactly these files, with these modes.
	debFiles := map[string]os.FileMode{
		"usr/bin/rspregistrar":                               0o755,
		"usr/lib/systemd/system/rspregistrar.service":        0o644,
		"usr/share/man/man8/rspregistrar.8.gz":               0o644,
		"usr/share/bash-completion/completions/rspregistrar": 0o644,
		"usr/share/doc/rspregistrar/copyright":               0o644,
		"usr/share/doc/rspregistrar/changelog.gz":            0o644,
		"usr/share/lintian/overrides/rspregistrar":           0o644,
	}
	list, err := exec.Command(dpkgQuery, "--admindir="+admin, "-L", "rspregistrar").Output()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(string(list)), "\n") {
		p := strings.TrimPrefix(l, "/")
		if st, err := os.Lstat(filepath.Join(root, p)); err == nil && st.IsDir() {
			continue
		}
		got = append(got, p)
	}
	var want []string
	for f, mode := range debFiles {
		want = append(want, f)
		st, err := os.Lstat(filepath.Join(root, f))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if !st.Mode().IsRegular() || st.Mode().Perm() != mode {
			t.Errorf("%s: mode %v, want a file with %v", f, st.Mode(), mode)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("the package installs\n%q\nwant\n%q", got, want)
	}

	if out, err := exec.Command(filepath.Join(root, "usr/bin/rspregistrar"), "-version").Output(); err != nil || string(out) != "rspregistrar "+describe+"\n" {
		t.Errorf("installed binary -version: %q %v", out, err)
	}

	// The unit under RSPLIB's name and systemd's name for it, both enabled
	// by postinst in the root.
	unit, err := os.ReadFile(filepath.Join(root, "usr/lib/systemd/system/rspregistrar.service"))
	if err != nil {
		t.Fatal(err)
	}
	for _, re := range []string{`(?m)^ExecStartPre=\+/usr/sbin/modprobe sctp$`, `(?m)^ExecStart=/usr/bin/rspregistrar `,
		`(?m)^Alias=rsplib-registrar\.service$`, `(?m)^WantedBy=multi-user\.target$`} {
		if !regexp.MustCompile(re).Match(unit) {
			t.Errorf("the unit does not match %s", re)
		}
	}
	for _, l := range []string{"etc/systemd/system/multi-user.target.wants/rspregistrar.service", "etc/systemd/system/rsplib-registrar.service"} {
		if dst, err := os.Readlink(filepath.Join(root, l)); err != nil || dst != "/usr/lib/systemd/system/rspregistrar.service" {
			t.Errorf("postinst did not enable the unit: %s -> %q %v", l, dst, err)
		}
	}

	// The manual page: gzip -9n of docs/rspregistrar.8, which man reads.
	gzipped := func(name string) []byte {
		t.Helper()
		f, err := os.Open(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if zr.Name != "" || !zr.ModTime.IsZero() {
			t.Errorf("%s: gzip header has name %q, time %v (gzip -n has neither)", name, zr.Name, zr.ModTime)
		}
		b, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return b
	}
	src, err := os.ReadFile("../docs/rspregistrar.8")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(gzipped("usr/share/man/man8/rspregistrar.8.gz"), src) {
		t.Error("the packaged manual page is not docs/rspregistrar.8")
	}
	cmd := exec.Command(man, "--warnings", "-E", "UTF-8", "-l", filepath.Join(root, "usr/share/man/man8/rspregistrar.8.gz"))
	cmd.Env = append(os.Environ(), "MANWIDTH=80", "LC_ALL=C.UTF-8", "MANPAGER=cat", "PAGER=cat")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || stderr.Len() != 0 || !strings.Contains(stdout.String(), "rspregistrar") {
		t.Errorf("man -l the packaged page: %v\n%s", err, stderr.String())
	}
	if cl := string(gzipped("usr/share/doc/rspregistrar/changelog.gz")); !strings.HasPrefix(cl, "rspregistrar ("+version+") unstable; urgency=medium\n") ||
		!strings.Contains(cl, " -- ") || !strings.HasSuffix(cl, "  Fri, 02 Jan 2026 03:04:05 +0000\n") {
		t.Errorf("changelog:\n%s", cl)
	}

	// Removal takes the files, purge the enablement too.
	runDpkg("-r", "rspregistrar")
	for f := range debFiles {
		if _, err := os.Lstat(filepath.Join(root, f)); !os.IsNotExist(err) {
			t.Errorf("%s left after dpkg -r: %v", f, err)
		}
	}
	runDpkg("-P", "rspregistrar")
	for _, l := range []string{"etc/systemd/system/multi-user.target.wants/rspregistrar.service", "etc/systemd/system/rsplib-registrar.service"} {
		if _, err := os.Lstat(filepath.Join(root, l)); !os.IsNotExist(err) {
			t.Errorf("%s left after dpkg -P: %v", l, err)
		}
	}
	if out, err := exec.Command(dpkgQuery, "--admindir="+admin, "-W", "rspregistrar").CombinedOutput(); err == nil {
		t.Errorf("rspregistrar still known after dpkg -P: %s", out)
	}

	checkOverrides(t)
	// Lintian applies the overrides the package ships; any error or
	// warning left is a defect, and so is an override that matched nothing.
	cmd = exec.Command(lintian, "--fail-on", "none", "--display-info", pkg)
	stdout.Reset()
	stderr.Reset()
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("lintian: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	t.Logf("lintian:\n%s", stdout.String())
	for _, l := range strings.Split(stdout.String(), "\n") {
		if strings.HasPrefix(l, "E: ") || strings.HasPrefix(l, "W: ") || strings.Contains(l, "-override") {
			t.Errorf("lintian: %s", l)
		}
	}
}

// checkOverrides requires a reason, as a comment, above every override in
// packaging/lintian-overrides.
func checkOverrides(t *testing.T) {
	t.Helper()
	f, err := os.Open("lintian-overrides")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	reason := false
	for s.Scan() {
		switch l := strings.TrimSpace(s.Text()); {
		case l == "":
			reason = false
		case strings.HasPrefix(l, "#"):
			reason = true
		case !reason:
			t.Errorf("lintian-overrides: no reason given for %q", l)
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
}
