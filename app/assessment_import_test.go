package app

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"sicherkommunal/catalog"
	"sicherkommunal/ent/answerchange"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/oscal"
)

const importCatalogMutation = `mutation($file: Upload!, $format: CatalogFormat!, $name: String, $version: String, $source: String) {
  importCatalog(input: {format: $format, file: $file, name: $name, version: $version, source: $source}) {
    id name version source groups { number title priority requirements { id ref question } } } }`

type gqlCatalog struct {
	ID, Name, Version string
	Source            *string
	Groups            []struct {
		Number, Priority int
		Title            string
		Requirements     []struct{ ID, Ref, Question string }
	}
}

// refs are a catalogue's references in order, as "<checklist>:<ref>:<question>".
func (c gqlCatalog) refs() []string {
	var out []string
	for _, g := range c.Groups {
		for _, r := range g.Requirements {
			out = append(out, fmt.Sprintf("%d:%s:%s", g.Number, r.Ref, r.Question))
		}
	}
	return out
}

func catalogueRefs(c *catalog.Catalogue) []string {
	var out []string
	for _, g := range c.Groups {
		for _, r := range g.Requirements {
			out = append(out, fmt.Sprintf("%d:%s:%s", g.Number, r.Ref, r.Question))
		}
	}
	return out
}

func importCatalogVars(format string, file []byte, name, version string) map[string]any {
	v := map[string]any{"format": format, "file": testUpload{name: "catalogue", content: file}}
	if name != "" {
		v["name"], v["version"] = name, version
	}
	return v
}

