package servicerequest

import (
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/notify"
)

// The kinds of notification about a request: to the organization when a
// request arrives, to the resident when it is accepted, declined or fulfilled.
const (
	KindRequested = "service_request_created"
	KindAccepted  = "service_request_accepted"
	KindDeclined  = "service_request_declined"
	KindFulfilled = "service_request_fulfilled"
)

var subjects = map[string][2]string{
	KindRequested: {"新的服务申请（编号 %d）", "A new service request (no. %d)"},
	KindAccepted:  {"您的服务申请已受理（编号 %d）", "Your service request was accepted (no. %d)"},
	KindDeclined:  {"您的服务申请未被受理（编号 %d）", "Your service request was declined (no. %d)"},
	KindFulfilled: {"您的服务申请已完成服务（编号 %d）", "Your service request was fulfilled (no. %d)"},
}

// notice is a notification about request id, to a user or to every member of
// an organization.
type notice struct {
	kind           string
	userID         *int64
	organizationID *int64
	contractID     *int64
	id             int64
}

func notifyRequest(tx *gorm.DB, n notice, now time.Time) error {
	s := subjects[n.kind]
	msg := notify.Notice{Kind: n.kind, ContractID: n.contractID, SubjectZh: fmt.Sprintf(s[0], n.id), SubjectEn: fmt.Sprintf(s[1], n.id), At: now}
	if n.userID != nil {
		return notify.Users(tx, msg, *n.userID)
	}
	if n.organizationID != nil {
		return notify.Organizations(tx, msg, *n.organizationID)
	}
	return nil
}
