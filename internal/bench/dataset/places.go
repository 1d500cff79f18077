package dataset

import (
	"context"
	"fmt"
	"time"

	"github.com/jiedao-market/jiedao/internal/org"
)

// world is what the steps generated that later steps refer to.
type world struct {
	districtID      int64
	adminID         int64
	districtAdminID int64
	subs            []subdistrict
	comms           []community
	evaluators      []person
	residents       [][]person // by index in comms
	cats            []category
	catIndex        map[string]int
	templates       map[string][]metric
	orgs            []organization
	orgsByCat       map[string][]int
	items           []item
	itemsBySub      [][]int
	tenders         []tenderRow
	contracts       []contractRow
	postings        []posting
}

type person struct {
	id   int64
	name string
}

type subdistrict struct {
	id               int64
	code, name       string
	officer, finance person
	comms            []int // indices in world.comms
	fund             int64 // the fiscal budget's, which pays every category
	fundIDs          []int64
}

type community struct {
	id         int64
	sub        int
	households int
}

type category struct{ code, zh, en string }

type metric struct {
	code, zh, en, unit, direction, source string
	target                                float64
	weight                                int
}

type organization struct {
	id      int64
	name    string
	admin   person
	grade   int
	workers int
	cats    []string
}

// The district and the syllables its places are named with.
const (
	districtCode = "330599"
	districtZh   = "江海区"
	districtEn   = "Jianghai District"
	// Everyone bids on volunteer service: the surge and opening tenders use it.
	commonCategory = "VOLUNTEER_SERVICE"
)

var syllables = []string{"东", "西", "南", "北", "中", "新", "金", "银", "长", "安", "和", "平", "兴", "华", "明",
	"德", "仁", "福", "康", "乐", "春", "秋", "云", "山", "湖", "江", "河", "桥", "林", "园"}

// placeName is a two-syllable name unique for i below 900.
func placeName(i int) string {
	a := i % len(syllables)
	b := (i/len(syllables) + a + 1) % len(syllables)
	return syllables[a] + syllables[b]
}

func (g *gen) places(ctx context.Context) error {
	w := &g.w
	created := g.base.Add(-days(400))
	var err error
	if w.districtID, err = g.id(ctx, "districts"); err != nil {
		return err
	}
	if err := g.copyRows(ctx, "districts", []string{"id", "code", "name_zh", "name_en", "created_at", "updated_at"},
		[][]any{{w.districtID, districtCode, districtZh, districtEn, created, created}}); err != nil {
		return err
	}
	nSubs := g.n(20, 1)
	nComms := max(g.n(200, 2), 2*nSubs)
	if nSubs > 999 || nComms/nSubs > 999 {
		return fmt.Errorf("scale %g makes too many places for their codes", g.o.Scale)
	}
	first, err := g.ids(ctx, "subdistricts", nSubs)
	if err != nil {
		return err
	}
	var subRows, commRows [][]any
	for i := range nSubs {
		s := subdistrict{id: first + int64(i), code: fmt.Sprintf("%s%03d", districtCode, i+1), name: placeName(i) + "街道"}
		subRows = append(subRows, []any{s.id, w.districtID, s.code, s.name, fmt.Sprintf("Subdistrict %03d", i+1), created, created})
		w.subs = append(w.subs, s)
	}
	firstComm, err := g.ids(ctx, "communities", nComms)
	if err != nil {
		return err
	}
	for j := range nComms {
		si := j % nSubs
		k := len(w.subs[si].comms)
		c := community{id: firstComm + int64(j), sub: si, households: between(g.r, 600, 3200)}
		w.subs[si].comms = append(w.subs[si].comms, j)
		w.comms = append(w.comms, c)
		commRows = append(commRows, []any{c.id, w.subs[si].id, fmt.Sprintf("%s%03d", w.subs[si].code, k+1), placeName(k*7+si) + "社区",
			fmt.Sprintf("Community %03d-%03d", si+1, k+1), c.households, created, created})
	}
	if err := g.copyRows(ctx, "subdistricts", []string{"id", "district_id", "code", "name_zh", "name_en", "created_at", "updated_at"}, subRows); err != nil {
		return err
	}
	if err := g.copyRows(ctx, "communities", []string{"id", "subdistrict_id", "code", "name_zh", "name_en", "households", "created_at", "updated_at"}, commRows); err != nil {
		return err
	}
	if err := g.loadCategories(ctx); err != nil {
		return err
	}
	return g.accounts(ctx, created)
}

// userCols are the columns of a generated account.
var userCols = []string{"id", "username", "display_name", "password_hash", "role", "district_id", "subdistrict_id", "organization_id",
	"community_id", "status", "locale", "created_at", "updated_at"}

