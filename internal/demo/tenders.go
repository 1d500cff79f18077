package demo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/catalog"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/delivery"
	"github.com/jiedao-market/jiedao/internal/evaluation"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/milestone"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/payout"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
	"github.com/jiedao-market/jiedao/internal/rating"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// moment is a time of the demo's story: a day relative to the seed's day in
// China and a time of that day.
type moment struct{ day, hour, minute int }

func at(day, hour, minute int) moment { return moment{day, hour, minute} }

func (m moment) on(today civil.Date) time.Time {
	return today.AddDays(m.day).StartInChina().Add(time.Duration(m.hour)*time.Hour + time.Duration(m.minute)*time.Minute)
}

// demoBid is a bid of a demo organization.
type demoBid struct {
	org   string // the bidder's admin
	at    moment
	price money.Fen
}

// demoTender is one of 爱山街道's tenders, driven through the tender service
// to its state. Every step lies in the past of the seed and every step still
// ahead in the future, so what a reader sees agrees with the clock: a
// published tender closes in two weeks, a closed one opens in two days, an
// award's challenge period runs three more days. Bids fall within the last 29
// days, inside the seeded certifications' validity (from 30 days before).
type demoTender struct {
	state       string // the tender.Status it is left in
	title       string // after the service year, e.g. "2027年度"
	category    string // of 爱山's published transfer item it is made from
	item        string // the title of that item; "" for the category's first
	description string
	communities []string // community codes; nil for all of the item's
	ceiling     money.Fen
	minBids     int // 0: the purchase method's default

	created, published                  moment
	questionsCloseAt, closesAt, opensAt moment
	question                            *demoQuestion
	bids                                []demoBid
	cancelled                           moment
	cancelReason                        string
	// scored is when the first committee member scores (the others follow an
	// hour apart); totals are each member's technical points for each
	// bidder, in committee order.
	scored    moment
	totals    map[string][3]int
	proposed  moment
	challenge *demoChallenge
	// signed, when set, is when the awarded tender's contract is signed by
	// the officer (the organization two hours later), and serviceStart the
	// day its service began (the end a year later): the demo's active
	// contract. winner names the winning bid's organization.
	signed       moment
	serviceStart int
	winner       string
	// serviceDays is the length of the contract's service period (0: a
	// year); sparse makes its organization record two visits every third
	// day instead of four to seven a day.
	serviceDays int
	sparse      bool
	// evaluations and payments carry the contract's evaluations and its
	// milestones' payment rounds as far as the story goes (payments.go).
	evaluations []demoEvaluation
	payments    []demoRound
	// ratings are residents' ratings of the active contract's first days'
	// visits, one a day (residents.go); residents marks the contract the
	// demo's complaints and demo-resident's service requests are about.
	ratings   []rating.Stars
	residents bool
}

type demoQuestion struct {
	org            string
	asked, replied moment
	body, answer   string
}

type demoChallenge struct {
	org     string
	at      moment
	reasons string
}

// committee is the evaluation committee of every demo tender.
var committee = []string{"demo-evaluator", "demo-evaluator2", "demo-evaluator3"}

// challengeDays is the demo tenders' challenge period (公示期).
const challengeDays = 5

