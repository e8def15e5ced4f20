package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"sicherkommunal/reconcile"
)

// TestHostileInputsRefusedBeforeSQL: oversized filters, lists, strings and
// nestings are refused with a code before any SQL runs (the only
// statements are the token lookup's, as for any refused request).
func TestHostileInputsRefusedBeforeSQL(t *testing.T) {
	f := newAccessFixture(t)
	co := f.tokens["CONTRACTOR"]
	// What a request refused by the guard costs: the token lookup.
	f.Counter.Reset()
	f.fails(t, co, `{ participations(first: 5000) { totalCount } }`, nil, "PAGE_TOO_LARGE")
	baseline := f.Counter.Count()

	huge := strings.Repeat(`{hasStepsWith: {noteContains: "x"}}, `, 20000)
	nested := strings.Repeat("{not: ", 2000) + `{ags: "1"}` + strings.Repeat("}", 2000)
	many := make([]string, 60000)
	for i := range many {
		many[i] = fmt.Sprintf("%08d", i)
	}
	cases := []struct {
		name, query string
		vars        map[string]any
		code        string
	}{
		{"or of 20,000 nested filters", `{ participations(where: {or: [` + huge + `]}) { totalCount } }`, nil, "VALIDATION"},
		// The parser itself refuses documents nested deeper than 1,000.
		{"2,000 nested nots", `{ municipalities(where: ` + nested + `) { totalCount } }`, nil, "GRAPHQL_PARSE_FAILED"},
		{"20 nested nots", `{ municipalities(where: ` + strings.Repeat("{not: ", 20) + `{ags: "1"}` + strings.Repeat("}", 20) + `) { totalCount } }`, nil, "QUERY_TOO_COMPLEX"},
		{"60,000 values in an In list", `query($a: [String!]) { municipalities(where: {agsIn: $a}) { totalCount } }`, map[string]any{"a": many}, "VALIDATION"},
		{"a 100 KB nameContains", `query($n: String) { municipalities(where: {nameContains: $n}) { totalCount } }`, map[string]any{"n": strings.Repeat("a", 100_000)}, "VALIDATION"},
		{"600 predicates", `{ municipalities(where: {or: [` + strings.Repeat(`{nameContains: "a", agsHasPrefix: "15", kind: LANDKREIS, nameHasPrefix: "S", arsHasPrefix: "15"}, `, 99) + `]}) { totalCount } }`, nil, "QUERY_TOO_COMPLEX"},
		{"nodes with 101 IDs", `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": repeat(f.paA, 101)}, "VALIDATION"},
		{"plain lists six levels deep", `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Participation { steps { participation { steps { participation { steps { participation { steps { id note } } } } } } } } } }`,
			map[string]any{"ids": []string{f.paA}}, "QUERY_TOO_COMPLEX"},
		{"the same ID 100 times, nested", `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Participation { steps { participation { steps { id note } } } } } }`,
			map[string]any{"ids": repeat(f.paA, 100)}, "QUERY_TOO_COMPLEX"},
		{"30 reconciliation reports", `{ ` + aliases(30, `reconciliation(programID: "%s", from: "2026-01-01", to: "2026-12-31") { totals { total { difference } } }`, f.programID(t)) + ` }`, nil, "QUERY_TOO_COMPLEX"},
		{"NUL in a filter", `query($n: String) { municipalities(where: {nameContains: $n}) { totalCount } }`, map[string]any{"n": "a\x00b"}, "VALIDATION"},
	}
	for _, c := range cases {
		tok := co
		if strings.Contains(c.name, "reconciliation") {
			tok = f.Admin
		}
		f.Counter.Reset()
		f.fails(t, tok, c.query, c.vars, c.code)
		if n := f.Counter.Count(); n > baseline {
			t.Errorf("%s: %d statements ran, a refused request costs %d", c.name, n, baseline)
		}
	}
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func aliases(n int, format string, args ...any) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "a%d: "+format+" ", append([]any{i}, args...)...)
	}
	return b.String()
}

// TestTextInputs: every text input refuses NUL and control characters and
// text above its length, alike on both databases; nothing is stored.
func TestTextInputs(t *testing.T) {
	f := newAccessFixture(t)
	create := `mutation($in: CreateMeasureInput!) { createMeasure(input: $in) { id title } }`
	in := func(title string) map[string]any {
		return map[string]any{"in": map[string]any{"participationID": f.paA, "kind": "TRAINING", "title": title, "stage": "STAGE_1", "plannedCost": "10.00"}}
	}
	before := f.DB.Client.Measure.Query().CountX(bg())
	for _, bad := range []string{"a\x00b", "bell\x07", "esc\x1b[31m", "c1\u0085", strings.Repeat("x", 2001)} {
		f.fails(t, f.Admin, create, in(bad), "VALIDATION")
	}
	f.fails(t, f.Admin, `mutation($in: CreateMunicipalityInput!) { createMunicipality(input: $in) { id } }`, map[string]any{"in": map[string]any{
		"ags": "15090998", "name": "Lang", "kind": "EINHEITSGEMEINDE", "contactEmail": strings.Repeat("a", 99_000) + "@x.example"}}, "VALIDATION")
	if n := f.DB.Client.Measure.Query().CountX(bg()); n != before {
		t.Fatalf("refused inputs stored %d measures", n-before)
	}
	// Tabs and line breaks are text.
	var d struct{ CreateMeasure struct{ Title string } }
	f.must(t, f.Admin, create, in("Zeile 1\nZeile 2\tTab"), &d)
	if d.CreateMeasure.Title != "Zeile 1\nZeile 2\tTab" {
		t.Fatalf("title %q", d.CreateMeasure.Title)
	}
}

// TestFieldVisibility: banking data is for ADMIN, MINISTRY and the Kommune
// itself, on every path, and a role may not filter or order by what it may
// not read.
func TestFieldVisibility(t *testing.T) {
	f := newAccessFixture(t)
	f.must(t, f.Admin, `mutation($id: ID!) { updateMunicipality(id: $id, input: {iban: "DE89370400440532013000"}) { id } }`, map[string]any{"id": f.muB}, nil)
	f.must(t, f.Admin, `mutation($id: ID!) { updateMunicipality(id: $id, input: {iban: "DE02120300000000202051"}) { id } }`, map[string]any{"id": f.muA}, nil)
	for _, role := range []string{"CONTRACTOR", "COORDINATOR"} {
		tok := f.tokens[role]
		for _, q := range []string{
			`{ municipalities { edges { node { iban } } } }`,
			`{ measures { edges { node { participation { municipality { iban } } } } } }`,
			`{ municipalities(where: {ibanHasPrefix: "DE"}) { totalCount } }`,
			`{ participations(where: {hasMunicipalityWith: {ibanNotNil: true}}) { totalCount } }`,
			`{ municipalities(orderBy: {field: UPDATED_AT}) { totalCount } }`,
		} {
			r := f.post(t, tok, q, nil)
			if len(r.Errors) != 1 || r.Errors[0].Code() != "FORBIDDEN" || strings.Contains(r.Raw, "DE89") || strings.Contains(r.Raw, `"data":{`) {
				t.Errorf("%s %s: %s", role, q, r.Raw)
			}
		}
	}
	co := f.tokens["CONTRACTOR"]
	f.fails(t, co, `{ participations(where: {hasLedgerEntriesWith: {kind: REVERSAL}}) { totalCount } }`, nil, "FORBIDDEN")
	f.fails(t, co, `{ participations(where: {hasLedgerEntries: true}) { totalCount } }`, nil, "FORBIDDEN")
	for _, role := range []string{"ADMIN", "MINISTRY"} {
		var d struct{ Municipalities struct{ TotalCount int } }
		f.must(t, f.tokens[role], `{ municipalities(where: {ibanHasPrefix: "DE"}) { totalCount } }`, nil, &d)
		if d.Municipalities.TotalCount != 2 {
			t.Errorf("%s sees %d IBANs", role, d.Municipalities.TotalCount)
		}
	}
	// A Kommune reads its own IBAN, and a nested filter reaches only its
	// own rows: B's IBAN does not answer, A's does.
	a := f.tokens["MUNICIPALITY"]
	probe := `query($ags: String!, $p: String!) { programs(where: {hasParticipationsWith: [{hasMunicipalityWith: [{ags: $ags, ibanHasPrefix: $p}]}]}) { totalCount } }`
	var own struct {
		Viewer struct{ Municipality struct{ Ags, Iban string } }
	}
	f.must(t, a, `{ viewer { municipality { ags iban } } }`, nil, &own)
	if own.Viewer.Municipality.Iban != "DE02120300000000202051" {
		t.Fatalf("own IBAN: %+v", own)
	}
	for _, c := range []struct {
		ags, prefix string
		want        int
	}{{f.agsB, "DE89", 0}, {f.agsB, "DE", 0}, {own.Viewer.Municipality.Ags, "DE02", 1}} {
		n, code := f.count(t, "MUNICIPALITY", probe, map[string]any{"ags": c.ags, "p": c.prefix})
		if code != "" || n != c.want {
			t.Errorf("probe %+v: %d %s", c, n, code)
		}
	}
	n, code := f.count(t, "MUNICIPALITY", `{ participations(where: {hasLedgerEntriesWith: {kind: DISBURSEMENT}}) { totalCount } }`, nil)
	if code != "" || n != 1 {
		t.Errorf("own ledger filter: %d %s", n, code)
	}
}

// TestEmptyFilters: an empty or null input object in a filter means "no
// condition", at the top and nested, as GraphQL users expect.
func TestEmptyFilters(t *testing.T) {
	f := newAccessFixture(t)
	for _, c := range []struct {
		query string
		vars  map[string]any
		want  int
	}{
		{`{ participations(where: {hasMunicipalityWith: {}}) { totalCount } }`, nil, 2},
		{`query($a: String) { participations(where: {hasMunicipalityWith: {ags: $a}}) { totalCount } }`, nil, 2},
		{`{ participations(where: {not: {}}) { totalCount } }`, nil, 2},
		// An empty element is taken out: the set condition still holds.
		{`{ participations(where: {or: [{}, {status: WITHDRAWN}]}) { totalCount } }`, nil, 0},
		{`query($a: String) { participations(where: {or: [{hasMunicipalityWith: {ags: $a}}, {status: WITHDRAWN}]}) { totalCount } }`, nil, 0},
		{`{ participations(where: {and: [{}], hasStepsWith: [{}, {not: {}}]}) { totalCount } }`, nil, 2},
		{`{ appointments(where: {hasConsultantsWith: {}}) { totalCount } }`, nil, 1},
		{`{ appointments(where: {hasParticipationsWith: [{hasMunicipalityWith: {}}]}) { totalCount } }`, nil, 1},
	} {
		r := f.post(t, f.Admin, c.query, c.vars)
		if len(r.Errors) > 0 || !strings.Contains(r.Raw, fmt.Sprintf(`"totalCount":%d`, c.want)) {
			t.Errorf("%s: %s", c.query, r.Raw)
		}
	}
	if strings.Contains(f.Logs.String(), "level=ERROR") {
		t.Errorf("empty filters logged errors:\n%s", grepLines(f.Logs.String(), "level=ERROR"))
	}
}

// TestExportsFollowTheMatrix: the reconciliation download is for the
// roles that may query the reconciliation, and shows what the query would.
func TestExportsFollowTheMatrix(t *testing.T) {
	f := newAccessFixture(t)
	for role, want := range map[string]int{"ADMIN": 200, "MINISTRY": 200, "COORDINATOR": 200, "CONTRACTOR": 403, "MUNICIPALITY": 403} {
		req, _ := http.NewRequest(http.MethodGet, f.URL+"/exports/reconciliation.csv?programID="+f.programID(t)+"&from=2026-01-01&to=2026-12-31", nil)
		req.Header.Set("Authorization", "Bearer "+f.tokens[role])
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(res)
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("%s: %d %s", role, res.StatusCode, body)
		}
	}
	// The open items follow the field matrix: COORDINATOR reads the
	// counts, not the bank lines (ids, amounts, references, notes).
	f.importFile(t, f.tokens["MINISTRY"], "CAMT053", "camt053-001-10-mixed.xml")
	items, counts := map[string]string{}, map[string]string{}
	for _, role := range []string{"MINISTRY", "COORDINATOR"} {
		res, body := f.download(t, f.tokens[role], "/exports/reconciliation.xlsx?programID="+f.programID(t))
		if res.StatusCode != 200 {
			t.Fatalf("%s xlsx: %d %s", role, res.StatusCode, body)
		}
		x, err := excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := x.GetRows(reconcile.SheetOpenItems)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, r := range rows {
			b.WriteString(strings.Join(r, ";") + "\n")
		}
		items[role] = b.String()
		summary, err := x.GetRows(reconcile.SheetSummary)
		if err != nil {
			t.Fatal(err)
		}
		counts[role] = fmt.Sprint(summary)
	}
	if counts["MINISTRY"] != counts["COORDINATOR"] || !strings.Contains(counts["COORDINATOR"], "Unattributed bank transactions") {
		t.Errorf("the counts differ by role:\nMINISTRY %s\nCOORDINATOR %s", counts["MINISTRY"], counts["COORDINATOR"])
	}
	if !strings.Contains(items["MINISTRY"], "BANK_") || !strings.Contains(items["MINISTRY"], "BT01") {
		t.Errorf("MINISTRY's open items lack the bank lines:\n%s", items["MINISTRY"])
	}
	if strings.Contains(items["COORDINATOR"], "BANK_") || strings.Contains(items["COORDINATOR"], "BT01") {
		t.Errorf("COORDINATOR's open items show bank lines:\n%s", items["COORDINATOR"])
	}
}

// TestNodesAnswerAlike: nodes(ids:) answers one ID as it answers many: a
// list as long as the IDs, null where nothing the token may read is found,
// one NOT_FOUND error per such place; another Kommune's object and a
// missing one look the same.
func TestNodesAnswerAlike(t *testing.T) {
	f := newAccessFixture(t)
	a := f.tokens["MUNICIPALITY"]
	missing := "PA01JD3K8Z6W8M2X1Q4R5T7V9B0C"
	for _, ids := range [][]string{{f.paB}, {missing}, {f.paA, f.paB}, {f.paB, f.muB}, {f.paA, f.paB, missing}} {
		r := f.post(t, a, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": ids})
		var d struct{ Nodes []*struct{ ID string } }
		if err := json.Unmarshal(r.Data, &d); err != nil || len(d.Nodes) != len(ids) {
			t.Fatalf("%v: %s", ids, r.Raw)
		}
		nulls := 0
		for i, n := range d.Nodes {
			if (n != nil) != (ids[i] == f.paA) {
				t.Errorf("%v: place %d: %s", ids, i, r.Raw)
			}
			if n == nil {
				nulls++
			}
		}
		if len(r.Errors) != nulls {
			t.Errorf("%v: %d errors for %d nulls: %s", ids, len(r.Errors), nulls, r.Raw)
		}
		for _, e := range r.Errors {
			if e.Code() != "NOT_FOUND" || len(e.Path) != 2 {
				t.Errorf("%v: %s", ids, r.Raw)
			}
		}
	}
}