func (g *gen) user(ctx context.Context, rows *[][]any, name, display, role string, district, sub, orgID, comm *int64, at time.Time) (person, error) {
	id, err := g.id(ctx, "users")
	if err != nil {
		return person{}, err
	}
	*rows = append(*rows, []any{id, name, display, g.hash, role, district, sub, orgID, comm, "active", "zh-CN", at, at})
	return person{id: id, name: name}, nil
}

// accounts writes the platform's, the district's, the subdistricts' and
// the residents' accounts and the evaluators.
func (g *gen) accounts(ctx context.Context, at time.Time) error {
	w := &g.w
	var rows [][]any
	d := &w.districtID
	p, err := g.user(ctx, &rows, Prefix+"admin", "平台管理员", "platform_admin", nil, nil, nil, nil, at)
	if err != nil {
		return err
	}
	w.adminID = p.id
	if p, err = g.user(ctx, &rows, Prefix+"district", districtZh+"民政局", "district_admin", d, nil, nil, nil, at); err != nil {
		return err
	}
	w.districtAdminID = p.id
	for i := range w.subs {
		s := &w.subs[i]
		if s.officer, err = g.user(ctx, &rows, username("officer", i+1), s.name+"采购专员", "procurement_officer", nil, &s.id, nil, nil, at); err != nil {
			return err
		}
		if s.finance, err = g.user(ctx, &rows, username("finance", i+1), s.name+"财务专员", "finance_officer", nil, &s.id, nil, nil, at); err != nil {
			return err
		}
	}
	for i := range g.n(30, 5) {
		e, err := g.user(ctx, &rows, username("evaluator", i+1), fmt.Sprintf("评审专家%d", i+1), "evaluator", d, nil, nil, nil, at)
		if err != nil {
			return err
		}
		w.evaluators = append(w.evaluators, e)
	}
	w.residents = make([][]person, len(w.comms))
	for i := range g.n(20000, 2*len(w.comms)) {
		ci := i % len(w.comms)
		r, err := g.user(ctx, &rows, username("resident", i+1), fmt.Sprintf("居民%05d", i+1), "resident", nil, nil, nil, &w.comms[ci].id, at)
		if err != nil {
			return err
		}
		w.residents[ci] = append(w.residents[ci], r)
	}
	return g.copyRows(ctx, "users", userCols, rows)
}

