package catalog_test

import (
	"bytes"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"sicherkommunal/catalog"
	"sicherkommunal/ent/schema/types"
)

// header is the header row of a WiBA-Tool export.
var header = []string{"Checkliste WiBA", "Nr. in WiBA", "Prüffrage WiBA", "Hilfsmittel", "Aufwand", "Umsetzung", "Notizen"}

// xlsx writes a spreadsheet whose first worksheet has rows from row 1
// (nil rows stay empty), as a WiBA-Tool export or a broken one.
func xlsx(t testing.TB, rows ...[]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	// A second sheet before the first would be read instead: ReadSheet
	// reads the first one only.
	if _, err := f.NewSheet("Auswertung"); err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellValue("Auswertung", "A1", "nicht lesen"); err != nil {
		t.Fatal(err)
	}
	sheet := f.GetSheetName(0)
	for i, r := range rows {
		if r == nil {
			continue
		}
		cells := make([]any, len(r))
		for j, c := range r {
			cells[j] = c
		}
		if err := f.SetSheetRow(sheet, "A"+strconv.Itoa(i+1), &cells); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// wibaSheet is a WiBA-Tool-shaped export: an empty row, the header (in
// another order, with an extra column), questions with an empty row and
// one with only the extra column between them.
func wibaSheet(t testing.TB) []byte {
	return xlsx(t,
		nil,
		[]string{"Nr. in WiBA", " checkliste  wiba ", "Prüffrage WiBA", "Hilfsmittel", "Aufwand", "Bemerkung intern", "UMSETZUNG", "Notizen"},
		[]string{"2", "Backup", "Wird offline gesichert?", "Offline-Medium", "mittel", "x", "ja", "Band im Tresor"},
		[]string{"1", "3 Backup", "Gibt es ein Sicherungskonzept?\r\nMit Plan?", "", "gering", "", "Teilweise", ""},
		nil,
		[]string{"", "", "", "", "", "nur intern", "", ""},
		[]string{"IT-Admin-4", "7. IT-Administration", "Gibt es ein Inventar?", "", " hoch ", "", "", ""},
	)
}

func TestReadSheet(t *testing.T) {
	rows, err := catalog.ReadSheet(bytes.NewReader(wibaSheet(t)))
	if err != nil {
		t.Fatal(err)
	}
	want := []catalog.SheetRow{
		{Row: 3, Checklist: "Backup", Nr: "2", Question: "Wird offline gesichert?", Help: "Offline-Medium", Effort: "mittel", Answer: "ja", Notes: "Band im Tresor"},
		{Row: 4, Checklist: "3 Backup", Nr: "1", Question: "Gibt es ein Sicherungskonzept?\nMit Plan?", Effort: "gering", Answer: "Teilweise"},
		{Row: 7, Checklist: "7. IT-Administration", Nr: "IT-Admin-4", Question: "Gibt es ein Inventar?", Effort: "hoch"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("got  %+v\nwant %+v", rows, want)
	}
}

func TestReadSheetRefusals(t *testing.T) {
	long := strings.Repeat("x", catalog.MaxCellBytes+1)
	many := [][]string{header}
	for i := range catalog.MaxSheetRows + 1 {
		many = append(many, []string{"Backup", strconv.Itoa(i + 1), "Q?"})
	}
	for _, tc := range []struct {
		name string
		file []byte
		want []string
	}{
		{"missing headers", xlsx(t, []string{"Checkliste WiBA", "Nr. in WiBA", "Prüffrage", "Aufwand", "Umsetzung"}),
			[]string{`row 1 (the header) lacks the column(s) "Prüffrage WiBA", "Hilfsmittel", "Notizen"`}},
		{"header after empty rows", xlsx(t, nil, nil, []string{"Checkliste WiBA"}), []string{"row 3 (the header) lacks", `"Nr. in WiBA"`}},
		{"a header twice", xlsx(t, append(append([]string{}, header...), "Umsetzung")), []string{`columns F and H are both "Umsetzung"`}},
		{"empty sheet", xlsx(t), []string{"is empty", `"Checkliste WiBA"`}},
		{"a long cell", xlsx(t, header, []string{"Backup", "1", "Q?"}, []string{"Backup", "2", long}), []string{"row 3, column C: the cell is 20001 bytes long"}},
		{"too many rows", xlsx(t, many...), []string{"row 5002: the sheet has more than 5000 question rows"}},
		{"not a spreadsheet", []byte("Checkliste WiBA;Nr. in WiBA\n"), []string{"not a readable XLSX"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := catalog.ReadSheet(bytes.NewReader(tc.file))
			wantValidation(t, err, tc.want...)
		})
	}
}

func TestFromSheet(t *testing.T) {
	rows, err := catalog.ReadSheet(bytes.NewReader(wibaSheet(t)))
	if err != nil {
		t.Fatal(err)
	}
	c, err := catalog.FromSheet(rows, " BSI WiBA ", "2026-02")
	if err != nil {
		t.Fatal(err)
	}
	want := &catalog.Catalogue{Name: "BSI WiBA", Version: "2026-02", Groups: []catalog.Group{
		{Number: 3, Priority: 1, Title: "Backup", Requirements: []catalog.Requirement{
			{Ref: "Backup-1", Number: 1, Question: "Gibt es ein Sicherungskonzept?\nMit Plan?", Effort: "gering"},
			{Ref: "Backup-2", Number: 2, Question: "Wird offline gesichert?", Help: "Offline-Medium", Effort: "mittel"},
		}},
		{Number: 7, Priority: 1, Title: "IT-Administration", Requirements: []catalog.Requirement{
			{Ref: "IT-Admin-4", Number: 4, Question: "Gibt es ein Inventar?", Effort: "hoch"},
		}},
	}}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got  %+v\nwant %+v", c, want)
	}
}

func TestFromSheetRefusals(t *testing.T) {
	row := func(n int, checklist, nr, question string) catalog.SheetRow {
		return catalog.SheetRow{Row: n, Checklist: checklist, Nr: nr, Question: question}
	}
	ok := row(2, "Backup", "1", "Q?")
	for _, tc := range []struct {
		name string
		rows []catalog.SheetRow
		want []string
	}{
		{"no rows", nil, []string{"no question rows"}},
		{"unknown checklist", []catalog.SheetRow{ok, row(17, "Backups", "2", "Q?")}, []string{`row 17: unknown checklist "Backups"`}},
		{"number and title disagree", []catalog.SheetRow{row(5, "4 Backup", "1", "Q?")}, []string{`row 5: unknown checklist "4 Backup"`}},
		{"no checklist", []catalog.SheetRow{row(6, "", "1", "Q?")}, []string{`row 6: column "Checkliste WiBA" is empty`}},
		{"no number", []catalog.SheetRow{row(7, "Backup", "", "Q?")}, []string{`row 7: column "Nr. in WiBA" is empty`}},
		{"not a number", []catalog.SheetRow{row(8, "Backup", "drei", "Q?")}, []string{`row 8: "drei" in column "Nr. in WiBA" is neither a question number`, `"Backup-3"`}},
		{"number 0", []catalog.SheetRow{row(9, "Backup", "0", "Q?")}, []string{"row 9", "neither"}},
		{"number too large", []catalog.SheetRow{row(9, "Backup", "12345", "Q?")}, []string{"row 9", "neither"}},
		{"duplicate ref", []catalog.SheetRow{row(5, "Backup", "3", "Q?"), ok, row(17, "3 Backup", "Backup-3", "Q2?")},
			[]string{`row 17 (Nr. in WiBA), as in row 5: reference "Backup-3" is used twice`}},
		{"duplicate across checklists", []catalog.SheetRow{row(5, "Backup", "X-1", "Q?"), row(9, "Client", "x 1", "Q2?")},
			[]string{`row 9 (Nr. in WiBA), as in row 5: reference "x 1" is the same as "X-1"`}},
		{"empty question", []catalog.SheetRow{ok, row(4, "Backup", "2", "")}, []string{"row 4 (Prüffrage WiBA): the question has no text"}},
		{"long question", []catalog.SheetRow{row(4, "Backup", "2", strings.Repeat("q", 5001))}, []string{"row 4 (Prüffrage WiBA): question is 5001 bytes long"}},
		{"control character", []catalog.SheetRow{{Row: 4, Checklist: "Backup", Nr: "2", Question: "Q?", Help: "a\x00b"}}, []string{"row 4 (Hilfsmittel): help contains the control character U+0000"}},
		{"long reference", []catalog.SheetRow{row(4, "Backup", strings.Repeat("R", 60)+"-1", "Q?")}, []string{"row 4 (Nr. in WiBA): ref is 62 bytes long"}},
		{"no name", []catalog.SheetRow{ok}, []string{"the catalogue has no name"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "Katalog"
			if tc.name == "no name" {
				name = ""
			}
			_, err := catalog.FromSheet(tc.rows, name, "1")
			wantValidation(t, err, tc.want...)
		})
	}
}

func TestMapAnswer(t *testing.T) {
	for in, want := range map[string]types.AnswerStatus{
		"ja": types.AnswerYes, " JA ": types.AnswerYes, "Ja": types.AnswerYes,
		"nein": types.AnswerNo, "Nein\n": types.AnswerNo,
		"teilweise": types.AnswerPartial, "Teilweise": types.AnswerPartial,
		"entbehrlich": types.AnswerNotApplicable, "nicht zutreffend": types.AnswerNotApplicable,
		"Nicht  Zutreffend": types.AnswerNotApplicable, "nicht relevant": types.AnswerNotApplicable,
		"": types.AnswerOpen, "  ": types.AnswerOpen, "offen": types.AnswerOpen, "Ungeprüft": types.AnswerOpen,
	} {
		got, err := catalog.MapAnswer(in)
		if err != nil || got != want {
			t.Errorf("MapAnswer(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"yes", "j", "nein!", "teils", "erledigt", "nicht-zutreffend", "ungeprueft", "1"} {
		_, err := catalog.MapAnswer(in)
		wantValidation(t, err, strconv.Quote(in), `"ja", "nein", "teilweise", "entbehrlich", "nicht zutreffend", "nicht relevant", "offen", "ungeprüft" or empty`)
	}
}

// TestWriteSheetRoundTrip: the demonstration catalogue written as a
// WiBA-Tool sheet with answers reads back as its questions and answers.
func TestWriteSheetRoundTrip(t *testing.T) {
	demo := catalog.Demo()
	answers := map[string]catalog.SheetAnswer{
		"Backup-1": {Answer: "ja", Notes: "Konzept vom 3.2.2026"},
		"Backup-2": {Answer: "teilweise"},
		"Web-4":    {Answer: "entbehrlich", Notes: "kein eigener Webauftritt;\nläuft beim Landkreis"},
		"Client-1": {Answer: "=HYPERLINK(\"http://x\")"},
	}
	file, err := catalog.WriteSheet(demo, answers)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := catalog.ReadSheet(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	back, err := catalog.FromSheet(rows, demo.Name, demo.Version)
	if err != nil {
		t.Fatal(err)
	}
	want := catalog.Demo()
	want.Source, want.PublishedOn = "", nil
	for i := range want.Groups {
		want.Groups[i].Goal = ""
	}
	if !reflect.DeepEqual(back, want) {
		t.Errorf("the sheet's catalogue differs:\n got %+v\nwant %+v", back, want)
	}
	got := map[string]catalog.SheetAnswer{}
	for _, r := range rows {
		if r.Row < 2 {
			t.Errorf("row %d", r.Row)
		}
		if r.Answer != "" || r.Notes != "" {
			ref := r.Nr
			got[ref] = catalog.SheetAnswer{Answer: r.Answer, Notes: r.Notes}
		}
	}
	if !reflect.DeepEqual(got, answers) {
		t.Errorf("answers %+v, want %+v", got, answers)
	}
	if _, err := catalog.WriteSheet(demo, map[string]catalog.SheetAnswer{"Backup-99": {Answer: "ja"}}); err == nil {
		t.Error("an answer to an unknown question is written")
	}
}

// FuzzFromSheet: FromSheet and MapAnswer never panic; FromSheet's
// catalogues are valid, its refusals VALIDATION errors that name a row.
func FuzzFromSheet(f *testing.F) {
	f.Add("Backup", "3", "Gibt es eine Sicherung?", "mittel", "ja")
	f.Add("3. Backup", "Backup-3", "Frage", "", "Teilweise")
	f.Add("12 Rollen / Berechtigungen / Authentisierung", "0012", "F\r\nG", " hoch ", "nicht  zutreffend")
	f.Add("Unbekannt", "x", "", "", "vielleicht")
	f.Add("Backup", "99999", "\x00", "\n", "UNGEPRÜFT")
	f.Fuzz(func(t *testing.T, checklist, nr, question, effort, answer string) {
		if s, err := catalog.MapAnswer(answer); err != nil {
			wantValidation(t, err, "is not one of")
		} else if !slices.Contains(types.AnswerStatus("").Values(), string(s)) {
			t.Fatalf("MapAnswer(%q) = %q", answer, s)
		}
		rows := []catalog.SheetRow{
			{Row: 2, Checklist: "Backup", Nr: "1", Question: "Erste Frage?"},
			{Row: 3, Checklist: checklist, Nr: nr, Question: question, Effort: effort, Answer: answer},
		}
		c, err := catalog.FromSheet(rows, "Katalog", "1")
		if err != nil {
			wantValidation(t, err, "row ")
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("FromSheet returned an invalid catalogue: %v", err)
		}
	})
}

// TestReadSheetNumberCells: a question number typed as a number reads as
// its digits.
func TestReadSheetNumberCells(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	head := make([]any, len(header))
	for i, h := range header {
		head[i] = h
	}
	if err := f.SetSheetRow(sheet, "A1", &head); err != nil {
		t.Fatal(err)
	}
	if err := f.SetSheetRow(sheet, "A2", &[]any{"Backup", 3, "Frage?", nil, nil, "Ja"}); err != nil {
		t.Fatal(err)
	}
	if err := f.SetSheetRow(sheet, "A3", &[]any{"Backup", 4.0, "Frage?"}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	rows, err := catalog.ReadSheet(&buf)
	if err != nil {
		t.Fatal(err)
	}
	c, err := catalog.FromSheet(rows, "K", "1")
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Groups[0].Requirements; len(r) != 2 || r[0].Ref != "Backup-3" || r[1].Ref != "Backup-4" || rows[0].Answer != "Ja" {
		t.Errorf("rows %+v, questions %+v", rows, r)
	}
}
