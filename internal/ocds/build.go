package ocds

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// Release tags (OCDS codelist releaseTag), one per published event.
const (
	TagTender               = "tender"               // tender published
	TagTenderAmendment      = "tenderAmendment"      // tender amended
	TagTenderCancellation   = "tenderCancellation"   // tender cancelled
	TagTenderUpdate         = "tenderUpdate"         // bids opened (or the tender failed at opening)
	TagAward                = "award"                // award proposed
	TagAwardUpdate          = "awardUpdate"          // award final
	TagContract             = "contract"             // contract signed
	TagContractAmendment    = "contractAmendment"    // contract amended
	TagContractTermination  = "contractTermination"  // contract terminated or completed
	TagImplementation       = "implementation"       // milestone paid
	TagImplementationUpdate = "implementationUpdate" // evaluation submitted
)

// Tags are the release tags Publish accepts.
var Tags = []string{TagTender, TagTenderAmendment, TagTenderCancellation, TagTenderUpdate, TagAward, TagAwardUpdate,
	TagContract, TagContractAmendment, TagContractTermination, TagImplementation, TagImplementationUpdate}

// amount is a money.Fen amount written as a JSON number of yuan with two
// decimals, built from the integer so that no float rounding creeps in.
func amount(fen int64) json.Number {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return json.Number(fmt.Sprintf("%s%d.%02d", sign, fen/100, fen%100))
}

type value struct {
	Amount   json.Number `json:"amount"`
	Currency string      `json:"currency"`
}

func cny(fen int64) *value { return &value{Amount: amount(fen), Currency: "CNY"} }

type identifier struct {
	Scheme    string `json:"scheme"`
	ID        string `json:"id"`
	LegalName string `json:"legalName,omitempty"`
}

type party struct {
	ID         string      `json:"id"`
	Name       string      `json:"name"`
	Identifier *identifier `json:"identifier,omitempty"`
	Roles      []string    `json:"roles"`
}

type orgRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type period struct {
	StartDate *time.Time `json:"startDate,omitempty"`
	EndDate   *time.Time `json:"endDate,omitempty"`
}

type amendment struct {
	ID        string    `json:"id"`
	Date      time.Time `json:"date"`
	Rationale string    `json:"rationale"`
}

type item struct {
	ID          string `json:"id"`
	Description string `json:"description"`
}

type unit struct {
	Name string `json:"name"`
}

type observation struct {
	ID      string      `json:"id"`
	Period  *period     `json:"period,omitempty"`
	Measure json.Number `json:"measure"`
	Unit    *unit       `json:"unit,omitempty"`
	Notes   string      `json:"notes,omitempty"`
}

type metric struct {
	ID           string        `json:"id"`
	Title        string        `json:"title,omitempty"`
	Description  string        `json:"description,omitempty"`
	Observations []observation `json:"observations"`
}

type tenderSection struct {
	ID                         string      `json:"id"`
	Title                      string      `json:"title"`
	Description                string      `json:"description,omitempty"`
	Status                     string      `json:"status"`
	ProcuringEntity            orgRef      `json:"procuringEntity"`
	Items                      []item      `json:"items,omitempty"`
	Value                      *value      `json:"value"`
	ProcurementMethod          string      `json:"procurementMethod"`
	ProcurementMethodDetails   string      `json:"procurementMethodDetails"`
	ProcurementMethodRationale string      `json:"procurementMethodRationale,omitempty"`
	MainProcurementCategory    string      `json:"mainProcurementCategory"`
	AwardCriteria              string      `json:"awardCriteria"`
	AwardCriteriaDetails       string      `json:"awardCriteriaDetails"`
	TenderPeriod               period      `json:"tenderPeriod"`
	EnquiryPeriod              period      `json:"enquiryPeriod"`
	AwardPeriod                *period     `json:"awardPeriod,omitempty"`
	ContractPeriod             period      `json:"contractPeriod"`
	NumberOfTenderers          *int        `json:"numberOfTenderers,omitempty"`
	Tenderers                  []orgRef    `json:"tenderers,omitempty"`
	Amendments                 []amendment `json:"amendments,omitempty"`
	Targets                    []metric    `json:"targets,omitempty"`
}

type awardSection struct {
	ID        string    `json:"id"`
	Title     string    `json:"title,omitempty"`
	Status    string    `json:"status"`
	Date      time.Time `json:"date"`
	Value     *value    `json:"value,omitempty"`
	Suppliers []orgRef  `json:"suppliers"`
}

type milestone struct {
	ID          string     `json:"id"`
	Title       string     `json:"title"`
	Type        string     `json:"type"`
	Description string     `json:"description"`
	DueDate     *time.Time `json:"dueDate,omitempty"`
	DateMet     *time.Time `json:"dateMet,omitempty"`
	Status      string     `json:"status"`
}