// demoTenders lists 爱山街道's demo tenders, one in each state, in the order
// they were created; year names the service year in their titles.
func demoTenders(year int) []demoTender {
	y := fmt.Sprintf("%d年度", year)
	return []demoTender{
		// 康乐's short project, completed: both evaluations submitted, every
		// milestone paid.
		{state: tender.StatusAwarded, title: fmt.Sprintf("%d年度", year-1) + "仁皇山社区独居老人安全巡访专项服务项目", category: "ELDERLY_HOME_CARE",
			item:        specialItem.title,
			description: "对仁皇山社区独居、空巢老人开展为期 16 天的集中上门安全巡访：排查燃气、用电和消防隐患，登记健康状况和服务需求，建立一户一档巡访记录，巡访结束后报街道民政办备案。",
			communities: []string{"330502003003"}, ceiling: 1_200_000, minBids: 2,
			created: at(-29, 7, 0), published: at(-29, 7, 30), questionsCloseAt: at(-28, 12, 0), closesAt: at(-27, 9, 30), opensAt: at(-27, 10, 0),
			bids:   []demoBid{{"demo-org", at(-29, 10, 20), 1_150_000}, {"demo-org3", at(-28, 9, 40), 1_180_000}},
			scored: at(-26, 9, 0), totals: map[string][3]int{"demo-org": {54, 55, 53}, "demo-org3": {48, 50, 47}},
			proposed: at(-26, 15, 0), signed: at(-20, 10, 0), serviceStart: -19, serviceDays: 16, winner: "demo-org", ratings: specialRatings,
			evaluations: []demoEvaluation{
				{kind: evaluation.KindMidterm, at: []moment{at(-11, 9, 0), at(-11, 14, 0), at(-10, 10, 0)}, periodEnd: ptr(-12), due: -8,
					entries: map[string]demoEntry{"response_time": {"4", "本期无居民线上服务申请；据机构巡访需求登记簿，老人来电需求平均约 4 小时内响应。"}},
					notes:   "巡访频次和建档情况符合合同约定，抽查 8 户老人均反映巡访人员认真细致。"},
				{kind: evaluation.KindFinal, at: []moment{at(-5, 9, 0), at(-5, 15, 0), at(-3, 10, 0)}, due: -1,
					entries: map[string]demoEntry{"response_time": {"4", "全期无居民线上服务申请；据机构巡访需求登记簿，平均约 4 小时内响应。"}},
					notes:   "项目按期完成，巡访档案齐全，发现的 11 处安全隐患均已督促整改或报社区跟进。"},
			},
			payments: []demoRound{
				{1, []moment{at(-19, 10, 0), at(-19, 15, 0), at(-18, 10, 0), at(-17, 11, 0)}},
				{2, []moment{at(-9, 10, 0), at(-9, 15, 0), at(-8, 10, 0), at(-7, 11, 0)}},
				{3, []moment{at(-3, 15, 0), at(-2, 10, 0), at(-2, 15, 0), at(-1, 10, 0)}},
			}},
		{state: tender.StatusAwarded, title: fmt.Sprintf("%d年度", year-1) + "爱山街道独居老人关爱探访服务项目", category: "ELDERLY_HOME_CARE",
			description: "为辖区独居、空巢老人提供每周上门探访、电话问候、安全隐患排查和紧急情况处置联动服务，探访记录按月报街道民政办，服务期一年。",
			ceiling:     20_000_000, minBids: 2,
			created: at(-29, 8, 0), published: at(-29, 8, 30), questionsCloseAt: at(-27, 12, 0), closesAt: at(-26, 9, 30), opensAt: at(-26, 10, 0),
			bids:   []demoBid{{"demo-org", at(-28, 11, 0), 19_600_000}, {"demo-org3", at(-27, 15, 30), 19_900_000}},
			scored: at(-25, 9, 0), totals: map[string][3]int{"demo-org": {55, 56, 54}, "demo-org3": {47, 49, 46}},
			proposed: at(-24, 10, 0), signed: at(-18, 10, 0), serviceStart: -15, winner: "demo-org", ratings: demoRatings, residents: true,
			// Its signing milestone is paid; its mid-term evaluation waits for demo-evaluator.
			payments:    []demoRound{{1, []moment{at(-17, 10, 0), at(-17, 15, 0), at(-16, 10, 0), at(-15, 11, 0)}}},
			evaluations: []demoEvaluation{{kind: evaluation.KindMidterm, at: []moment{at(-1, 9, 30)}, due: 13}}},
		{state: tender.StatusAwarded, title: y + "爱山街道困难老人居家照护服务项目", category: "ELDERLY_HOME_CARE",
			description: "为辖区内低保、低边家庭中的失能半失能老人提供居家照护服务，包括生活照料、助浴助洁、康复护理指导和每月一次健康评估，服务对象约 120 人，每人每月上门不少于 6 次。",
			ceiling:     30_000_000, minBids: 2,
			created: at(-29, 9, 0), published: at(-29, 10, 0), questionsCloseAt: at(-27, 17, 0), closesAt: at(-25, 9, 30), opensAt: at(-25, 10, 0),
			bids:   []demoBid{{"demo-org", at(-28, 15, 20), 28_800_000}, {"demo-org3", at(-27, 10, 5), 27_900_000}},
			scored: at(-24, 9, 0), totals: map[string][3]int{"demo-org": {54, 55, 52}, "demo-org3": {46, 48, 45}},
			proposed: at(-23, 10, 0)},
		{state: tender.StatusAwardProposed, title: y + "爱山街道高龄老人助餐助洁服务项目", category: "ELDERLY_HOME_CARE",
			description: "面向辖区 80 周岁以上高龄老人提供助餐配送（每日午餐）和每月两次上门助洁服务，依托南街社区老年食堂集中配餐，覆盖南街、衣裳街、仁皇山三个社区。",
			ceiling:     26_000_000, minBids: 2,
			created: at(-29, 14, 0), published: at(-28, 10, 0), questionsCloseAt: at(-20, 17, 0), closesAt: at(-14, 9, 30), opensAt: at(-14, 10, 0),
			bids:   []demoBid{{"demo-org", at(-22, 16, 40), 24_800_000}, {"demo-org3", at(-21, 11, 15), 23_600_000}},
			scored: at(-10, 14, 0), totals: map[string][3]int{"demo-org": {48, 50, 47}, "demo-org3": {50, 52, 49}},
			proposed: at(-2, 15, 0),
			challenge: &demoChallenge{org: "demo-org", at: at(-1, 11, 0),
				reasons: "我中心技术方案已明确配备 12 名持证养老护理员并承诺 24 小时应急响应，评审专家对“团队配置与资质”一项的评分明显偏低且未说明扣分理由，请求复核评分并公开各项评分依据。"}},
		{state: tender.StatusAwarded, title: fmt.Sprintf("%d年度", year-1) + "衣裳街社区空巢老人上门照护服务项目", category: "ELDERLY_HOME_CARE",
			description: "为衣裳街社区空巢、独居老人提供每周一次上门照护服务，包括生活照料、居家安全检查和健康指导，服务记录每月报社区居委会，服务期一年。",
			communities: []string{"330502003002"}, ceiling: 9_000_000, minBids: 2,
			created: at(-28, 9, 0), published: at(-28, 10, 0), questionsCloseAt: at(-26, 17, 0), closesAt: at(-24, 9, 30), opensAt: at(-24, 10, 0),
			bids:   []demoBid{{"demo-org", at(-27, 14, 0), 8_800_000}, {"demo-org3", at(-26, 10, 30), 8_500_000}},
			scored: at(-23, 9, 0), totals: map[string][3]int{"demo-org": {49, 50, 48}, "demo-org3": {53, 55, 52}},
			proposed: at(-22, 10, 0), signed: at(-16, 10, 0), serviceStart: -10, winner: "demo-org3", ratings: newcomerRatings,
			// Its signing milestone is accepted and invoiced: finance's to approve.
			payments: []demoRound{{1, []moment{at(-15, 10, 0), at(-15, 16, 0)}}}},
		// 安馨's short project, still running: it records few visits, fails its
		// mid-term evaluation and has its rectification order; the mid-term
		// milestone is withheld, the signing one approved and its bank
		// transfer to be confirmed.
		{state: tender.StatusAwarded, title: fmt.Sprintf("%d年度", year-1) + "南街社区高龄老人集中走访专项服务项目", category: "ELDERLY_HOME_CARE",
			item:        specialItem.title,
			description: "为南街社区 80 周岁以上高龄老人开展为期四周的集中走访：健康状况登记、居家安全检查、养老政策宣传和服务需求摸底，形成一人一档。",
			communities: []string{"330502003001"}, ceiling: 1_500_000, minBids: 2,
			created: at(-28, 14, 0), published: at(-28, 15, 0), questionsCloseAt: at(-27, 12, 0), closesAt: at(-26, 9, 0), opensAt: at(-26, 9, 30),
			bids:   []demoBid{{"demo-org3", at(-28, 16, 30), 1_420_000}, {"demo-org", at(-27, 10, 10), 1_460_000}},
			scored: at(-25, 14, 0), totals: map[string][3]int{"demo-org3": {53, 54, 52}, "demo-org": {49, 50, 48}},
			proposed: at(-25, 17, 0), signed: at(-19, 10, 0), serviceStart: -18, serviceDays: 28, winner: "demo-org3", sparse: true,
			evaluations: []demoEvaluation{{kind: evaluation.KindMidterm, at: []moment{at(-8, 9, 0), at(-8, 15, 0), at(-7, 10, 0)},
				periodEnd: ptr(-9), due: -5,
				entries: map[string]demoEntry{
					"resident_satisfaction": {"72", "本期无居民评价；街道电话回访 25 户服务对象，18 户表示满意。"},
					"response_time":         {"36", "本期无居民线上服务申请；据机构来电登记，老人需求平均约 36 小时后才得到回应。"}},
				notes: "走访频次和覆盖面远低于合同约定，服务记录不完整，部分老人反映未见走访人员。",
				rectification: &demoRectification{at: at(-6, 10, 0), deadline: 8,
					requirements: "中期评估不合格。请于整改期限前：一、按每日不少于 5 人次恢复上门走访，并当日登记服务记录；二、补充走访南街社区高龄老人名册中尚未走访的对象；三、建立需求响应台账，老人求助 24 小时内回应。整改完成后报告街道，街道将组织复评。"}}},
			payments: []demoRound{{1, []moment{at(-18, 10, 0), at(-3, 15, 0), at(-2, 10, 0)}}}},
		{state: tender.StatusEvaluated, title: y + "南街社区独居老人助医陪诊服务项目", category: "ELDERLY_HOME_CARE",
			description: "为南街社区独居、空巢老人提供预约挂号、陪同就医、代配药品和出院后居家照护衔接服务，全年不少于 2400 人次。",
			communities: []string{"330502003001"}, ceiling: 16_000_000, minBids: 2,
			created: at(-27, 9, 30), published: at(-26, 10, 0), questionsCloseAt: at(-15, 17, 0), closesAt: at(-8, 9, 30), opensAt: at(-8, 10, 0),
			bids:   []demoBid{{"demo-org", at(-14, 10, 30), 15_200_000}, {"demo-org3", at(-12, 14, 45), 14_950_000}},
			scored: at(-6, 14, 0), totals: map[string][3]int{"demo-org": {52, 54, 50}, "demo-org3": {49, 51, 48}}},
		{state: tender.StatusFailed, title: y + "爱山街道社区法律顾问服务项目", category: "LEGAL_AID",
			description: "为三个社区各配备一名社区法律顾问，每周坐班半天，提供法律咨询、人民调解协助、法治宣传和法律援助转介服务。",
			ceiling:     15_000_000, minBids: 2,
			created: at(-26, 9, 0), published: at(-25, 10, 0), questionsCloseAt: at(-16, 17, 0), closesAt: at(-10, 9, 30), opensAt: at(-10, 10, 0),
			bids: []demoBid{{"demo-org2", at(-18, 15, 0), 14_200_000}}},
		{state: tender.StatusOpened, title: y + "仁皇山社区失能老人助浴服务项目", category: "ELDERLY_HOME_CARE",
			description: "为仁皇山社区失能、半失能老人提供上门助浴服务（配备移动助浴设备和两名以上护理员），每人每月不少于 2 次，全年不少于 1500 人次。",
			communities: []string{"330502003003"}, ceiling: 12_000_000, minBids: 2,
			created: at(-23, 9, 0), published: at(-22, 10, 0), questionsCloseAt: at(-10, 17, 0), closesAt: at(-2, 9, 30), opensAt: at(-2, 10, 0),
			bids: []demoBid{{"demo-org", at(-9, 16, 10), 11_400_000}, {"demo-org3", at(-7, 9, 50), 10_980_000}}},
		{state: tender.StatusClosed, title: y + "衣裳街社区老年助餐配送服务项目", category: "ELDERLY_HOME_CARE",
			description: "为衣裳街社区 70 周岁以上有需求的老人提供工作日午餐配送，配送时间 11:00 前，餐标不低于 15 元，困难老人享受政府补贴。",
			communities: []string{"330502003002"}, ceiling: 18_000_000, minBids: 2,
			created: at(-21, 9, 0), published: at(-20, 10, 0), questionsCloseAt: at(-8, 17, 0), closesAt: at(-1, 9, 30), opensAt: at(2, 9, 30),
			bids: []demoBid{{"demo-org", at(-6, 11, 0), 17_200_000}, {"demo-org3", at(-4, 16, 0), 16_850_000}}},
		{state: tender.StatusCancelled, title: y + "爱山街道青少年暑期托管服务项目", category: "YOUTH_GUIDANCE",
			description: "暑期为辖区双职工家庭 6–12 岁儿童提供为期六周的日间托管、作业辅导、安全教育和兴趣活动。",
			ceiling:     12_000_000,
			created:     at(-16, 9, 0), published: at(-15, 10, 0), questionsCloseAt: at(5, 17, 0), closesAt: at(10, 9, 30), opensAt: at(10, 10, 0),
			cancelled: at(-10, 16, 0), cancelReason: "区教育局将统一组织中小学暑期托管服务，本项目采购需求取消，依法终止本次招标。"},
		{state: tender.StatusPublished, title: y + "爱山街道居家养老上门服务项目", category: "ELDERLY_HOME_CARE",
			description: "为辖区内 80 周岁以上独居、空巢及失能半失能老人提供助餐、助洁、助浴、助医等上门服务，每人每月不少于 4 次，全年不少于 12000 人次；服务对象名单由街道民政办会同各社区确定并动态调整。",
			ceiling:     54_000_000, minBids: 2,
			created: at(-7, 15, 0), published: at(-6, 10, 0), questionsCloseAt: at(9, 17, 0), closesAt: at(14, 9, 30), opensAt: at(14, 10, 0),
			question: &demoQuestion{org: "demo-org3", asked: at(-4, 14, 20), replied: at(-3, 10, 0),
				body:   "请问服务对象名单由街道提供还是由承接机构自行摸排？助浴服务是否必须配备专用助浴车？",
				answer: "服务对象名单由街道民政办会同各社区提供并按月更新，承接机构可补充摸排后报街道确认；助浴服务可采用上门助浴或助浴点集中服务，不强制配备助浴车，但须在技术方案中说明安全保障措施。"},
			bids: []demoBid{{"demo-org", at(-2, 15, 40), 51_800_000}}},
		{state: tender.StatusDraft, title: y + "爱山街道青少年课后成长辅导服务项目", category: "YOUTH_GUIDANCE",
			description: "为辖区双职工家庭和困境儿童提供学期内每周五天的课后托管、学业辅导与心理支持，全年不少于 3000 人次。",
			ceiling:     18_000_000,
			created:     at(-1, 16, 0), questionsCloseAt: at(20, 17, 0), closesAt: at(27, 9, 30), opensAt: at(27, 10, 0)},
	}
}

