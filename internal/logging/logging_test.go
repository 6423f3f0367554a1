package logging

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock returns the given times one after the other (then the last one
// forever), in UTC so that tests do not depend on the machine's zone.
func clock(stamps ...string) func() time.Time {
	var mu sync.Mutex
	var ts []time.Time
	for _, s := range stamps {
		t, err := time.Parse("02-Jan-2006 15:04:05.0000", s)
		if err != nil {
			panic(err)
		}
		ts = append(ts, t)
	}
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t := ts[0]
		if len(ts) > 1 {
			ts = ts[1:]
		}
		return t
	}
}

// sites returns the given call sites one after the other.
func sites(ss ...Site) func(int) Site {
	var mu sync.Mutex
	return func(int) Site {
		mu.Lock()
		defer mu.Unlock()
		s := ss[0]
		if len(ss) > 1 {
			ss = ss[1:]
		}
		return s
	}
}

func fixed(o Options) Options {
	if o.Now == nil {
		o.Now = clock("29-Jun-2026 16:49:16.0421")
	}
	if o.Site == nil {
		o.Site = sites(Site{File: "x/y.go", Line: 7, Func: "f"})
	}
	o.Host, o.PID, o.Thread = "host", 739, 0x40390b80
	return o
}

// TestRSPLIBOutput reproduces, byte for byte, log output of RSPLIB 3.4.4's
// rspregistrar captured in the sandbox (testdata), with its clock, process
// and call sites injected.
func TestRSPLIBOutput(t *testing.T) {
	t.Run("stderr with colours, level 9", func(t *testing.T) {
		want, err := os.ReadFile("testdata/rsplib-color.txt")
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		l, err := New(Options{
			Level: 9, Color: true, Stderr: &out,
			Now: clock("23-Nov-2026 16:30:44.0352", "23-Nov-2026 16:30:44.0378", "23-Nov-2026 16:30:44.0392",
				"23-Nov-2026 16:30:44.0395", "23-Nov-2026 16:30:44.0402", "23-Nov-2026 16:30:44.0405"),
			Host: "uml-sandbox", PID: 725, Thread: 0x40390b80,
			Site: sites(Site{"./src/loglevel.c", 137, "beginLogging"}, Site{"./src/netutilities.c", 1247, "bindplus"},
				Site{"./src/netutilities.c", 1307, "bindplus"}),
		})
		if err != nil {
			t.Fatal(err)
		}
		l.Logf(LevelVerbose4, "Binding socket %d to addresses {%s}, port %d ...\n", 4, "0.0.0.0", 13463)
		l.Logf(LevelVerbose4, "Successfully bound")
		if out.String() != string(want) {
			t.Errorf("\n got %q\nwant %q", out.String(), want)
		}
	})
	t.Run("log file, then appended to", func(t *testing.T) {
		want, err := os.ReadFile("testdata/rsplib-append.txt")
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "pr.log")
		if err := os.WriteFile(path, []byte("old content to be truncated\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		runs := []struct {
			appendMode bool
			pid        int
			stamps     []string
		}{
			{false, 721, []string{"23-Nov-2026 16:30:39.8504", "23-Nov-2026 16:30:39.8522", "23-Nov-2026 16:30:39.8573", "23-Nov-2026 16:30:39.8574"}},
			{true, 723, []string{"23-Nov-2026 16:30:41.9620", "23-Nov-2026 16:30:41.9635", "23-Nov-2026 16:30:41.9677", "23-Nov-2026 16:30:41.9678"}},
		}
		for _, r := range runs {
			l, err := New(Options{
				Level: 3, Color: true, File: path, Append: r.appendMode,
				Now: clock(r.stamps...), Host: "uml-sandbox", PID: r.pid, Thread: 0x40390b80,
				Site: sites(Site{"./src/loglevel.c", 137, "beginLogging"}, Site{"./src/rspregistrar.c", 909, "main"}),
			})
			if err != nil {
				t.Fatal(err)
			}
			l.Notef("Registrar started. Going into initialization phase...\n")
			l.Actionf("not shown at level 3")
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("\n got %q\nwant %q", got, want)
		}
	})
}

