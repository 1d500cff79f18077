package load

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Targets are what the scenarios act on, from the generated dataset.
type Targets struct {
	// Password is every generated user's password.
	Password string
	// SurgeTenders are published tenders closing soon; SurgeBidders the
	// usernames of organization staff, each eligible for every one of them.
	SurgeTenders []int64
	SurgeBidders []string
	// OpeningTender is a closed tender whose sealed bids (about 500) wait
	// for the opening.
	OpeningTender int64
	OpeningBids   int
	// Imports are contracts open to service records, each with a username
	// of its organization's staff.
	Imports []Import
	// RatingCodes are unused rating codes of recent service records.
	RatingCodes []string
	// Approvals are accepted milestones awaiting a finance officer's approval.
	Approvals []Approval
	// PublicTenders, Providers and SearchTerms feed the reads: public tender
	// ids, organization ids, substrings of transfer items' names.
	PublicTenders []int64
	Providers     []int64
	SearchTerms   []string
	// CatalogPages is the number of pages of the public catalog.
	CatalogPages int
}

// Import is a contract to import service records into, and who does.
type Import struct {
	ContractID int64
	Username   string
	// CSV is the file to import (its rows fit the contract).
	CSV []byte
	// Rows is the number of data rows in CSV.
	Rows int
}

// Approval is a milestone and the finance officer who may approve it.
type Approval struct {
	MilestoneID int64
	Username    string
}

// client logs users in against the server under test.
type client struct {
	base string
	http *http.Client
}

// login logs username in and returns its access token.
func (c client) login(ctx context.Context, username, password string) (string, error) {
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/api/v1/auth/login", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("log %s in: %s", username, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		return "", fmt.Errorf("log %s in: no access token", username)
	}
	return tok.AccessToken, nil
}

// loginAll logs every distinct username in, sixteen at a time, and returns
// their tokens by username.
func (c client) loginAll(ctx context.Context, password string, usernames []string) (map[string]string, error) {
	seen := map[string]bool{}
	var distinct []string
	for _, u := range usernames {
		if !seen[u] {
			seen[u] = true
			distinct = append(distinct, u)
		}
	}
	tokens := make([]string, len(distinct))
	err := parallel(len(distinct), 16, func(i int) error {
		var err error
		tokens[i], err = c.login(ctx, distinct[i], password)
		return err
	})
	out := make(map[string]string, len(distinct))
	for i, u := range distinct {
		out[u] = tokens[i]
	}
	return out, err
}

// readAttacks are the public reads, each cycling through its targets.
func readAttacks(base string, t Targets) []attack {
	get := func(paths ...string) vegeta.Targeter {
		var ts []vegeta.Target
		for _, p := range paths {
			ts = append(ts, vegeta.Target{Method: http.MethodGet, URL: base + p})
		}
		return staticTargets(ts)
	}
	ids := func(format string, ids []int64) []string {
		var out []string
		for _, id := range ids {
			out = append(out, fmt.Sprintf(format, id))
		}
		return out
	}
	var searches []string
	for _, q := range t.SearchTerms {
		searches = append(searches, "/api/v1/public/transfer-items?q="+url.QueryEscape(q))
	}
	pages := []string{"/catalog"}
	for p := 2; p <= t.CatalogPages; p++ {
		pages = append(pages, fmt.Sprintf("/catalog?page=%d", p))
	}
	return []attack{
		{Name: "public tender list", Kind: KindRead, Route: "GET /api/v1/public/tenders", Targeter: get("/api/v1/public/tenders"), Targets: 1},
		{Name: "transfer-item search", Kind: KindRead, Route: "GET /api/v1/public/transfer-items?q=", Targeter: get(searches...), Targets: len(searches),
			Note: fmt.Sprintf("%d Chinese substrings in turn", len(searches))},
		{Name: "capable organizations", Kind: KindRead, Route: "GET /api/v1/public/organizations", Targeter: get("/api/v1/public/organizations"), Targets: 1},
		{Name: "tender detail", Kind: KindRead, Route: "GET /api/v1/public/tenders/:id", Targeter: get(ids("/api/v1/public/tenders/%d", t.PublicTenders)...), Targets: len(t.PublicTenders)},
		{Name: "provider profile", Kind: KindRead, Route: "GET /api/v1/public/organizations/:id", Targeter: get(ids("/api/v1/public/organizations/%d", t.Providers)...), Targets: len(t.Providers),
			Note: "certifications, rating summaries, track record"},
		{Name: "catalog page", Kind: KindRead, Route: "GET /catalog?page=", Targeter: get(pages...), Targets: len(pages),
			Note: fmt.Sprintf("its %d pages in turn", len(pages))},
	}
}

// bidBody is a bid every surge tender accepts (below its ceiling, with
// plain-text proposal and staffing plan).
func bidBody(priceFen int64, i int) []byte {
	b, _ := json.Marshal(map[string]any{
		"price_fen":          priceFen - int64(i%1000)*100,
		"technical_proposal": "服务方案：每周上门四次，建立一人一档，第 " + strconv.Itoa(i) + " 稿。",
		"staffing_plan":      "社工 6 名，护理员 12 名",
	})
	return b
}

