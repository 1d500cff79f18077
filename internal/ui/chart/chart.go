// Package chart draws the public portal's bar and line charts as inline SVG
// on the server: no script, no chart library, nothing fetched. Each chart is a
// <figure> whose <svg role="img"> names itself by its <title> and <desc>
// (aria-labelledby), and carries its text alternative: a table of every
// label and value in a <details> beside it, so a screen-reader user, or
// anyone, gets every number.
package chart

import (
	"fmt"
	"html"
	"html/template"
	"strconv"
	"strings"
)

// Point is one bar, or one point of a line: its label on the category axis,
// its value, and the value as the page writes it ("12,345.00").
type Point struct {
	Label   string
	Value   int64
	Display string
}

// Chart is what a chart shows and says. Every text is plain text; the chart
// escapes it.
type Chart struct {
	// ID makes the chart's element ids unique in its page; only a-z, 0-9 and
	// "-" are kept.
	ID    string
	Title string
	Desc  string
	// Summary opens the text alternative; LabelHeader and ValueHeader head
	// its columns; Empty is said when there are no points.
	Summary     string
	LabelHeader string
	ValueHeader string
	Empty       string
	// Format writes a value on the value axis (strconv.FormatInt when nil).
	Format func(int64) string
	Points []Point
}

// The drawing's geometry, in SVG user units (the SVG scales to its box).
const (
	Width   = 640
	Height  = 260
	left    = 88 // room for the value axis's labels
	right   = 16
	top     = 24 // room for the value label above the highest bar
	bottom  = 44 // room for the category labels
	PlotW   = Width - left - right
	PlotH   = Height - top - bottom
	baseY   = top + PlotH
	maxBars = 40 // wider than this the labels collide; the table still has all
)

// Bar returns the bar chart of c: one bar per point, its height proportional
// to its value (a negative value draws as zero), with value labels.
func Bar(c Chart) template.HTML {
	var b strings.Builder
	open(&b, c, "bar")
	if len(c.Points) > 0 {
		axes(&b, c)
		top := peak(c.Points)
		slot := float64(PlotW) / float64(len(c.Points))
		w := slot * 0.6
		for i, p := range c.Points {
			h := BarHeight(p.Value, top)
			x := float64(left) + slot*float64(i) + (slot-w)/2
			fmt.Fprintf(&b, `<rect class="bar" x="%s" y="%s" width="%s" height="%s"><title>%s: %s</title></rect>`,
				num(x), num(float64(baseY)-h), num(w), num(h), esc(p.Label), esc(p.Display))
			if len(c.Points) <= maxBars {
				fmt.Fprintf(&b, `<text class="value" x="%s" y="%s" text-anchor="middle">%s</text>`, num(x+w/2), num(float64(baseY)-h-4), esc(p.Display))
				label(&b, x+w/2, p.Label)
			}
		}
	}
	closeFigure(&b, c)
	return template.HTML(b.String())
}

// Line returns the line chart of c: the points evenly spaced from left to
// right in their order, joined by a line, each marked and labelled. A single
// point is drawn as a mark in the middle.
func Line(c Chart) template.HTML {
	var b strings.Builder
	open(&b, c, "line")
	if len(c.Points) > 0 {
		axes(&b, c)
		top := peak(c.Points)
		var path strings.Builder
		for i, p := range c.Points {
			x, y := PointX(i, len(c.Points)), float64(baseY)-BarHeight(p.Value, top)
			if i == 0 {
				fmt.Fprintf(&path, "M%s %s", num(x), num(y))
			} else {
				fmt.Fprintf(&path, " L%s %s", num(x), num(y))
			}
		}
		if len(c.Points) > 1 {
			fmt.Fprintf(&b, `<path class="line" fill="none" d="%s"/>`, path.String())
		}
		for i, p := range c.Points {
			x, y := PointX(i, len(c.Points)), float64(baseY)-BarHeight(p.Value, top)
			fmt.Fprintf(&b, `<circle class="point" cx="%s" cy="%s" r="4"><title>%s: %s</title></circle>`, num(x), num(y), esc(p.Label), esc(p.Display))
			if len(c.Points) <= maxBars {
				fmt.Fprintf(&b, `<text class="value" x="%s" y="%s" text-anchor="middle">%s</text>`, num(x), num(y-8), esc(p.Display))
				label(&b, x, p.Label)
			}
		}
	}
	closeFigure(&b, c)
	return template.HTML(b.String())
}