// days is the length of the service period of the winner's contract.
func (d demoTender) days() int {
	if d.serviceDays > 0 {
		return d.serviceDays
	}
	return 365
}

// winningPrice is the price of the winner's bid.
func (d demoTender) winningPrice() money.Fen {
	for _, b := range d.bids {
		if b.org == d.winner {
			return b.price
		}
	}
	return 0
}

// reservesFund reports whether a tender in state holds its ceiling reserved
// in its fund (from publication until the contract's signing encumbers it).
func reservesFund(state string) bool {
	return !slices.Contains([]string{tender.StatusDraft, tender.StatusCancelled, tender.StatusFailed}, state)
}

// step is one action of the demo's story at its time.
type step struct {
	at time.Time
	do func(ctx context.Context) error
}

// SeedTenders creates the demo tenders of 爱山街道 that are missing (matched by
// title), one in each state, in one transaction; Seed must have run. Their
// steps — and, for the signed contracts, the service records, residents'
// part, evaluations and milestone payments after them — run in time order,
// through the services, on a manual clock that starts four weeks before
// clk's time, so that states, times, sealed bids, the ledger and
// notifications are what the real lifecycle leaves. The fiscal fund
// receives a supplementary appropriation of what the new tenders keep
// reserved or spend, so its available balance is what it was. The
// organizations' invoices are stored in keys.Uploads, which must be set.
func SeedTenders(ctx context.Context, db *gorm.DB, clk clock.Clock, keys Keys) error {
	users, err := demoActors(ctx, db)
	if err != nil {
		return err
	}
	officer, ok := users["demo-officer"]
	if !ok {
		return errors.New("seed tenders: no demo accounts: run Seed first")
	}
	today := civil.ChinaDate(clk.Now())
	var existing []string
	if err := db.WithContext(ctx).Table("tenders").Where("subdistrict_id = ?", officer.Scope.SubdistrictID).Pluck("title", &existing).Error; err != nil {
		return err
	}
	var missing []demoTender
	var reserve money.Fen
	var special bool // a missing tender is made from specialItem
	titles := sha256.New()
	for _, d := range demoTenders(today.Year + 1) {
		if !slices.Contains(existing, d.title) {
			missing = append(missing, d)
			special = special || d.item == specialItem.title
			titles.Write([]byte(d.title + "\n"))
			switch {
			case d.winner != "":
				reserve += d.winningPrice() // the rest of its reservation returns at signing
			case reservesFund(d.state):
				reserve += d.ceiling
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if keys.Uploads.Dir == "" || keys.Uploads.MaxBytes <= 0 {
		return errors.New("seed tenders: no uploads directory for the organizations' invoices (Keys.Uploads)")
	}
	sealer, err := tender.NewSealer(keys.Seal)
	if err != nil {
		return fmt.Errorf("seed tenders: %w", err)
	}
	// Rows GORM stamps itself (ledger postings) follow the story's clock.
	mc := clock.NewManual(clk.Now())
	db = db.Session(&gorm.Session{NowFunc: func() time.Time { return mc.Now().UTC().Truncate(time.Microsecond) }})
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var fundID int64
		if err := tx.Table("fund_accounts").Select("id").Where("subdistrict_id = ? AND fiscal_year = ? AND name = ?",
			officer.Scope.SubdistrictID, clk.Now().Year(), fiscalFundName).Take(&fundID).Error; err != nil {
			return fmt.Errorf("seed tenders: fiscal fund: %w", err)
		}
		// The fund's ledger rows are locked first, as every tender change does.
		if err := tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).Where("fund_account_id = ?", fundID).Find(&[]fund.LedgerAccount{}).Error; err != nil {
			return err
		}
		s := &tenderSeed{tx: tx, svc: tender.NewService(tx, mc, sealer, tender.Options{AmendmentMinDays: 3, ChallengeDays: challengeDays,
			MinBiddingDays: config.DefaultMinBiddingDays()}),
			contracts: contract.NewService(tx, mc, contract.Options{}), users: users, today: today, fundID: fundID}
		s.usePayments(mc, keys)
		if s.records, err = delivery.NewService(tx, mc, keys.Rating); err != nil {
			return fmt.Errorf("seed tenders: %w", err)
		}
		if s.residentSeed, err = s.residents(mc, keys.Rating); err != nil {
			return fmt.Errorf("seed tenders: %w", err)
		}
		if err := s.loadRefs(ctx); err != nil {
			return err
		}
		var steps []step
		ids := make([]int64, len(missing))
		for i, d := range missing {
			steps = append(steps, s.steps(d, &ids[i])...)
		}
		slices.SortStableFunc(steps, func(a, b step) int { return a.at.Compare(b.at) })
		if special {
			// The officer publishes the item of the short projects first.
			mc.Set(steps[0].at.Add(-2 * time.Hour))
			if err := seedItem(ctx, tx, catalog.NewService(tx, mc), officer, specialItem); err != nil {
				return err
			}
			if err := s.loadRefs(ctx); err != nil {
				return err
			}
		}
		if reserve > 0 {
			mc.Set(steps[0].at.Add(-time.Hour))
			if _, err := fund.NewService(tx, mc).Appropriate(ctx, users["demo-finance"], fundID, fund.AppropriationInput{Amount: reserve,
				DocumentRef: fmt.Sprintf("湖吴财社〔%d〕27号", today.Year), Memo: "追加预算：街道政府购买服务项目",
				IdempotencyKey: "seed-tenders-" + hex.EncodeToString(titles.Sum(nil))[:16]}); err != nil {
				return fmt.Errorf("seed tenders: supplementary appropriation: %w", err)
			}
		}
		for _, st := range steps {
			mc.Set(st.at)
			if err := st.do(ctx); err != nil {
				return err
			}
		}
		for i, d := range missing {
			var status string
			if err := tx.Table("tenders").Select("status").Where("id = ?", ids[i]).Take(&status).Error; err != nil {
				return err
			}
			if status != d.state {
				return fmt.Errorf("seed tender %s: status %s, want %s", d.title, status, d.state)
			}
		}
		return nil
	})
}