func TestEntryFormat(t *testing.T) {
	const head = "29-Jun-2026 16:49:16.0421: P739.40390b80@host x/y.go:7 f()\n29-Jun-2026 16:49:16.0421: "
	tests := []struct {
		level Level
		color bool
		msg   string
		want  string
	}{
		{LevelError, false, "Unable to set SCTP_NODELAY", head + "Error: Unable to set SCTP_NODELAY\n"},
		{LevelWarning, false, "Taking over peer $11111111...", head + "Warning: Taking over peer $11111111...\n"},
		{LevelNote, false, "ready\n", head + "ready\n"},
		{LevelAction, false, "two\nlines\n", head + "two\nlines\n"},
		{LevelVerbose5, false, "", head + "\n"},
		{LevelError, true, "e", "\x1b[91m" + ts + "\x1b[31m" + site + "\x1b[91m" + ts + "\x1b[31mError: e\n\x1b[30m"},
		{LevelWarning, true, "w", "\x1b[95m" + ts + "\x1b[35m" + site + "\x1b[95m" + ts + "\x1b[35mWarning: w\n\x1b[30m"},
		{LevelNote, true, "n", "\x1b[92m" + ts + "\x1b[32m" + site + "\x1b[92m" + ts + "\x1b[32mn\n\x1b[30m"},
		{LevelAction, true, "a", "\x1b[94m" + ts + "\x1b[34m" + site + "\x1b[94m" + ts + "\x1b[34ma\n\x1b[30m"},
		{LevelVerbose1, true, "v", "\x1b[92m" + ts + "\x1b[33m" + site + "\x1b[92m" + ts + "\x1b[33mv\n\x1b[30m"},
		{LevelVerbose2, true, "v", "\x1b[96m" + ts + "\x1b[36m" + site + "\x1b[96m" + ts + "\x1b[36mv\n\x1b[30m"},
		{LevelVerbose3, true, "v", "\x1b[33m" + ts + "\x1b[33m" + site + "\x1b[33m" + ts + "\x1b[33mv\n\x1b[30m"},
		{LevelVerbose4, true, "v", "\x1b[36m" + ts + "\x1b[36m" + site + "\x1b[36m" + ts + "\x1b[36mv\n\x1b[30m"},
		{LevelVerbose5, true, "v", "\x1b[37m" + ts + "\x1b[37m" + site + "\x1b[37m" + ts + "\x1b[37mv\n\x1b[30m"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d/%v", tt.level, tt.color), func(t *testing.T) {
			var out bytes.Buffer
			l, err := New(fixed(Options{Level: MaxLevel, Color: tt.color, Stderr: &out}))
			if err != nil {
				t.Fatal(err)
			}
			out.Reset() // drop "Logging started"
			l.Logf(tt.level, "%s", tt.msg)
			if out.String() != tt.want {
				t.Errorf("\n got %q\nwant %q", out.String(), tt.want)
			}
		})
	}
}

const (
	ts   = "29-Jun-2026 16:49:16.0421: "
	site = "P739.40390b80@host x/y.go:7 f()\n"
)

func TestShortcuts(t *testing.T) {
	var out bytes.Buffer
	l, err := New(fixed(Options{Level: LevelAction, Stderr: &out}))
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	l.Errorf("e%d", 1)
	l.Warningf("w%d", 2)
	l.Notef("n%d", 3)
	l.Actionf("a%d", 4)
	l.Logf(LevelVerbose1, "hidden")
	want := ts + site + ts + "Error: e1\n" + ts + site + ts + "Warning: w2\n" + ts + site + ts + "n3\n" + ts + site + ts + "a4\n"
	if out.String() != want {
		t.Errorf("\n got %q\nwant %q", out.String(), want)
	}
}

func TestLevels(t *testing.T) {
	for level := LevelNone; level <= MaxLevel; level++ {
		var out bytes.Buffer
		l, err := New(fixed(Options{Level: level, Stderr: &out}))
		if err != nil {
			t.Fatal(err)
		}
		started := strings.Contains(out.String(), fmt.Sprintf("Logging started, log level is %d.\n", level))
		if started != (level >= LevelNote) {
			t.Errorf("level %d: Logging started shown=%v", level, started)
		}
		for lv := LevelError; lv <= MaxLevel; lv++ {
			out.Reset()
			l.Logf(lv, "x")
			if got, want := out.Len() > 0, lv <= level; got != want || l.Enabled(lv) != want {
				t.Errorf("level %d, entry %d: written=%v enabled=%v, want %v", level, lv, got, l.Enabled(lv), want)
			}
		}
		if l.Enabled(LevelNone) {
			t.Errorf("level %d: LevelNone must never be enabled", level)
		}
	}
	var out bytes.Buffer
	l, _ := New(fixed(Options{Level: 42, Stderr: &out}))
	if l.Level() != MaxLevel {
		t.Errorf("level 42 not capped: %d", l.Level())
	}
	l.SetLevel(LevelWarning)
	if l.Enabled(LevelNote) || !l.Enabled(LevelWarning) {
		t.Error("SetLevel had no effect")
	}
}