// BarHeight is the drawn height of value when the highest value is top: in
// proportion to the plot's height, zero for a value of zero or less, or when
// every value is zero.
func BarHeight(value, top int64) float64 {
	if value <= 0 || top <= 0 {
		return 0
	}
	return float64(PlotH) * float64(value) / float64(top)
}

// PointX is the x of the i-th of n points of a line chart: evenly spaced
// across the plot, a single point in its middle.
func PointX(i, n int) float64 {
	if n <= 1 {
		return float64(left) + float64(PlotW)/2
	}
	return float64(left) + float64(PlotW)*float64(i)/float64(n-1)
}

func peak(ps []Point) int64 {
	var m int64
	for _, p := range ps {
		m = max(m, p.Value)
	}
	return m
}

func open(b *strings.Builder, c Chart, kind string) {
	id := cleanID(c.ID)
	fmt.Fprintf(b, `<figure class="chart chart-%s" id="%s">`, kind, id)
	fmt.Fprintf(b, `<svg role="img" aria-labelledby="%[1]s-title %[1]s-desc" viewBox="0 0 %[2]d %[3]d" width="100%%" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">`,
		id, Width, Height)
	fmt.Fprintf(b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, id, esc(c.Title), id, esc(c.Desc))
	if len(c.Points) == 0 {
		fmt.Fprintf(b, `<text class="empty" x="%d" y="%d" text-anchor="middle">%s</text>`, Width/2, Height/2, esc(c.Empty))
	}
}

// axes draws the two axes and the value axis's ticks at 0, half and the top.
func axes(b *strings.Builder, c Chart) {
	format := c.Format
	if format == nil {
		format = func(v int64) string { return strconv.FormatInt(v, 10) }
	}
	fmt.Fprintf(b, `<g class="axis" aria-hidden="true"><line x1="%d" y1="%d" x2="%d" y2="%d"/><line x1="%d" y1="%d" x2="%d" y2="%d"/>`,
		left, top, left, baseY, left, baseY, left+PlotW, baseY)
	top := peak(c.Points)
	ticks := []int64{0}
	if top > 0 {
		ticks = append(ticks, top/2, top)
	}
	for _, v := range ticks {
		y := float64(baseY) - BarHeight(v, top)
		fmt.Fprintf(b, `<line class="tick" x1="%d" y1="%s" x2="%d" y2="%s"/><text x="%d" y="%s" text-anchor="end">%s</text>`,
			left-4, num(y), left+PlotW, num(y), left-8, num(y+4), esc(format(v)))
	}
	b.WriteString(`</g>`)
}

func label(b *strings.Builder, x float64, text string) {
	fmt.Fprintf(b, `<text class="label" x="%s" y="%d" text-anchor="middle">%s</text>`, num(x), baseY+18, esc(text))
}

// closeFigure ends the SVG and adds the text alternative.
func closeFigure(b *strings.Builder, c Chart) {
	id := cleanID(c.ID)
	b.WriteString(`</svg>`)
	fmt.Fprintf(b, `<details class="chart-data"><summary>%s</summary>`, esc(c.Summary))
	if len(c.Points) == 0 {
		fmt.Fprintf(b, `<p>%s</p>`, esc(c.Empty))
	} else {
		fmt.Fprintf(b, `<table id="%s-data"><caption>%s</caption><thead><tr><th scope="col">%s</th><th scope="col" class="num">%s</th></tr></thead><tbody>`,
			id, esc(c.Title), esc(c.LabelHeader), esc(c.ValueHeader))
		for _, p := range c.Points {
			fmt.Fprintf(b, `<tr><th scope="row">%s</th><td class="num">%s</td></tr>`, esc(p.Label), esc(p.Display))
		}
		b.WriteString(`</tbody></table>`)
	}
	b.WriteString(`</details></figure>`)
}

func esc(s string) string { return html.EscapeString(s) }

func num(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

func cleanID(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 || b.String()[0] < 'a' {
		return "chart-" + b.String()
	}
	return b.String()
}