type transaction struct {
	ID    string    `json:"id"`
	Date  time.Time `json:"date"`
	Value *value    `json:"value"`
	Payer orgRef    `json:"payer"`
	Payee orgRef    `json:"payee"`
}

type implementation struct {
	Transactions []transaction `json:"transactions,omitempty"`
	Milestones   []milestone   `json:"milestones,omitempty"`
	Metrics      []metric      `json:"metrics,omitempty"`
}

type contractSection struct {
	ID             string          `json:"id"`
	AwardID        string          `json:"awardID"`
	Title          string          `json:"title"`
	Status         string          `json:"status"`
	Period         period          `json:"period"`
	Value          *value          `json:"value"`
	DateSigned     *time.Time      `json:"dateSigned,omitempty"`
	Milestones     []milestone     `json:"milestones,omitempty"`
	Amendments     []amendment     `json:"amendments,omitempty"`
	AgreedMetrics  []metric        `json:"agreedMetrics,omitempty"`
	Implementation *implementation `json:"implementation,omitempty"`
}

// release is one OCDS release as this package writes it.
type release struct {
	OCID           string            `json:"ocid"`
	ID             string            `json:"id"`
	Date           time.Time         `json:"date"`
	Tag            []string          `json:"tag"`
	InitiationType string            `json:"initiationType"`
	Language       string            `json:"language"`
	Parties        []party           `json:"parties"`
	Buyer          orgRef            `json:"buyer"`
	Tender         tenderSection     `json:"tender"`
	Awards         []awardSection    `json:"awards,omitempty"`
	Contracts      []contractSection `json:"contracts,omitempty"`
}

// OCID returns the ocid of a tender: "ocds-" + prefix + "-" + its id.
func OCID(prefix string, tenderID int64) string {
	return "ocds-" + prefix + "-" + strconv.FormatInt(tenderID, 10)
}

// tenderRow is what a release reads of a tender.
type tenderRow struct {
	ID                int64
	SubdistrictID     int64
	Title             string
	Description       string
	CategoryCode      string
	CategoryZh        string
	PurchaseMethod    string
	Justification     string
	FundAccountID     int64
	CeilingFen        int64
	ServiceStart      time.Time
	ServiceEnd        time.Time
	WeightPrice       int
	WeightTechnical   int
	WeightPerformance int
	QuestionsCloseAt  time.Time
	ClosesAt          time.Time
	OpensAt           time.Time
	Status            string
	PublishedAt       *time.Time
	OpenedAt          *time.Time
	AwardedAt         *time.Time
	ItemTitle         string
	ItemDescription   string
	SubdistrictCode   string
	SubdistrictName   string
	DistrictCode      string
	DistrictName      string
	FundName          string
	FundSource        string
	FundYear          int
}

// methods maps a purchase method to OCDS's procurementMethod and its details.
var methods = map[string][2]string{
	"open_tender":          {"open", "公开招标 open tender"},
	"invited_tender":       {"selective", "邀请招标 invited tender"},
	"single_source":        {"limited", "单一来源 single source"},
	"venture_philanthropy": {"open", "公益创投 venture philanthropy (open call for grants)"},
}

// tenderStatus maps a tender's status to the tenderStatus codelist.
func tenderStatus(s string) string {
	switch s {
	case "cancelled":
		return "cancelled"
	case "failed":
		return "unsuccessful"
	case "awarded":
		return "complete"
	default:
		return "active"
	}
}

// contractStatus maps a contract's status to the contractStatus codelist.
func contractStatus(s string) string {
	switch s {
	case "signed", "active":
		return "active"
	case "completed", "terminated":
		return "terminated"
	case "lapsed":
		return "cancelled"
	default:
		return "pending"
	}
}

var sources = map[string]string{
	"fiscal_budget":       "财政预算 fiscal budget",
	"welfare_lottery":     "福彩公益金 welfare-lottery public-welfare fund",
	"special_development": "专项发展基金 subdistrict special development fund",
	"social_donations":    "社会捐赠 social donations",
}

// parties collects the parties of a release, one entry per party with all
// its roles, in the order first met.
type parties struct {
	list  []party
	index map[string]int
}

func (p *parties) add(pt party, role string) orgRef {
	if p.index == nil {
		p.index = map[string]int{}
	}
	i, ok := p.index[pt.ID]
	if !ok {
		i = len(p.list)
		p.index[pt.ID] = i
		pt.Roles = nil
		p.list = append(p.list, pt)
	}
	for _, r := range p.list[i].Roles {
		if r == role {
			return orgRef{ID: pt.ID, Name: pt.Name}
		}
	}
	p.list[i].Roles = append(p.list[i].Roles, role)
	return orgRef{ID: pt.ID, Name: pt.Name}
}

