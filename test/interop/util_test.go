package interop

import (
	"fmt"
	"strconv"
)

func itoa(i int) string { return strconv.Itoa(i) }

func fmtSscanHex(s string, id *uint32) (int, error) { return fmt.Sscanf(s, "%08x", id) }