// TestImportCatalog: the demonstration catalogue imports from a WiBA-Tool
// spreadsheet and from an OSCAL catalog, each once per name and version;
// a broken file is refused naming the row or JSON path and stores nothing.
func TestImportCatalog(t *testing.T) {
	s := newTestServer(t)
	admin := s.token(t, "ADMIN", "")
	demo := catalog.Demo()
	sheet, err := catalog.WriteSheet(demo, nil)
	if err != nil {
		t.Fatal(err)
	}
	stored := func() (catalogs, requirements, audit int) {
		return s.DB.Client.Catalog.Query().CountX(bg()), s.DB.Client.Requirement.Query().CountX(bg()), s.DB.Client.AuditEvent.Query().CountX(bg())
	}

	var d struct{ ImportCatalog gqlCatalog }
	s.must(t, admin, importCatalogMutation, importCatalogVars("WIBA_XLSX", sheet, "Sheet-Katalog", "2026"), &d)
	got := d.ImportCatalog
	if got.Name != "Sheet-Katalog" || got.Version != "2026" || len(got.Groups) != 19 {
		t.Fatalf("imported: %s %s, %d groups", got.Name, got.Version, len(got.Groups))
	}
	if a, b := strings.Join(got.refs(), "\n"), strings.Join(catalogueRefs(demo), "\n"); a != b {
		t.Fatalf("the spreadsheet's questions:\n%s\nwant\n%s", a, b)
	}
	if got.Groups[2].Title != "Backup" || got.Groups[2].Priority != 1 || got.Groups[2].Requirements[0].Ref != "Backup-1" {
		t.Fatalf("checklist 3: %+v", got.Groups[2])
	}

	// The same file again: the stored catalogue, nothing written.
	c0, r0, a0 := stored()
	s.must(t, admin, importCatalogMutation, importCatalogVars("WIBA_XLSX", sheet, "Sheet-Katalog", "2026"), &d)
	if c, r, a := stored(); d.ImportCatalog.ID != got.ID || c != c0 || r != r0 || a != a0 {
		t.Fatalf("the same file again: id %s (was %s), %d/%d/%d rows (were %d/%d/%d)", d.ImportCatalog.ID, got.ID, c, r, a, c0, r0, a0)
	}

	// Refusals change nothing and name the problem.
	other := demo
	other.Groups = append([]catalog.Group(nil), demo.Groups...)
	other.Groups[0].Requirements = append([]catalog.Requirement(nil), demo.Groups[0].Requirements...)
	other.Groups[0].Requirements[0].Question = "Eine andere Frage?"
	changed, _ := catalog.WriteSheet(other, nil)
	for _, c := range []struct {
		name string
		vars map[string]any
		code string
		want string
	}{
		{"other content, same version", importCatalogVars("WIBA_XLSX", changed, "Sheet-Katalog", "2026"), "CONFLICT", "new version"},
		{"no name", importCatalogVars("WIBA_XLSX", sheet, "", ""), "VALIDATION", "name and version are required"},
		{"missing column", importCatalogVars("WIBA_XLSX", edited(t, nil, 1, 1, "Nummer"), "X", "1"), "VALIDATION", `"Nr. in WiBA"`},
		{"unknown checklist", importCatalogVars("WIBA_XLSX", edited(t, nil, 5, 0, "Kaffeeküche"), "X", "1"), "VALIDATION", "row 5: unknown checklist"},
		{"not a spreadsheet", importCatalogVars("WIBA_XLSX", []byte("Checkliste;Nr\n"), "X", "1"), "VALIDATION", "not a readable XLSX"},
		{"broken OSCAL", importCatalogVars("OSCAL_JSON", []byte(`{"catalog": {"uuid": "x", "metadata": {"title": 3, "version": "1", "oscal-version": "1.0.6", "last-modified": "2026-11-02T09:00:00Z"}}}`), "", ""), "VALIDATION", "catalog.metadata.title"},
	} {
		e := s.fails(t, admin, importCatalogMutation, c.vars, c.code)
		if !strings.Contains(e.Message, c.want) {
			t.Errorf("%s: %q does not name %q", c.name, e.Message, c.want)
		}
		if cc, r, a := stored(); cc != c0 || r != r0 || a != a0 {
			t.Fatalf("%s: refused import left rows: %d/%d/%d (were %d/%d/%d)", c.name, cc, r, a, c0, r0, a0)
		}
	}
	s.fails(t, s.token(t, "MINISTRY", ""), importCatalogMutation, importCatalogVars("WIBA_XLSX", sheet, "Y", "1"), "FORBIDDEN")

	// OSCAL: the team's catalog imports, and the stored one exports back
	// to the same requirements.
	doc, err := catalog.WriteOSCAL(demo, oscal.NewUUID, time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	s.must(t, admin, importCatalogMutation, importCatalogVars("OSCAL_JSON", doc, "", ""), &d)
	if d.ImportCatalog.Name != catalog.DemoName || d.ImportCatalog.Version != catalog.DemoVersion ||
		strings.Join(d.ImportCatalog.refs(), "\n") != strings.Join(catalogueRefs(demo), "\n") {
		t.Fatalf("OSCAL import: %s %s %v", d.ImportCatalog.Name, d.ImportCatalog.Version, d.ImportCatalog.refs())
	}
	back, err := catalog.Load(bg(), s.DB.Client, pulid.ID(d.ImportCatalog.ID))
	if err != nil {
		t.Fatal(err)
	}
	again, err := catalog.WriteOSCAL(back, oscal.NewUUID, time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	reread, err := catalog.ParseOSCAL(strings.NewReader(string(again)))
	if err != nil {
		t.Fatal(err)
	}
	if reread.Digest() != demo.Digest() {
		t.Fatalf("exported back: digest %s, the imported catalogue's %s", reread.Digest(), demo.Digest())
	}
	e := s.fails(t, admin, importCatalogMutation, importCatalogVars("OSCAL_JSON", doc, "Anderer Name", "1"), "VALIDATION")
	if !strings.Contains(e.Message, "differs from the document's") {
		t.Fatalf("a name against the document's: %s", e.Message)
	}
}

// sheetRows are a catalogue's rows as a WiBA-Tool export has them, the
// header first, with answers by reference.
func sheetRows(c *catalog.Catalogue, answers map[string]catalog.SheetAnswer) [][]string {
	rows := [][]string{append([]string(nil), catalog.SheetColumns...)}
	for _, g := range c.Groups {
		for _, r := range g.Requirements {
			a := answers[r.Ref]
			rows = append(rows, []string{g.Title, r.Ref, r.Question, r.Help, r.Effort, a.Answer, a.Notes})
		}
	}
	return rows
}

// xlsxOf writes rows as the first worksheet of a spreadsheet.
func xlsxOf(t *testing.T, rows [][]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, row := range rows {
		cells := make([]any, len(row))
		for j, v := range row {
			cells[j] = v
		}
		if err := f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+1), &cells); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// edited is the demonstration spreadsheet with one cell changed: the
// spreadsheet's row (1 is the header) and column (0 is A).
func edited(t *testing.T, answers map[string]catalog.SheetAnswer, row, col int, value string) []byte {
	t.Helper()
	rows := sheetRows(catalog.Demo(), answers)
	rows[row-1][col] = value
	return xlsxOf(t, rows)
}

const importAssessmentMutation = `mutation($file: Upload!, $id: ID!) { importAssessment(input: {assessmentID: $id, file: $file}) { ` + assessmentFields + ` } }`

// TestImportAssessment: a filled WiBA-Tool spreadsheet imports into an
// assessment; the same file twice changes nothing; a file with a missing
// header or an unknown answer changes nothing and names the problem.
func TestImportAssessment(t *testing.T) {
	s := newTestServer(t)
	admin := s.token(t, "ADMIN", "")
	demo := catalog.Demo()
	sheet, _ := catalog.WriteSheet(demo, nil)
	var c struct{ ImportCatalog gqlCatalog }
	s.must(t, admin, importCatalogMutation, importCatalogVars("WIBA_XLSX", sheet, "Katalog", "1"), &c)
	pa := s.participations(t, 1)[0]
	contractor := s.token(t, "CONTRACTOR", "")
	var d struct{ CreateAssessment gqlAssessment }
	s.must(t, contractor, `mutation($in: CreateAssessmentInput!) { createAssessment(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"participationID": pa, "catalogID": c.ImportCatalog.ID, "kind": "BASELINE"}}, &d)
	id := d.CreateAssessment.ID

	// Every question answered, in the tool's words.
	words := []string{"ja", "Nein", "teilweise", "entbehrlich", " JA ", "nicht zutreffend"}
	want := map[string]string{"ja": "YES", "nein": "NO", "teilweise": "PARTIAL", "entbehrlich": "NOT_APPLICABLE", "nicht zutreffend": "NOT_APPLICABLE"}
	filled := map[string]catalog.SheetAnswer{}
	expect := map[string]string{}
	i := 0
	for _, g := range demo.Groups {
		for _, r := range g.Requirements {
			w := words[i%len(words)]
			a := catalog.SheetAnswer{Answer: w}
			if strings.Contains(w, "entbehrlich") || strings.Contains(w, "zutreffend") {
				a.Notes = "Kein Gerät dieser Art im Haus"
			} else if i%4 == 0 {
				a.Notes = fmt.Sprintf("Notiz %d", i)
			}
			filled[r.Ref] = a
			expect[r.Ref] = want[strings.ToLower(strings.TrimSpace(w))]
			i++
		}
	}
	file, err := catalog.WriteSheet(demo, filled)
	if err != nil {
		t.Fatal(err)
	}
	changes := func() int { return s.DB.Client.AnswerChange.Query().CountX(bg()) }
	audit := func() int { return s.DB.Client.AuditEvent.Query().CountX(bg()) }
	up := func(f []byte) map[string]any {
		return map[string]any{"id": id, "file": testUpload{name: "wiba.xlsx", content: f}}
	}

	// Refused files change nothing, and name the problem.
	bad := func(mutate func(map[string]catalog.SheetAnswer)) []byte {
		m := map[string]catalog.SheetAnswer{}
		for k, v := range filled {
			m[k] = v
		}
		mutate(m)
		b, err := catalog.WriteSheet(demo, m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	ref5 := sheetRows(demo, nil)[4][1] // spreadsheet row 5
	for _, c := range []struct {
		name string
		file []byte
		want string
	}{
		{"unknown answer", bad(func(m map[string]catalog.SheetAnswer) { m[ref5] = catalog.SheetAnswer{Answer: "vielleicht"} }), `row 5 (Umsetzung): Umsetzung "vielleicht" is not one of`},
		{"not applicable without a reason", bad(func(m map[string]catalog.SheetAnswer) { m[ref5] = catalog.SheetAnswer{Answer: "entbehrlich"} }), "row 5: NOT_APPLICABLE needs a justification"},
		{"missing header", edited(t, filled, 1, 5, "Stand"), `lacks the column(s) "Umsetzung"`},
		{"a question not in the catalogue", edited(t, filled, 5, 1, "99"), `row 5: question`},
		{"a question twice", edited(t, filled, 5, 1, sheetRows(demo, nil)[3][1]), "answered twice (also row 4)"},
	} {
		e := s.fails(t, contractor, importAssessmentMutation, up(c.file), "VALIDATION")
		if !strings.Contains(e.Message, c.want) {
			t.Errorf("%s: %q does not name %q", c.name, e.Message, c.want)
		}
		if n := changes(); n != 0 {
			t.Fatalf("%s: a refused import left %d changes", c.name, n)
		}
	}

	var r struct{ ImportAssessment gqlAssessment }
	s.must(t, contractor, importAssessmentMutation, up(file), &r)
	n := 0
	for _, g := range r.ImportAssessment.Groups {
		for _, a := range g.Answers {
			n++
			if a.Status != expect[a.Requirement.Ref] {
				t.Errorf("%s: %s, want %s", a.Requirement.Ref, a.Status, expect[a.Requirement.Ref])
			}
			if f := filled[a.Requirement.Ref]; a.Status == "NOT_APPLICABLE" && deref(a.Justification) != f.Notes ||
				a.Status != "NOT_APPLICABLE" && deref(a.Note) != f.Notes {
				t.Errorf("%s: note %q, justification %q, the sheet's %q", a.Requirement.Ref, deref(a.Note), deref(a.Justification), f.Notes)
			}
		}
	}
	total := len(catalogueRefs(demo))
	if n != total || r.ImportAssessment.Score.Overall.Open != 0 {
		t.Fatalf("%d answers, %d open", n, r.ImportAssessment.Score.Overall.Open)
	}
	if got := s.DB.Client.AnswerChange.Query().Where(answerchange.ViaEQ(answerchange.ViaIMPORT)).CountX(bg()); got != total {
		t.Fatalf("%d changes via IMPORT, want %d", got, total)
	}

	// The same file twice changes nothing.
	c0, a0 := changes(), audit()
	s.must(t, contractor, importAssessmentMutation, up(file), &r)
	if c1, a1 := changes(), audit(); c1 != c0 || a1 != a0 {
		t.Fatalf("the same file again: %d changes (were %d), %d audit events (were %d)", c1, c0, a1, a0)
	}
	// Empty cells keep the stored answer: a sheet of one changed row
	// changes one answer.
	one := map[string]catalog.SheetAnswer{ref5: {Answer: "nein", Notes: "Nachgeprüft"}}
	oneFile, _ := catalog.WriteSheet(demo, one)
	s.must(t, contractor, importAssessmentMutation, up(oneFile), &r)
	if c1 := changes(); c1 != c0+1 {
		t.Fatalf("a sheet with one answer wrote %d changes", c1-c0)
	}
	if got := s.assessment(t, contractor, id); got.Score.Overall.Open != 0 {
		t.Fatalf("empty cells reset answers: %+v", got.Score.Overall)
	}

	// Only while IN_PROGRESS, by whoever conducts it.
	own, _ := s.kommuneTokens(t, pa)
	s.fails(t, own, importAssessmentMutation, up(file), "FORBIDDEN")
	s.must(t, contractor, `mutation($id: ID!) { submitAssessment(id: $id) { id } }`, map[string]any{"id": id}, nil)
	s.fails(t, contractor, importAssessmentMutation, up(file), "CONFLICT")
}