// organization is a social organization as a party: identified by its
// unified social credit code (scheme CN-USCC), never by a person.
func organization(code, legalName string) party {
	return party{ID: "CN-USCC-" + code, Name: legalName, Identifier: &identifier{Scheme: "CN-USCC", ID: code, LegalName: legalName}}
}

// build reads what is public of tender t under tx and returns its release.
func build(tx *gorm.DB, prefix string, t tenderRow, id, tag string, at time.Time) (release, error) {
	r := release{OCID: OCID(prefix, t.ID), ID: id, Date: at.UTC(), Tag: []string{tag}, InitiationType: "tender", Language: "zh"}
	var ps parties
	office := party{ID: "CN-SUBDISTRICT-" + t.SubdistrictCode, Name: t.SubdistrictName + "街道办事处"}
	r.Buyer = ps.add(office, "buyer")
	ps.add(office, "procuringEntity")
	fund := party{ID: "CN-FUND-" + strconv.FormatInt(t.FundAccountID, 10),
		Name: fmt.Sprintf("%s · %d %s", t.FundName, t.FundYear, sources[t.FundSource])}
	ps.add(fund, "funder")
	payer := ps.add(fund, "payer")

	m := methods[t.PurchaseMethod]
	start, end := t.ServiceStart.UTC(), t.ServiceEnd.UTC()
	ts := tenderSection{
		ID: strconv.FormatInt(t.ID, 10), Title: t.Title, Description: t.Description, Status: tenderStatus(t.Status),
		ProcuringEntity: r.Buyer, Value: cny(t.CeilingFen),
		ProcurementMethod: m[0], ProcurementMethodDetails: m[1], MainProcurementCategory: "services",
		AwardCriteria:        "ratedCriteria",
		AwardCriteriaDetails: fmt.Sprintf("综合评分法 comprehensive scoring: price %d, technical %d, performance %d", t.WeightPrice, t.WeightTechnical, t.WeightPerformance),
		TenderPeriod:         period{StartDate: utc(t.PublishedAt), EndDate: utc(&t.ClosesAt)},
		EnquiryPeriod:        period{StartDate: utc(t.PublishedAt), EndDate: utc(&t.QuestionsCloseAt)},
		ContractPeriod:       period{StartDate: &start, EndDate: &end},
		// The category goes in the description: the item classification
		// schemes are a codelist, and ours is in none.
		Items: []item{{ID: "1", Description: fmt.Sprintf("%s (%s, %s)", t.ItemTitle, t.CategoryZh, t.CategoryCode)}},
	}
	if t.PurchaseMethod == "single_source" {
		ts.ProcurementMethodRationale = t.Justification
	}
	ts.AwardPeriod = &period{StartDate: utc(&t.OpensAt), EndDate: utc(t.AwardedAt)}
	if err := tenderAmendments(tx, t.ID, &ts); err != nil {
		return r, err
	}
	targets, err := metrics(tx, "tender_metrics", "tender_id", t.ID)
	if err != nil {
		return r, err
	}
	ts.Targets = targets
	// Bids exist publicly only from their opening: before it nothing of them
	// (not even their number) is read. The awards' prices are opened bids'.
	if t.OpenedAt != nil {
		var bidders []struct{ CreditCode, LegalName string }
		if err := tx.Raw(`SELECT DISTINCT o.credit_code, o.legal_name FROM bids b JOIN organizations o ON o.id = b.organization_id
			WHERE b.tender_id = ? AND b.opened_at IS NOT NULL ORDER BY o.credit_code`, t.ID).Scan(&bidders).Error; err != nil {
			return r, fmt.Errorf("tenderers of tender %d: %w", t.ID, err)
		}
		n := len(bidders)
		ts.NumberOfTenderers = &n
		for _, b := range bidders {
			ts.Tenderers = append(ts.Tenderers, ps.add(organization(b.CreditCode, b.LegalName), "tenderer"))
		}
	}
	// Awards follow the opening and its evaluation, contracts the award and
	// both signatures: before those there are none to read.
	awards, err := awardsOf(tx, t.ID, &ps)
	if err != nil {
		return r, err
	}
	r.Awards = awards
	contracts, own, err := contractsOf(tx, t.ID, &ps, payer)
	if err != nil {
		return r, err
	}
	r.Awards = append(r.Awards, own...)
	r.Contracts = contracts
	if err := evaluators(tx, t, &ps); err != nil {
		return r, err
	}
	r.Tender = ts
	r.Parties = ps.list
	return r, nil
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func tenderAmendments(tx *gorm.DB, tenderID int64, ts *tenderSection) error {
	var rows []struct {
		Number    int
		Reason    string
		CreatedAt time.Time
	}
	if err := tx.Raw(`SELECT number, reason, created_at FROM tender_amendments WHERE tender_id = ? ORDER BY number`, tenderID).
		Scan(&rows).Error; err != nil {
		return fmt.Errorf("amendments of tender %d: %w", tenderID, err)
	}
	for _, a := range rows {
		ts.Amendments = append(ts.Amendments, amendment{ID: strconv.Itoa(a.Number), Date: a.CreatedAt.UTC(), Rationale: a.Reason})
	}
	return nil
}

// metrics reads the metric targets of a tender or contract (tender_metrics,
// contract_metrics) as metrics-extension metrics, one observation each.
func metrics(tx *gorm.DB, table, key string, id int64) ([]metric, error) {
	var rows []struct {
		Code, NameZh, NameEn, Unit, Direction, Source string
		Target                                        string
		Weight                                        int
	}
	// table and key are this package's constants, never input.
	if err := tx.Raw(`SELECT code, name_zh, name_en, unit, direction, source, target::text AS target, weight FROM `+table+
		` WHERE `+key+` = ? ORDER BY code`, id).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("metrics of %s %d: %w", table, id, err)
	}
	var out []metric
	for _, m := range rows {
		out = append(out, metric{ID: m.Code, Title: m.NameZh + " " + m.NameEn,
			Description:  fmt.Sprintf("%s is better; weight %d; source %s", m.Direction, m.Weight, m.Source),
			Observations: []observation{{ID: m.Code + "-target", Measure: json.Number(m.Target), Unit: &unit{Name: m.Unit}}}})
	}
	return out, nil
}

