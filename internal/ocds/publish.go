package ocds

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
)

// Publish builds tender tenderID's release tagged tag from what is public of
// it under tx at time at, and inserts it into ocds_releases, in the event's
// own transaction. A tender never published (a draft, or one cancelled as a
// draft) publishes nothing. It returns an error for an unknown tag or
// tender; the caller's transaction then rolls back.
func (s *Service) Publish(tx *gorm.DB, tenderID int64, tag string, at time.Time) error {
	if !slices.Contains(Tags, tag) {
		return fmt.Errorf("ocds release of tender %d: unknown tag %q", tenderID, tag)
	}
	var t tenderRow
	err := tx.Raw(`SELECT t.id, t.subdistrict_id, t.title, t.description, t.category_code, sc.name_zh AS category_zh,
			t.purchase_method, t.justification, t.fund_account_id, t.ceiling_fen, t.service_start, t.service_end,
			t.weight_price, t.weight_technical, t.weight_performance, t.questions_close_at, t.closes_at, t.opens_at,
			t.status, t.published_at, t.opened_at, t.awarded_at,
			iv.title AS item_title, s.code AS subdistrict_code, s.name_zh AS subdistrict_name,
			d.code AS district_code, d.name_zh AS district_name, f.name AS fund_name, f.source AS fund_source, f.fiscal_year AS fund_year
		FROM tenders t JOIN subdistricts s ON s.id = t.subdistrict_id JOIN districts d ON d.id = s.district_id
		JOIN service_categories sc ON sc.code = t.category_code JOIN fund_accounts f ON f.id = t.fund_account_id
		JOIN transfer_item_versions iv ON iv.item_id = t.transfer_item_id AND iv.version = t.transfer_item_version
		WHERE t.id = ?`, tenderID).Scan(&t).Error
	if err != nil {
		return fmt.Errorf("ocds release of tender %d: %w", tenderID, err)
	}
	if t.ID == 0 {
		return fmt.Errorf("ocds release of tender %d: no such tender", tenderID)
	}
	if t.PublishedAt == nil {
		return nil
	}
	var seq int64
	if err := tx.Raw(`SELECT nextval(pg_get_serial_sequence('ocds_releases', 'id'))`).Scan(&seq).Error; err != nil {
		return fmt.Errorf("ocds release of tender %d: %w", tenderID, err)
	}
	ocid := OCID(s.prefix, tenderID)
	// Zero-padded, the ids of one instant's releases sort in publication
	// order, as a record sorts them (by date, then id).
	id := fmt.Sprintf("%s-%012d", ocid, seq)
	r, err := build(tx, s.prefix, t, id, tag, at)
	if err != nil {
		return fmt.Errorf("ocds release of tender %d: %w", tenderID, err)
	}
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("ocds release of tender %d: %w", tenderID, err)
	}
	if err := tx.Exec(`INSERT INTO ocds_releases (id, ocid, release_id, tender_id, subdistrict_id, date, tags, body)
		VALUES (?, ?, ?, ?, ?, ?, ARRAY[?]::text[], ?)`, seq, ocid, id, tenderID, t.SubdistrictID, r.Date, tag, string(body)).Error; err != nil {
		return fmt.Errorf("store ocds release of tender %d: %w", tenderID, err)
	}
	return nil
}

// PublishContract is Publish for an event of contract contractID: the
// release of its tender.
func (s *Service) PublishContract(tx *gorm.DB, contractID int64, tag string, at time.Time) error {
	var tenderID int64
	if err := tx.Raw(`SELECT tender_id FROM contracts WHERE id = ?`, contractID).Scan(&tenderID).Error; err != nil {
		return fmt.Errorf("ocds release of contract %d: %w", contractID, err)
	}
	if tenderID == 0 {
		return fmt.Errorf("ocds release of contract %d: no such contract", contractID)
	}
	return s.Publish(tx, tenderID, tag, at)
}

// PublishPayout publishes the implementation release of the milestone
// payment payoutID paid, at the time it was paid; a payout of anything else
// (or not yet paid) publishes nothing.
func (s *Service) PublishPayout(tx *gorm.DB, payoutID int64) error {
	var paid []struct {
		TenderID int64
		PaidAt   time.Time
	}
	if err := tx.Raw(`SELECT c.tender_id, m.paid_at FROM milestone_payments m JOIN contracts c ON c.id = m.contract_id
		WHERE m.payout_id = ? AND m.state = 'paid'`, payoutID).Scan(&paid).Error; err != nil {
		return fmt.Errorf("ocds release of payout %d: %w", payoutID, err)
	}
	for _, r := range paid {
		if err := s.Publish(tx, r.TenderID, TagImplementation, r.PaidAt); err != nil {
			return err
		}
	}
	return nil
}
