// Package chart draws the reports' charts as server-side SVG — bars, a
// funnel and lines — that scale to the page (a viewBox, width 100%), carry
// a title and a description for screen readers, link each bar to the list
// behind it, and write numbers as Russians read them. It is pure: values
// in, markup out; no script, nothing loaded from elsewhere.
package chart

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Number writes an integer with thin spaces between thousands: "12 345".
func Number(n int64) string {
	neg := n < 0
	if neg {
		n = -n
	}
	s := group(strconv.FormatInt(n, 10))
	if neg {
		return "−" + s
	}
	return s
}

func group(digits string) string {
	var b strings.Builder
	for i, r := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteRune('\u00a0')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Decimal writes a decimal with places fraction digits, a comma and
// grouped thousands: Decimal(1275833.333, 2) = "1 275 833,33".
func Decimal(v float64, places int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	s := strconv.FormatFloat(math.Abs(v), 'f', places, 64)
	whole, frac, _ := strings.Cut(s, ".")
	out := group(whole)
	if frac != "" {
		out += "," + frac
	}
	if v < 0 && strings.Trim(s, "0.") != "" {
		out = "−" + out
	}
	return out
}

// Money writes a decimal string amount in roubles: "1 275 833,33 ₽".
// A string that is not a number is returned as it is.
func Money(amount string) string {
	neg := strings.HasPrefix(amount, "-")
	a := strings.TrimPrefix(amount, "-")
	whole, frac, _ := strings.Cut(a, ".")
	if whole == "" || strings.Trim(whole, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" {
		return amount
	}
	frac = (frac + "00")[:2]
	s := group(whole) + "," + frac + "\u00a0₽"
	if neg {
		s = "−" + s
	}
	return s
}

// Percent writes a percent with one decimal: "12,5 %".
func Percent(v float64) string { return Decimal(v, 1) + "\u00a0%" }

// Bar is one bar: its label, its value, how the value is written (Number
// of it when empty), and the list behind it (optional).
type Bar struct {
	Label   string
	Value   float64
	Display string
	Link    string
	// Of is the bar's own full length (a target): the bar is Value's
	// share of it, drawn inside an outline of it; 0 scales bars to the
	// largest value.
	Of float64
}

// length is the bar's length on an axis of px whose end is top.
func (b Bar) length(top float64, px int) float64 {
	if b.Of > 0 {
		return scale(b.Value, b.Of, px)
	}
	return scale(b.Value, top, px)
}

func (b Bar) text() string {
	if b.Display != "" {
		return b.Display
	}
	return Decimal(b.Value, 0)
}

// Bars is a horizontal bar chart.
type Bars struct {
	Title string
	Desc  string // what the chart shows, read by screen readers
	Bars  []Bar
	Color string // a CSS colour; default a blue
	Empty string // what an empty chart says; "Нет данных за период" by default
	// Narrow draws for a phone: each label on its own line above its bar
	// and the value below it, in a box whose text stays at least 11 px
	// wide at a 360 px screen.
	Narrow bool
}

const (
	width    = 640
	labelW   = 210
	valueW   = 170 // room for "1 250 000,50 ₽ · 100,0 %" beside the longest bar
	rowH     = 28
	barH     = 18
	topPad   = 8
	fontSize = 13
)

// SVG draws the chart.
func (c Bars) SVG() template.HTML {
	if c.Narrow || c.crowded() {
		return stacked(c.Title, c.Desc, c.Bars, c.color(), c.Empty, false, !c.Narrow)
	}
	h := topPad*2 + rowH*max(1, len(c.Bars))
	var b strings.Builder
	open(&b, c.Title, c.Desc, width, h)
	top := maxValue(c.Bars)
	color := c.color()
	if len(c.Bars) == 0 {
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="%d" fill="#666" text-anchor="middle">%s</text>`, width/2, topPad+rowH/2+4, fontSize, esc(emptyText(c.Empty)))
	}
	for i, bar := range c.Bars {
		y := topPad + i*rowH
		span := width - labelW - valueW
		w := bar.length(top, span)
		linkOpen(&b, bar.Link)
		fmt.Fprintf(&b, `<g><title>%s: %s</title>`, esc(bar.Label), esc(bar.text()))
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="%d" text-anchor="end" fill="#222">%s</text>`, labelW-8, y+barH-4, fontSize, esc(clip(bar.Label, 28)))
		end := float64(labelW) + w
		if bar.Of > 0 {
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" rx="3" fill="none" stroke="#999" stroke-dasharray="3 2" class="target"></rect>`, labelW, y, span, barH)
			end = float64(labelW + span)
		}
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%s" height="%d" rx="3" fill="%s"></rect>`, labelW, y, f(w), barH, esc(color))
		fmt.Fprintf(&b, `<text x="%s" y="%d" font-size="%d" fill="#222">%s</text></g>`, f(end+6), y+barH-4, fontSize, esc(bar.text()))
		linkClose(&b, bar.Link)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func (c Bars) color() string {
	if c.Color == "" {
		return "#2f6fde"
	}
	return c.Color
}

func emptyText(s string) string {
	if s == "" {
		return "Нет данных за период"
	}
	return s
}

// The narrow layout: a box 320 wide (a 360 px screen less the page's
// margins), so 13-unit text stays near 12 px; a row is its label, its bar
// and its value, one under another.
const (
	narrowW      = 320
	narrowRowH   = 52
	narrowChar10 = 72 // ten times the width of an average character at fontSize, for clipping
)

// stacked draws bars (or, centred, a funnel's stages) label over bar:
// narrow (for a phone, the value under the bar) or, when the values are
// too long to follow their bars, wide (the value right of the label).
func stacked(title, desc string, bars []Bar, color, empty string, centred, wide bool) template.HTML {
	W, rowHt, suffix := narrowW, narrowRowH, "n"
	if wide {
		W, rowHt, suffix = width, 38, ""
	}
	h := topPad*2 + rowHt*max(1, len(bars))
	var b strings.Builder
	openID(&b, title, desc, W, h, suffix)
	top := maxValue(bars)
	if len(bars) == 0 {
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="%d" fill="#666" text-anchor="middle">%s</text>`, W/2, topPad+20, fontSize, esc(emptyText(empty)))
	}
	fit := W * 10 / narrowChar10
	for i, bar := range bars {
		y := topPad + i*rowHt
		w := bar.length(top, W)
		if centred {
			w = math.Max(w, 2)
		}
		x, tx, anchor := 0.0, 0.0, "start"
		if centred {
			x, tx, anchor = (float64(W)-w)/2, float64(W)/2, "middle"
		}
		fill := color
		if centred {
			fill = fmt.Sprintf("#%02x6fde", min(0x2f+i*18, 0xc0))
		}
		label, value := bar.Label, bar.text()
		if wide {
			label = clip(label, max(8, fit-len([]rune(value))-2))
		} else {
			label, value = clip(label, fit), clip(value, fit)
		}
		linkOpen(&b, bar.Link)
		fmt.Fprintf(&b, `<g><title>%s: %s</title>`, esc(bar.Label), esc(bar.text()))
		fmt.Fprintf(&b, `<text x="%s" y="%d" font-size="%d" font-weight="600" text-anchor="%s" fill="#222">%s</text>`, f(tx), y+13, fontSize, anchor, esc(label))
		if bar.Of > 0 {
			fmt.Fprintf(&b, `<rect x="0" y="%d" width="%d" height="14" rx="3" fill="none" stroke="#999" stroke-dasharray="3 2" class="target"></rect>`, y+18, W)
		}
		fmt.Fprintf(&b, `<rect x="%s" y="%d" width="%s" height="14" rx="3" fill="%s"></rect>`, f(x), y+18, f(w), esc(fill))
		if wide {
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="%d" text-anchor="end" fill="#444">%s</text></g>`, W, y+13, fontSize, esc(value))
		} else {
			fmt.Fprintf(&b, `<text x="%s" y="%d" font-size="%d" text-anchor="%s" fill="#444">%s</text></g>`, f(tx), y+46, fontSize, anchor, esc(value))
		}
		linkClose(&b, bar.Link)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// crowded reports whether a value would run past the box beside its bar
// in the classic layout (label, bar, value on one line).
func (c Bars) crowded() bool {
	top := maxValue(c.Bars)
	for _, bar := range c.Bars {
		end := float64(labelW) + bar.length(top, width-labelW-valueW)
		if bar.Of > 0 {
			end = float64(width - valueW)
		}
		// A generous 8 units a character: Cyrillic and "₽" are wider
		// than the average narrowChar10 assumes.
		if end+6+float64(len([]rune(bar.text())))*8 > width {
			return true
		}
	}
	return false
}

// Funnel draws stages as centred bars narrowing with their values, each
// with its value and its share of the stage before.
type Funnel struct {
	Title  string
	Desc   string
	Stages []Bar
	Narrow bool // for a phone: label, bar and value one under another
}

// SVG draws the funnel: each stage's name and value on a line of their
// own above its bar, so no text runs past a narrow bar.
func (c Funnel) SVG() template.HTML {
	stages := make([]Bar, len(c.Stages))
	for i, st := range c.Stages {
		st.Display = st.text()
		if c.Stages[i].Display == "" && i > 0 && c.Stages[i-1].Value > 0 {
			st.Display += " · " + Percent(st.Value*100/c.Stages[i-1].Value)
		}
		stages[i] = st
	}
	if c.Narrow {
		return stacked(c.Title, c.Desc, stages, "", "", true, false)
	}
	const row = rowH + 16
	h := topPad*2 + row*max(1, len(stages))
	var b strings.Builder
	open(&b, c.Title, c.Desc, width, h)
	top := maxValue(stages)
	span := float64(width - 40)
	for i, st := range stages {
		y := topPad + i*row
		w := math.Max(scale(st.Value, top, int(span)), 2)
		x := (float64(width) - w) / 2
		linkOpen(&b, st.Link)
		fmt.Fprintf(&b, `<g><title>%s: %s</title>`, esc(st.Label), esc(st.Display))
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="%d" text-anchor="middle" fill="#111">%s — %s</text>`,
			width/2, y+13, fontSize, esc(clip(st.Label, 40)), esc(st.Display))
		fmt.Fprintf(&b, `<rect x="%s" y="%d" width="%s" height="%d" rx="3" fill="#%02x6fde"></rect></g>`, f(x), y+18, f(w), barH, min(0x2f+i*18, 0xc0))
		linkClose(&b, st.Link)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// Series is one line of a line chart.
type Series struct {
	Name   string
	Values []float64 // one per label; NaN leaves a gap
	Color  string
}

// Lines is a line chart over labels (days, buckets).
type Lines struct {
	Title  string
	Desc   string
	Labels []string
	Series []Series
	Unit   string // written after values on the axis ("%")
}

// SVG draws the lines.
func (c Lines) SVG() template.HTML {
	const h, left, bottom, right, top = 260, 56, 40, 16, 16
	var b strings.Builder
	open(&b, c.Title, c.Desc, width, h+24*len(c.Series))
	hi := 0.0
	for _, s := range c.Series {
		for _, v := range s.Values {
			if !math.IsNaN(v) {
				hi = math.Max(hi, v)
			}
		}
	}
	hi = niceCeil(hi)
	plotW, plotH := float64(width-left-right), float64(h-top-bottom)
	for i := 0; i <= 4; i++ {
		v := hi * float64(i) / 4
		y := float64(top) + plotH - plotH*float64(i)/4
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%s" y2="%s" stroke="#ddd"></line>`, left, width-right, f(y), f(y))
		fmt.Fprintf(&b, `<text x="%d" y="%s" font-size="11" text-anchor="end" fill="#555">%s%s</text>`, left-6, f(y+4), esc(Decimal(v, 0)), esc(c.Unit))
	}
	n := len(c.Labels)
	x := func(i int) float64 {
		if n <= 1 {
			return float64(left) + plotW/2
		}
		return float64(left) + plotW*float64(i)/float64(n-1)
	}
	step := max(1, n/8)
	for i, l := range c.Labels {
		if i%step == 0 || i == n-1 {
			fmt.Fprintf(&b, `<text x="%s" y="%d" font-size="11" text-anchor="middle" fill="#555">%s</text>`, f(x(i)), h-bottom+16, esc(clip(l, 12)))
		}
	}
	colors := []string{"#2f6fde", "#e07b00", "#2a9d5b", "#b03a8e"}
	for si, s := range c.Series {
		color := s.Color
		if color == "" {
			color = colors[si%len(colors)]
		}
		var pts []string
		for i, v := range s.Values {
			if i >= n || math.IsNaN(v) {
				continue
			}
			y := float64(top) + plotH - scale(v, hi, int(plotH))
			pts = append(pts, f(x(i))+","+f(y))
			fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="3" fill="%s"><title>%s, %s: %s%s</title></circle>`, f(x(i)), f(y), esc(color),
				esc(s.Name), esc(c.Labels[i]), esc(Decimal(v, 1)), esc(c.Unit))
		}
		if len(pts) > 1 {
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"></polyline>`, strings.Join(pts, " "), esc(color))
		}
		ly := h + 8 + 24*si
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="14" height="4" fill="%s"></rect><text x="%d" y="%d" font-size="12" fill="#222">%s</text>`,
			left, ly+6, esc(color), left+20, ly+11, esc(s.Name))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func open(b *strings.Builder, title, desc string, w, h int) { openID(b, title, desc, w, h, "") }

// openID starts an SVG whose title and description ids end in suffix:
// two drawings of one chart (wide and narrow) on a page differ by it.
func openID(b *strings.Builder, title, desc string, w, h int, suffix string) {
	id := fmt.Sprintf("c%x%s", hash(title+desc), suffix)
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="100%%" role="img" aria-labelledby="%s-t %s-d" `+
		`font-family="system-ui, sans-serif" style="max-width:%dpx;height:auto">`, w, h, id, id, w)
	fmt.Fprintf(b, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, id, esc(title), id, esc(desc))
}

func linkOpen(b *strings.Builder, link string) {
	if link != "" {
		fmt.Fprintf(b, `<a href="%s">`, esc(link))
	}
}

func linkClose(b *strings.Builder, link string) {
	if link != "" {
		b.WriteString(`</a>`)
	}
}

func maxValue(bars []Bar) float64 {
	m := 0.0
	for _, b := range bars {
		if !math.IsNaN(b.Value) {
			m = math.Max(m, b.Value)
		}
	}
	return m
}

// scale is v's length on an axis of length px whose end is top.
func scale(v, top float64, px int) float64 {
	if top <= 0 || v <= 0 || math.IsNaN(v) {
		return 0
	}
	return math.Min(v, top) / top * float64(px)
}

// niceCeil rounds up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func f(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }

func esc(s string) string { return html.EscapeString(s) }

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func hash(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}
