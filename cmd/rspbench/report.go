package main

import (
	"fmt"
	"math"
	"strings"
)

// metric is one measured number of one implementation.
type metric struct {
	Key   string  `json:"key"`
	Name  string  `json:"name"`
	Unit  string  `json:"unit"`
	Lower bool    `json:"lower_is_better"`
	Value float64 `json:"value"`
}

// report is everything measured for one registrar implementation.
type report struct {
	Impl    string   `json:"impl"`
	Metrics []metric `json:"metrics"`
	// Notes are failures and anomalies, which the table lists below it.
	Notes []string `json:"notes,omitempty"`
	// Failed is set when a run could not be completed.
	Failed bool `json:"failed,omitempty"`
}

func (r *report) add(key, name, unit string, lower bool, v float64) {
	r.Metrics = append(r.Metrics, metric{Key: key, Name: name, Unit: unit, Lower: lower, Value: v})
}

func (r *report) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

func (r *report) get(key string) (metric, bool) {
	for _, m := range r.Metrics {
		if m.Key == key {
			return m, true
		}
	}
	return metric{}, false
}

// table formats the reports side by side as a Markdown table: one row per
// metric (in the order they were first measured), one column per
// implementation, and the ratio of the first implementation to the second.
// The ratio is oriented so that above 1 means the first one is better.
func table(reports []*report) string {
	var b strings.Builder
	b.WriteString("| metric |")
	for _, r := range reports {
		fmt.Fprintf(&b, " %s |", r.Impl)
	}
	ratio := len(reports) >= 2
	if ratio {
		fmt.Fprintf(&b, " %s vs %s |", reports[0].Impl, reports[1].Impl)
	}
	b.WriteString("\n|---|")
	for range reports {
		b.WriteString("---:|")
	}
	if ratio {
		b.WriteString("---:|")
	}
	b.WriteByte('\n')
	var keys []metric
	seen := map[string]bool{}
	for _, r := range reports {
		for _, m := range r.Metrics {
			if !seen[m.Key] {
				seen[m.Key] = true
				keys = append(keys, m)
			}
		}
	}
	for _, k := range keys {
		arrow := "↑"
		if k.Lower {
			arrow = "↓"
		}
		if k.Unit == "" {
			fmt.Fprintf(&b, "| %s %s |", k.Name, arrow)
		} else {
			fmt.Fprintf(&b, "| %s (%s) %s |", k.Name, k.Unit, arrow)
		}
		var vals []float64
		for _, r := range reports {
			m, ok := r.get(k.Key)
			if !ok {
				b.WriteString(" – |")
				vals = append(vals, math.NaN())
				continue
			}
			fmt.Fprintf(&b, " %s |", formatValue(m.Value, m.Unit))
			vals = append(vals, m.Value)
		}
		if ratio {
			fmt.Fprintf(&b, " %s |", formatRatio(vals[0], vals[1], k.Lower))
		}
		b.WriteByte('\n')
	}
	for _, r := range reports {
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "\n- %s: %s", r.Impl, n)
		}
	}
	if ratio {
		b.WriteString("\n\n↑ higher is better, ↓ lower is better; the ratio is oriented so that above 1 means " +
			reports[0].Impl + " is better (" + reports[0].Impl + "/" + reports[1].Impl + " for ↑, " +
			reports[1].Impl + "/" + reports[0].Impl + " for ↓).\n")
	}
	return b.String()
}

func formatValue(v float64, unit string) string {
	a := math.Abs(v)
	switch {
	case math.IsNaN(v):
		return "–"
	case unit == "%":
		// Rounded down: 99.995 % is not all.
		return fmt.Sprintf("%.2f", math.Floor(v*100)/100)
	case a == 0:
		return "0"
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3g", v)
	}
}

// formatRatio is a/b for higher-is-better values, b/a for lower-is-better
// ones.
func formatRatio(a, b float64, lower bool) string {
	if lower {
		a, b = b, a
	}
	if math.IsNaN(a) || math.IsNaN(b) || b == 0 || a < 0 || b < 0 {
		return "–"
	}
	if a == 0 {
		return "0"
	}
	return fmt.Sprintf("%.2f×", a/b)
}
