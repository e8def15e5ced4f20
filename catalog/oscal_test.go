package catalog_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"sicherkommunal/catalog"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/oscal"
	"sicherkommunal/oscal/oscaltest"
)

var exported = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// small is a catalogue with every field set: modules, a goal, help,
// effort, a source over two lines and a publication date.
func small() *catalog.Catalogue {
	d := types.Date(2025, 11, 30)
	return &catalog.Catalogue{
		Name: "Prüfkatalog", Version: "1.0", Source: "Quelle, Zeile 1\nZeile 2", PublishedOn: &d,
		Groups: []catalog.Group{
			{Number: 3, Priority: 1, Title: "Backup", Modules: []string{"CON.3", "OPS.1.2.2"}, Goal: "Ziel\nüber zwei Zeilen",
				Requirements: []catalog.Requirement{
					{Ref: "Backup-1", Number: 1, Question: "Frage <eins> & \"zwei\"?", Help: "Hilfe", Effort: "gering"},
					{Ref: "OPS.1.1.4 A1", Number: 2, Question: "Frage zwei?"},
				}},
			{Number: 12, Priority: 4, Title: "Rollen / Berechtigungen / Authentisierung"},
		},
	}
}

func TestWriteOSCALValidatesAgainstTheOfficialSchema(t *testing.T) {
	for name, c := range map[string]*catalog.Catalogue{"demo": catalog.Demo(), "small": small(),
		"minimal": {Name: "M", Version: "1", Groups: []catalog.Group{{Number: 1, Priority: 2, Title: "T",
			Requirements: []catalog.Requirement{{Ref: "3.1", Number: 1, Question: "Q"}}}}}} {
		t.Run(name, func(t *testing.T) {
			doc, err := catalog.WriteOSCAL(c, seqUUID(), exported)
			if err != nil {
				t.Fatal(err)
			}
			oscaltest.MustValidate(t, oscaltest.CatalogSchema, doc)
		})
	}
}

// TestOSCALSchemaCatchesMistakes makes sure the validation is real: a
// document broken in the ways a writer could break it is refused.
func TestOSCALSchemaCatchesMistakes(t *testing.T) {
	doc, err := catalog.WriteOSCAL(small(), seqUUID(), exported)
	if err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string][2]string{
		"prop value over two lines": {`"value": "gering"`, `"value": "ge\nring"`},
		"control id not a token":    {`"id": "backup-1"`, `"id": "1 backup"`},
		"bad uuid":                  {`"uuid": "00000000-0000-4000-8000-000000000001"`, `"uuid": "x"`},
		"unknown field":             {`"title": "Backup",`, `"title": "Backup", "colour": "red",`},
		"time without zone":         {`"last-modified": "2026-03-02T09:30:00Z"`, `"last-modified": "2026-03-02T09:30:00"`},
	} {
		t.Run(name, func(t *testing.T) {
			bad := strings.Replace(string(doc), edit[0], edit[1], 1)
			if bad == string(doc) {
				t.Fatalf("the edit %q does not apply", edit[0])
			}
			if err := oscaltest.Validate(t, oscaltest.CatalogSchema, []byte(bad)); err == nil {
				t.Error("the schema accepts the broken document")
			}
		})
	}
}

func TestOSCALRoundTrip(t *testing.T) {
	for name, c := range map[string]*catalog.Catalogue{"demo": catalog.Demo(), "small": small()} {
		t.Run(name, func(t *testing.T) {
			doc, err := catalog.WriteOSCAL(c, seqUUID(), exported)
			if err != nil {
				t.Fatal(err)
			}
			back, err := catalog.ParseOSCAL(bytes.NewReader(doc))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, c) {
				t.Errorf("ParseOSCAL(WriteOSCAL(c)) differs from c:\n got %+v\nwant %+v", back, c)
			}
			if back.Digest() != c.Digest() {
				t.Error("the digest changed on the way")
			}
		})
	}
}

