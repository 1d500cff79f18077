package evaluation

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/org"
)

// This file decides who may evaluate a contract: a district evaluator of the
// contract's district, or an evaluator account of a third-party evaluation
// agency (第三方评估机构) — an organization with an approved, currently valid
// certification for org.EvaluationCategory in the contract's district —
// that is neither the provider nor connected to it.
//
// Connected means, from what the platform holds of both organizations: the
// same legal representative (by name, ignoring spaces and letter case), or
// a shared account of record — the same contact phone (by its digits) or
// the same contact e-mail address (ignoring case). An account belongs to
// one organization only (users.organization_id), so a member account shared
// outright cannot happen; the contact phone and e-mail are the accounts two
// organizations can share.

// assignee is the account an officer names as evaluator.
type assignee struct {
	ID             int64
	Role           access.Role
	Status         string
	DistrictID     *int64
	OrganizationID *int64
}

// ineligible is why an account may not evaluate a contract.
type ineligible struct{ reason string }

func (e ineligible) Error() string { return e.reason }

// checkEvaluator returns the agency of account userID when it may evaluate
// contract c at the instant at (nil for a district evaluator), or an
// ineligible error saying why not.
func checkEvaluator(tx *gorm.DB, c contractInfo, userID int64, at time.Time) (*int64, error) {
	var u assignee
	err := tx.Table("users").Select("id, role, status, district_id, organization_id").Where("id = ?", userID).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && (u.Role != access.Evaluator || u.Status != "active")) {
		return nil, ineligible{"must be the account of an active evaluator"}
	}
	if err != nil {
		return nil, fmt.Errorf("read evaluator %d: %w", userID, err)
	}
	if u.DistrictID != nil {
		if *u.DistrictID != c.DistrictID {
			return nil, ineligible{"must be an evaluator of the contract's district, or of a third-party evaluation agency certified there"}
		}
		return nil, nil
	}
	agency := *u.OrganizationID
	if agency == c.OrganizationID {
		return nil, ineligible{"is an account of the contract's own provider: an organization never evaluates its own contract"}
	}
	ok, err := org.Capable(tx, agency, c.DistrictID, org.EvaluationCategory, at)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ineligible{"belongs to an agency without an active certification for third-party evaluation in the contract's district"}
	}
	if why, err := connected(tx, agency, c.OrganizationID); err != nil {
		return nil, err
	} else if why != "" {
		return nil, ineligible{"belongs to an agency connected to the contract's provider: " + why}
	}
	return &agency, nil
}

// connected says how organizations a and b are connected ("" when they are not).
func connected(tx *gorm.DB, a, b int64) (string, error) {
	var rows []struct {
		ID                  int64
		LegalRepresentative string
		ContactPhone        string
		ContactEmail        string
	}
	if err := tx.Table("organizations").Select("id, legal_representative, contact_phone, contact_email").Where("id IN ?", []int64{a, b}).
		Order("id").Scan(&rows).Error; err != nil {
		return "", fmt.Errorf("read organizations %d and %d: %w", a, b, err)
	}
	if len(rows) != 2 {
		return "", fmt.Errorf("read organizations %d and %d: %d rows", a, b, len(rows))
	}
	x, y := rows[0], rows[1]
	var why []string
	if n := personName(x.LegalRepresentative); n != "" && n == personName(y.LegalRepresentative) {
		why = append(why, "the same legal representative")
	}
	if p := digits(x.ContactPhone); len(p) >= 5 && p == digits(y.ContactPhone) {
		why = append(why, "the same contact phone")
	}
	if m := strings.ToLower(strings.TrimSpace(x.ContactEmail)); m != "" && m == strings.ToLower(strings.TrimSpace(y.ContactEmail)) {
		why = append(why, "the same contact e-mail")
	}
	return strings.Join(why, ", "), nil
}

// personName is a name without spaces, in lower case, for comparing.
func personName(s string) string {
	return strings.ToLower(strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '·' || r == '.' {
			return -1
		}
		return r
	}, s))
}

func digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}