// tenderSeed holds what the steps of the demo tenders share.
type tenderSeed struct {
	tx        *gorm.DB
	svc       *tender.Service
	contracts *contract.Service
	records   *delivery.Service
	// residentSeed rates, complains and asks on the active contract.
	residentSeed *residentSeed
	// The services of the contracts' evaluations and milestone payments.
	evaluations *evaluation.Service
	milestones  *milestone.Service
	payouts     *payout.Service
	users       map[string]access.Actor
	today       civil.Date
	fundID      int64
	items       map[string]int64 // category → 爱山's first published transfer item
	itemTitles  map[string]int64 // title → 爱山's published transfer item
	communities map[string]int64 // code → id
}

func (s *tenderSeed) loadRefs(ctx context.Context) error {
	sub := s.users["demo-officer"].Scope.SubdistrictID
	var items []struct {
		ID           int64
		CategoryCode string
		Title        string
	}
	if err := s.tx.WithContext(ctx).Raw(`SELECT i.id, v.category_code, v.title FROM transfer_items i
		JOIN transfer_item_versions v ON v.item_id = i.id AND v.version = i.published_version
		WHERE i.subdistrict_id = ? AND i.status = 'published' ORDER BY i.id`, sub).Scan(&items).Error; err != nil {
		return err
	}
	s.items, s.itemTitles = map[string]int64{}, map[string]int64{}
	for _, it := range items {
		if _, ok := s.items[it.CategoryCode]; !ok {
			s.items[it.CategoryCode] = it.ID
		}
		s.itemTitles[it.Title] = it.ID
	}
	var comms []struct {
		ID   int64
		Code string
	}
	if err := s.tx.WithContext(ctx).Table("communities").Select("id, code").Where("subdistrict_id = ?", sub).Scan(&comms).Error; err != nil {
		return err
	}
	s.communities = map[string]int64{}
	for _, c := range comms {
		s.communities[c.Code] = c.ID
	}
	return nil
}

