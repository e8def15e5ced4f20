package catalog

import (
	"io"
	"strings"
	"time"

	"sicherkommunal/apperr"
	"sicherkommunal/ent/schema/types"
)

// Format is the file format of an imported catalogue.
type Format string

// The formats Read reads.
const (
	// FormatWiBAXLSX is the WiBA-Tool's spreadsheet export (ReadSheet,
	// FromSheet); it carries no name or version: the Edition gives them.
	FormatWiBAXLSX Format = "WIBA_XLSX"
	// FormatOSCALJSON is an OSCAL catalog JSON document (ParseOSCAL); its
	// metadata names the edition.
	FormatOSCALJSON Format = "OSCAL_JSON"
)

// Edition is what the importer says of a catalogue file: for a
// spreadsheet its name and version (required) and, optionally, its
// source and date; for an OSCAL document, whose metadata has them, any
// field given must agree with the document, and a source or date the
// document lacks is taken from here.
type Edition struct {
	Name, Version, Source string
	PublishedOn           *time.Time
}

// Read reads a catalogue file of format f. Errors (VALIDATION) name the
// row, the JSON path or the field of the edition.
func Read(f Format, r io.Reader, e Edition) (*Catalogue, error) {
	e.Name, e.Version, e.Source = strings.TrimSpace(e.Name), strings.TrimSpace(e.Version), strings.TrimSpace(e.Source)
	var c *Catalogue
	switch f {
	case FormatWiBAXLSX:
		if e.Name == "" || e.Version == "" {
			return nil, apperr.New(apperr.Validation, "a WiBA-Tool spreadsheet carries no name or version: name and version are required")
		}
		rows, err := ReadSheet(r)
		if err != nil {
			return nil, err
		}
		if c, err = FromSheet(rows, e.Name, e.Version); err != nil {
			return nil, err
		}
	case FormatOSCALJSON:
		var err error
		if c, err = ParseOSCAL(r); err != nil {
			return nil, err
		}
		for _, f := range []struct{ field, given, doc string }{
			{"name", e.Name, c.Name}, {"version", e.Version, c.Version},
		} {
			if f.given != "" && f.given != f.doc {
				return nil, apperr.New(apperr.Validation, "%s %q differs from the document's %q (catalog.metadata): leave it out or give the document's", f.field, clip(f.given), clip(f.doc))
			}
		}
		if c.Source != "" && e.Source != "" && c.Source != e.Source {
			return nil, apperr.New(apperr.Validation, "source %q differs from the document's %q: leave it out or give the document's", clip(e.Source), clip(c.Source))
		}
		if c.PublishedOn != nil && e.PublishedOn != nil && !types.NormalizeDate(*c.PublishedOn).Equal(types.NormalizeDate(*e.PublishedOn)) {
			return nil, apperr.New(apperr.Validation, "publishedOn %s differs from the document's %s (catalog.metadata.published)",
				e.PublishedOn.Format(time.DateOnly), c.PublishedOn.Format(time.DateOnly))
		}
	default:
		return nil, apperr.New(apperr.Validation, "unknown catalogue format %q: %s or %s", clip(string(f)), FormatWiBAXLSX, FormatOSCALJSON)
	}
	if c.Source == "" {
		c.Source = e.Source
	}
	if c.PublishedOn == nil && e.PublishedOn != nil {
		d := types.NormalizeDate(*e.PublishedOn)
		c.PublishedOn = &d
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// RowRef is the reference of the question a spreadsheet row answers, as
// FromSheet gives it ("3" in checklist Backup is "Backup-3"). Errors
// (VALIDATION) name the row.
func RowRef(row SheetRow) (string, error) {
	cl, err := rowChecklist(row)
	if err != nil {
		return "", err
	}
	ref, _, err := sheetRef(row, cl)
	return ref, err
}

// rowChecklist is the checklist a row names. Errors name the row.
func rowChecklist(row SheetRow) (Checklist, error) {
	if row.Checklist == "" {
		return Checklist{}, apperr.New(apperr.Validation, "row %d: column %q is empty", row.Row, ColChecklist)
	}
	cl, ok := ChecklistNamed(row.Checklist)
	if !ok {
		return Checklist{}, apperr.New(apperr.Validation, "row %d: unknown checklist %q: expected the title of one of the 19 WiBA checklists, alone or after its number (\"Backup\", \"3 Backup\")", row.Row, clip(row.Checklist))
	}
	return cl, nil
}
