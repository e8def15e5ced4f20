package assessment

import (
	"context"
	"errors"
	"io"
	"strings"

	"sicherkommunal/apperr"
	"sicherkommunal/catalog"
	"sicherkommunal/ent"
	"sicherkommunal/ent/answer"
	"sicherkommunal/ent/requirement"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
)

// ImportSheet saves the answers of a filled WiBA-Tool spreadsheet into
// the assessment id (IN_PROGRESS, conducted by the viewer), as one save:
// every row is checked before anything is written, and only answers that
// change are written (the same file twice changes nothing).
//
// A row names its question by checklist and "Nr. in WiBA" (catalog.RowRef).
// Its "Umsetzung" is mapped by catalog.MapAnswer; an empty one keeps the
// stored status. "Notizen" is the note, or for NOT_APPLICABLE the
// justification; an empty one keeps the stored text. Questions the sheet
// leaves out keep their answers.
//
// Errors (VALIDATION, naming the row): a file that is no WiBA-Tool
// spreadsheet or lacks a column, a question not in the assessment's
// catalogue or given twice, an unknown "Umsetzung", NOT_APPLICABLE without
// a reason. Besides those of SaveAnswers.
func (s *Service) ImportSheet(ctx context.Context, c *ent.Client, id pulid.ID, r io.Reader) (*ent.Assessment, error) {
	a, err := s.editable(ctx, c, id)
	if err != nil {
		return nil, err
	}
	rows, err := catalog.ReadSheet(r)
	if err != nil {
		return nil, err
	}
	reqs, err := c.Requirement.Query().Where(requirement.CatalogID(a.CatalogID)).All(ctx)
	if err != nil {
		return nil, err
	}
	byRef := make(map[string]pulid.ID, len(reqs))
	for _, q := range reqs {
		byRef[q.Ref] = q.ID
	}
	current, err := c.Answer.Query().Where(answer.AssessmentID(a.ID)).All(ctx)
	if err != nil {
		return nil, err
	}
	stored := make(map[pulid.ID]*ent.Answer, len(current))
	for _, x := range current {
		stored[x.RequirementID] = x
	}
	in, err := sheetAnswers(rows, byRef, stored)
	if err != nil {
		return nil, err
	}
	var changes []change
	for from := 0; from < len(in); from += MaxAnswers {
		part, err := Diff(stored, in[from:min(from+MaxAnswers, len(in))])
		if err != nil {
			return nil, err
		}
		changes = append(changes, part...)
	}
	for from := 0; from < len(changes); from += MaxAnswers {
		if err := s.write(ctx, c, changes[from:min(from+MaxAnswers, len(changes))], ViaImport); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// message is the text of a domain error, without its code.
func message(err error) string {
	var e *apperr.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// sheetAnswers are the answers of the rows, checked row by row.
func sheetAnswers(rows []catalog.SheetRow, byRef map[string]pulid.ID, stored map[pulid.ID]*ent.Answer) ([]AnswerInput, error) {
	seen := make(map[string]int, len(rows))
	in := make([]AnswerInput, 0, len(rows))
	for _, row := range rows {
		ref, err := catalog.RowRef(row)
		if err != nil {
			return nil, err
		}
		if first, dup := seen[ref]; dup {
			return nil, apperr.New(apperr.Validation, "row %d: question %q is answered twice (also row %d)", row.Row, ref, first)
		}
		seen[ref] = row.Row
		rid, ok := byRef[ref]
		if !ok {
			return nil, apperr.New(apperr.Validation, "row %d: question %q is not in the assessment's catalogue", row.Row, ref)
		}
		old := stored[rid]
		if old == nil {
			return nil, apperr.New(apperr.Validation, "row %d: question %q has no answer in this assessment", row.Row, ref)
		}
		status := old.Status
		if strings.TrimSpace(row.Answer) != "" {
			if status, err = catalog.MapAnswer(row.Answer); err != nil {
				return nil, apperr.New(apperr.Validation, "row %d (%s): %s", row.Row, catalog.ColAnswer, message(err))
			}
		}
		x := AnswerInput{RequirementID: rid, Status: status, Note: deref(old.Note), Justification: deref(old.Justification)}
		switch {
		case status == types.AnswerNotApplicable && row.Notes != "":
			x.Justification = row.Notes
		case row.Notes != "":
			x.Note = row.Notes
		}
		if msg := check(x); msg != "" {
			return nil, apperr.New(apperr.Validation, "row %d: %s (column %q holds the note, or the justification of NOT_APPLICABLE)", row.Row, msg, catalog.ColNotes)
		}
		in = append(in, x)
	}
	return in, nil
}
