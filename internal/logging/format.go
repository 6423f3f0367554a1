package logging

import (
	"bytes"
	"strconv"
	"time"

	"github.com/sirupsen/logrus"
)

// colors are RSPLIB's colour numbers per level: timestamp, then text.
var colors = [MaxLevel + 1][2]int{
	LevelError:    {9, 1},
	LevelWarning:  {13, 5},
	LevelNote:     {10, 2},
	LevelAction:   {12, 4},
	LevelVerbose1: {10, 3},
	LevelVerbose2: {14, 6},
	LevelVerbose3: {3, 3},
	LevelVerbose4: {6, 6},
	LevelVerbose5: {7, 7},
}

// formatter renders an entry as RSPLIB's two lines.
type formatter struct {
	now    func() time.Time
	color  bool
	host   string
	pid    int
	thread uint64
}

func (f *formatter) Format(e *logrus.Entry) ([]byte, error) {
	lv, _ := e.Data[fieldLevel].(Level)
	lv = min(max(lv, LevelError), MaxLevel)
	b := e.Buffer
	if b == nil {
		b = new(bytes.Buffer)
	}
	c := colors[lv]

	f.setColor(b, c[0])
	writeTimestamp(b, e.Time)
	f.setColor(b, c[1])
	b.WriteByte('P')
	b.WriteString(strconv.Itoa(f.pid))
	b.WriteByte('.')
	b.WriteString(strconv.FormatUint(f.thread, 16))
	b.WriteByte('@')
	b.WriteString(f.host)
	b.WriteByte(' ')
	if e.Caller != nil {
		b.WriteString(e.Caller.File)
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Caller.Line))
		b.WriteByte(' ')
		b.WriteString(e.Caller.Function)
	}
	b.WriteString("()\n")

	// RSPLIB reads the clock again for the second line.
	f.setColor(b, c[0])
	writeTimestamp(b, f.now())
	f.setColor(b, c[1])
	switch lv {
	case LevelError:
		b.WriteString("Error: ")
	case LevelWarning:
		b.WriteString("Warning: ")
	}
	b.WriteString(e.Message)
	if len(e.Message) == 0 || e.Message[len(e.Message)-1] != '\n' {
		b.WriteByte('\n')
	}
	// RSPLIB ends an entry with colour 0, which is black, not a reset.
	f.setColor(b, 0)
	return b.Bytes(), nil
}

func (f *formatter) setColor(b *bytes.Buffer, c int) {
	if !f.color {
		return
	}
	code := 30 + c%8
	if c > 8 {
		code += 60
	}
	b.WriteString("\x1b[")
	b.WriteString(strconv.Itoa(code))
	b.WriteByte('m')
}

// writeTimestamp writes "DD-Mon-YYYY HH:MM:SS.ffff: " with four digits of
// 100-microsecond units, like RSPLIB's printTimeStamp.
func writeTimestamp(b *bytes.Buffer, t time.Time) {
	var buf [32]byte
	out := t.AppendFormat(buf[:0], "02-Jan-2006 15:04:05")
	b.Write(out)
	frac := t.Nanosecond() / 100000
	b.WriteByte('.')
	b.WriteByte(byte('0' + frac/1000))
	b.WriteByte(byte('0' + frac/100%10))
	b.WriteByte(byte('0' + frac/10%10))
	b.WriteByte(byte('0' + frac%10))
	b.WriteString(": ")
}
