// Package logging writes the registrar's log in RSPLIB's format, so that
// tools and eyes used to RSPLIB's rspregistrar log read ours unchanged.
//
// RSPLIB has ten levels (0 none, 1 error, 2 warning, 3 note, 4 action,
// 5-9 verbose 1-5); an entry is shown when its level is at most the
// configured one. Each entry is two lines, each starting with a timestamp:
//
//	29-Jun-2026 16:49:16.0421: P739.40390b80@host registrar/asap.go:278 (*Core).register()
//	29-Jun-2026 16:49:16.0425: Registration request for EchoPool/$0000e001
//
// with "Error: " or "Warning: " before the text of errors and warnings and,
// unless colours are off, RSPLIB's ANSI colours per level.
//
// Entries go through logrus, which serialises the writes and lets hooks be
// added later. Logrus has only seven levels, so the RSPLIB level travels in
// the entry's data (field "rsplevel") and the logrus level is only a coarse
// copy: 1 Error, 2 Warn, 3-4 Info, 5 Debug, 6-9 Trace. Filtering is done
// here, before logrus sees the entry, with one atomic load (Enabled), so a
// disabled entry costs no formatting; wrap expensive arguments in
// "if log.Enabled(level)". The caller's file, line and function are taken
// from the Go call stack and passed as the entry's Caller.
package logging

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"
)

// Level is an RSPLIB log level.
type Level int

// RSPLIB's log levels (loglevel.h).
const (
	LevelNone Level = iota
	LevelError
	LevelWarning
	LevelNote
	LevelAction
	LevelVerbose1
	LevelVerbose2
	LevelVerbose3
	LevelVerbose4
	LevelVerbose5
)

// MaxLevel is the most verbose level.
const MaxLevel = LevelVerbose5

// fieldLevel is the logrus data key that carries the RSPLIB level.
const fieldLevel = "rsplevel"

// Site is where a log call was made.
type Site struct {
	File string
	Line int
	Func string
}

// Options configure a Logger. The zero value logs nothing to standard error.
type Options struct {
	Level Level
	// File is the log file; "" means Stderr.
	File string
	// Append keeps the file's content (-logappend) instead of truncating it
	// (-logfile); a non-empty file then gets RSPLIB's separator line first.
	Append bool
	Color  bool
	// Stderr receives the log without File; nil means os.Stderr.
	Stderr io.Writer
	// Continue, when not nil, is File already opened by the process this
	// one takes over from (the daemon re-executed to run in the
	// background): the log goes on in it as is, with no truncation,
	// separator or "Logging started" line. Reopen still opens File by name.
	Continue *os.File

	// The rest exist for tests; zero values mean the real thing.
	Now    func() time.Time
	Host   string
	PID    int
	Thread uint64
	// Site returns the call site: its caller's caller for skip 1, and so on.
	Site func(skip int) Site
}

// Logger writes RSPLIB-style log entries. All methods may be called
// concurrently and on a nil *Logger, which logs nothing.
type Logger struct {
	level atomic.Int32
	lr    *logrus.Logger
	now   func() time.Time
	site  func(skip int) Site
	color bool

	mu     sync.Mutex // guards file and stderr for Reopen and Close
	file   *os.File
	path   string
	stderr io.Writer
}

// New opens the log (the file, if any) and writes "Logging started, log
// level is N." at note level, as RSPLIB's beginLogging does.
func New(o Options) (*Logger, error) {
	l := &Logger{now: o.Now, site: o.Site, color: o.Color, stderr: o.Stderr}
	l.level.Store(int32(min(max(o.Level, LevelNone), MaxLevel)))
	if l.now == nil {
		l.now = time.Now
	}
	if l.site == nil {
		l.site = callerSite
	}
	if l.stderr == nil {
		l.stderr = os.Stderr
	}
	f := &formatter{now: l.now, color: o.Color, host: o.Host, pid: o.PID, thread: o.Thread}
	if f.host == "" {
		if h, err := os.Hostname(); err == nil {
			f.host = h
		} else {
			f.host = "?"
		}
	}
	if f.pid == 0 {
		f.pid = os.Getpid()
	}
	if f.thread == 0 {
		f.thread = uint64(syscall.Gettid())
	}
	l.lr = &logrus.Logger{
		Out:       l.stderr,
		Formatter: f,
		Hooks:     make(logrus.LevelHooks),
		Level:     logrus.TraceLevel, // filtering happens in Enabled
		ExitFunc:  os.Exit,
	}
	if o.Continue != nil {
		l.file, l.path = o.Continue, o.File
		l.lr.Out = o.Continue
		return l, nil
	}
	if o.File != "" {
		file, err := openLog(o.File, o.Append)
		if err != nil {
			return nil, err
		}
		l.file, l.path = file, o.File
		l.lr.Out = file
		if st, err := file.Stat(); err == nil && st.Size() > 0 {
			if _, err := io.WriteString(file, "\n"+strings.Repeat("#", 89)+"\n\n"); err != nil {
				file.Close()
				return nil, fmt.Errorf("writing to log file: %w", err)
			}
		}
	}
	l.output(LevelNote, 0, fmt.Sprintf("Logging started, log level is %d.", l.Level()))
	return l, nil
}

