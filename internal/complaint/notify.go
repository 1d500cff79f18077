package complaint

import (
	"fmt"
	"time"

	"gorm.io/gorm"
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

// notification is a row of notifications about a complaint.
type notification struct {
	ID             int64
	UserID         *int64
	OrganizationID *int64
	Kind           string
	ComplaintID    *int64
	SubjectZh      string
	SubjectEn      string
	CreatedAt      time.Time
}

func (notification) TableName() string { return "notifications" }

func newNotification(c Complaint, kind string, now time.Time) notification {
	s := subjects[kind]
	id := c.ID
	return notification{Kind: kind, ComplaintID: &id, SubjectZh: fmt.Sprintf(s[0], c.Reference),
		SubjectEn: fmt.Sprintf(s[1], c.Reference), CreatedAt: now}
}

// notifyOrg tells every user of the complaint's organization.
func notifyOrg(tx *gorm.DB, c Complaint, kind string, now time.Time) error {
	n := newNotification(c, kind, now)
	orgID := c.OrganizationID
	n.OrganizationID = &orgID
	if err := tx.Create(&n).Error; err != nil {
		return fmt.Errorf("notify organization %d: %w", orgID, err)
	}
	return nil
}

// notifyOfficers tells the procurement officers of the complaint's subdistrict.
func notifyOfficers(tx *gorm.DB, c Complaint, kind string, now time.Time) error {
	var ids []int64
	if err := tx.Table("users").Where("role = 'procurement_officer' AND subdistrict_id = ? AND status = 'active'", c.SubdistrictID).
		Order("id").Pluck("id", &ids).Error; err != nil {
		return fmt.Errorf("find officers: %w", err)
	}
	if len(ids) == 0 {
		return nil
	}
	list := make([]notification, len(ids))
	for i := range ids {
		list[i] = newNotification(c, kind, now)
		list[i].UserID = &ids[i]
	}
	if err := tx.Create(&list).Error; err != nil {
		return fmt.Errorf("notify officers: %w", err)
	}
	return nil
}
