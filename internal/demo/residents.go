package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/jiedao-market/jiedao/internal/complaint"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
	"github.com/jiedao-market/jiedao/internal/rating"
	"github.com/jiedao-market/jiedao/internal/servicerequest"
)

// residentSeed holds the services of the residents' part of the demo story
// on the active contract: ratings, complaints and service requests.
type residentSeed struct {
	*tenderSeed
	ratings    *rating.Service
	complaints *complaint.Service
	requests   *servicerequest.Service
}

func (s *tenderSeed) residents(mc clock.Clock, ratingKey []byte) (*residentSeed, error) {
	cfg := config.Default()
	cfg.Rating.CodeKey = ratingKey
	ratings, err := rating.NewService(s.tx, mc, s.records, cfg.Rating)
	if err != nil {
		return nil, err
	}
	return &residentSeed{tenderSeed: s, ratings: ratings,
		complaints: complaint.NewService(s.tx, mc, complaint.Options{FirstResponse: cfg.Complaint.FirstResponse, Decision: cfg.Complaint.Decision},
			ratings.LookupCode),
		requests: servicerequest.NewService(s.tx, mc, cfg.ServiceRequest, cfg.Auth.Argon2)}, nil
}

// demoRatings are the residents' ratings of 康乐's active contract's visits,
// one per visit of the first days, on the evening after it: enough to pass
// the public minimum, mostly good, one poor.
var demoRatings = []rating.Stars{
	{Timeliness: 5, Professionalism: 5, Attitude: 5, Effectiveness: 4, Overall: 5, Comment: "护理员很准时，帮老人整理了药盒，非常细心。"},
	{Timeliness: 4, Professionalism: 4, Attitude: 5, Effectiveness: 4, Overall: 4},
	{Timeliness: 5, Professionalism: 4, Attitude: 5, Effectiveness: 5, Overall: 5, Comment: "每周都来看望，老人很盼着。"},
	{Timeliness: 3, Professionalism: 4, Attitude: 4, Effectiveness: 3, Overall: 3, Comment: "比约定时间晚到了半小时。"},
	{Timeliness: 5, Professionalism: 5, Attitude: 5, Effectiveness: 5, Overall: 5},
	{Timeliness: 4, Professionalism: 5, Attitude: 4, Effectiveness: 4, Overall: 4, Comment: "排查了燃气隐患，很专业。"},
	{Timeliness: 5, Professionalism: 4, Attitude: 5, Effectiveness: 4, Overall: 5},
	{Timeliness: 2, Professionalism: 3, Attitude: 3, Effectiveness: 2, Overall: 2, Comment: "服务时间太短，没说几句话就走了。"},
}

// specialRatings are the residents' ratings of 康乐's completed short project.
var specialRatings = []rating.Stars{
	{Timeliness: 5, Professionalism: 5, Attitude: 5, Effectiveness: 5, Overall: 5, Comment: "巡访人员帮忙换了漏气的燃气软管，很及时。"},
	{Timeliness: 4, Professionalism: 5, Attitude: 5, Effectiveness: 4, Overall: 5},
	{Timeliness: 4, Professionalism: 4, Attitude: 4, Effectiveness: 4, Overall: 4},
	{Timeliness: 3, Professionalism: 4, Attitude: 4, Effectiveness: 3, Overall: 3, Comment: "检查得比较快，没来得及细问。"},
}

// newcomerRatings are the first ratings of 安馨's contract, whose service
// began ten days ago: fewer than the public minimum, so its provider's
// public page says how many more it needs.
var newcomerRatings = []rating.Stars{
	{Timeliness: 5, Professionalism: 4, Attitude: 5, Effectiveness: 4, Overall: 5, Comment: "护理员很耐心，还教老人用了电子血压计。"},
	{Timeliness: 4, Professionalism: 4, Attitude: 4, Effectiveness: 4, Overall: 4},
	{Timeliness: 3, Professionalism: 4, Attitude: 5, Effectiveness: 4, Overall: 4, Comment: "第一次上门找了很久才找到楼栋。"},
}

// residentSteps are the residents' part of the story, after the contract's
// service began: d's ratings of the first days' visits and, for the
// contract d.residents marks, a complaint decided and one still open, and
// the demo resident's service requests in each state.
func (s *residentSeed) residentSteps(d demoTender, contractID *int64, wrap func(string, func(context.Context) error) func(context.Context) error) []step {
	var out []step
	for i, st := range d.ratings {
		day := d.serviceStart + i
		out = append(out, step{at(day, 20, 30).on(s.today), wrap("rating", func(ctx context.Context) error {
			return s.rate(ctx, *contractID, day, st)
		})})
	}
	if !d.residents {
		return out
	}
	org, officer := s.users[d.winner], s.users["demo-officer"]
	var decided int64
	out = append(out,
		step{at(-10, 9, 15).on(s.today), wrap("complaint", func(ctx context.Context) error {
			code, err := s.codeOf(ctx, *contractID, -11)
			if err != nil {
				return err
			}
			r, err := s.complaints.File(ctx, s.users["demo-resident"], complaint.Input{RatingCode: code,
				Description: "护理员上门时间与约定不符，老人在家等了一个上午。", Contact: "13805720000"})
			if err != nil {
				return err
			}
			return s.tx.Table("complaints").Select("id").Where("reference = ?", r.Reference).Take(&decided).Error
		})},
		step{at(-10, 14, 0).on(s.today), wrap("assign the complaint", func(ctx context.Context) error {
			_, err := s.complaints.Assign(ctx, officer, decided, *contractID)
			return err
		})},
		step{at(-9, 10, 0).on(s.today), wrap("respond to the complaint", func(ctx context.Context) error {
			_, err := s.complaints.Respond(ctx, org, decided, "经核实，当日护理员因前一户老人突发不适送医而迟到，未及时告知，已向老人致歉并调整排班。")
			return err
		})},
		step{at(-7, 16, 0).on(s.today), wrap("decide the complaint", func(ctx context.Context) error {
			_, err := s.complaints.Decide(ctx, officer, decided, "upheld", "未按约定时间提供服务且未提前告知，投诉成立，已责令整改。")
			return err
		})},
		step{at(-1, 19, 40).on(s.today), wrap("open complaint", func(ctx context.Context) error {
			c, err := s.contracts.Get(ctx, officer, *contractID)
			if err != nil {
				return err
			}
			_, err = s.complaints.File(ctx, s.users["demo-resident"], complaint.Input{OrganizationID: c.OrganizationID,
				CommunityID: c.Communities[0].ID, Description: "希望探访时能多陪老人聊一会儿，每次时间都很匆忙。"})
			return err
		})},
	)
	return append(out, s.requestSteps(d, contractID, wrap)...)
}

