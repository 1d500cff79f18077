package ui_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/jiedao-market/jiedao/internal/demo"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// The demo's providers as a visitor finds them: 康乐 has ratings enough to
// show its scores, 安馨's newer contract has too few, and its page says how
// many more it needs.
func TestPagesDemoProviderRatings(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, demo.WithTenders())
	p := servertest.NewPageClient(e)
	kangle := p.Get(t, fmt.Sprintf("/organizations/%d/ratings", e.Demo(t).Org1))
	wantStatus(t, "康乐's ratings", kangle, http.StatusOK)
	all := sectionOf(string(kangle.Body), "ratings-all")
	if !strings.Contains(all, "贝叶斯") || strings.Contains(all, "还需") {
		t.Errorf("康乐's ratings = %s, want its scores", all)
	}
	anxin := e.IDOf(t, "organizations", "legal_name = ?", "湖州市吴兴区安馨居家养老服务中心")
	var n int64
	if err := e.DB.Table("ratings").Where("organization_id = ?", anxin).Count(&n).Error; err != nil || n == 0 {
		t.Fatalf("安馨 has %d ratings (%v), want some", n, err)
	}
	page := p.Get(t, fmt.Sprintf("/organizations/%d/ratings", anxin))
	wantStatus(t, "安馨's ratings", page, http.StatusOK)
	if all := sectionOf(string(page.Body), "ratings-all"); !strings.Contains(all, fmt.Sprintf("还需 %d 条评价", int64(e.Cfg.Rating.PublicMinimum)-n)) {
		t.Errorf("安馨's ratings = %s, want how many more it needs", all)
	}
}

// sectionOf returns the HTML of the <section> with this id.
func sectionOf(body, id string) string {
	i := strings.Index(body, `<section id="`+id+`"`)
	if i < 0 {
		return ""
	}
	j := strings.Index(body[i:], "</section>")
	if j < 0 {
		return body[i:]
	}
	return body[i : i+j]
}
