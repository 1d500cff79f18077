package ui_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/jiedao-market/jiedao/internal/evaluation"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// The public provider profile shows everyone the same: what
// track.Service.Profile holds: the organization, its active certifications,
// the final score and grade of a completed contract, the track record's
// counts, P and the rating summaries; the directory and the ratings page
// link to it, and an unknown organization is not found.
func TestProviderProfilePage(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	org1 := e.Demo(t).Org1
	c := e.ActiveContract(t)
	e.SubmittedEvaluation(t, c.ID, evaluation.KindFinal, 923, 0)
	e.SetContractStatus(t, c.ID, "completed")
	if err := e.DB.Exec(`UPDATE contracts SET final_score = 92.3 WHERE id = ?`, c.ID).Error; err != nil {
		t.Fatal(err)
	}
	p, err := e.Services.Track.Profile(t.Context(), org1)
	if err != nil {
		t.Fatalf("Profile() error = %v", err)
	}
	if len(p.Certifications) == 0 {
		t.Fatal("the demo's organization 1 holds no active certification")
	}
	path := fmt.Sprintf("/organizations/%d", org1)
	visitor := servertest.NewPageClient(e)
	visitor.Cookies["jd_lang"] = "en"
	r := visitor.Get(t, path)
	wantStatus(t, "GET "+path, r, http.StatusOK)
	wantBody(t, "the profile", r, "湖州市吴兴区康乐居家养老服务中心", "52330502MJ526018XR",
		fmt.Sprintf("%dA", p.Certifications[0].Grade), p.Certifications[0].ValidThrough.String(),
		fmt.Sprintf(`<tr id="completed-%d">`, c.ID), "测试服务记录项目", "<strong>92.3</strong> Excellent",
		fmt.Sprintf(`<dd id="complaints-upheld">%d</dd>`, p.Record.ComplaintsUpheld),
		fmt.Sprintf("completed %d", p.Record.Contracts.Completed), fmt.Sprintf("excellent %d", p.Record.Grades.Excellent),
		fmt.Sprintf(`<strong id="performance-percent">P = %s%%</strong>`, p.Record.Performance.Percent),
		fmt.Sprintf(`href="%s/ratings?lang=en"`, path),
		`<title id="final-scores-title">Final scores of completed contracts</title>`, `<th scope="row">测试服务记录项目</th><td class="num">92.3</td>`)
	if p.Ratings.Summaries.All.Means != nil {
		wantBody(t, "the profile's ratings", r, `id="ratings-summary"`, p.Ratings.Summaries.All.Bayesian)
	} else {
		wantBody(t, "the profile's ratings", r, `id="ratings-needed"`)
	}
	signedIn := servertest.SignIn(t, e, "demo-org2")
	signedIn.Cookies["jd_lang"] = "en"
	other := signedIn.Get(t, path)
	wantStatus(t, "GET "+path+" as demo-org2", other, http.StatusOK)
	wantBody(t, "the profile as demo-org2", other, fmt.Sprintf(`<tr id="completed-%d">`, c.ID), "<strong>92.3</strong> Excellent")

	// Signed out, English links keep the language in the URL, as the
	// public navigation does.
	wantBody(t, "the directory", visitor.Get(t, "/capable"), fmt.Sprintf(`<a href="%s?lang=en">湖州市吴兴区康乐居家养老服务中心</a>`, path))
	wantBody(t, "the provider's ratings", visitor.Get(t, path+"/ratings"), fmt.Sprintf(`href="%s?lang=en"`, path))
	for _, bad := range []string{"/organizations/999999", "/organizations/abc", "/organizations/0"} {
		wantStatus(t, "GET "+bad, visitor.Get(t, bad), http.StatusNotFound)
	}
}
