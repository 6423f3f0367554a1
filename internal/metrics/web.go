package metrics

import _ "embed" // the status page is part of the binary: no files to install

// statusPage is the page at /: it draws the JSON views (fetched every 2 s)
// with its own small script, without external assets.
//
//go:embed web/index.html
var statusPage []byte