func TestWriteOSCALShape(t *testing.T) {
	doc, err := catalog.WriteOSCAL(small(), seqUUID(), exported)
	if err != nil {
		t.Fatal(err)
	}
	var d oscal.CatalogDocument
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	g := d.Catalog.Groups[0]
	if g.ID != "checklist-3" || g.Props[0] != (oscal.Property{Name: "label", Value: "3"}) ||
		g.Props[1] != (oscal.Property{Name: "priority", NS: oscal.NS, Value: "1"}) {
		t.Errorf("group: %+v", g)
	}
	ctl := g.Controls[1]
	if ctl.ID != "ops.1.1.4-a1" || ctl.Props[0].Value != "OPS.1.1.4 A1" || ctl.Props[1] != (oscal.Property{Name: "sort-id", Value: "003-0002"}) ||
		ctl.Parts[0].ID != "ops.1.1.4-a1_smt" || ctl.Parts[0].Name != "statement" {
		t.Errorf("control: %+v", ctl)
	}
	if d.Catalog.Metadata.Published != "2025-11-30T00:00:00Z" || d.Catalog.Metadata.LastModified != "2026-03-02T09:30:00Z" ||
		d.Catalog.Metadata.OSCALVersion != "1.0.6" {
		t.Errorf("metadata: %+v", d.Catalog.Metadata)
	}
	if !strings.Contains(string(doc), `"prose": "Frage <eins> & \"zwei\"?"`) {
		t.Error("prose is HTML-escaped or changed")
	}
	if _, err := catalog.WriteOSCAL(&catalog.Catalogue{Name: "X", Version: "1"}, seqUUID(), exported); ruleOf(err) != catalog.RuleNoGroups {
		t.Errorf("an invalid catalogue: %v, want %s", err, catalog.RuleNoGroups)
	}
}

// foreign is an OSCAL 1.0.4 catalog in the shape of NIST's: labels and
// sort-ids, statements with items, parameters, props of another
// namespace, the source in the back matter.
const foreign = `{
  "catalog": {
    "uuid": "2b4a6d8e-0f1a-4b2c-9d3e-4f5a6b7c8d9e",
    "metadata": {
      "title": "WiBA Prüffragen ",
      "published": "2026-02-01T00:00:00+01:00",
      "last-modified": "2026-02-03T10:00:00Z",
      "version": "2026-02",
      "oscal-version": "1.0.4",
      "props": [{"name": "source", "value": "overridden by the back matter"}]
    },
    "groups": [
      {
        "id": "bak",
        "class": "checklist",
        "title": "Backup",
        "props": [
          {"name": "label", "value": "3"},
          {"name": "priority", "ns": "https://sicherkommunal.example/ns/wiba", "value": "1"},
          {"name": "module", "ns": "https://sicherkommunal.example/ns/wiba", "value": "CON.3"},
          {"name": "priority", "ns": "https://example.org/other", "value": "9"}
        ],
        "parts": [{"id": "bak_obj", "name": "objective", "prose": "Daten wiederherstellen können."}],
        "controls": [
          {
            "id": "bak-2",
            "class": "SP800-53",
            "title": "Offline-Sicherung",
            "params": [{"id": "bak-2_prm_1", "label": "Intervall"}],
            "props": [
              {"name": "label", "value": "Backup-2"},
              {"name": "sort-id", "value": "bak-02"},
              {"name": "effort", "ns": "https://sicherkommunal.example/ns/wiba", "value": "mittel"}
            ],
            "parts": [
              {
                "id": "bak-2_smt",
                "name": "statement",
                "prose": "Die Institution:",
                "parts": [
                  {"id": "bak-2_smt.a", "name": "item", "props": [{"name": "label", "value": "a."}], "prose": "sichert offline;"},
                  {"id": "bak-2_smt.b", "name": "item", "props": [{"name": "label", "value": "b."}], "prose": "prüft die Sicherung."}
                ]
              },
              {"id": "bak-2_gdn", "name": "guidance", "prose": "Hinweis\r\nzweite Zeile"}
            ]
          },
          {
            "id": "bak-1",
            "title": "Konzept",
            "parts": [{"name": "statement", "prose": "Gibt es ein Konzept?"}]
          }
        ]
      }
    ],
    "back-matter": {
      "resources": [
        {"uuid": "3c5b7d9f-1a2b-4c3d-8e4f-5a6b7c8d9e0f", "title": "Logo"},
        {"uuid": "4d6c8e0a-2b3c-4d4e-9f5a-6b7c8d9e0f1a", "title": "BSI WiBA, Stand 02/2026",
         "props": [{"name": "type", "ns": "https://sicherkommunal.example/ns/wiba", "value": "source"}]}
      ]
    }
  }
}`

