// Command rspplot draws the columns of a CSV time series (the first column
// the time in seconds, a header line naming the columns) as stacked line
// charts into a PNG file: the soak test's series for docs/performance.md.
//
//	rspplot -o soak.png -title "soak" series.csv [column...]
//
// Without column names every column but the first is drawn.
package main

import (
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"strconv"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

func main() {
	out := flag.String("o", "plot.png", "PNG file to write")
	title := flag.String("title", "", "title above the charts")
	width := flag.Int("width", 900, "image width in pixels")
	flag.Parse()
	if flag.NArg() < 1 {
		fmt.Fprintln(os.Stderr, "usage: rspplot [-o file.png] [-title text] series.csv [column...]")
		os.Exit(2)
	}
	s, err := readSeries(flag.Arg(0))
	if err == nil {
		var img *image.RGBA
		img, err = plot(s, flag.Args()[1:], *title, *width)
		if err == nil {
			err = writePNG(*out, img)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "rspplot:", err)
		os.Exit(1)
	}
}

// series is a CSV table: names[0] is the time column.
type series struct {
	names []string
	rows  [][]float64
}

func readSeries(path string) (*series, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(recs) < 3 || len(recs[0]) < 2 {
		return nil, fmt.Errorf("%s: need a header and at least two rows of two columns", path)
	}
	s := &series{names: recs[0]}
	for i, r := range recs[1:] {
		row := make([]float64, len(r))
		for j, v := range r {
			if row[j], err = strconv.ParseFloat(v, 64); err != nil {
				return nil, fmt.Errorf("%s line %d: %w", path, i+2, err)
			}
		}
		s.rows = append(s.rows, row)
	}
	return s, nil
}

const (
	panelHeight = 130
	margin      = 60
	topMargin   = 30
)

func plot(s *series, columns []string, title string, width int) (*image.RGBA, error) {
	var cols []int
	if len(columns) == 0 {
		for j := 1; j < len(s.names); j++ {
			cols = append(cols, j)
		}
	}
	for _, c := range columns {
		j := -1
		for k, n := range s.names {
			if n == c {
				j = k
			}
		}
		if j < 1 {
			return nil, fmt.Errorf("no column %q", c)
		}
		cols = append(cols, j)
	}
	if width < 2*margin+50 {
		return nil, errors.New("image too narrow")
	}
	height := topMargin + len(cols)*(panelHeight+20)
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	text(img, margin, 18, title, color.Black)
	t0, t1 := s.rows[0][0], s.rows[len(s.rows)-1][0]
	for p, j := range cols {
		top := topMargin + p*(panelHeight+20)
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, r := range s.rows {
			lo, hi = math.Min(lo, r[j]), math.Max(hi, r[j])
		}
		if lo > 0 && lo < hi/2 || lo == hi {
			lo = math.Min(lo, 0)
		}
		if hi == lo {
			hi = lo + 1
		}
		frame(img, margin, top, width-margin, top+panelHeight)
		text(img, margin+4, top+14, s.names[j], color.RGBA{0, 0, 160, 255})
		text(img, 4, top+10, short(hi), color.Black)
		text(img, 4, top+panelHeight, short(lo), color.Black)
		x := func(t float64) int { return margin + int((t-t0)/(t1-t0)*float64(width-2*margin)) }
		y := func(v float64) int { return top + panelHeight - int((v-lo)/(hi-lo)*float64(panelHeight-2)) - 1 }
		for i := 1; i < len(s.rows); i++ {
			line(img, x(s.rows[i-1][0]), y(s.rows[i-1][j]), x(s.rows[i][0]), y(s.rows[i][j]), color.RGBA{200, 0, 0, 255})
		}
	}
	last := topMargin + len(cols)*(panelHeight+20) - 6
	text(img, margin, last, fmt.Sprintf("%s: %s .. %s", s.names[0], short(t0), short(t1)), color.Black)
	return img, nil
}

func short(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

func text(img *image.RGBA, x, y int, s string, c color.Color) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

func frame(img *image.RGBA, x0, y0, x1, y1 int) {
	grey := color.RGBA{160, 160, 160, 255}
	line(img, x0, y0, x1, y0, grey)
	line(img, x0, y1, x1, y1, grey)
	line(img, x0, y0, x0, y1, grey)
	line(img, x1, y0, x1, y1, grey)
}

// line draws with Bresenham's algorithm.
func line(img *image.RGBA, x0, y0, x1, y1 int, c color.Color) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	e := dx + dy
	for {
		img.Set(x0, y0, c)
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			x0 += sx
		}
		if e2 <= dx {
			e += dx
			y0 += sy
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}

func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
