package metrics

import (
	"encoding/json"
	"fmt"
	"testing"
)

// BenchmarkHandlespacePage measures a /api/v1/handlespace request: the event
// loop's part (CopyPage, which blocks the registrar while it runs) and the
// HTTP goroutine's (the JSON encoding), with the page's JSON size, for the
// default and the largest page. The loop's part must not grow with the
// handlespace: compare pes=10000 with pes=100000.
func BenchmarkHandlespacePage(b *testing.B) {
	for _, n := range []int{10000, 100000} {
		h := fill(b, n, 100)
		for _, limit := range []int{DefaultLimit, MaxLimit} {
			// The middle of the handlespace: a cursor into pool 50.
			mid := CopyPage(h, PageQuery{Limit: n / 2}, 0).Next
			q := PageQuery{After: mid, Limit: limit}
			b.Run(fmt.Sprintf("pes=%d/limit=%d/loop", n, limit), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					CopyPage(h, q, 0)
				}
			})
			b.Run(fmt.Sprintf("pes=%d/limit=%d/json", n, limit), func(b *testing.B) {
				p := CopyPage(h, q, 0)
				var size int
				b.ReportAllocs()
				for b.Loop() {
					out, err := json.Marshal(handlespaceJSON(p, q))
					if err != nil {
						b.Fatal(err)
					}
					size = len(out)
				}
				b.ReportMetric(float64(size), "bytes/page")
			})
		}
	}
}