func TestParseOSCAL(t *testing.T) {
	t.Run("the fixture is valid OSCAL", func(t *testing.T) {
		oscaltest.MustValidate(t, oscaltest.CatalogSchema, []byte(foreign))
	})
	c, err := catalog.ParseOSCAL(strings.NewReader(foreign))
	if err != nil {
		t.Fatal(err)
	}
	d := types.Date(2026, 2, 1)
	want := &catalog.Catalogue{
		Name: "WiBA Prüffragen", Version: "2026-02", Source: "BSI WiBA, Stand 02/2026", PublishedOn: &d,
		Groups: []catalog.Group{{Number: 3, Priority: 1, Title: "Backup", Modules: []string{"CON.3"}, Goal: "Daten wiederherstellen können.",
			Requirements: []catalog.Requirement{
				{Ref: "Backup-2", Number: 2, Question: "Die Institution:\na. sichert offline;\nb. prüft die Sicherung.", Help: "Hinweis\nzweite Zeile", Effort: "mittel"},
				{Ref: "bak-1", Number: 2, Question: "Gibt es ein Konzept?"},
			}}},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got  %+v\nwant %+v", c, want)
	}
}

// TestParseOSCALRefusals: every refusal is a VALIDATION error naming the
// JSON path, never a Go type.
func TestParseOSCALRefusals(t *testing.T) {
	good, err := catalog.WriteOSCAL(small(), seqUUID(), exported)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(from, to string) string {
		s := strings.Replace(string(good), from, to, 1)
		if s == string(good) {
			t.Fatalf("the edit %q does not apply", from)
		}
		return s
	}
	deep := strings.Repeat("[", 70) + strings.Repeat("]", 70)
	for _, tc := range []struct {
		name, doc string
		want      []string
	}{
		{"not JSON", `{"catalog": `, []string{"not valid JSON"}},
		{"garbage", `{"catalog": x}`, []string{"not valid JSON", "byte"}},
		{"two values", `{} {}`, []string{"not one JSON value"}},
		{"too deep", `{"catalog": {"metadata": ` + deep + `}}`, []string{"catalog.metadata", "nested deeper than 64"}},
		{"not an object", `[]`, []string{"the document: expected an object, found an array"}},
		{"no catalog", `{"profile": {}}`, []string{`no "catalog"`}},
		{"duplicate key", `{"catalog": {"uuid": "a", "uuid": "b"}}`, []string{"catalog.uuid: the key appears twice"}},
		{"no metadata", `{"catalog": {"uuid": "a"}}`, []string{"catalog.metadata: missing"}},
		{"OSCAL 2", edit(`"oscal-version": "1.0.6"`, `"oscal-version": "2.0.0"`), []string{"catalog.metadata.oscal-version", "2.0.0"}},
		{"version a number", edit(`"version": "1.0"`, `"version": 1.0`), []string{"catalog.metadata.version: expected a string, found a number"}},
		{"bad published", edit(`"published": "2025-11-30T00:00:00Z"`, `"published": "30.11.2025"`), []string{"catalog.metadata.published", "date-time"}},
		{"no groups", edit(`"groups": [`, `"groupz": [`), []string{"catalog.groups: missing"}},
		{"controls outside groups", edit(`"groups": [`, `"controls": [], "groups": [`), []string{"catalog.controls: controls outside a group"}},
		{"groups in groups", edit(`"title": "Backup",`, `"title": "Backup", "groups": [],`), []string{"catalog.groups[0].groups: groups in groups"}},
		{"enhancements", edit(`"title": "Backup-1",`, `"title": "Backup-1", "controls": [],`), []string{"catalog.groups[0].controls[0].controls: controls in controls"}},
		{"props not an array", edit(`"props": [`, `"props": "x", "propz": [`), []string{"catalog.groups[0].props: expected an array, found a string"}},
		{"prop value a number", edit(`"value": "3"`, `"value": 3`), []string{"catalog.groups[0].props[0].value: expected a string, found a number"}},
		{"no priority", edit(`"name": "priority"`, `"name": "prio"`), []string{"catalog.groups[0].props: no prop \"priority\""}},
		{"priority not a number", edit(`"value": "1"`, `"value": "eins"`), []string{"catalog.groups[0].props[1].value: priority \"eins\""}},
		{"priority out of range", edit(`"value": "1"`, `"value": "5"`), []string{"catalog.groups[0].props[1].value: priority 5 is not in 1 to 4"}},
		{"label not a number", edit(`"value": "3"`, `"value": "III"`), []string{"catalog.groups[0].props[0].value: checklist number (label) \"III\""}},
		{"duplicate checklist", edit(`"value": "12"`, `"value": "3"`), []string{"catalog.groups[1].props[0].value: checklist number 3 is used twice"}},
		{"no statement", edit(`"name": "statement",
                "prose": "Frage zwei?"`, `"name": "assessment",
                "prose": "Frage zwei?"`), []string{"catalog.groups[0].controls[1].parts: no part \"statement\""}},
		{"empty question", edit(`"prose": "Frage zwei?"`, `"prose": "  "`), []string{"catalog.groups[0].controls[1].parts[0]: the question has no text"}},
		{"duplicate ref", edit(`"value": "OPS.1.1.4 A1"`, `"value": "backup-1"`), []string{"catalog.groups[0].controls[1].props[0].value: reference \"backup-1\" is the same as \"Backup-1\""}},
		{"control character", edit(`"prose": "Frage zwei?"`, `"prose": "Frage\u0007zwei?"`), []string{"catalog.groups[0].controls[1].parts[0]: question contains the control character U+0007"}},
		{"question too long", edit(`"prose": "Frage zwei?"`, `"prose": "`+strings.Repeat("x", 5001)+`"`), []string{"catalog.groups[0].controls[1].parts[0]: question is 5001 bytes long, more than 5000"}},
		{"part without name", edit(`"name": "guidance",`, ``), []string{"catalog.groups[0].controls[0].parts[1].name: missing"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := catalog.ParseOSCAL(strings.NewReader(tc.doc))
			wantValidation(t, err, tc.want...)
			for _, gotype := range []string{"map[", "[]interface", "json.Number", "string into Go", "struct"} {
				if strings.Contains(err.Error(), gotype) {
					t.Errorf("the error names a Go type: %v", err)
				}
			}
		})
	}
}