// steps returns d's steps; the first (creation) stores the tender's id in id.
func (s *tenderSeed) steps(d demoTender, id *int64) []step {
	officer := s.users["demo-officer"]
	when := func(m moment) time.Time { return m.on(s.today) }
	wrap := func(what string, f func(ctx context.Context) error) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			if err := f(ctx); err != nil {
				return fmt.Errorf("seed tender %s: %s: %w", d.title, what, err)
			}
			return nil
		}
	}
	var metrics []tender.Metric
	out := []step{{when(d.created), wrap("create", func(ctx context.Context) error {
		in, err := s.input(d)
		if err != nil {
			return err
		}
		v, err := s.svc.Create(ctx, officer, in)
		*id, metrics = v.ID, v.Metrics
		return err
	})}}
	if d.state == tender.StatusDraft {
		return out
	}
	out = append(out, step{when(d.published), wrap("publish", func(ctx context.Context) error {
		_, err := s.svc.Publish(ctx, officer, *id)
		return err
	})})
	if q := d.question; q != nil {
		var qid int64
		out = append(out,
			step{when(q.asked), wrap("ask", func(ctx context.Context) error {
				v, err := s.svc.Ask(ctx, s.users[q.org], *id, q.body)
				qid = v.ID
				return err
			})},
			step{when(q.replied), wrap("answer", func(ctx context.Context) error {
				_, err := s.svc.Answer(ctx, officer, *id, qid, q.answer)
				return err
			})})
	}
	for _, b := range d.bids {
		out = append(out, step{when(b.at), wrap("bid of "+b.org, func(ctx context.Context) error {
			_, err := s.svc.SubmitBid(ctx, s.users[b.org], *id, bidBody(b, metrics))
			return err
		})})
	}
	advance := func(at time.Time) step {
		return step{at, wrap("advance", func(ctx context.Context) error {
			_, err := s.svc.Advance(ctx, *id)
			return err
		})}
	}
	switch d.state {
	case tender.StatusPublished:
		return out
	case tender.StatusCancelled:
		return append(out, step{when(d.cancelled), wrap("cancel", func(ctx context.Context) error {
			_, err := s.svc.Cancel(ctx, officer, *id, d.cancelReason)
			return err
		})})
	}
	out = append(out, advance(when(d.closesAt)))
	if d.state == tender.StatusClosed {
		return out
	}
	out = append(out, advance(when(d.opensAt)))
	if d.state == tender.StatusOpened || d.state == tender.StatusFailed {
		return out
	}
	for i, name := range committee {
		out = append(out, step{when(d.scored).Add(time.Duration(i) * time.Hour), wrap("scores of "+name, func(ctx context.Context) error {
			return s.score(ctx, d, *id, i)
		})})
	}
	if d.state == tender.StatusEvaluated {
		return out
	}
	out = append(out, step{when(d.proposed), wrap("propose award", func(ctx context.Context) error {
		_, err := s.svc.ProposeAward(ctx, officer, *id, tender.AwardInput{})
		return err
	})})
	if c := d.challenge; c != nil {
		out = append(out, step{when(c.at), wrap("challenge", func(ctx context.Context) error {
			_, err := s.svc.FileChallenge(ctx, s.users[c.org], *id, c.reasons, nil)
			return err
		})})
	}
	if d.state == tender.StatusAwarded {
		out = append(out, advance(when(d.proposed).AddDate(0, 0, challengeDays)))
	}
	if d.winner != "" {
		out = append(out, s.signSteps(d, id, wrap)...)
	}
	return out
}