// requestSteps give the demo resident a community and requests in each
// state: fulfilled, accepted, declined, waiting, and a need no contract meets.
func (s *residentSeed) requestSteps(d demoTender, contractID *int64, wrap func(string, func(context.Context) error) func(context.Context) error) []step {
	resident, org := s.users["demo-resident"], s.users[d.winner]
	var community int64
	ids := map[string]int64{}
	request := func(name string, m moment, unmet bool, note string) step {
		return step{m.on(s.today), wrap("service request "+name, func(ctx context.Context) error {
			if community == 0 {
				c, err := s.contracts.Get(ctx, org, *contractID)
				if err != nil {
					return err
				}
				community = c.Communities[0].ID
				if err := s.tx.Table("users").Where("id = ?", resident.UserID).Update("community_id", community).Error; err != nil {
					return err
				}
			}
			in := servicerequest.Input{CommunityID: community, ContractID: *contractID, Note: note}
			if unmet {
				in.ContractID, in.CategoryCode = 0, "LEGAL_AID"
			}
			v, err := s.requests.Create(ctx, resident, in)
			ids[name] = v.ID
			return err
		})}
	}
	act := func(name string, m moment, f func(ctx context.Context, id int64) error) step {
		return step{m.on(s.today), wrap(name+" the service request", func(ctx context.Context) error { return f(ctx, ids[name]) })}
	}
	return []step{
		request("fulfilled", at(-6, 8, 30), false, "母亲腿脚不便，想请护理员周末上门帮忙洗澡。"),
		act("fulfilled", at(-6, 11, 0), func(ctx context.Context, id int64) error {
			_, err := s.requests.Accept(ctx, org, id, nil)
			return err
		}),
		act("fulfilled", at(-5, 19, 0), func(ctx context.Context, id int64) error {
			var record int64
			if err := s.tx.Table("service_records").Select("id").Where("contract_id = ? AND community_id = ? AND service_date >= ?",
				*contractID, community, s.today.AddDays(-5)).Order("id").Limit(1).Take(&record).Error; err != nil {
				return fmt.Errorf("a record to fulfil it: %w", err)
			}
			_, err := s.requests.Fulfil(ctx, org, id, record)
			return err
		}),
		request("declined", at(-4, 9, 0), false, "想请护理员每天晚上十点以后上门陪护。"),
		act("declined", at(-4, 15, 0), func(ctx context.Context, id int64) error {
			_, err := s.requests.Decline(ctx, org, id, "本项目服务时段为 7:00–19:00，夜间陪护不在合同范围内，已告知可申请居家养老夜间照护项目。")
			return err
		}),
		request("unmet", at(-3, 10, 0), true, "想咨询房屋继承的法律问题，社区目前没有法律咨询服务。"),
		request("accepted", at(-2, 9, 30), false, "父亲出院后需要上门量血压和换药。"),
		act("accepted", at(-2, 13, 0), func(ctx context.Context, id int64) error {
			when := s.today.AddDays(1).StartInChina().Add(9 * time.Hour)
			_, err := s.requests.Accept(ctx, org, id, &when)
			return err
		}),
		request("waiting", at(-1, 20, 0), false, "想预约下周二上午的助浴服务。"),
	}
}

// rate rates the first visit of the day on the active contract.
func (s *residentSeed) rate(ctx context.Context, contractID int64, day int, st rating.Stars) error {
	code, err := s.codeOf(ctx, contractID, day)
	if err != nil {
		return err
	}
	_, err = s.ratings.Submit(ctx, s.users["demo-resident"], code, st)
	return err
}

// codeOf is the rating code of the last visit of the day on the contract,
// as its organization prints it.
func (s *residentSeed) codeOf(ctx context.Context, contractID int64, day int) (string, error) {
	var record int64
	if err := s.tx.Table("service_records").Select("id").Where("contract_id = ? AND service_date = ?", contractID, s.today.AddDays(day)).
		Order("id DESC").Limit(1).Take(&record).Error; err != nil {
		return "", fmt.Errorf("a record of day %d: %w", day, err)
	}
	var orgID int64
	if err := s.tx.Table("contracts").Select("organization_id").Where("id = ?", contractID).Take(&orgID).Error; err != nil {
		return "", err
	}
	for _, u := range s.users {
		if u.Role == "org_admin" && u.Scope.OrganizationID == orgID {
			c, err := s.records.RatingCode(ctx, u, record)
			return c.Code, err
		}
	}
	return "", fmt.Errorf("no admin of organization %d", orgID)
}
