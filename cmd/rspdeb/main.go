// Command rspdeb builds the Debian package of rspregistrar from
// packaging/nfpm.yaml with nfpm's deb packager ("make deb" runs it for
// amd64 and arm64):
//
//	rspdeb -bin bin/deb/amd64/rspregistrar -arch amd64 -version "$(git describe --tags --always --dirty)" -o dist
//
// It prints the path of the package. The files' times and the changelog's
// date are SOURCE_DATE_EPOCH when set (reproducible packages), else now.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/rserpool/rspregistrar/packaging"
)

func main() {
	var d packaging.Deb
	flag.StringVar(&d.Binary, "bin", "bin/rspregistrar", "the rspregistrar binary for -arch")
	flag.StringVar(&d.Arch, "arch", "amd64", "architecture (Go's name: amd64, arm64)")
	flag.StringVar(&d.Version, "version", "", "the program's version as git describe prints it")
	flag.StringVar(&d.Maintainer, "maintainer", "", "Maintainer field (default: "+packaging.DebConfig+"'s)")
	flag.StringVar(&d.Root, "root", ".", "the repository root")
	flag.StringVar(&d.OutDir, "o", "dist", "output directory")
	flag.Parse()
	if flag.NArg() != 0 || d.Version == "" {
		fmt.Fprintln(os.Stderr, "usage: rspdeb -version V [-bin file] [-arch amd64|arm64] [-maintainer \"Name <mail>\"] [-root dir] [-o dir]")
		os.Exit(2)
	}
	d.Date = time.Now()
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			fmt.Fprintf(os.Stderr, "rspdeb: SOURCE_DATE_EPOCH=%q: %v\n", s, err)
			os.Exit(1)
		}
		d.Date = time.Unix(sec, 0)
	}
	out, err := d.Build()
	if err != nil {
		fmt.Fprintln(os.Stderr, "rspdeb:", err)
		os.Exit(1)
	}
	fmt.Println(out)
}
