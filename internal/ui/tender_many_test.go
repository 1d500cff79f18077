package ui_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/jiedao-market/jiedao/internal/servertest"
)

// many is more than a page of 100: what a list capped at 100 loses.
const many = 101

// cloneTenders inserts n published copies of the tender src, each newer than
// every tender before; bidFrom, when not 0, is a bid copied onto each copy.
// The copies are rows only (no reservation, no parts): enough for a list.
func cloneTenders(t *testing.T, e *servertest.Env, src int64, n int, bidFrom int64) []int64 {
	t.Helper()
	var ids []int64
	if err := e.DB.Raw(`INSERT INTO tenders (subdistrict_id, transfer_item_id, transfer_item_version, title, description, category_code,
			purchase_method, justification, fund_account_id, ceiling_fen, service_start, service_end, weight_price, weight_technical,
			weight_performance, min_grade, min_social_workers, min_bids, max_winners, challenge_days, questions_close_at, closes_at, opens_at,
			status, status_reason, evaluation_round, published_at, created_by, created_at, updated_at)
		SELECT subdistrict_id, transfer_item_id, transfer_item_version, title || '（副本 ' || g || '）', description, category_code,
			purchase_method, justification, fund_account_id, ceiling_fen, service_start, service_end, weight_price, weight_technical,
			weight_performance, min_grade, min_social_workers, min_bids, max_winners, challenge_days, questions_close_at, closes_at, opens_at,
			status, status_reason, evaluation_round, published_at, created_by, created_at, updated_at
		FROM tenders, generate_series(1, ?) AS g WHERE tenders.id = ? ORDER BY g RETURNING id`, n, src).Scan(&ids).Error; err != nil {
		t.Fatalf("clone tender %d: %v", src, err)
	}
	if len(ids) != n {
		t.Fatalf("cloned %d tenders, want %d", len(ids), n)
	}
	if bidFrom != 0 {
		if err := e.DB.Exec(`INSERT INTO bids (tender_id, organization_id, status, sealed, digest, seal_key_id, seal_version, received_at)
			SELECT t.id, b.organization_id, b.status, b.sealed, b.digest, b.seal_key_id, b.seal_version, b.received_at
			FROM bids b, tenders t WHERE b.id = ? AND t.id IN ?`, bidFrom, ids).Error; err != nil {
			t.Fatalf("clone bid %d: %v", bidFrom, err)
		}
	}
	return ids
}

// section returns the part of a page from the element with the id to the end
// of its table, or "" when the page has no such element.
func section(r servertest.Response, id string) string {
	body := string(r.Body)
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		return ""
	}
	body = body[i:]
	if j := strings.Index(body, "</table>"); j >= 0 {
		body = body[:j]
	}
	return body
}

// Past 100 open tenders an organization is still offered the bid form of one
// it may bid on, and its opportunities page still lists it and every tender
// it bid on: no list behind these pages stops at 100.
func TestPagesOpportunitiesPastHundred(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	tenderCast(t, e)
	svc := tenderService(t, e)
	eligible := openTender(t, e, svc, "月河社区助餐服务（第一百零一个之外）")
	bidOn := openTender(t, e, svc, "潮音社区助浴服务（投过标的）")
	serviceBid(t, e, svc, "demo-org", bidOn, 40_000_000)
	bid := e.IDOf(t, "bids", "tender_id = ? AND status = 'active'", bidOn.ID)
	// Newer tenders, each open to demo-org and bid on by it, push both past the first 100.
	cloneTenders(t, e, bidOn.ID, many, bid)

	org := servertest.SignIn(t, e, "demo-org")
	page := org.Get(t, fmt.Sprintf("/opportunities/%d", eligible.ID))
	wantStatus(t, "the opportunity past the first 100", page, http.StatusOK)
	wantBody(t, "the opportunity past the first 100", page, fmt.Sprintf(`action="/opportunities/%d/bid"`, eligible.ID),
		fmt.Sprintf(`action="/opportunities/%d/questions"`, eligible.ID))

	list := org.Get(t, "/opportunities")
	wantStatus(t, "GET /opportunities", list, http.StatusOK)
	if open := section(list, "open-tenders"); !strings.Contains(open, fmt.Sprintf(`id="open-tenders-%d"`, eligible.ID)) {
		t.Errorf("the open tenders do not list tender %d, past the first 100", eligible.ID)
	}
	if mine := section(list, "my-tenders"); !strings.Contains(mine, fmt.Sprintf(`id="my-tenders-%d"`, bidOn.ID)) {
		t.Errorf("the tenders bid on do not list tender %d, past the first 100", bidOn.ID)
	}
}

// The wizard offers every organization capable of the item's category for
// invitation, past 100 of them.
func TestPagesTenderWizardInvitesPastHundred(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	district := e.ActorOf(t, "demo-district").Scope.DistrictID
	applicant := e.ActorOf(t, "demo-org").UserID
	// Organizations whose names sort before every seeded one, each certified
	// for elderly home care in the district.
	if err := e.DB.Exec(`WITH o AS (
			INSERT INTO organizations (credit_code, legal_name, org_type, district_id, staff_count, certified_social_workers)
			SELECT '5233050' || lpad(g::text, 10, '0') || 'X', '000 测试机构 ' || lpad(g::text, 3, '0'), 'social_service_institution', ?, 10, 2
			FROM generate_series(1, ?) AS g RETURNING id),
		c AS (
			INSERT INTO certifications (organization_id, district_id, status, grade, valid_from, valid_until, applied_by)
			SELECT id, ?, 'approved', 4, DATE '2026-01-01', DATE '2028-01-01', ? FROM o RETURNING id)
		INSERT INTO certification_categories (certification_id, category_code) SELECT id, 'ELDERLY_HOME_CARE' FROM c`,
		district, many, district, applicant).Error; err != nil {
		t.Fatalf("insert capable organizations: %v", err)
	}
	officer := servertest.SignIn(t, e, "demo-officer")
	form := officer.Get(t, fmt.Sprintf("/tenders/new?item=%d", elderlyItem(t, e)))
	wantStatus(t, "the wizard", form, http.StatusOK)
	wantBody(t, "the wizard", form, fmt.Sprintf(`id="tf-invite-%d"`, e.ActorOf(t, "demo-org").Scope.OrganizationID))
	if n := strings.Count(string(form.Body), `name="invited_organization_ids"`); n <= many {
		t.Errorf("the wizard offers %d organizations for invitation, want more than %d", n, many)
	}
}