func awardsOf(tx *gorm.DB, tenderID int64, ps *parties) ([]awardSection, error) {
	var rows []struct {
		ID         int64
		Status     string
		ProposedAt time.Time
	}
	if err := tx.Raw(`SELECT id, status, proposed_at FROM award_proposals WHERE tender_id = ? ORDER BY id`, tenderID).
		Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("awards of tender %d: %w", tenderID, err)
	}
	var out []awardSection
	for _, p := range rows {
		var winners []struct {
			CreditCode, LegalName string
			PriceFen              int64
		}
		if err := tx.Raw(`SELECT o.credit_code, o.legal_name, b.price_fen FROM award_proposals p
			JOIN bids b ON p.bid_ids @> jsonb_build_array(b.id) JOIN organizations o ON o.id = b.organization_id
			WHERE p.id = ? AND b.price_fen IS NOT NULL ORDER BY o.credit_code`, p.ID).Scan(&winners).Error; err != nil {
			return nil, fmt.Errorf("suppliers of award %d: %w", p.ID, err)
		}
		a := awardSection{ID: strconv.FormatInt(p.ID, 10), Status: map[string]string{"proposed": "pending", "final": "active"}[p.Status],
			Date: p.ProposedAt.UTC(), Suppliers: []orgRef{}}
		if a.Status == "" {
			a.Status = "cancelled"
		}
		var total int64
		for _, w := range winners {
			total += w.PriceFen
			a.Suppliers = append(a.Suppliers, ps.add(organization(w.CreditCode, w.LegalName), "supplier"))
		}
		if len(winners) > 0 {
			a.Value = cny(total)
		}
		out = append(out, a)
	}
	return out, nil
}

// evaluators adds the evaluators of the tender's contracts' submitted
// evaluations as interested parties: the third-party agency, or the district
// office for a district evaluator; never the person.
func evaluators(tx *gorm.DB, t tenderRow, ps *parties) error {
	var rows []struct {
		CreditCode, LegalName *string
	}
	if err := tx.Raw(`SELECT DISTINCT o.credit_code, o.legal_name FROM evaluations e JOIN contracts c ON c.id = e.contract_id
		LEFT JOIN organizations o ON o.id = e.agency_id
		WHERE c.tender_id = ? AND e.status = 'submitted' ORDER BY o.credit_code NULLS FIRST`, t.ID).Scan(&rows).Error; err != nil {
		return fmt.Errorf("evaluators of tender %d: %w", t.ID, err)
	}
	for _, e := range rows {
		if e.CreditCode == nil {
			ps.add(party{ID: "CN-DISTRICT-" + t.DistrictCode, Name: t.DistrictName + "民政局"}, "interestedParty")
			continue
		}
		ps.add(organization(*e.CreditCode, *e.LegalName), "interestedParty")
	}
	return nil
}