// signSteps sign the awarded tender's contract (the officer enters the
// eligible populations and signs, the organization two hours later) and
// start its service at its start date.
func (s *tenderSeed) signSteps(d demoTender, id *int64, wrap func(string, func(context.Context) error) func(context.Context) error) []step {
	officer := s.users["demo-officer"]
	var contractID int64
	out := []step{
		{d.signed.on(s.today), wrap("officer signs", func(ctx context.Context) error {
			if err := s.tx.Table("contracts").Select("id").Where("tender_id = ?", *id).Take(&contractID).Error; err != nil {
				return err
			}
			c, err := s.contracts.Get(ctx, officer, contractID)
			if err != nil {
				return err
			}
			var pops []contract.PopulationInput
			for _, cm := range c.Communities {
				var households int
				if err := s.tx.Table("communities").Select("households").Where("id = ?", cm.ID).Take(&households).Error; err != nil {
					return err
				}
				// Residents living alone or as elderly couples: about one household in eight.
				pops = append(pops, contract.PopulationInput{CommunityID: cm.ID, EligiblePopulation: max(households/8, 1)})
			}
			if _, err := s.contracts.Update(ctx, officer, contractID, contract.Patch{Populations: &pops}); err != nil {
				return err
			}
			_, err = s.contracts.Sign(ctx, officer, contractID)
			return err
		})},
		{d.signed.on(s.today).Add(2 * time.Hour), wrap("organization signs", func(ctx context.Context) error {
			_, err := s.contracts.Sign(ctx, s.users[d.winner], contractID)
			return err
		})},
		{s.today.AddDays(d.serviceStart).StartInChina().Add(time.Minute), wrap("service starts", func(ctx context.Context) error {
			_, err := s.contracts.Activate(ctx, contractID)
			return err
		})},
	}
	// Every day of the service since, at six in the evening, the day's
	// visits are recorded (every third day, when it is sparse).
	for day := d.serviceStart; day < min(0, d.serviceStart+d.days()); day++ {
		if d.sparse && (day-d.serviceStart)%3 != 0 {
			continue
		}
		out = append(out, step{at(day, 18, 0).on(s.today), wrap("service records", func(ctx context.Context) error {
			return s.recordDay(ctx, d, contractID, day)
		})})
	}
	out = append(out, s.residentSeed.residentSteps(d, &contractID, wrap)...)
	return append(out, s.paymentSteps(d, &contractID, wrap)...)
}

