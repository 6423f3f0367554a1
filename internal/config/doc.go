// Package config turns rspregistrar's command line and environment into a
// validated Config, and renders the texts that depend on it: the -h usage, the
// one-line usage of an "Invalid argument" error and the start-up banner.
//
// Everything is driven by one option table (options.go): each entry names an
// option, its value syntax, its default as printed by -h, its clamp range and
// the setter that parses it. The syntax is RSPLIB's: one dash, "-name=value"
// or a bare "-flag", no positional arguments. Unlike RSPLIB, option names must
// match exactly and bad values are errors instead of silently becoming 0; the
// clamp ranges are RSPLIB's. docs/compatibility.md lists every difference.
//
// Parsing performs no I/O except resolving host names, which goes through an
// injectable Resolver so that tests need no DNS. Opening files and sockets is
// the daemon's job; the banner takes the results (server ID, bound addresses)
// as Facts.
package config
