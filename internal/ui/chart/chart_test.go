package chart_test

import (
	"encoding/xml"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/jiedao-market/jiedao/internal/ui/chart"
)

func sample(points ...chart.Point) chart.Chart {
	return chart.Chart{ID: "paid", Title: "Paid per month", Desc: "Money paid each month", Summary: "The figures",
		LabelHeader: "Month", ValueHeader: "Yuan", Empty: "No data yet", Points: points}
}

// element is an SVG or HTML element as the tests read it.
type element struct {
	Name  string
	Attrs map[string]string
	Text  string
}

// parse reads the chart's markup as XML (it is well-formed) into its elements
// in document order, with the text directly inside each.
func parse(t *testing.T, markup string) []element {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(markup))
	var out []element
	var stack []int
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("chart markup is not well-formed: %v\n%s", err, markup)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			e := element{Name: tk.Name.Local, Attrs: map[string]string{}}
			for _, a := range tk.Attr {
				e.Attrs[a.Name.Local] = a.Value
			}
			out = append(out, e)
			stack = append(stack, len(out)-1)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				out[stack[len(stack)-1]].Text += string(tk)
			}
		}
	}
	return out
}

func named(es []element, name, class string) []element {
	var out []element
	for _, e := range es {
		if e.Name == name && (class == "" || e.Attrs["class"] == class) {
			out = append(out, e)
		}
	}
	return out
}

func attr(t *testing.T, e element, name string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(e.Attrs[name], 64)
	if err != nil {
		t.Fatalf("%s %s = %q: %v", e.Name, name, e.Attrs[name], err)
	}
	return f
}

func TestBarHeightsProportional(t *testing.T) {
	t.Parallel()
	es := parse(t, string(chart.Bar(sample(
		chart.Point{Label: "一月", Value: 100, Display: "1.00"},
		chart.Point{Label: "二月", Value: 50, Display: "0.50"},
		chart.Point{Label: "三月", Value: 0, Display: "0.00"},
		chart.Point{Label: "四月", Value: 25, Display: "0.25"},
	))))
	bars := named(es, "rect", "bar")
	if len(bars) != 4 {
		t.Fatalf("bars = %d, want 4", len(bars))
	}
	want := []float64{chart.PlotH, chart.PlotH / 2, 0, chart.PlotH / 4}
	var bottom float64
	for i, b := range bars {
		h := attr(t, b, "height")
		if diff := h - want[i]; diff > 0.1 || diff < -0.1 {
			t.Errorf("bar %d height = %v, want %v", i, h, want[i])
		}
		// Every bar stands on the same base line.
		base := attr(t, b, "y") + h
		if i == 0 {
			bottom = base
		} else if diff := base - bottom; diff > 0.1 || diff < -0.1 {
			t.Errorf("bar %d ends at %v, want %v", i, base, bottom)
		}
	}
	var values []string
	for _, v := range named(es, "text", "value") {
		values = append(values, v.Text)
	}
	if got := strings.Join(values, " "); got != "1.00 0.50 0.00 0.25" {
		t.Errorf("value labels = %q, want %q", got, "1.00 0.50 0.00 0.25")
	}
}

func TestBarHeight(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		value, top int64
		want       float64
	}{
		{100, 100, chart.PlotH},
		{1, 4, chart.PlotH / 4.0},
		{0, 100, 0},
		{-5, 100, 0},
		{0, 0, 0},
	} {
		if got := chart.BarHeight(tc.value, tc.top); got != tc.want {
			t.Errorf("BarHeight(%d, %d) = %v, want %v", tc.value, tc.top, got, tc.want)
		}
	}
}

func TestZeroAndEmpty(t *testing.T) {
	t.Parallel()
	t.Run("all zero", func(t *testing.T) {
		es := parse(t, string(chart.Bar(sample(chart.Point{Label: "a", Value: 0, Display: "0"}, chart.Point{Label: "b", Value: 0, Display: "0"}))))
		for _, b := range named(es, "rect", "bar") {
			if h := attr(t, b, "height"); h != 0 {
				t.Errorf("bar height = %v, want 0", h)
			}
		}
		if n := len(named(es, "tr", "")); n != 3 {
			t.Errorf("table rows = %d, want 3 (a header and two)", n)
		}
	})
	for name, draw := range map[string]func(chart.Chart) string{
		"bar":  func(c chart.Chart) string { return string(chart.Bar(c)) },
		"line": func(c chart.Chart) string { return string(chart.Line(c)) },
	} {
		t.Run("empty "+name, func(t *testing.T) {
			es := parse(t, draw(sample()))
			if n := len(named(es, "rect", "bar")) + len(named(es, "circle", "")) + len(named(es, "table", "")); n != 0 {
				t.Errorf("empty chart draws %d bars, points or tables, want none", n)
			}
			if got := named(es, "text", "empty"); len(got) != 1 || got[0].Text != "No data yet" {
				t.Errorf("empty chart's text = %v, want %q", got, "No data yet")
			}
			if got := named(es, "p", ""); len(got) != 1 || got[0].Text != "No data yet" {
				t.Errorf("empty chart's text alternative = %v, want %q", got, "No data yet")
			}
		})
	}
}

