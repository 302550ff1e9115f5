package chart

import (
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
)

func TestNumbersAreWrittenAsRussiansReadThem(t *testing.T) {
	t.Parallel()
	nb := "\u00a0"
	for _, c := range []struct{ got, want string }{
		{Number(0), "0"},
		{Number(999), "999"},
		{Number(1000), "1" + nb + "000"},
		{Number(1275833), "1" + nb + "275" + nb + "833"},
		{Number(-12345), "−12" + nb + "345"},
		{Decimal(1275833.333, 2), "1" + nb + "275" + nb + "833,33"},
		{Decimal(0.05, 1), "0,1"},
		{Decimal(-0.04, 1), "0,0"},
		{Decimal(math.NaN(), 1), "—"},
		{Money("1275833.33"), "1" + nb + "275" + nb + "833,33" + nb + "₽"},
		{Money("90000"), "90" + nb + "000,00" + nb + "₽"},
		{Money("-5.5"), "−5,50" + nb + "₽"},
		{Money("n/a"), "n/a"},
		{Percent(66.666), "66,7" + nb + "%"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// svgDoc parses a chart as XML and returns its elements by name, failing
// on markup a browser would not read as SVG.
func svgDoc(t *testing.T, svg string) map[string][]xml.StartElement {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	els := map[string][]xml.StartElement{}
	depth := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, svg)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			depth++
			els[x.Name.Local] = append(els[x.Name.Local], x)
		case xml.EndElement:
			depth--
		}
	}
	if depth != 0 {
		t.Fatalf("unbalanced SVG")
	}
	if len(els["svg"]) != 1 {
		t.Fatalf("%d svg roots", len(els["svg"]))
	}
	return els
}