// visitStaff are the named staff of the demo's home visits.
var visitStaff = []string{"护理员 王芳", "护理员 陈丽", "社工 沈建国", "护理员 朱小梅"}

// recordDay records the day's visits of an active contract: four to seven
// visits (two when it is sparse), spread over its communities, each to one
// of forty residents (twelve) under a pseudonymous reference; one in four by
// demo-member when the contract is its organization's (康乐's).
func (s *tenderSeed) recordDay(ctx context.Context, d demoTender, contractID int64, day int) error {
	org := s.users[d.winner]
	c, err := s.contracts.Get(ctx, org, contractID)
	if err != nil {
		return err
	}
	member := s.users["demo-member"]
	date := s.today.AddDays(day).String()
	n, residents := 4+(day*7+100)%4, 40
	if d.sparse {
		n, residents = 2, 12
	}
	for i := range n {
		k := (day+30)*11 + i*17 // a fixed spread, the same on every seed
		in := delivery.Input{Date: date, CommunityID: c.Communities[k%len(c.Communities)].ID, ServiceType: "service_visits",
			DurationMinutes: 45 + (k%6)*15, BeneficiaryRef: fmt.Sprintf("AS-%03d", 1+k%residents),
			Notes: pick(k%3 == 0, "上门探访，排查燃气和用电安全隐患", "上门探访，陪同聊天并协助整理药品")}
		if k%4 == 0 && member.Scope.OrganizationID == org.Scope.OrganizationID {
			in.StaffUserID = &member.UserID
		} else {
			in.StaffName = visitStaff[k%len(visitStaff)]
		}
		if _, err := s.records.Record(ctx, org, contractID, in); err != nil {
			return err
		}
	}
	return nil
}

