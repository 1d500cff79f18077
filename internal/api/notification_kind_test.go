package api_test

import (
	"slices"
	"testing"

	"github.com/jiedao-market/jiedao/internal/api"
	"github.com/jiedao-market/jiedao/internal/complaint"
	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/evaluation"
	"github.com/jiedao-market/jiedao/internal/milestone"
	"github.com/jiedao-market/jiedao/internal/org"
	"github.com/jiedao-market/jiedao/internal/payout"
	"github.com/jiedao-market/jiedao/internal/servicerequest"
)

// Every kind of notification the services write is in the NotificationKind
// enum, so that GET /api/v1/notifications answers what the document says.
func TestNotificationKindsDocumented(t *testing.T) {
	t.Parallel()
	doc, err := api.OpenAPI()
	if err != nil {
		t.Fatalf("api.OpenAPI() error = %v", err)
	}
	schema, ok := doc.Components.Schemas["NotificationKind"]
	if !ok || schema.Value == nil {
		t.Fatal("openapi.yaml has no schema NotificationKind")
	}
	var enum []string
	for _, v := range schema.Value.Enum {
		s, _ := v.(string)
		enum = append(enum, s)
	}
	for _, kind := range []string{
		contract.KindSignRequested, contract.KindSigned, contract.KindAmendmentProposed, contract.KindAmendmentDecided,
		contract.KindTerminationProposed, contract.KindTerminationRejected, contract.KindTerminated, contract.KindLapsed, contract.KindActive,
		complaint.KindReceived, complaint.KindAssigned, complaint.KindResponded, complaint.KindDecided,
		complaint.KindFirstResponseOverdue, complaint.KindDecisionOverdue,
		servicerequest.KindRequested, servicerequest.KindAccepted, servicerequest.KindDeclined, servicerequest.KindFulfilled,
		evaluation.KindAssigned, evaluation.KindScheduled, evaluation.KindRecused, evaluation.KindCancelled, evaluation.KindSubmitted,
		evaluation.KindRectificationOrdered, evaluation.KindRectificationReported, evaluation.KindUnassigned,
		milestone.KindDue, milestone.KindWithheld, milestone.KindReady, milestone.KindApproved, milestone.KindPaid,
		org.KindCertApplied, org.KindCertApproved, org.KindCertRejected, org.KindCertSuspended, org.KindCertRevoked,
		payout.KindFailed, "rating_gap",
	} {
		if !slices.Contains(enum, kind) {
			t.Errorf("openapi.yaml NotificationKind lacks %q", kind)
		}
	}
}
