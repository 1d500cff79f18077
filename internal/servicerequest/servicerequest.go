// Package servicerequest holds residents' service requests (菜单式服务): the
// menu of active contracts serving a community, residents' self sign-up
// bound to their community, requests made by a resident or entered by an
// officer on a resident's behalf (the 12345 hotline), the organization's
// acceptance, scheduling, refusal and fulfilment by a service record, the
// response times of the response_time metric and the demand report of unmet
// requests.
package servicerequest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
)

// The states of a request: requested → accepted → fulfilled, or requested →
// declined. A request without a contract (an unmet need) stays requested.
const (
	StatusRequested = "requested"
	StatusAccepted  = "accepted"
	StatusDeclined  = "declined"
	StatusFulfilled = "fulfilled"
)

// States lists the states of a request.
var States = []string{StatusRequested, StatusAccepted, StatusDeclined, StatusFulfilled}

// The channels a request comes by: the resident itself, or an officer
// entering a call to the hotline.
const (
	ChannelSelf    = "self"
	ChannelHotline = "hotline"
)

// Role groups of the routes.
var (
	// Requesters make requests: a resident for its own community, a
	// procurement officer on a resident's behalf for a community of its
	// subdistrict.
	Requesters = []access.Role{access.Resident, access.ProcurementOfficer}
	// Readers list requests, each its own: a resident those it made, an
	// organization those on its contracts, an officer its subdistrict's, a
	// district admin its district's.
	Readers = []access.Role{access.Resident, access.OrgAdmin, access.OrgMember, access.ProcurementOfficer, access.DistrictAdmin}
	// DemandReaders read the demand report: an officer its subdistrict's, a
	// district admin its district's, a platform admin every one.
	DemandReaders = []access.Role{access.ProcurementOfficer, access.DistrictAdmin, access.PlatformAdmin}
)

// Errors of requests.
var (
	ErrNoCommunity = apperr.New(apperr.Conflict, "service_request.no_community",
		"this resident account is bound to no community; sign up with a community to make requests")
	ErrNotRequested = apperr.New(apperr.Conflict, "service_request.not_requested",
		"the request has already been answered (accepted, declined or fulfilled)")
	ErrNotAccepted = apperr.New(apperr.Conflict, "service_request.not_accepted",
		"only an accepted request is fulfilled")
)

// Service keeps service requests.
type Service struct {
	db      *gorm.DB
	clock   clock.Clock
	overdue time.Duration
	argon2  config.Argon2
}

// NewService returns the service on db: a request unanswered for
// cfg.OverdueHours is overdue; residents' passwords are hashed with argon.
func NewService(db *gorm.DB, c clock.Clock, cfg config.ServiceRequest, argon config.Argon2) *Service {
	return &Service{db: db, clock: c, overdue: time.Duration(cfg.OverdueHours) * time.Hour, argon2: argon}
}

// Request is a service request, as stored.
type Request struct {
	ID              int64
	SubdistrictID   int64
	CommunityID     int64
	ContractID      *int64
	OrganizationID  *int64
	CategoryCode    *string
	Channel         string
	ResidentID      *int64
	EnteredBy       *int64
	ContactName     string
	ContactPhone    string
	Note            string
	PreferredAt     *time.Time
	Status          string
	RequestedAt     time.Time
	AcceptedAt      *time.Time
	AcceptedBy      *int64
	ScheduledAt     *time.Time
	DeclinedAt      *time.Time
	DeclinedBy      *int64
	DeclineReason   *string
	FulfilledAt     *time.Time
	FulfilledBy     *int64
	ServiceRecordID *int64
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// TableName is the table of Request.
func (Request) TableName() string { return "service_requests" }

// View is a request as its reader sees it: the contact (name and phone) only
// for the subdistrict's procurement officers, the organization handling the
// request and the resident who made it.
type View struct {
	ID              int64      `json:"id"`
	SubdistrictID   int64      `json:"subdistrict_id"`
	CommunityID     int64      `json:"community_id"`
	ContractID      *int64     `json:"contract_id"`
	OrganizationID  *int64     `json:"organization_id"`
	CategoryCode    *string    `json:"category_code"`
	Channel         string     `json:"channel"`
	ResidentID      *int64     `json:"resident_id"`
	ContactName     *string    `json:"contact_name,omitempty"`
	ContactPhone    *string    `json:"contact_phone,omitempty"`
	Note            string     `json:"note"`
	PreferredAt     *time.Time `json:"preferred_at"`
	Status          string     `json:"status"`
	RequestedAt     time.Time  `json:"requested_at"`
	AcceptedAt      *time.Time `json:"accepted_at"`
	ScheduledAt     *time.Time `json:"scheduled_at"`
	DeclinedAt      *time.Time `json:"declined_at"`
	DeclineReason   *string    `json:"decline_reason"`
	FulfilledAt     *time.Time `json:"fulfilled_at"`
	ServiceRecordID *int64     `json:"service_record_id"`
}

func view(by access.Actor, r Request) View {
	v := View{ID: r.ID, SubdistrictID: r.SubdistrictID, CommunityID: r.CommunityID, ContractID: r.ContractID,
		OrganizationID: r.OrganizationID, CategoryCode: r.CategoryCode, Channel: r.Channel, ResidentID: r.ResidentID,
		Note: r.Note, PreferredAt: r.PreferredAt, Status: r.Status, RequestedAt: r.RequestedAt, AcceptedAt: r.AcceptedAt,
		ScheduledAt: r.ScheduledAt, DeclinedAt: r.DeclinedAt, DeclineReason: r.DeclineReason, FulfilledAt: r.FulfilledAt,
		ServiceRecordID: r.ServiceRecordID}
	if seesContact(by, r) {
		name, phone := r.ContactName, r.ContactPhone
		v.ContactName, v.ContactPhone = &name, &phone
	}
	return v
}

// seesContact reports whether by may read r's contact.
func seesContact(by access.Actor, r Request) bool {
	switch by.Role {
	case access.ProcurementOfficer:
		return by.Scope.SubdistrictID == r.SubdistrictID
	case access.OrgAdmin, access.OrgMember:
		return r.OrganizationID != nil && *r.OrganizationID == by.Scope.OrganizationID
	case access.Resident:
		return r.ResidentID != nil && *r.ResidentID == by.UserID
	}
	return false
}

// scoped limits a service_requests query to the requests by reads; a role
// that reads none is apperr.ErrForbidden.
func scoped(q *gorm.DB, by access.Actor) (*gorm.DB, error) {
	switch by.Role {
	case access.Resident:
		return q.Where("service_requests.resident_id = ?", by.UserID), nil
	case access.OrgAdmin, access.OrgMember:
		return q.Where("service_requests.organization_id = ?", by.Scope.OrganizationID), nil
	case access.ProcurementOfficer:
		return q.Where("service_requests.subdistrict_id = ?", by.Scope.SubdistrictID), nil
	case access.DistrictAdmin:
		return q.Where("service_requests.subdistrict_id IN (SELECT id FROM subdistricts WHERE district_id = ?)", by.Scope.DistrictID), nil
	}
	return nil, apperr.ErrForbidden
}

// digest is the SHA-256 of free text, which audit entries keep instead of the text.
func digest(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// notFound maps gorm's not-found to apperr.ErrNotFound, and wraps the rest.
func notFound(err error, what string) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return apperr.ErrNotFound
	}
	return fmt.Errorf("%s: %w", what, err)
}
