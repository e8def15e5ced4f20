package app

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"sicherkommunal/graph"
	"sicherkommunal/ledger"
	"sicherkommunal/store"
	"sicherkommunal/store/storetest"
)

// The non-interference test: two databases that differ only in what a
// role may not see must answer that role byte for byte alike, for every
// query a generator derives from the schema: every where field and every
// has…With edge of every connection two levels deep, totalCount, every
// orderBy, pagination, every readable field, node and nodes. The
// generator walks the compiled schema, so a new type, field or filter is
// covered the day it is added.

// cloneServer starts a second server on a copy of s's database.
func cloneServer(t *testing.T, s *testServer) *testServer {
	t.Helper()
	ctx := context.Background()
	var url string
	if storetest.PostgresURL() == "" {
		path := filepath.Join(t.TempDir(), "clone.db")
		if _, err := s.DB.SQL.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
			t.Fatal(err)
		}
		url = "sqlite:" + path
	} else {
		url = storetest.URL(t)
		dst, err := store.Open(ctx, url, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer dst.Close()
		if err := dst.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if err := ledger.Install(ctx, dst); err != nil {
			t.Fatal(err)
		}
		var from, to string
		if err := s.DB.SQL.QueryRowContext(ctx, "SELECT current_schema()").Scan(&from); err != nil {
			t.Fatal(err)
		}
		if err := dst.SQL.QueryRowContext(ctx, "SELECT current_schema()").Scan(&to); err != nil {
			t.Fatal(err)
		}
		rows, err := s.DB.SQL.QueryContext(ctx, "SELECT tablename FROM pg_tables WHERE schemaname = $1", from)
		if err != nil {
			t.Fatal(err)
		}
		var tables []string
		for rows.Next() {
			var n string
			_ = rows.Scan(&n)
			tables = append(tables, n)
		}
		rows.Close()
		tx, err := dst.SQL.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = tx.Rollback() }()
		// Copy rows as they are: no triggers (they would move the
		// funding totals twice), no foreign-key order.
		if _, err := tx.ExecContext(ctx, "SET LOCAL session_replication_role = replica"); err != nil {
			t.Fatal(err)
		}
		for _, tb := range tables {
			if _, err := tx.ExecContext(ctx, fmt.Sprintf(`DELETE FROM %q.%q`, to, tb)); err != nil {
				t.Fatal(err)
			}
			if _, err := tx.ExecContext(ctx, fmt.Sprintf(`INSERT INTO %q.%q SELECT * FROM %q.%q`, to, tb, from, tb)); err != nil {
				t.Fatalf("copy %s: %v", tb, err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	c := newTestServerOn(t, url)
	c.Clock.Set(s.Clock.Now())
	return c
}

// niGen generates the queries of the non-interference test.
type niGen struct {
	s       *ast.Schema
	ids     []string        // IDs that exist in both databases
	covered map[string]bool // "WhereInput.field" reached
}

func newNIGen(ids []string) *niGen {
	return &niGen{s: graph.NewExecutableSchema(graph.Config{}).Schema(), ids: ids, covered: map[string]bool{}}
}

// connections returns the Query fields that are connections.
func (g *niGen) connections() []*ast.FieldDefinition {
	var out []*ast.FieldDefinition
	for _, f := range g.s.Query.Fields {
		if strings.HasSuffix(f.Type.Name(), "Connection") {
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func gqlString(s string) string { b, _ := json.Marshal(s); return string(b) }

// value is a literal for a where field, or "" when the generator has none.
func (g *niGen) value(f *ast.FieldDefinition) string {
	typ := f.Type.Name()
	list := f.Type.Elem != nil
	name := f.Name
	var v string
	def := g.s.Types[typ]
	switch {
	case typ == "Boolean":
		return "true"
	case typ == "ID":
		if list {
			n := min(len(g.ids), 90)
			q := make([]string, n)
			for i := range q {
				q[i] = gqlString(g.ids[i])
			}
			return "[" + strings.Join(q, ", ") + "]"
		}
		v = gqlString(g.ids[len(name)%len(g.ids)])
	case def != nil && def.Kind == ast.Enum:
		v = def.EnumValues[0].Name
	case typ == "String":
		switch {
		case strings.HasSuffix(name, "HasPrefix"):
			v = `"DE"`
		case strings.HasSuffix(name, "HasSuffix"):
			v = `"0"`
		case strings.HasSuffix(name, "GT"), strings.HasSuffix(name, "GTE"):
			v = `""`
		case strings.HasSuffix(name, "LT"), strings.HasSuffix(name, "LTE"):
			v = `"~"`
		case strings.HasSuffix(name, "Fold"):
			v = `"E"`
		default:
			v = `"e"`
		}
	case typ == "Decimal":
		v = `"0.00"`
		if strings.HasSuffix(name, "LT") || strings.HasSuffix(name, "LTE") {
			v = `"900000.00"`
		}
	case typ == "Date":
		v = `"2000-01-01"`
		if strings.HasSuffix(name, "LT") || strings.HasSuffix(name, "LTE") {
			v = `"2100-01-01"`
		}
	case typ == "Time":
		v = `"2000-01-01T00:00:00Z"`
		if strings.HasSuffix(name, "LT") || strings.HasSuffix(name, "LTE") {
			v = `"2100-01-01T00:00:00Z"`
		}
	case typ == "Int":
		v = "0"
	default:
		return ""
	}
	if list {
		return "[" + v + "]"
	}
	return v
}

// predicates returns where-input bodies for an input type; depth counts
// the has…With edges crossed (two at most). Past the first edge one
// predicate per filtered field is enough: the row filter does not depend
// on the operator.
func (g *niGen) predicates(where string, depth int) []string {
	def := g.s.Types[where]
	var out []string
	seenBase := map[string]bool{}
	for _, f := range def.Fields {
		key := where + "." + f.Name
		switch {
		case f.Name == "not":
			out = append(out, fmt.Sprintf(`not: {idIn: %s}`, g.value(&ast.FieldDefinition{Name: "idIn", Type: ast.ListType(ast.NamedType("ID", nil), nil)})))
		case f.Name == "and" || f.Name == "or":
			out = append(out, fmt.Sprintf(`%s: [{createdAtGT: "2000-01-01T00:00:00Z"}, {}]`, f.Name))
			if def.Fields.ForName("createdAtGT") == nil {
				out[len(out)-1] = f.Name + ": [{}]"
			}
		case strings.HasSuffix(f.Type.Name(), "WhereInput"):
			out = append(out, f.Name+": [{}]")
			if depth < 2 {
				for _, p := range g.predicates(f.Type.Name(), depth+1) {
					out = append(out, fmt.Sprintf("%s: [{%s}]", f.Name, p))
				}
			}
		default:
			v := g.value(f)
			if v == "" {
				continue
			}
			if depth >= 1 {
				base := strings.TrimRight(f.Name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
				if i := strings.IndexAny(f.Name[1:], "ABCDEFGHIJKLMNOPQRSTUVWXYZ"); i >= 0 {
					base = f.Name[:i+1]
				}
				if seenBase[base] && depth >= 2 {
					g.covered[key] = true // the same field at a shallower depth covers the operator
					continue
				}
				seenBase[base] = true
			}
			out = append(out, fmt.Sprintf("%s: %s", f.Name, v))
		}
		g.covered[key] = true
	}
	return out
}

// whereFields returns every field of every where input of the schema.
func (g *niGen) whereFields() []string {
	var out []string
	for name, def := range g.s.Types {
		if def.Kind == ast.InputObject && strings.HasSuffix(name, "WhereInput") {
			for _, f := range def.Fields {
				out = append(out, name+"."+f.Name)
			}
		}
	}
	sort.Strings(out)
	return out
}

const niRows = `totalCount edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }`

// fieldSelection selects what a field returns: scalars as they are,
// connections by count and IDs, objects by their scalar fields.
func (g *niGen) fieldSelection(f *ast.FieldDefinition, depth int) string {
	def := g.s.Types[f.Type.Name()]
	if def == nil || def.Kind == ast.Scalar || def.Kind == ast.Enum {
		return f.Name
	}
	if strings.HasSuffix(def.Name, "Connection") {
		return f.Name + "(first: 3) { totalCount edges { node { id } } }"
	}
	if depth > 1 {
		if def.Fields.ForName("id") != nil {
			return f.Name + " { id }"
		}
		return f.Name + " { __typename }"
	}
	var parts []string
	for _, c := range def.Fields {
		if len(c.Arguments) > 0 && !strings.HasSuffix(c.Type.Name(), "Connection") {
			continue
		}
		parts = append(parts, g.fieldSelection(c, depth+1))
	}
	return f.Name + " { " + strings.Join(parts, " ") + " }"
}

// niQuery is one selection of the root, with an alias added when batched.
type niQuery struct{ sel string }

// queries generates the selections of the test.
func (g *niGen) queries(programID string) []niQuery {
	var out []niQuery
	for _, c := range g.connections() {
		node := strings.TrimSuffix(c.Type.Name(), "Connection")
		out = append(out, niQuery{c.Name + " { " + niRows + " }"},
			niQuery{c.Name + "(first: 1) { " + niRows + " }"},
			niQuery{c.Name + "(last: 1) { " + niRows + " }"})
		if o := g.s.Types[node+"OrderField"]; o != nil {
			for _, v := range o.EnumValues {
				for _, d := range []string{"ASC", "DESC"} {
					out = append(out, niQuery{fmt.Sprintf("%s(first: 5, orderBy: {field: %s, direction: %s}) { %s }", c.Name, v.Name, d, niRows)})
				}
			}
		}
		if w := c.Arguments.ForName("where"); w != nil {
			for _, p := range g.predicates(w.Type.Name(), 0) {
				out = append(out, niQuery{fmt.Sprintf("%s(first: 5, where: {%s}) { totalCount edges { node { id } } }", c.Name, p)})
			}
		}
		// Every field of the node, one query each (a field the role may
		// not read refuses its query alike in both databases).
		for _, f := range g.s.Types[node].Fields {
			out = append(out, niQuery{fmt.Sprintf("%s(first: 20) { edges { node { id %s } } }", c.Name, g.fieldSelection(f, 1))})
		}
	}
	for _, id := range g.ids {
		out = append(out, niQuery{fmt.Sprintf("node(id: %s) { id __typename }", gqlString(id))})
	}
	var all []string
	for _, id := range g.ids[:min(len(g.ids), 90)] {
		all = append(all, gqlString(id))
	}
	out = append(out, niQuery{"nodes(ids: [" + strings.Join(all, ", ") + "]) { id __typename }"})
	// The reports and aggregates of a programme.
	for _, f := range g.s.Query.Fields {
		if len(f.Arguments) == 1 && f.Arguments[0].Name == "programID" {
			out = append(out, niQuery{strings.Replace(g.fieldSelection(f, 0), f.Name, f.Name+"(programID: "+gqlString(programID)+")", 1)})
		}
	}
	out = append(out, niQuery{fmt.Sprintf(`reconciliation(programID: %s, from: "2026-01-01", to: "2026-12-31") { totals { total { ledgerPaid bankConfirmed difference } } participations { municipalityName stage1 { ledgerPaid } } }`, gqlString(programID))},
		niQuery{g.fieldSelection(g.s.Query.Fields.ForName("viewer"), 0)})
	return out
}

// niCompare runs the queries as token against both servers and reports
// every difference; it returns how many selections answered with data.
func niCompare(t *testing.T, a, b *testServer, token string, qs []niQuery, errorsAllowed int) (answered, differ int) {
	t.Helper()
	const batch = 40
	run := func(doc string) (string, string, bool) {
		r1 := a.post(t, token, doc, nil)
		r2 := b.post(t, token, doc, nil)
		return r1.Raw, r2.Raw, len(r1.Errors) == 0
	}
	reported := 0
	// check runs a group of selections in one document; a group refused
	// as a whole, or answered differently, is split in halves down to
	// single selections.
	var check func(part []niQuery)
	check = func(part []niQuery) {
		var doc strings.Builder
		doc.WriteString("{\n")
		for j, q := range part {
			fmt.Fprintf(&doc, "q%d: %s\n", j, q.sel)
		}
		doc.WriteString("}")
		r1, r2, ok := run(doc.String())
		if ok && r1 == r2 {
			answered += len(part)
			return
		}
		if len(part) > 1 {
			check(part[:len(part)/2])
			check(part[len(part)/2:])
			return
		}
		if r1 != r2 {
			differ++
			if reported < errorsAllowed {
				reported++
				t.Errorf("answers differ for { %s }:\n  %s\n  %s", part[0].sel, clip(r1), clip(r2))
			}
		}
	}
	for i := 0; i < len(qs); i += batch {
		check(qs[i:min(i+batch, len(qs))])
	}
	return answered, differ
}

func clip(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}

// niIDs lists the IDs of the fixture's rows of every type.
func niIDs(t *testing.T, f *accessFixture) []string {
	t.Helper()
	ids := []string{f.paA, f.paB, f.muA, f.muB, f.stepB, f.entB, f.apShared, f.measureB}
	c := f.DB.Client
	for _, id := range c.Step.Query().IDsX(bg()) {
		ids = append(ids, string(id))
	}
	for _, id := range c.Flag.Query().IDsX(bg()) {
		ids = append(ids, string(id))
	}
	for _, id := range c.APIToken.Query().IDsX(bg()) {
		ids = append(ids, string(id))
	}
	for _, id := range c.LedgerEntry.Query().IDsX(bg()) {
		ids = append(ids, string(id))
	}
	for _, id := range c.Consultant.Query().IDsX(bg()) {
		ids = append(ids, string(id))
	}
	return ids
}

// TestNonInterference: MUNICIPALITY A against everything of Kommune B;
// CONTRACTOR against money and banking data; COORDINATOR against tokens
// and the audit trail.
func TestNonInterference(t *testing.T) {
	pairs := []struct {
		role string
		hide func(t *testing.T, f *accessFixture, s2 *testServer)
		// control, if set, is the query whose answer to ADMIN must differ
		// (instead of a sample of the generated ones: the hidden data of
		// the pair is too small a part of the database for a sample).
		control string
	}{
		{"MUNICIPALITY", hideKommuneB, ""},
		{"CONTRACTOR", hideMoney, ""},
		{"COORDINATOR", hideTokens, ""},
		// MID reads the audit trail, which differs between two servers
		// by their start; TestFindingDetailsMatrix shows MID reads no
		// more of findings than KITU does.
		{"COORDINATOR", hideFindingDetails, `{ findings { edges { node { host port description cves history { reason } firstTest { scope } } } } }`},
	}
	for i, p := range pairs {
		// Unique subtest names: a "#01" suffix would end the SQLite path
		// of the test database at the '#'.
		t.Run(fmt.Sprintf("%d-%s", i+1, p.role), func(t *testing.T) {
			f := newAccessFixture(t)
			s2 := cloneServer(t, f.testServer)
			p.hide(t, f, s2)
			g := newNIGen(niIDs(t, f))
			qs := g.queries(f.programID(t))
			answered, _ := niCompare(t, f.testServer, s2, f.tokens[p.role], qs, 10)
			// The pair really differs: ADMIN sees the hidden data, so the
			// same queries answer ADMIN differently.
			var sample []niQuery
			for i := 0; i < len(qs); i += 5 {
				sample = append(sample, qs[i])
			}
			if p.control != "" {
				if a, b := f.post(t, f.Admin, p.control, nil).Raw, s2.post(t, s2.Admin, p.control, nil).Raw; a == b {
					t.Errorf("%s answers ADMIN alike in both databases: the hidden data is not there: %s", p.control, clip(a))
				}
				t.Logf("%s: %d selections, %d answered with data", p.role, len(qs), answered)
				return
			}
			_, differ := niCompare(t, f.testServer, s2, f.Admin, sample, 0)
			t.Logf("%s: %d selections, %d answered with data; %d of a sample of %d answer ADMIN differently", p.role, len(qs), answered, differ, len(sample))
			if differ < 20 {
				t.Errorf("the two databases differ in only %d of %d answers to ADMIN: the hidden data is not what the queries reach", differ, len(sample))
			}
			if answered < len(qs)/3 {
				t.Errorf("only %d of %d selections answered with data", answered, len(qs))
			}
			var missing []string
			for _, k := range g.whereFields() {
				if !g.covered[k] {
					missing = append(missing, k)
				}
			}
			if len(missing) > 0 {
				t.Errorf("the generator reaches no query for %d where fields: %v", len(missing), missing)
			}
			if len(g.covered) < len(g.whereFields()) {
				t.Errorf("generator covers %d of %d where fields", len(g.covered), len(g.whereFields()))
			}
		})
	}
}

// hideKommuneB changes, in the second database, only what A may not see:
// B's IBAN, name and e-mail, payments and a reversal reason, step dates
// and notes, a measure, an appointment without A, flags.
func hideKommuneB(t *testing.T, f *accessFixture, s2 *testServer) {
	t.Helper()
	adm := s2.Admin
	s2.must(t, adm, `mutation($id: ID!, $in: UpdateMunicipalityInput!) { updateMunicipality(id: $id, input: $in) { id } }`,
		map[string]any{"id": f.muB, "in": map[string]any{"iban": "DE89370400440532013000", "name": "Geheimstadt", "contactEmail": "geheim@b.example"}}, nil)
	s2.must(t, adm, postDisbursement, payment(f.paB, "STAGE_1", "300.00", "2026-03-01", "hidden-b"), nil)
	s2.must(t, adm, reverseDisbursement, map[string]any{"in": map[string]any{"entryID": f.entB, "amount": "50.00", "reason": "Rueckforderung geheim", "idempotencyKey": "hidden-rev"}}, nil)
	s2.must(t, adm, `mutation($id: ID!, $in: UpdateStepInput!) { updateStep(id: $id, input: $in) { id } }`,
		map[string]any{"id": f.stepB, "in": map[string]any{"dueOn": "2026-12-01", "note": "geheime Notiz"}}, nil)
	s2.must(t, adm, `mutation($in: CreateMeasureInput!) { createMeasure(input: $in) { id } }`, map[string]any{"in": map[string]any{
		"participationID": f.paB, "kind": "WORKSHOP", "title": "Geheimer Workshop", "stage": "STAGE_1", "plannedCost": "25000.00"}}, nil)
	var co struct {
		Consultants struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	s2.must(t, adm, `{ consultants { edges { node { id } } } }`, nil, &co)
	s2.must(t, adm, `mutation($in: ScheduleAppointmentInput!) { scheduleAppointment(input: $in) { id } }`, map[string]any{"in": map[string]any{
		"kind": "ONSITE_VISIT", "title": "Vor-Ort geheim", "startsAt": "2026-12-09T10:00:00+01:00", "endsAt": "2026-12-09T12:00:00+01:00",
		"location": "Rathaus B", "participationIDs": []string{f.paB}, "consultantIDs": []string{co.Consultants.Edges[0].Node.ID}}}, nil)
	s2.runJob(t, "overdue-steps")
	s2.runJob(t, "budget-overruns")
}

// hideMoney changes, in the second database, only money and banking
// data: IBANs, payments, a reversal, bank lines.
func hideMoney(t *testing.T, f *accessFixture, s2 *testServer) {
	t.Helper()
	adm := s2.Admin
	for i, mu := range []string{f.muA, f.muB} {
		s2.must(t, adm, `mutation($id: ID!, $in: UpdateMunicipalityInput!) { updateMunicipality(id: $id, input: $in) { id } }`,
			map[string]any{"id": mu, "in": map[string]any{"iban": []string{"DE89370400440532013000", "DE02120300000000202051"}[i]}}, nil)
	}
	s2.must(t, adm, postDisbursement, payment(f.paA, "STAGE_1", "1000.00", "2026-03-01", "hidden-a"), nil)
	s2.must(t, adm, postDisbursement, payment(f.paB, "STAGE_1", "2000.00", "2026-03-01", "hidden-b"), nil)
	s2.must(t, adm, reverseDisbursement, map[string]any{"in": map[string]any{"entryID": f.entB, "amount": "20.00", "reason": "Rueckforderung", "idempotencyKey": "hidden-rev"}}, nil)
	csv := "statement_id;line_ref;booking_date;value_date;credit_debit;amount;currency;counterparty_name;counterparty_iban;remittance\n" +
		"NI-1;1;2026-03-02;2026-03-02;DBIT;1000.00;EUR;Kommune A;DE89370400440532013000;KZ-hidden-a\n" +
		"NI-1;2;2026-03-02;2026-03-02;DBIT;777.00;EUR;Unbekannt;DE02120300000000202051;ohne Zeichen\n"
	s2.must(t, adm, `mutation($in: ImportBankStatementInput!) { importBankStatement(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"format": "CSV", "content": csv}}, nil)
}

// hideFindingDetails changes, in the second database, only the details of
// findings that MID and KITU may not read: hosts, ports, descriptions,
// solutions, rules, vectors, CVEs and CWEs, the tests' scopes and the
// findings' history.
func hideFindingDetails(t *testing.T, f *accessFixture, s2 *testServer) {
	t.Helper()
	ctx := context.Background()
	d := s2.DB.Dialect
	for i, id := range []string{f.findingA, f.findingB} {
		if _, err := s2.DB.SQL.ExecContext(ctx, d.Rebind(`UPDATE findings SET host = ?, port = ?, hostname = ?, description = ?, solution = ?,
  rule_id = ?, cvss_vector = ?, cves = ?, cwes = ?, status_reason = ?, accepted_by = ? WHERE id = ?`),
			fmt.Sprintf("192.168.%d.77", i), "8443/tcp", "rathaus-intern.example", "Geheime Beschreibung", "Geheime Lösung",
			"1.3.6.1.4.1.25623.1.0.999999", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", `["CVE-2024-0001"]`, `["CWE-79"]`,
			"geheimer Grund", "Herr Geheim", id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s2.DB.SQL.ExecContext(ctx, `UPDATE security_tests SET scope = 'Geheimes Netz 192.168.0.0/16'`); err != nil {
		t.Fatal(err)
	}
	// A history entry, written without an audit event (MID reads the
	// audit trail, which would tell that something changed).
	if _, err := s2.DB.SQL.ExecContext(ctx, d.Rebind(`INSERT INTO finding_changes (id, finding_id, to_status, reason, via, actor, actor_role, changed_at)
  VALUES (?, ?, 'OPEN', 'geheimer Grund', 'MANUAL', 'Herr Geheim', 'CONTRACTOR', ?)`), "FX01M8XKWBJYDZRG493XMDH5SMP2", f.findingB, time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
}

// hideTokens changes, in the second database, only tokens and the audit
// trail.
func hideTokens(t *testing.T, f *accessFixture, s2 *testServer) {
	t.Helper()
	tok := s2.token(t, "MINISTRY", "")
	_ = tok
	var d struct {
		CreateApiToken struct{ ApiToken struct{ ID string } }
	}
	s2.must(t, s2.Admin, `mutation { createApiToken(input: {name: "geheim", role: ADMIN}) { apiToken { id } } }`, nil, &d)
	s2.must(t, s2.Admin, `mutation($id: ID!) { revokeApiToken(id: $id) { id } }`, map[string]any{"id": d.CreateApiToken.ApiToken.ID}, nil)
}