// input is d as the officer writes it: from 爱山's published item of the
// category, funded by the fiscal budget, scored 30/60/10 by the committee.
func (s *tenderSeed) input(d demoTender) (tender.Input, error) {
	itemID, ok := s.items[d.category]
	if d.item != "" {
		itemID, ok = s.itemTitles[d.item]
	}
	if !ok {
		return tender.Input{}, fmt.Errorf("no published transfer item of %s %s", d.category, d.item)
	}
	var communities *[]int64
	if d.communities != nil {
		ids := make([]int64, 0, len(d.communities))
		for _, code := range d.communities {
			id, ok := s.communities[code]
			if !ok {
				return tender.Input{}, fmt.Errorf("no community %s", code)
			}
			ids = append(ids, id)
		}
		communities = &ids
	}
	members := make([]int64, 0, len(committee))
	for _, name := range committee {
		u, ok := s.users[name]
		if !ok {
			return tender.Input{}, errors.New("no demo user " + name)
		}
		members = append(members, u.UserID)
	}
	var minBids *int
	if d.minBids > 0 {
		minBids = &d.minBids
	}
	year := s.today.Year + 1
	start, end := civil.NewDate(year, time.January, 1), civil.NewDate(year, time.December, 31)
	if d.winner != "" {
		start = s.today.AddDays(d.serviceStart)
		end = start.AddDays(d.days() - 1)
	}
	weights := tender.Weights{Price: 30, Technical: 60, Performance: 10}
	criteria := []tender.Criterion{{Code: "plan", Name: "服务方案", MaxPoints: 30}, {Code: "team", Name: "团队配置与资质", MaxPoints: 20},
		{Code: "risk", Name: "质量控制与应急预案", MaxPoints: 10}}
	q, c, o := d.questionsCloseAt.on(s.today), d.closesAt.on(s.today), d.opensAt.on(s.today)
	// The demo's whole history fits in the 30 days its certifications have
	// run, so most windows are shorter than an open tender's 20 days: each
	// says so, and the notice shows the red flag with its reason.
	var shortWindow *string
	if c.Before(d.published.on(s.today).AddDate(0, 0, config.DefaultMinBiddingDays()[catalog.MethodOpenTender])) {
		shortWindow = ptr("演示数据：为在 30 天内演示从发布到签约的全过程，投标期限短于法定的 20 日。")
	}
	return tender.Input{ShortWindowJustification: shortWindow, TransferItemID: &itemID, Title: &d.title, Description: &d.description, FundAccountID: &s.fundID,
		CeilingFen: &d.ceiling, ServiceStart: &start, ServiceEnd: &end, CommunityIDs: communities, Weights: &weights,
		Criteria: &criteria, MinBids: minBids, ChallengeDays: ptr(challengeDays), QuestionsCloseAt: &q, ClosesAt: &c, OpensAt: &o,
		CommitteeUserIDs: &members}, nil
}

// proposals are the demo organizations' technical proposals and staffing plans.
var proposals = map[string][2]string{
	"demo-org": {"依托南街社区居家养老服务站，组建 6 个上门服务小组，按社区划片包干；服务对象建档率 100%，每次服务留存签到、照片和服务记录，每月回访满意度；与辖区社区卫生服务中心签订助医合作协议。",
		"项目负责人 1 名（中级社工师）、持证社工 4 名、养老护理员 12 名（其中高级护理员 3 名）、康复治疗师 1 名、调度员 1 名。"},
	"demo-org3": {"以仁皇山路服务中心为调度枢纽，实行“一人一档一方案”，服务时段覆盖 7:00–19:00，节假日不停服；引入智能工单系统实时派单与回访，季度开展服务质量第三方抽查。",
		"项目负责人 1 名、持证社工 3 名、养老护理员 10 名、营养配餐员 2 名、志愿者团队 20 人。"},
	"demo-org2": {"组建由执业律师和持证社工组成的社区法律服务团队，每周在三个社区轮流坐班，建立矛盾纠纷台账并与街道人民调解委员会联动。",
		"执业律师 3 名、持证社工 2 名、人民调解员 2 名。"},
}

// bidBody is b's sealed content: the organization's proposal and a commitment
// to every metric's target.
func bidBody(b demoBid, metrics []tender.Metric) tender.BidBody {
	p := proposals[b.org]
	body := tender.BidBody{PriceFen: b.price, TechnicalProposal: p[0], StaffingPlan: p[1]}
	for _, m := range metrics {
		body.MetricCommitments = append(body.MetricCommitments, tender.Commitment{Code: m.Code, Value: m.Target})
	}
	return body
}

// score has committee member i declare no conflict and score every bid with
// the member's technical total for it, split over the criteria.
func (s *tenderSeed) score(ctx context.Context, d demoTender, id int64, i int) error {
	ev := s.users[committee[i]]
	if _, err := s.svc.Declare(ctx, ev, id, false, ""); err != nil {
		return err
	}
	var bids []struct {
		ID             int64
		OrganizationID int64
	}
	if err := s.tx.WithContext(ctx).Table("bids").Select("id, organization_id").Where("tender_id = ? AND compliant", id).Order("id").Scan(&bids).Error; err != nil {
		return err
	}
	var sheets []tender.BidSheet
	for _, b := range bids {
		var total int
		for name, t := range d.totals {
			if s.users[name].Scope.OrganizationID == b.OrganizationID {
				total = t[i]
			}
		}
		// plan takes up to 30, team up to 20, risk the rest (at most 10).
		plan := min(total-10, 30)
		team := min(total-plan-5, 20)
		risk := total - plan - team
		good := total >= 50
		sheets = append(sheets, tender.BidSheet{BidID: b.ID, Criteria: []tender.CriterionScore{
			{Code: "plan", Points: tender.Score(plan * 100), Comment: pick(good, "服务方案完整，流程和频次安排合理", "服务方案基本可行，个性化服务设计不足")},
			{Code: "team", Points: tender.Score(team * 100), Comment: pick(good, "人员配置充足，持证社工比例较高", "人员配置满足最低要求，护理员资质证明不够完整")},
			{Code: "risk", Points: tender.Score(risk * 100), Comment: pick(good, "应急预案具体，质量控制措施可操作", "应急预案较笼统，缺少夜间响应安排")}}})
	}
	_, err := s.svc.SubmitScores(ctx, ev, id, sheets)
	return err
}

func pick(ok bool, yes, no string) string {
	if ok {
		return yes
	}
	return no
}
