package registrar

import "fmt"

// RSPLIB's log levels.
const (
	LogError    = 1
	LogWarning  = 2
	LogNote     = 3
	LogAction   = 4
	LogVerbose1 = 5
	LogVerbose2 = 6
	LogVerbose3 = 7
	LogVerbose4 = 8
	LogVerbose5 = 9
)

// Logger receives the core's log lines. Enabled is asked first so that
// disabled levels cost no formatting.
type Logger interface {
	Enabled(level int) bool
	Log(level int, msg string)
}

// NopLogger discards everything.
type NopLogger struct{}

// Enabled implements Logger.
func (NopLogger) Enabled(int) bool { return false }

// Log implements Logger.
func (NopLogger) Log(int, string) {}

func (c *Core) logf(level int, format string, args ...any) {
	if c.log.Enabled(level) {
		c.log.Log(level, fmt.Sprintf(format, args...))
	}
}