func openLog(path string, appendMode bool) (*os.File, error) {
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if appendMode {
		flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	f, err := os.OpenFile(path, flags, 0o666)
	if err != nil {
		return nil, fmt.Errorf("opening log file: %w", err)
	}
	return f, nil
}

// Enabled reports whether entries of the level are written.
func (l *Logger) Enabled(lv Level) bool {
	return l != nil && lv > LevelNone && int32(lv) <= l.level.Load()
}

// Level returns the current level.
func (l *Logger) Level() Level {
	if l == nil {
		return LevelNone
	}
	return Level(l.level.Load())
}

// SetLevel changes the level, capped to [LevelNone, MaxLevel].
func (l *Logger) SetLevel(lv Level) {
	if l != nil {
		l.level.Store(int32(min(max(lv, LevelNone), MaxLevel)))
	}
}

// Logf writes an entry at the level. A newline is added unless the text ends
// in one; the text may span several lines.
func (l *Logger) Logf(lv Level, format string, args ...any) {
	if l.Enabled(lv) {
		l.output(lv, 1, fmt.Sprintf(format, args...))
	}
}

// LogSkip writes an entry whose call site is skip frames above the caller of
// LogSkip (0: the caller itself). Adapters for other packages' logger
// interfaces use it so that entries show the real call site.
func (l *Logger) LogSkip(lv Level, skip int, msg string) {
	if l.Enabled(lv) {
		l.output(lv, 1+skip, msg)
	}
}

// Errorf writes an error entry ("Error: " prefix).
func (l *Logger) Errorf(format string, args ...any) {
	if l.Enabled(LevelError) {
		l.output(LevelError, 1, fmt.Sprintf(format, args...))
	}
}

// Warningf writes a warning entry ("Warning: " prefix).
func (l *Logger) Warningf(format string, args ...any) {
	if l.Enabled(LevelWarning) {
		l.output(LevelWarning, 1, fmt.Sprintf(format, args...))
	}
}

// Notef writes a note entry.
func (l *Logger) Notef(format string, args ...any) {
	if l.Enabled(LevelNote) {
		l.output(LevelNote, 1, fmt.Sprintf(format, args...))
	}
}

// Actionf writes an action entry.
func (l *Logger) Actionf(format string, args ...any) {
	if l.Enabled(LevelAction) {
		l.output(LevelAction, 1, fmt.Sprintf(format, args...))
	}
}

// output hands one entry to logrus. The call site reported is output's
// caller for skip 0, its caller for skip 1, and so on.
func (l *Logger) output(lv Level, skip int, msg string) {
	if !l.Enabled(lv) {
		return
	}
	s := l.site(skip + 1)
	e := &logrus.Entry{
		Logger: l.lr,
		Data:   logrus.Fields{fieldLevel: lv},
		Time:   l.now(),
		Caller: &runtime.Frame{File: s.File, Line: s.Line, Function: s.Func},
	}
	e.Log(logrusLevel(lv), msg)
}

func logrusLevel(lv Level) logrus.Level {
	switch {
	case lv <= LevelError:
		return logrus.ErrorLevel
	case lv == LevelWarning:
		return logrus.WarnLevel
	case lv <= LevelAction:
		return logrus.InfoLevel
	case lv == LevelVerbose1:
		return logrus.DebugLevel
	}
	return logrus.TraceLevel
}

// File returns the open log file, or nil when the log goes to standard
// error. It stays valid until the next Reopen or Close.
func (l *Logger) File() *os.File {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.file
}

// Reopen reopens the log file by name, in append mode, so that a log rotated
// by renaming continues in a new file (SIGHUP). Without a file it does
// nothing. On failure the old file stays in use.
func (l *Logger) Reopen() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.file == nil {
		return nil
	}
	f, err := openLog(l.path, true)
	if err != nil {
		return err
	}
	old := l.file
	l.file = f
	l.lr.SetOutput(f)
	return old.Close()
}

// Close ends logging: with a log file it writes "Logging finished." at
// action level and closes the file, as RSPLIB's finishLogging does; later
// entries go to standard error.
func (l *Logger) Close() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.file == nil {
		return nil
	}
	l.output(LevelAction, 0, "Logging finished.")
	f := l.file
	l.file = nil
	l.lr.SetOutput(l.stderr)
	return f.Close()
}

// callerSite reads the Go call stack. File names keep their directory
// ("registrar/asap.go") and function names lose their package path.
func callerSite(skip int) Site {
	pc, file, line, ok := runtime.Caller(skip + 1)
	if !ok {
		return Site{File: "?", Func: "?"}
	}
	if i := strings.LastIndexByte(file, '/'); i >= 0 {
		if j := strings.LastIndexByte(file[:i], '/'); j >= 0 {
			file = file[j+1:]
		}
	}
	name := "?"
	if fn := runtime.FuncForPC(pc); fn != nil {
		name = fn.Name()
		if i := strings.LastIndexByte(name, '/'); i >= 0 {
			name = name[i+1:]
		}
		if i := strings.IndexByte(name, '.'); i >= 0 {
			name = name[i+1:]
		}
	}
	return Site{File: file, Line: line, Func: name}
}
