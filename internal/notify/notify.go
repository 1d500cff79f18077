// Package notify writes in-app notifications: to one user, to every user of
// an organization, or to a subdistrict's procurement officers. Each names
// the records it is about (a tender, a contract, a complaint) and says what
// happened in both languages, never sealed or personal content. The domain
// packages call it inside the transaction of the change it tells of; in that
// transaction it also queues the e-mail of each addressed user who wants the
// kind immediately (mail.go), and its Service keeps users' choices per kind.
package notify

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Notice is what a notification says and what it is about.
type Notice struct {
	Kind        string
	TenderID    *int64
	ContractID  *int64
	ComplaintID *int64
	SubjectZh   string
	SubjectEn   string
	At          time.Time
}

// row is a row of notifications: to one user or to every user of an
// organization.
type row struct {
	ID             int64
	UserID         *int64
	OrganizationID *int64
	Kind           string
	TenderID       *int64
	ContractID     *int64
	ComplaintID    *int64
	SubjectZh      string
	SubjectEn      string
	CreatedAt      time.Time
}

func (row) TableName() string { return "notifications" }

func (n Notice) row() row {
	return row{Kind: n.Kind, TenderID: n.TenderID, ContractID: n.ContractID, ComplaintID: n.ComplaintID,
		SubjectZh: n.SubjectZh, SubjectEn: n.SubjectEn, CreatedAt: n.At}
}

// Organizations tells every user of each organization, in one insert.
func Organizations(tx *gorm.DB, n Notice, orgIDs ...int64) error {
	return insert(tx, n, orgIDs, func(r *row, id *int64) { r.OrganizationID = id })
}

// Users tells each user, in one insert.
func Users(tx *gorm.DB, n Notice, userIDs ...int64) error {
	return insert(tx, n, userIDs, func(r *row, id *int64) { r.UserID = id })
}

// Officers tells the active procurement officers of a subdistrict.
func Officers(tx *gorm.DB, n Notice, subdistrictID int64) error {
	var ids []int64
	if err := tx.Table("users").Where("role = 'procurement_officer' AND subdistrict_id = ? AND status = 'active'", subdistrictID).
		Order("id").Pluck("id", &ids).Error; err != nil {
		return fmt.Errorf("officers of subdistrict %d: %w", subdistrictID, err)
	}
	return Users(tx, n, ids...)
}

func insert(tx *gorm.DB, n Notice, ids []int64, to func(*row, *int64)) error {
	if len(ids) == 0 {
		return nil
	}
	list := make([]row, len(ids))
	for i := range ids {
		list[i] = n.row()
		to(&list[i], &ids[i])
	}
	if err := tx.Create(&list).Error; err != nil {
		return fmt.Errorf("notify %s: %w", n.Kind, err)
	}
	written := make([]int64, len(list))
	for i := range list {
		written[i] = list[i].ID
	}
	return queueMails(tx, n.Kind, written, n.At)
}

// Ref is a pointer to a copy of id, for a Notice's record fields.
func Ref(id int64) *int64 { return &id }
