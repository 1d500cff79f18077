package ui_test

// pgCommitmentDigest is the query naming demo-org's receipt digest on the
// group's opened tender.
func pgCommitmentDigest(f *pgFixture) string {
	var digest string
	f.e.DB.Raw(`SELECT digest FROM bids WHERE id = ?`, f.tenders.bid).Scan(&digest)
	return "digest=" + digest
}

// pgCommitmentMatrix: the public notice's "check my bid" form is anyone's;
// a malformed digest is the page again with the form's alert.
var pgCommitmentMatrix = map[string]pgGroup{
	"tender-commitment": {setup: pgTenderRecords, rows: []pgRow{
		{method: "GET", route: "/procurement/:id", note: "check my bid", params: pgTender(func(s *pgTenderSet) []int64 { return []int64{s.scoring} }),
			query: "?", where: pgCommitmentDigest, want: pgEveryone,
			scope: &pgScope{text: pgText(`id="check-verified"`), shown: pgIdentities}},
		{method: "GET", route: "/procurement/:id", note: "a malformed digest", params: pgTender(func(s *pgTenderSet) []int64 { return []int64{s.scoring} }),
			query: "?digest=not-hex",
			want:  pgWant{bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400}},
	}},
}