func attr(e xml.StartElement, name string) string {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func TestBarsAreProportionalLabelledLinkedAndAccessible(t *testing.T) {
	t.Parallel()
	c := Bars{Title: "Лиды по источникам", Desc: "Сколько лидов пришло из каждого источника",
		Bars: []Bar{{Label: "yandex", Value: 40, Link: "/api/v1/leads?drill=leads&source=yandex"},
			{Label: "google", Value: 10}, {Label: `<script>alert(1)</script>`, Value: 20, Display: "20 шт"}}}
	svg := string(c.SVG())
	els := svgDoc(t, svg)
	root := els["svg"][0]
	if attr(root, "role") != "img" || attr(root, "aria-labelledby") == "" || !strings.Contains(svg, "<title id=") ||
		!strings.Contains(svg, "Лиды по источникам") || !strings.Contains(svg, "<desc") {
		t.Errorf("no accessible title and description:\n%s", svg)
	}
	if !strings.HasPrefix(attr(root, "viewBox"), "0 0 ") || attr(root, "width") != "100%" {
		t.Errorf("the chart does not scale: %v", root.Attr)
	}
	rects := els["rect"]
	if len(rects) != 3 {
		t.Fatalf("%d bars, want 3", len(rects))
	}
	w := func(i int) float64 { v, _ := strconv.ParseFloat(attr(rects[i], "width"), 64); return v }
	if w(0) <= 0 || math.Abs(w(0)/w(1)-4) > 0.01 || math.Abs(w(0)/w(2)-2) > 0.01 {
		t.Errorf("bar widths %v %v %v are not 40:10:20", w(0), w(1), w(2))
	}
	if len(els["a"]) != 1 || attr(els["a"][0], "href") != "/api/v1/leads?drill=leads&source=yandex" {
		t.Errorf("links: %v", els["a"])
	}
	if strings.Contains(svg, "<script") {
		t.Error("a label got in as markup")
	}
	if !strings.Contains(svg, "20 шт") {
		t.Error("the display text is not used")
	}
}

func TestEmptyAndZeroChartsDrawWithoutNaN(t *testing.T) {
	t.Parallel()
	for _, svg := range []string{
		string(Bars{Title: "Пусто"}.SVG()),
		string(Bars{Title: "Нули", Bars: []Bar{{Label: "a"}, {Label: "b", Value: math.NaN()}}}.SVG()),
		string(Funnel{Title: "Пусто"}.SVG()),
		string(Funnel{Title: "Нули", Stages: []Bar{{Label: "a"}, {Label: "b"}}}.SVG()),
		string(Lines{Title: "Пусто"}.SVG()),
		string(Lines{Title: "Одна точка", Labels: []string{"1"}, Series: []Series{{Name: "x", Values: []float64{0}}}}.SVG()),
	} {
		svgDoc(t, svg)
		if strings.Contains(svg, "NaN") || strings.Contains(svg, "Inf") {
			t.Errorf("NaN in\n%s", svg)
		}
	}
}

func TestFunnelNarrowsWithItsStagesAndShowsTheShareOfTheStageBefore(t *testing.T) {
	t.Parallel()
	svg := string(Funnel{Title: "Воронка", Stages: []Bar{{Label: "Новая", Value: 100}, {Label: "КП", Value: 40}, {Label: "Успех", Value: 10}}}.SVG())
	els := svgDoc(t, svg)
	var last float64 = math.Inf(1)
	for _, r := range els["rect"] {
		w, _ := strconv.ParseFloat(attr(r, "width"), 64)
		x, _ := strconv.ParseFloat(attr(r, "x"), 64)
		if w >= last {
			t.Errorf("the funnel widens: %v after %v", w, last)
		}
		if math.Abs(x+w/2-width/2) > 0.2 {
			t.Errorf("a stage is not centred: x %v width %v", x, w)
		}
		last = w
	}
	if !strings.Contains(svg, "40 · 40,0\u00a0%") || !strings.Contains(svg, "10 · 25,0\u00a0%") {
		t.Errorf("shares of the stage before are missing:\n%s", svg)
	}
}

func TestLinesPlotEveryPointWithinThePlot(t *testing.T) {
	t.Parallel()
	c := Lines{Title: "Конверсия по скорости ответа", Unit: "%", Labels: []string{"<5 мин", "5–30", "30–60", "1–24 ч", ">24 ч"},
		Series: []Series{{Name: "Дозвонились", Values: []float64{90, 60, 40, math.NaN(), 10}}, {Name: "Сделки", Values: []float64{30, 20, 10, 5, 1}}}}
	els := svgDoc(t, string(c.SVG()))
	if n := len(els["circle"]); n != 9 {
		t.Errorf("%d points, want 9 (a NaN is a gap)", n)
	}
	for _, p := range els["circle"] {
		y, _ := strconv.ParseFloat(attr(p, "cy"), 64)
		if y < 16 || y > 220 {
			t.Errorf("a point outside the plot: %v", y)
		}
	}
	if len(els["polyline"]) != 2 {
		t.Errorf("%d lines, want 2", len(els["polyline"]))
	}
}

// On a phone (a 360 px screen, about 300 px for the chart) every text of
// a narrow chart is at least 11 px, and no label runs past the box.
func TestNarrowChartsReadOnAPhone(t *testing.T) {
	t.Parallel()
	bars := []Bar{{Label: "Коммерческое предложение с очень длинным названием стадии", Value: 40, Display: "лидов: 40 · 27,3 % стали сделкой"}, {Label: "vk", Value: 3}}
	for name, svg := range map[string]string{
		"bars":   string(Bars{Title: "Б", Bars: bars, Narrow: true}.SVG()),
		"funnel": string(Funnel{Title: "В", Stages: bars, Narrow: true}.SVG()),
	} {
		els := svgDoc(t, svg)
		var vw float64
		if _, err := fmt.Sscanf(attr(els["svg"][0], "viewBox"), "0 0 %g", &vw); err != nil || vw <= 0 {
			t.Fatalf("%s: viewBox %q", name, attr(els["svg"][0], "viewBox"))
		}
		for _, e := range els["text"] {
			size, _ := strconv.ParseFloat(attr(e, "font-size"), 64)
			if px := size * 300 / vw; px < 11 {
				t.Errorf("%s: text of %.1f px at 360 px", name, px)
			}
		}
		for _, r := range els["rect"] {
			x, _ := strconv.ParseFloat(attr(r, "x"), 64)
			w, _ := strconv.ParseFloat(attr(r, "width"), 64)
			if x < 0 || x+w > vw+0.1 {
				t.Errorf("%s: a bar %v+%v outside the box %v", name, x, w, vw)
			}
		}
		if !strings.Contains(svg, "…") {
			t.Errorf("%s: a label longer than the box is not cut", name)
		}
	}
}

// A bar with a target is its share of that target — not of the largest
// bar — inside the target's outline; over the target it fills the outline.
func TestBarsOfATargetScaleToTheTarget(t *testing.T) {
	t.Parallel()
	for _, narrow := range []bool{false, true} {
		svg := string(Bars{Title: "План", Narrow: narrow, Bars: []Bar{
			{Label: "Анна", Value: 500, Of: 1000}, {Label: "Борис", Value: 3000, Of: 1000}, {Label: "Вера", Value: 100, Of: 200}}}.SVG())
		els := svgDoc(t, svg)
		var outline, fill []float64
		for _, r := range els["rect"] {
			w, _ := strconv.ParseFloat(attr(r, "width"), 64)
			if attr(r, "class") == "target" {
				outline = append(outline, w)
			} else {
				fill = append(fill, w)
			}
		}
		if len(outline) != 3 || len(fill) != 3 {
			t.Fatalf("narrow %v: %d outlines, %d bars", narrow, len(outline), len(fill))
		}
		for i, want := range []float64{0.5, 1, 0.5} {
			if got := fill[i] / outline[i]; math.Abs(got-want) > 0.01 {
				t.Errorf("narrow %v: bar %d is %.2f of its target, want %.2f", narrow, i, got, want)
			}
		}
	}
}

// A funnel's words are on their own line above each bar: none is drawn
// over a bar, however narrow.
func TestFunnelTextDoesNotRunOverItsBars(t *testing.T) {
	t.Parallel()
	for _, narrow := range []bool{false, true} {
		els := svgDoc(t, string(Funnel{Title: "В", Narrow: narrow, Stages: []Bar{{Label: "Новая", Value: 1000}, {Label: "Счёт выставлен клиенту", Value: 1}}}.SVG()))
		for _, tx := range els["text"] {
			y, _ := strconv.ParseFloat(attr(tx, "y"), 64)
			for _, r := range els["rect"] {
				ry, _ := strconv.ParseFloat(attr(r, "y"), 64)
				h, _ := strconv.ParseFloat(attr(r, "height"), 64)
				if y > ry+2 && y-10 < ry+h {
					t.Errorf("narrow %v: text at %v runs over the bar at %v–%v", narrow, y, ry, ry+h)
				}
			}
		}
	}
}

// A value too long to follow its bar is not cut off at the box's edge: the
// chart puts it on its label's line, whole.
func TestLongValuesStayInsideTheBox(t *testing.T) {
	t.Parallel()
	long := "125,000.50 ₽ of 1,200,000.50 ₽ planned · 10.4%"
	svg := string(Bars{Title: "План", Bars: []Bar{{Label: "Анна Смирнова", Value: 125000, Of: 1200000, Display: long}, {Label: "Борис", Value: 0, Of: 500000}}}.SVG())
	els := svgDoc(t, svg)
	if !strings.Contains(svg, ">"+long+"<") {
		t.Errorf("the value is cut:\n%s", svg)
	}
	for _, tx := range els["text"] {
		x, _ := strconv.ParseFloat(attr(tx, "x"), 64)
		if attr(tx, "text-anchor") != "end" && x > width-100 {
			t.Errorf("a text starts at %v, too near the edge to fit", x)
		}
	}
}

// The sources' chart as the reviewer saw it: the revenue's «₽» is not cut
// off the longest bar.
func TestRevenueBesideTheLongestBarIsWhole(t *testing.T) {
	t.Parallel()
	svg := string(Bars{Title: "Источники", Bars: []Bar{{Label: "yandex", Value: 2, Display: "лидов: 2 · выручка 0,00\u00a0₽"}, {Label: "vk", Value: 1, Display: "лидов: 1 · выручка 0,00\u00a0₽"}}}.SVG())
	for _, tx := range svgDoc(t, svg)["text"] {
		x, _ := strconv.ParseFloat(attr(tx, "x"), 64)
		if attr(tx, "text-anchor") == "" && x+8*26 > width {
			t.Errorf("a value starts at %v and runs past %d:\n%s", x, width, svg)
		}
	}
}