// surgeAttack is the bid surge: the bidders in turn, each on the surge
// tenders in turn, submitting (or replacing) a bid.
func surgeAttack(base string, t Targets, tokens map[string]string, prices map[int64]int64) attack {
	bidders, tenders := t.SurgeBidders, t.SurgeTenders
	return attack{Name: "bid surge", Kind: KindWrite, Route: "POST /api/v1/tenders/:id/bids",
		Note: fmt.Sprintf("%d organizations on %d tenders", len(bidders), len(tenders)), Targets: len(bidders) * len(tenders),
		Targeter: cyclingTargets(len(bidders)*len(tenders), func(i int, tg *vegeta.Target) error {
			// Bidder i mod n on tender (i / n) mod m: every bidder bids once on
			// one tender before any bids twice, and the tenders fill evenly.
			u := bidders[i%len(bidders)]
			id := tenders[(i/len(bidders)+i)%len(tenders)]
			*tg = vegeta.Target{Method: http.MethodPost, URL: fmt.Sprintf("%s/api/v1/tenders/%d/bids", base, id),
				Body: bidBody(prices[id], i), Header: headers("Authorization", "Bearer "+tokens[u], "Content-Type", "application/json")}
			return nil
		})}
}

// importAttack imports a CSV file of service records into each contract once.
func importAttack(base string, t Targets, tokens map[string]string) attack {
	rows := 0
	if len(t.Imports) > 0 {
		rows = t.Imports[0].Rows
	}
	return attack{Name: "service-record import", Kind: KindWrite, Route: "POST /api/v1/contracts/:id/service-records/import",
		Note: fmt.Sprintf("%d rows a file, each of %d contracts once", rows, len(t.Imports)), Targets: len(t.Imports),
		Targeter: onceTargets(len(t.Imports), func(i int, tg *vegeta.Target) error {
			im := t.Imports[i]
			*tg = vegeta.Target{Method: http.MethodPost, URL: fmt.Sprintf("%s/api/v1/contracts/%d/service-records/import", base, im.ContractID),
				Body: im.CSV, Header: headers("Authorization", "Bearer "+tokens[im.Username], "Content-Type", "text/csv; charset=utf-8")}
			return nil
		})}
}

// ratingAttack submits one rating per code, each from an address of its own
// (the server trusts the load generator as a proxy): residents rate from
// their own phones.
func ratingAttack(base string, t Targets) attack {
	return attack{Name: "rating submission", Kind: KindWrite, Route: "POST /api/v1/public/ratings",
		Note: fmt.Sprintf("each of %d codes once", len(t.RatingCodes)), Targets: len(t.RatingCodes),
		Targeter: onceTargets(len(t.RatingCodes), func(i int, tg *vegeta.Target) error {
			b, _ := json.Marshal(map[string]any{"code": t.RatingCodes[i], "timeliness": 5, "professionalism": 4, "attitude": 5,
				"effectiveness": 4, "overall": 1 + i%5, "comment": "服务很及时，态度很好。"})
			*tg = vegeta.Target{Method: http.MethodPost, URL: base + "/api/v1/public/ratings", Body: b,
				Header: headers("Content-Type", "application/json", "X-Forwarded-For", residentAddr(i))}
			return nil
		})}
}

// residentAddr is the i-th resident's address, in 10.0.0.0/8.
func residentAddr(i int) string {
	return fmt.Sprintf("10.%d.%d.%d", (i>>16)&255, (i>>8)&255, i&255)
}

// approvalAttack approves each milestone once.
func approvalAttack(base string, t Targets, tokens map[string]string) attack {
	return attack{Name: "milestone approval", Kind: KindWrite, Route: "POST /api/v1/milestones/:id/approve",
		Note: fmt.Sprintf("each of %d milestones once", len(t.Approvals)), Targets: len(t.Approvals),
		Targeter: onceTargets(len(t.Approvals), func(i int, tg *vegeta.Target) error {
			a := t.Approvals[i]
			*tg = vegeta.Target{Method: http.MethodPost, URL: fmt.Sprintf("%s/api/v1/milestones/%d/approve", base, a.MilestoneID),
				Header: headers("Authorization", "Bearer "+tokens[a.Username])}
			return nil
		})}
}

// healthAttack is the HTTP ceiling: /healthz as fast as it answers.
func healthAttack(base string) attack {
	return attack{Name: BaselineHealth, Kind: KindBaseline, Route: "GET /healthz", Targets: 1,
		Targeter: staticTargets([]vegeta.Target{{Method: http.MethodGet, URL: base + "/healthz"}})}
}

// csvFile is an import file of n rows for a contract: its community, one of
// its service types, dates within its period up to today.
func csvFile(n int, community int64, serviceType string, from, to time.Time) []byte {
	var b strings.Builder
	b.WriteString("date,community,service_type,duration_minutes,staff,beneficiary_ref,notes\n")
	days := max(1, int(to.Sub(from).Hours()/24)+1)
	for i := range n {
		d := from.AddDate(0, 0, i%days)
		fmt.Fprintf(&b, "%s,%d,%s,%d,张社工,B-%05d,上门探访\n", d.Format("2006-01-02"), community, serviceType, 30+i%60, i)
	}
	return []byte(b.String())
}
