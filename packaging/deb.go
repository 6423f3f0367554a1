// Package packaging holds the files that install rspregistrar on a system
// (systemd unit, bash completion; the manual page is docs/rspregistrar.8),
// the Debian package's configuration and maintainer scripts, and the code
// that builds that package (Deb, run by cmd/rspdeb for make deb). Its tests
// check all of them with the tools that read them: systemd-analyze, man,
// bash, make, dpkg and lintian.
package packaging

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/deb"
	"github.com/goreleaser/nfpm/v2/files"
)

// DebConfig is the nfpm configuration of the Debian package, relative to
// the repository root.
const DebConfig = "packaging/nfpm.yaml"

// Deb is one Debian package to build: make deb's cmd/rspdeb and the tests
// fill it in and call Build.
type Deb struct {
	// Root is the repository root, where DebConfig and the files it names
	// are.
	Root string
	// Binary is the rspregistrar program for Arch.
	Binary string
	// Arch is Go's name of the architecture (amd64, arm64), which for
	// these two is Debian's too.
	Arch string
	// Version is the program's version as the Makefile's VERSION has it
	// (git describe); Build derives the Debian version from it.
	Version string
	// Maintainer replaces the configuration's maintainer when not empty.
	Maintainer string
	// Date is the time of every file in the package and of the changelog
	// entry: SOURCE_DATE_EPOCH for a reproducible package.
	Date time.Time
	// OutDir is where the package goes, under Debian's file name.
	OutDir string
}

// Build writes the package and returns its path.
func (d Deb) Build() (string, error) {
	version, err := DebianVersion(d.Version)
	if err != nil {
		return "", err
	}
	if d.Date.IsZero() {
		return "", errors.New("deb: no date")
	}
	gen, err := os.MkdirTemp("", "rspdeb")
	if err != nil {
		return "", fmt.Errorf("deb: %w", err)
	}
	defer os.RemoveAll(gen)

	binary, err := filepath.Abs(d.Binary)
	if err != nil {
		return "", fmt.Errorf("deb: %w", err)
	}
	vars := map[string]string{"ARCH": d.Arch, "VERSION": version, "BINARY": binary, "GEN": gen}
	var unknown []string
	// The configuration sees these values only, not the environment: the
	// package must not depend on who builds it. nfpm itself asks for
	// NFPM_*PASSPHRASE (signing keys), which stay empty: no signing.
	mapping := func(name string) string {
		v, ok := vars[name]
		if !ok && !strings.HasPrefix(name, "NFPM_") {
			unknown = append(unknown, name)
		}
		return v
	}
	config := filepath.Join(d.Root, DebConfig)
	cfg, err := nfpm.ParseFileWithEnvMapping(config, mapping)
	if err != nil {
		return "", fmt.Errorf("deb: %s: %w", config, err)
	}
	if len(unknown) > 0 {
		return "", fmt.Errorf("deb: %s: unknown variables %q", config, slices.Compact(unknown))
	}
	info, err := cfg.Get("deb")
	if err != nil {
		return "", fmt.Errorf("deb: %s: %w", config, err)
	}
	if d.Maintainer != "" {
		info.Maintainer = d.Maintainer
	}
	info.MTime = d.Date.UTC()
	// nfpm resolves relative paths against the working directory; the
	// configuration's are relative to the repository root.
	for _, c := range info.Contents {
		if c.Type != files.TypeSymlink && c.Source != "" && !filepath.IsAbs(c.Source) {
			c.Source = filepath.Join(d.Root, c.Source)
		}
	}
	for _, s := range []*string{&info.Scripts.PreInstall, &info.Scripts.PostInstall, &info.Scripts.PreRemove, &info.Scripts.PostRemove} {
		if *s != "" && !filepath.IsAbs(*s) {
			*s = filepath.Join(d.Root, *s)
		}
	}

	// Debian wants the manual page and the changelog compressed with
	// gzip -9n (no name, no time stamp); nfpm copies files as they are.
	page, err := os.ReadFile(filepath.Join(d.Root, "docs/rspregistrar.8"))
	if err != nil {
		return "", fmt.Errorf("deb: %w", err)
	}
	if err := writeGzip(filepath.Join(gen, "rspregistrar.8.gz"), page); err != nil {
		return "", err
	}
	if err := writeGzip(filepath.Join(gen, "changelog.gz"), changelog(info.Name, version, d.Version, info.Maintainer, d.Date)); err != nil {
		return "", err
	}

	if err := nfpm.Validate(info); err != nil {
		return "", fmt.Errorf("deb: %s: %w", config, err)
	}
	if err := os.MkdirAll(d.OutDir, 0o755); err != nil {
		return "", fmt.Errorf("deb: %w", err)
	}
	out := filepath.Join(d.OutDir, deb.Default.ConventionalFileName(info))
	var buf bytes.Buffer
	if err := deb.Default.Package(info, &buf); err != nil {
		return "", fmt.Errorf("deb: packaging %s: %w", out, err)
	}
	// Through a temporary file so that a failed build leaves no package
	// that looks complete.
	tmp := out + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return "", fmt.Errorf("deb: %w", err)
	}
	if err := os.Rename(tmp, out); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("deb: %w", err)
	}
	return out, nil
}