func (g *gen) loadCategories(ctx context.Context) error {
	w := &g.w
	rows, err := g.c.Query(ctx, `SELECT code, name_zh, name_en FROM service_categories WHERE kind = 'service' ORDER BY sort`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var c category
		if err := rows.Scan(&c.code, &c.zh, &c.en); err != nil {
			return err
		}
		w.cats = append(w.cats, c)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	w.catIndex = map[string]int{}
	for i, c := range w.cats {
		w.catIndex[c.code] = i
	}
	if _, ok := w.catIndex[commonCategory]; !ok {
		return fmt.Errorf("no service category %s", commonCategory)
	}
	w.templates = map[string][]metric{}
	rows, err = g.c.Query(ctx, `SELECT category_code, code, name_zh, name_en, unit, direction, source, default_target::float8, default_weight
		FROM metric_templates WHERE district_id IS NULL AND status = 'active' ORDER BY category_code, id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var cat string
		var m metric
		if err := rows.Scan(&cat, &m.code, &m.zh, &m.en, &m.unit, &m.direction, &m.source, &m.target, &m.weight); err != nil {
			return err
		}
		w.templates[cat] = append(w.templates[cat], m)
	}
	return rows.Err()
}

// Kinds of organization: a name's ending and its type.
var orgKinds = []struct {
	suffix string
	typ    org.Type
}{
	{"社会工作服务中心", org.SocialServiceInstitution}, {"居家养老服务中心", org.SocialServiceInstitution},
	{"志愿者协会", org.SocialGroup}, {"公益服务社", org.SocialServiceInstitution}, {"慈善基金会", org.Foundation},
	{"法律服务中心", org.SocialServiceInstitution}, {"青少年服务中心", org.SocialServiceInstitution}, {"社区发展协会", org.SocialGroup},
}

// creditChars are the characters of a unified social credit code (GB 32100-2015).
const creditChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// creditCode is organization n's unified social credit code, its check
// character computed by GB 32100-2015.
func creditCode(typ org.Type, n int) string {
	reg := "52"
	switch typ {
	case org.SocialGroup:
		reg = "51"
	case org.Foundation:
		reg = "53"
	}
	body := fmt.Sprintf("%s%sMJ%07d", reg, districtCode, n)
	weights := []int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
	sum := 0
	for i := range 17 {
		for v := range len(creditChars) {
			if creditChars[v] == body[i] {
				sum += v * weights[i]
			}
		}
	}
	return body + string(creditChars[(31-sum%31)%31])
}

// organizations writes the organizations, their admins and their approved
// certifications: volunteer service and a few other categories, a grade and
// the social workers a district admin verified.
func (g *gen) organizations(ctx context.Context) error {
	w := &g.w
	nOrgs := g.n(2000, 12)
	first, err := g.ids(ctx, "organizations", nOrgs)
	if err != nil {
		return err
	}
	created := g.base.Add(-days(400))
	var orgRows, userRows, certRows, catRows [][]any
	w.orgsByCat = map[string][]int{}
	for i := range nOrgs {
		k := orgKinds[(i/len(syllables))%len(orgKinds)]
		o := organization{id: first + int64(i), name: districtZh + placeName(i%900) + syllables[(i/900)%len(syllables)] + k.suffix,
			grade: pick(g.r, []int{1, 2, 3, 3, 3, 4, 4, 5})}
		code := creditCode(k.typ, i+1)
		if !org.ValidCreditCode(code) {
			return fmt.Errorf("credit code %s is invalid", code)
		}
		staff := between(g.r, 8, 80)
		o.workers = between(g.r, 1, min(staff, 20))
		orgRows = append(orgRows, []any{o.id, code, o.name, string(k.typ), w.districtID, created.AddDate(-between(g.r, 1, 12), 0, 0),
			"法人" + fmt.Sprint(i+1), "联系人" + fmt.Sprint(i+1), fmt.Sprintf("0571-%08d", 20000000+i), fmt.Sprintf("org%05d@bench.example.org", i+1),
			districtZh + placeName(i%900) + "路" + fmt.Sprint(1+i%200) + "号", staff, o.workers, "active", created, created})
		if o.admin, err = g.user(ctx, &userRows, username("org", i+1), o.name, "org_admin", nil, nil, &o.id, nil, created); err != nil {
			return err
		}
		o.cats = []string{commonCategory}
		for len(o.cats) < 4 {
			c := pick(g.r, w.cats).code
			if !contains(o.cats, c) {
				o.cats = append(o.cats, c)
			}
		}
		w.orgs = append(w.orgs, o)
	}
	// Every category has organizations enough for an open tender's three bids.
	for _, c := range w.cats {
		var have int
		for _, o := range w.orgs {
			if contains(o.cats, c.code) {
				have++
			}
		}
		for i := 0; have < 6 && i < len(w.orgs); i++ {
			o := &w.orgs[(i*7+w.catIndex[c.code])%len(w.orgs)]
			if !contains(o.cats, c.code) {
				o.cats = append(o.cats, c.code)
				have++
			}
		}
	}
	firstCert, err := g.ids(ctx, "certifications", nOrgs)
	if err != nil {
		return err
	}
	from, until := g.base.AddDate(-1, 0, 0), g.base.AddDate(2, 0, 0)
	decided := from.Add(10 * time.Hour)
	for i, o := range w.orgs {
		cert := firstCert + int64(i)
		certRows = append(certRows, []any{cert, o.id, w.districtID, "approved", "申请认定承接以下类别的社区服务。", o.grade, from, until,
			o.admin.id, w.districtAdminID, decided, from, decided, o.workers, w.districtAdminID, decided})
		for _, c := range o.cats {
			catRows = append(catRows, []any{cert, c})
			w.orgsByCat[c] = append(w.orgsByCat[c], i)
		}
	}
	if err := g.copyRows(ctx, "organizations", []string{"id", "credit_code", "legal_name", "org_type", "district_id", "registration_date",
		"legal_representative", "contact_name", "contact_phone", "contact_email", "address", "staff_count", "certified_social_workers",
		"status", "created_at", "updated_at"}, orgRows); err != nil {
		return err
	}
	if err := g.copyRows(ctx, "users", userCols, userRows); err != nil {
		return err
	}
	if err := g.copyRows(ctx, "certifications", []string{"id", "organization_id", "district_id", "status", "statement", "grade", "valid_from",
		"valid_until", "applied_by", "decided_by", "decided_at", "created_at", "updated_at", "verified_social_workers",
		"social_workers_verified_by", "social_workers_verified_at"}, certRows); err != nil {
		return err
	}
	return g.copyRows(ctx, "certification_categories", []string{"certification_id", "category_code"}, catRows)
}

func contains[T comparable](s []T, v T) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
