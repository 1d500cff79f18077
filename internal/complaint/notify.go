package complaint

import (
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/notify"
)

// The kinds of notification about a complaint.
const (
	KindReceived             = "complaint_received"
	KindAssigned             = "complaint_assigned"
	KindResponded            = "complaint_responded"
	KindDecided              = "complaint_decided"
	KindFirstResponseOverdue = "complaint_first_response_overdue"
	KindDecisionOverdue      = "complaint_decision_overdue"
)

// The subjects name the reference only: never the description or contact.
var subjects = map[string][2]string{
	KindReceived:             {"收到新投诉：%s", "A complaint was received: %s"},
	KindAssigned:             {"投诉待贵机构答复：%s", "A complaint awaits your organization's response: %s"},
	KindResponded:            {"机构已答复投诉：%s", "The organization responded to a complaint: %s"},
	KindDecided:              {"投诉已办结：%s", "A complaint was decided: %s"},
	KindFirstResponseOverdue: {"投诉超时未受理：%s", "A complaint was not triaged in time: %s"},
	KindDecisionOverdue:      {"投诉超时未办结：%s", "A complaint was not decided in time: %s"},
}

func notice(c Complaint, kind string, now time.Time) notify.Notice {
	s := subjects[kind]
	return notify.Notice{Kind: kind, ComplaintID: notify.Ref(c.ID), SubjectZh: fmt.Sprintf(s[0], c.Reference),
		SubjectEn: fmt.Sprintf(s[1], c.Reference), At: now}
}

// notifyOrg tells every user of the complaint's organization.
func notifyOrg(tx *gorm.DB, c Complaint, kind string, now time.Time) error {
	return notify.Organizations(tx, notice(c, kind, now), c.OrganizationID)
}

// notifyOfficers tells the procurement officers of the complaint's subdistrict.
func notifyOfficers(tx *gorm.DB, c Complaint, kind string, now time.Time) error {
	return notify.Officers(tx, notice(c, kind, now), c.SubdistrictID)
}