// changelog is the package's Debian changelog: one entry for this build,
// since the project keeps its history in git.
func changelog(name, version, describe, maintainer string, date time.Time) []byte {
	return fmt.Appendf(nil, "%s (%s) unstable; urgency=medium\n\n  * Built by make deb from rspregistrar %s.\n\n -- %s  %s\n",
		name, version, describe, maintainer, date.UTC().Format(time.RFC1123Z))
}

func writeGzip(name string, data []byte) error {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return fmt.Errorf("deb: %w", err)
	}
	if _, err := zw.Write(data); err != nil {
		return fmt.Errorf("deb: compressing %s: %w", name, err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("deb: compressing %s: %w", name, err)
	}
	if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("deb: %w", err)
	}
	return nil
}

var (
	describeRE = regexp.MustCompile(`^(.*)-([0-9]+)-g([0-9a-f]+)$`)
	hashRE     = regexp.MustCompile(`^[0-9a-f]{7,40}$`)
	debianRE   = regexp.MustCompile(`^[0-9][A-Za-z0-9.+~]*$`)
)

// DebianVersion turns what git describe --tags --always --dirty prints into
// a Debian version of a native package that sorts the same way:
//
//	v1.2.0             1.2.0
//	v1.2.0-rc1         1.2.0~rc1         (before 1.2.0)
//	v1.2.0-5-gabc1234  1.2.0+5.gabc1234  (after 1.2.0, before 1.2.1)
//	abc1234 (no tag)   0~gitabc1234      (before any release)
//	v1.2.0-dirty       1.2.0+0.dirty     (before 1.2.0+1.g...)
//	...-dirty          ...+dirty
func DebianVersion(describe string) (string, error) {
	v, dirty := strings.CutSuffix(describe, "-dirty")
	var suffix string
	if m := describeRE.FindStringSubmatch(v); m != nil {
		v, suffix = m[1], "+"+m[2]+".g"+m[3]
	} else if hashRE.MatchString(v) {
		v, suffix = "0", "~git"+v
	}
	if len(v) > 1 && v[0] == 'v' && v[1] >= '0' && v[1] <= '9' {
		v = v[1:]
	}
	// A hyphen would start a Debian revision, which a native package has
	// not; "~" sorts a pre-release before its release.
	v = strings.ReplaceAll(v, "-", "~") + suffix
	switch {
	case dirty && suffix == "":
		// Changes on top of a tag: after the tag, before the next commit
		// ("+dirty" would sort after "+5.g...").
		v += "+0.dirty"
	case dirty:
		v += "+dirty"
	}
	if !debianRE.MatchString(v) {
		return "", fmt.Errorf("deb: version %q gives %q, which is no Debian version (a tag must start with a digit or v and a digit)", describe, v)
	}
	return v, nil
}