func TestTimestamp(t *testing.T) {
	tests := []struct {
		ns   int
		want string
	}{
		{0, ".0000: "},
		{42_100_000, ".0421: "},
		{99_999, ".0000: "},
		{100_000, ".0001: "},
		{999_999_999, ".9999: "},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		writeTimestamp(&b, time.Date(2026, time.January, 2, 3, 4, 5, tt.ns, time.UTC))
		if got := b.String(); got != "02-Jan-2026 03:04:05"+tt.want {
			t.Errorf("%d ns: %q", tt.ns, got)
		}
	}
}

// TestCallSite checks the real call-site lookup through every entry point.
func TestCallSite(t *testing.T) {
	var out bytes.Buffer
	l, err := New(Options{Level: MaxLevel, Stderr: &out})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), " logging/logging.go:") || !strings.Contains(out.String(), " New()\n") {
		t.Errorf("New's entry names the wrong site: %q", out.String())
	}
	calls := []func(){
		func() { l.Logf(LevelNote, "x") },
		func() { l.Errorf("x") },
		func() { l.Warningf("x") },
		func() { l.Notef("x") },
		func() { l.Actionf("x") },
	}
	for i, call := range calls {
		out.Reset()
		_, _, line, _ := runtime.Caller(0)
		call()
		want := fmt.Sprintf(" logging/logging_test.go:%d TestCallSite.func%d()\n", line-8+i, i+1)
		if first, _, _ := strings.Cut(out.String(), "\n"); !strings.HasSuffix(first+"\n", want) {
			t.Errorf("call %d: %q does not end in %q", i, first, want)
		}
	}
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	sep := "\n" + strings.Repeat("#", 89) + "\n\n"
	entry := func(msg string) string { return ts + site + ts + msg + "\n" }
	tests := []struct {
		name       string
		before     *string // nil: no file
		appendMode bool
		level      Level
		want       string
	}{
		{"new file", nil, false, LevelAction, entry("Logging started, log level is 4.") + entry("hello") + entry("Logging finished.")},
		{"truncate", ptr("old\n"), false, LevelNote, entry("Logging started, log level is 3.") + entry("hello")},
		{"append to empty", ptr(""), true, LevelNote, entry("Logging started, log level is 3.") + entry("hello")},
		{"append to new", nil, true, LevelNote, entry("Logging started, log level is 3.") + entry("hello")},
		{"append", ptr("old\n"), true, LevelNote, "old\n" + sep + entry("Logging started, log level is 3.") + entry("hello")},
		{"level 0", ptr("old\n"), false, LevelNone, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprint(i))
			if tt.before != nil {
				if err := os.WriteFile(path, []byte(*tt.before), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var stderr bytes.Buffer
			l, err := New(fixed(Options{Level: tt.level, File: path, Append: tt.appendMode, Stderr: &stderr}))
			if err != nil {
				t.Fatal(err)
			}
			l.Notef("hello")
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if err := l.Close(); err != nil {
				t.Fatal("second Close:", err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("\n got %q\nwant %q", got, tt.want)
			}
			if stderr.Len() != 0 {
				t.Errorf("stderr got %q", stderr.String())
			}
			// After Close, entries go to standard error, as in RSPLIB.
			l.Errorf("late")
			if !strings.HasSuffix(stderr.String(), "Error: late\n") && tt.level >= LevelError {
				t.Errorf("after Close: stderr %q", stderr.String())
			}
		})
	}
	t.Run("unwritable", func(t *testing.T) {
		_, err := New(Options{Level: 1, File: filepath.Join(dir, "missing", "x.log")})
		if err == nil || !strings.HasPrefix(err.Error(), "opening log file: ") {
			t.Errorf("got %v", err)
		}
	})
}

func ptr(s string) *string { return &s }