func TestLineOnePointAndMany(t *testing.T) {
	t.Parallel()
	es := parse(t, string(chart.Line(sample(chart.Point{Label: "一月", Value: 7, Display: "7"}))))
	pts := named(es, "circle", "point")
	if len(pts) != 1 || len(named(es, "path", "line")) != 0 {
		t.Fatalf("one point: %d points and %d lines, want 1 and 0", len(pts), len(named(es, "path", "line")))
	}
	if x := attr(t, pts[0], "cx"); x != chart.PointX(0, 1) {
		t.Errorf("single point cx = %v, want the middle %v", x, chart.PointX(0, 1))
	}
	es = parse(t, string(chart.Line(sample(
		chart.Point{Label: "1", Value: 0, Display: "0"}, chart.Point{Label: "2", Value: 10, Display: "10"}, chart.Point{Label: "3", Value: 5, Display: "5"}))))
	pts = named(es, "circle", "point")
	if len(pts) != 3 || len(named(es, "path", "line")) != 1 {
		t.Fatalf("three points: %d points and %d lines, want 3 and 1", len(pts), len(named(es, "path", "line")))
	}
	y0, y1, y2 := attr(t, pts[0], "cy"), attr(t, pts[1], "cy"), attr(t, pts[2], "cy")
	if y0-y1 != chart.PlotH || y0-y2 != chart.PlotH/2 {
		t.Errorf("point heights above the base = %v, %v, want %v, %v", y0-y1, y0-y2, float64(chart.PlotH), chart.PlotH/2.0)
	}
	if x0, x2 := attr(t, pts[0], "cx"), attr(t, pts[2], "cx"); x2-x0 != chart.PlotW {
		t.Errorf("line spans %v, want the plot's width %v", x2-x0, chart.PlotW)
	}
}

func TestTextEscaped(t *testing.T) {
	t.Parallel()
	evil := `<script>alert("x")</script> & 'q'`
	c := sample(chart.Point{Label: evil, Value: 3, Display: evil})
	c.Title, c.Desc, c.ID = evil, evil, `x"><script>`
	for name, markup := range map[string]string{"bar": string(chart.Bar(c)), "line": string(chart.Line(c))} {
		if strings.Contains(markup, "<script") {
			t.Errorf("%s chart contains an unescaped <script: %s", name, markup)
		}
		es := parse(t, markup)
		if got := named(es, "title", ""); len(got) == 0 || got[0].Text != evil {
			t.Errorf("%s chart title = %v, want the text %q", name, got, evil)
		}
		if got := named(es, "th", ""); len(got) < 3 || got[2].Text != evil {
			t.Errorf("%s chart's table row = %v, want the label %q", name, got, evil)
		}
	}
}

func TestAccessibleNameAndTextAlternative(t *testing.T) {
	t.Parallel()
	es := parse(t, string(chart.Bar(sample(chart.Point{Label: "爱山街道", Value: 12_345_00, Display: "12,345.00"},
		chart.Point{Label: "飞英街道", Value: 500_00, Display: "500.00"}))))
	svg := named(es, "svg", "")
	if len(svg) != 1 || svg[0].Attrs["role"] != "img" || svg[0].Attrs["aria-labelledby"] != "paid-title paid-desc" {
		t.Fatalf("svg = %+v, want role img labelled by paid-title and paid-desc", svg)
	}
	ids := map[string]string{}
	for _, e := range es {
		if id := e.Attrs["id"]; id != "" {
			ids[id] = e.Name + ":" + e.Text
		}
	}
	if ids["paid-title"] != "title:Paid per month" || ids["paid-desc"] != "desc:Money paid each month" {
		t.Errorf("title and desc = %q, %q", ids["paid-title"], ids["paid-desc"])
	}
	var cells []string
	for _, e := range es {
		if (e.Name == "th" || e.Name == "td") && len(cells) < 6 {
			cells = append(cells, e.Text)
		}
	}
	if got, want := strings.Join(cells, "|"), "Month|Yuan|爱山街道|12,345.00|飞英街道|500.00"; got != want {
		t.Errorf("text alternative = %q, want %q", got, want)
	}
	if got := named(es, "summary", ""); len(got) != 1 || got[0].Text != "The figures" {
		t.Errorf("summary = %v, want %q", got, "The figures")
	}
}
