package registrar_test

import "github.com/rserpool/rspregistrar/internal/handlespace"

var handlespaceStart = handlespace.Cursor{}