func TestParseOSCALTooLarge(t *testing.T) {
	big := `{"catalog": {"uuid": "` + strings.Repeat("a", catalog.MaxOSCALBytes) + `"}}`
	_, err := catalog.ParseOSCAL(strings.NewReader(big))
	wantValidation(t, err, "larger than 16 MiB")
}

// FuzzParseOSCAL: ParseOSCAL never panics; what it reads is a valid
// catalogue that survives WriteOSCAL and ParseOSCAL unchanged; what it
// refuses it refuses with a VALIDATION error.
func FuzzParseOSCAL(f *testing.F) {
	f.Add([]byte(foreign))
	if doc, err := catalog.WriteOSCAL(small(), seqUUID(), exported); err == nil {
		f.Add(doc)
	}
	f.Add([]byte(`{"catalog": {"metadata": {"title": "x", "version": "1", "oscal-version": "1.0.0"}, "groups": [{"title": "t", "props": [{"name": "priority", "value": "2"}], "controls": [{"id": "a", "parts": [{"name": "statement", "prose": "q"}]}]}]}}`))
	f.Add([]byte(`[[[[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := catalog.ParseOSCAL(bytes.NewReader(data))
		if err != nil {
			wantValidation(t, err)
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("ParseOSCAL returned an invalid catalogue: %v", err)
		}
		doc, err := catalog.WriteOSCAL(c, seqUUID(), exported)
		if err != nil {
			t.Fatal(err)
		}
		back, err := catalog.ParseOSCAL(bytes.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, c) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", back, c)
		}
	})
}
