// Package access names the roles of DOMAIN.md and the Actor: who is acting, in
// which role and scope, for which request. Every domain package takes an Actor
// to scope its queries and to write audit entries.
package access

import "slices"

// Role is one of the roles of DOMAIN.md.
type Role string

// The roles.
const (
	PlatformAdmin      Role = "platform_admin"
	DistrictAdmin      Role = "district_admin"
	ProcurementOfficer Role = "procurement_officer"
	FinanceOfficer     Role = "finance_officer"
	Evaluator          Role = "evaluator"
	OrgAdmin           Role = "org_admin"
	OrgMember          Role = "org_member"
	Resident           Role = "resident"
	// System is the role of work the platform does by itself (jobs, the seed).
	System Role = "system"
)

// Roles lists every role a user account may hold, in display order.
var Roles = []Role{PlatformAdmin, DistrictAdmin, ProcurementOfficer, FinanceOfficer, Evaluator, OrgAdmin, OrgMember, Resident}

// Valid reports whether r is a role a user account may hold.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// ScopeKind tells which kind of place or body a role works in.
type ScopeKind string

// The kinds of scope.
const (
	ScopeNone         ScopeKind = ""
	ScopeDistrict     ScopeKind = "district"
	ScopeSubdistrict  ScopeKind = "subdistrict"
	ScopeOrganization ScopeKind = "organization"
)

// ScopeKind returns the kind of scope the role needs when the platform
// creates its account. An evaluator made by the platform works for its
// district; a third-party evaluation agency's evaluator, made by the agency
// (org.Service.AddMember), carries the agency as Scope.OrganizationID
// instead, and no district.
func (r Role) ScopeKind() ScopeKind {
	switch r {
	case DistrictAdmin, Evaluator:
		return ScopeDistrict
	case ProcurementOfficer, FinanceOfficer:
		return ScopeSubdistrict
	case OrgAdmin, OrgMember:
		return ScopeOrganization
	default:
		return ScopeNone
	}
}

// Scope is where an actor works. Only the field matching the role's ScopeKind is
// set, except that a subdistrict officer also carries its subdistrict's district.
type Scope struct {
	DistrictID     int64 `json:"district_id,omitempty"`
	SubdistrictID  int64 `json:"subdistrict_id,omitempty"`
	OrganizationID int64 `json:"organization_id,omitempty"`
}

// Actor is who performs an operation.
type Actor struct {
	UserID    int64
	Username  string
	Role      Role
	Scope     Scope
	SessionID string
	RequestID string
	ClientIP  string
}

// Is reports whether the actor holds one of roles.
func (a Actor) Is(roles ...Role) bool { return slices.Contains(roles, a.Role) }

// SystemActor is the actor for work the platform does by itself.
func SystemActor(name, requestID string) Actor {
	return Actor{Username: name, Role: System, RequestID: requestID}
}

// Anonymous is the actor of a request without credentials.
func Anonymous(requestID, clientIP string) Actor {
	return Actor{Username: "anonymous", RequestID: requestID, ClientIP: clientIP}
}

// Authenticated reports whether the actor is a signed-in user.
func (a Actor) Authenticated() bool { return a.UserID != 0 }

// UserRef is the actor's user id for a created_by column: nil for work the
// platform does by itself or an anonymous visitor.
func (a Actor) UserRef() *int64 {
	if a.UserID == 0 {
		return nil
	}
	id := a.UserID
	return &id
}

// The role groups: who may call what. The API's route table, the page table
// and the services use these, so that a group is defined once.
var (
	// SubdistrictStaff read a subdistrict's records (communities, transfer
	// items, fund accounts, payouts, reports), each within its Subdistricts:
	// exactly the roles whose Subdistricts are not empty.
	SubdistrictStaff = []Role{PlatformAdmin, DistrictAdmin, ProcurementOfficer, FinanceOfficer}
	// OrgStaff are the accounts of a social organization.
	OrgStaff = []Role{OrgAdmin, OrgMember}
	// OrgReaders read organizations, their members, evidence documents and
	// certifications: the platform, the district, and the organization itself.
	OrgReaders = []Role{PlatformAdmin, DistrictAdmin, OrgAdmin, OrgMember}
	// OrgEditors change an organization's profile.
	OrgEditors = []Role{PlatformAdmin, DistrictAdmin, OrgAdmin}
	// PlaceEditors create and change communities.
	PlaceEditors = []Role{PlatformAdmin, ProcurementOfficer}
	// PayoutReaders read payouts: subdistrict staff those their funds paid,
	// an organization's staff those it received.
	PayoutReaders = []Role{PlatformAdmin, DistrictAdmin, ProcurementOfficer, FinanceOfficer, OrgAdmin, OrgMember}
	// TenderReaders read tenders through the signed-in API, each as
	// the tender service scopes them.
	TenderReaders = []Role{PlatformAdmin, DistrictAdmin, ProcurementOfficer, FinanceOfficer, Evaluator, OrgAdmin, OrgMember}
	// ContractReaders read contracts through the signed-in API, each as the
	// contract service scopes them: subdistrict staff their subdistricts',
	// an organization's staff its own.
	ContractReaders = []Role{PlatformAdmin, DistrictAdmin, ProcurementOfficer, FinanceOfficer, OrgAdmin, OrgMember}
	// ContractParties sign, amend and terminate contracts: the procurement
	// officer for the subdistrict, the admin for the organization.
	ContractParties = []Role{ProcurementOfficer, OrgAdmin}
	// BidReaders read bids: their own before the opening (organizations), the
	// opened ones after it (the officer, the committee).
	BidReaders = []Role{ProcurementOfficer, Evaluator, OrgAdmin, OrgMember}
)

// Subdistricts says whose subdistrict-held records (communities, transfer
// items, fund accounts, payouts, tenders) an actor reads: a platform admin
// every subdistrict's (All), a district admin those of its district, a
// procurement or finance officer its own subdistrict's, and every other role
// none — an evaluator reads only the tenders of its committees, an
// organization only what is its own or public, through their own rules.
type Subdistricts struct {
	All           bool
	DistrictID    int64 // the subdistricts of this district
	SubdistrictID int64 // this subdistrict
}

// Subdistricts returns whose subdistrict-held records a reads.
func (a Actor) Subdistricts() Subdistricts {
	switch a.Role {
	case PlatformAdmin:
		return Subdistricts{All: true}
	case DistrictAdmin:
		return Subdistricts{DistrictID: a.Scope.DistrictID}
	case ProcurementOfficer, FinanceOfficer:
		return Subdistricts{SubdistrictID: a.Scope.SubdistrictID}
	}
	return Subdistricts{}
}

// Where returns the SQL condition, with its arguments, that limits column (a
// subdistricts.id) to s; it reads a table named subdistricts.
func (s Subdistricts) Where(column string) (string, []any) {
	switch {
	case s.All:
		return "TRUE", nil
	case s.DistrictID != 0:
		return column + " IN (SELECT id FROM subdistricts WHERE district_id = ?)", []any{s.DistrictID}
	case s.SubdistrictID != 0:
		return column + " = ?", []any{s.SubdistrictID}
	}
	return "FALSE", nil
}
