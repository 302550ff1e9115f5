package main

import (
	"bufio"
	"context"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// histogram is one Prometheus histogram read from /metrics: cumulative
// counts by upper bound, the sum and the count.
type histogram struct {
	bounds []float64
	counts []float64
	sum    float64
	count  float64
}

// scrape reads the named histograms from the daemon's /metrics; a series
// is picked when its labels contain match (may be empty). Missing or
// unreadable metrics give empty histograms: they only add detail.
func scrape(ctx context.Context, base string, names map[string]string) map[string]histogram {
	out := map[string]histogram{}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	buckets := map[string]map[float64]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		if sp < 0 {
			continue
		}
		series, value := line[:sp], line[sp+1:]
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			continue
		}
		name, labels := series, ""
		if i := strings.IndexByte(series, '{'); i >= 0 {
			name, labels = series[:i], series[i:]
		}
		for h, match := range names {
			if match != "" && !strings.Contains(labels, match) {
				continue
			}
			switch name {
			case h + "_bucket":
				le := between(labels, `le="`, `"`)
				b := math.Inf(1)
				if le != "+Inf" {
					b, _ = strconv.ParseFloat(le, 64)
				}
				if buckets[h] == nil {
					buckets[h] = map[float64]float64{}
				}
				buckets[h][b] = v
			case h + "_sum":
				x := out[h]
				x.sum = v
				out[h] = x
			case h + "_count":
				x := out[h]
				x.count = v
				out[h] = x
			}
		}
	}
	for h, bs := range buckets {
		x := out[h]
		for b := range bs {
			x.bounds = append(x.bounds, b)
		}
		sort.Float64s(x.bounds)
		for _, b := range x.bounds {
			x.counts = append(x.counts, bs[b])
		}
		out[h] = x
	}
	return out
}

// minus is the histogram of what happened between before and h.
func (h histogram) minus(before histogram) histogram {
	d := histogram{bounds: h.bounds, sum: h.sum - before.sum, count: h.count - before.count}
	for i, c := range h.counts {
		if i < len(before.counts) {
			c -= before.counts[i]
		}
		d.counts = append(d.counts, c)
	}
	return d
}

// quantile is the upper bound of the bucket holding quantile q.
func (h histogram) quantile(q float64) float64 {
	if h.count <= 0 {
		return math.NaN()
	}
	for i, c := range h.counts {
		if c >= q*h.count {
			return h.bounds[i]
		}
	}
	return math.Inf(1)
}

// over is the share of observations above bound, when bound is one of
// the bucket bounds (NaN otherwise).
func (h histogram) over(bound float64) float64 {
	for i, b := range h.bounds {
		if b == bound && h.count > 0 {
			return 1 - h.counts[i]/h.count
		}
	}
	return math.NaN()
}

func (h histogram) mean() float64 {
	if h.count <= 0 {
		return math.NaN()
	}
	return h.sum / h.count
}

func between(s, open, close string) string {
	i := strings.Index(s, open)
	if i < 0 {
		return ""
	}
	s = s[i+len(open):]
	if j := strings.Index(s, close); j >= 0 {
		return s[:j]
	}
	return s
}
