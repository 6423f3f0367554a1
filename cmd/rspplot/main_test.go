package main

import (
	"image/color"
	"os"
	"path/filepath"
	"testing"
)

func TestPlot(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "s.csv")
	os.WriteFile(in, []byte("seconds,rss_mib,goroutines\n0,4.1,9\n5,4.3,9\n10,4.2,10\n"), 0o644)
	s, err := readSeries(in)
	if err != nil {
		t.Fatal(err)
	}
	img, err := plot(s, nil, "test", 400)
	if err != nil {
		t.Fatal(err)
	}
	if h := img.Bounds().Dy(); h != topMargin+2*(panelHeight+20) {
		t.Errorf("height %d for two panels", h)
	}
	red := 0
	for y := 0; y < img.Bounds().Dy(); y++ {
		for x := 0; x < img.Bounds().Dx(); x++ {
			if img.At(x, y) == (color.RGBA{200, 0, 0, 255}) {
				red++
			}
		}
	}
	if red < 2*(400-2*margin) {
		t.Errorf("%d line pixels, want the two series drawn across", red)
	}
	if _, err := plot(s, []string{"nope"}, "", 400); err == nil {
		t.Error("an unknown column was accepted")
	}
	if err := writePNG(filepath.Join(dir, "p.png"), img); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(in, []byte("seconds,x\n0,a\n1,2\n"), 0o644)
	if _, err := readSeries(in); err == nil {
		t.Error("a bad number was accepted")
	}
}
