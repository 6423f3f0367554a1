package sandboxtest

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// DumpPE is one pool element as listed by RSPLIB's hsdump.
type DumpPE struct {
	ID   uint32
	Home uint32
	// User is the user transport line, e.g. "{198.18.0.1} 32836/SCTP+CtrlCh".
	User string
}

// Dump is the handlespace as RSPLIB's hsdump shows it.
type Dump struct {
	Pools    map[string][]DumpPE
	Policies map[string]string
	Raw      string
}

// PEs returns the number of pool elements in the dump.
func (d *Dump) PEs() int {
	n := 0
	for _, p := range d.Pools {
		n += len(p)
	}
	return n
}

var (
	dumpPoolRe = regexp.MustCompile(`^ \+-- Pool "(.*)", Policy "([^"]*)"`)
	dumpPERe   = regexp.MustCompile(`^   - idx:#\d+: \$([0-9a-f]{8})`)
	dumpHomeRe = regexp.MustCompile(`home=\$([0-9a-f]{8})`)
	dumpUserRe = regexp.MustCompile(`^\s+userT: (.*)$`)
)

// HSDump runs RSPLIB's hsdump against the ENRP address (host:port) and parses
// its index section.
func HSDump(t testing.TB, enrp string) *Dump {
	t.Helper()
	return HSDumpWithin(t, enrp, 30*time.Second)
}

// HSDumpWithin is HSDump with a time limit other than 30 s, for large
// handlespaces.
func HSDumpWithin(t testing.TB, enrp string, limit time.Duration) *Dump {
	t.Helper()
	d, err := TryHSDump(t, enrp, limit)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TryHSDump is HSDumpWithin returning the failure (with the end of the
// output) instead of failing the test, for registrars whose dump is a
// result to record rather than to assert.
func TryHSDump(t testing.TB, enrp string, limit time.Duration) (*Dump, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	out, err := exec.CommandContext(ctx, Program(t, "hsdump"), enrp).CombinedOutput()
	if err != nil {
		tail := out[max(0, len(out)-4000):]
		return nil, fmt.Errorf("hsdump %s: %w\n...%s", enrp, err, tail)
	}
	return ParseDump(string(out)), nil
}

// ParseDump parses hsdump's output (the "*-- Index:" section).
func ParseDump(out string) *Dump {
	d := &Dump{Pools: map[string][]DumpPE{}, Policies: map[string]string{}, Raw: out}
	sc := bufio.NewScanner(strings.NewReader(out))
	inIndex := false
	pool := ""
	var cur *DumpPE
	flush := func() {
		if cur != nil {
			d.Pools[pool] = append(d.Pools[pool], *cur)
			cur = nil
		}
	}
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "*-- Index:"):
			inIndex = true
			continue
		case strings.HasPrefix(line, "*--"):
			flush()
			inIndex = false
			continue
		}
		if !inIndex {
			continue
		}
		if m := dumpPoolRe.FindStringSubmatch(line); m != nil {
			flush()
			pool = m[1]
			d.Policies[pool] = m[2]
			if _, ok := d.Pools[pool]; !ok {
				d.Pools[pool] = nil
			}
			continue
		}
		if m := dumpPERe.FindStringSubmatch(line); m != nil {
			flush()
			id, _ := strconv.ParseUint(m[1], 16, 32)
			cur = &DumpPE{ID: uint32(id)}
			continue
		}
		if cur == nil {
			continue
		}
		if m := dumpHomeRe.FindStringSubmatch(line); m != nil {
			h, _ := strconv.ParseUint(m[1], 16, 32)
			cur.Home = uint32(h)
		}
		if m := dumpUserRe.FindStringSubmatch(line); m != nil {
			cur.User = m[1]
		}
	}
	flush()
	return d
}