func TestReopen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pr.log")
	var stderr bytes.Buffer
	l, err := New(fixed(Options{Level: LevelNote, File: path, Stderr: &stderr}))
	if err != nil {
		t.Fatal(err)
	}
	l.Notef("before")
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	l.Notef("after rename")
	if err := l.Reopen(); err != nil {
		t.Fatal(err)
	}
	l.Notef("after reopen")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	old, _ := os.ReadFile(path + ".1")
	cur, _ := os.ReadFile(path)
	if !strings.Contains(string(old), "before") || !strings.Contains(string(old), "after rename") ||
		strings.Contains(string(old), "after reopen") {
		t.Errorf("rotated file: %q", old)
	}
	if want := ts + site + ts + "after reopen\n"; string(cur) != want {
		t.Errorf("new file: %q, want %q", cur, want)
	}

	// Without a file Reopen does nothing.
	l2, _ := New(fixed(Options{Level: LevelNote, Stderr: &stderr}))
	if err := l2.Reopen(); err != nil {
		t.Error(err)
	}
	// A failed reopen keeps the old file.
	l3, _ := New(fixed(Options{Level: LevelNote, File: filepath.Join(dir, "sub", "x.log"), Stderr: &stderr}))
	if l3 != nil {
		t.Error("file in a missing directory opened")
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	l4, err := New(fixed(Options{Level: LevelNote, File: filepath.Join(sub, "x.log"), Stderr: &stderr}))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(sub); err != nil {
		t.Fatal(err)
	}
	if err := l4.Reopen(); err == nil {
		t.Error("reopen in a removed directory succeeded")
	}
	l4.Notef("still works")
	if err := l4.Close(); err != nil {
		t.Error(err)
	}
}

func TestNilLogger(t *testing.T) {
	var l *Logger
	l.Logf(LevelError, "x")
	l.Errorf("x")
	l.Warningf("x")
	l.Notef("x")
	l.Actionf("x")
	l.SetLevel(3)
	if l.Enabled(LevelError) || l.Level() != LevelNone || l.Reopen() != nil || l.Close() != nil {
		t.Error("nil logger must do nothing")
	}
}

// TestConcurrent checks that entries from many goroutines never interleave
// (run with -race).
func TestConcurrent(t *testing.T) {
	var out bytes.Buffer
	l, err := New(fixed(Options{Level: LevelNote, Stderr: &out}))
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	const goroutines, entries = 8, 50
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range entries {
				l.Notef("g%d e%d", g, i)
			}
		})
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 2*goroutines*entries {
		t.Fatalf("%d lines", len(lines))
	}
	for i := 0; i < len(lines); i += 2 {
		if lines[i] != strings.TrimSuffix(ts+site, "\n") || !strings.HasPrefix(lines[i+1], ts+"g") {
			t.Fatalf("entry at line %d broken: %q / %q", i, lines[i], lines[i+1])
		}
	}
}

func BenchmarkDisabled(b *testing.B) {
	l, _ := New(Options{Level: LevelNote, Stderr: &bytes.Buffer{}})
	b.ReportAllocs()
	for b.Loop() {
		if l.Enabled(LevelVerbose3) {
			l.Logf(LevelVerbose3, "never %d", 1)
		}
	}
}

func BenchmarkDisabledUnguarded(b *testing.B) {
	l, _ := New(Options{Level: LevelNote, Stderr: &bytes.Buffer{}})
	b.ReportAllocs()
	for b.Loop() {
		l.Logf(LevelVerbose3, "never")
	}
}

func BenchmarkEnabled(b *testing.B) {
	var out bytes.Buffer
	l, _ := New(Options{Level: LevelAction, Color: true, Stderr: &out})
	b.ReportAllocs()
	for b.Loop() {
		l.Actionf("Registration request for %s/$%08x", "EchoPool", 0xe001)
		if out.Len() > 1<<20 {
			out.Reset()
		}
	}
}

// TestContinue hands a logger's open file to a second logger, as the daemon
// does for its background copy: the second one appends without a start
// line or separator, even to a file opened with truncation.
func TestContinue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pr.log")
	first, err := New(fixed(Options{Level: LevelAction, File: path}))
	if err != nil {
		t.Fatal(err)
	}
	first.Notef("parent")
	f := first.File()
	if f == nil {
		t.Fatal("no file")
	}
	second, err := New(fixed(Options{Level: LevelAction, File: path, Continue: f}))
	if err != nil {
		t.Fatal(err)
	}
	second.Notef("child")
	if second.File() != f {
		t.Error("File is not the continued file")
	}
	if err := second.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	entry := func(msg string) string { return ts + site + ts + msg + "\n" }
	if want := entry("Logging started, log level is 4.") + entry("parent") + entry("child") + entry("Logging finished."); string(got) != want {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
	var stderr bytes.Buffer
	l, _ := New(fixed(Options{Level: LevelNote, Stderr: &stderr}))
	if l.File() != nil {
		t.Error("File without a log file")
	}
	var nl *Logger
	if nl.File() != nil {
		t.Error("nil logger has a file")
	}
}
