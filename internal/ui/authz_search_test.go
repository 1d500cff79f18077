package ui_test

// pgSearchMatrix covers the search page: every signed-in role opens it; a
// one-character query is the form again with its alert; 康乐's legal name is
// found only by those who read that organization.
var pgSearchMatrix = map[string]pgGroup{
	"search": {rows: []pgRow{
		{method: "GET", route: "/search", want: pgSignedIn},
		{method: "GET", route: "/search", note: "康乐", query: "?q=%E5%BA%B7%E4%B9%90", want: pgSignedIn,
			scope: &pgScope{text: pgText("湖州市吴兴区康乐居家养老服务中心"), shown: []string{"demo-admin", "demo-district", "demo-org", "demo-member"},
				hidden: []string{"demo-org2", "demo-officer", "demo-officer2", "demo-evaluator", "demo-resident"}}},
		{method: "GET", route: "/search", note: "one character", query: "?q=%E5%BA%B7",
			want: pgWant{login, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400, bad400}},
	}},
}
