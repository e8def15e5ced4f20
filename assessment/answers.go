package assessment

import (
	"context"
	"fmt"
	"strings"

	"sicherkommunal/apperr"
	"sicherkommunal/auth"
	"sicherkommunal/ent"
	"sicherkommunal/ent/answer"
	"sicherkommunal/ent/answerchange"
	"sicherkommunal/ent/auditevent"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/store"
)

// AnswerInput is one answer as the contractor gives it. Note and
// Justification replace the stored texts ("" clears them).
type AnswerInput struct {
	RequirementID pulid.ID
	Status        types.AnswerStatus
	Note          string
	Justification string
}

// MaxAnswers bounds the answers of one save (the largest WiBA checklist
// has fewer than 40 questions; a whole catalogue about 257).
const MaxAnswers = 500

// Via says how answers came in: saved one checklist at a time, or from a
// filled WiBA-Tool spreadsheet.
type Via = answerchange.Via

// The ways answers come in.
const (
	ViaSave   = answerchange.ViaSAVE
	ViaImport = answerchange.ViaIMPORT
)

// change is one answer that a save changes.
type change struct {
	old *ent.Answer
	new AnswerInput
}

// Diff checks answers against the stored ones and returns those that
// change something. Errors name the answer by its index (answers[3]).
func Diff(stored map[pulid.ID]*ent.Answer, in []AnswerInput) ([]change, error) {
	if len(in) > MaxAnswers {
		return nil, apperr.New(apperr.Validation, "answers: at most %d in one save, got %d", MaxAnswers, len(in))
	}
	seen := make(map[pulid.ID]int, len(in))
	var out []change
	for i, a := range in {
		if j, dup := seen[a.RequirementID]; dup {
			return nil, apperr.New(apperr.Validation, "answers[%d]: requirement %s is answered twice (also answers[%d])", i, a.RequirementID, j)
		}
		seen[a.RequirementID] = i
		old, ok := stored[a.RequirementID]
		if !ok {
			return nil, apperr.New(apperr.Validation, "answers[%d]: requirement %s is not a question of this assessment's catalogue", i, a.RequirementID)
		}
		if msg := check(a); msg != "" {
			return nil, apperr.New(apperr.Validation, "answers[%d]: %s", i, msg)
		}
		if a.Status != old.Status || a.Note != deref(old.Note) || a.Justification != deref(old.Justification) {
			out = append(out, change{old: old, new: a})
		}
	}
	return out, nil
}

// MaxText bounds an answer's note and justification, in bytes.
const MaxText = 10000

// check is the rule of one answer by itself: what is wrong with it, or
// "". The caller names the answer.
func check(a AnswerInput) string {
	switch {
	case a.Status == types.AnswerNotApplicable && strings.TrimSpace(a.Justification) == "":
		return "NOT_APPLICABLE needs a justification"
	case len(a.Note) > MaxText:
		return fmt.Sprintf("the note is %d bytes long, more than %d", len(a.Note), MaxText)
	case len(a.Justification) > MaxText:
		return fmt.Sprintf("the justification is %d bytes long, more than %d", len(a.Justification), MaxText)
	}
	return ""
}

// SaveAnswers saves answers of an assessment IN_PROGRESS, typically a
// whole checklist. Only changed answers are written; each change leaves
// an AnswerChange (from, to, who, when, how) and an audit event. It costs
// the same few statements for any number of answers.
func (s *Service) SaveAnswers(ctx context.Context, c *ent.Client, id pulid.ID, in []AnswerInput, via Via) (*ent.Assessment, error) {
	a, err := s.editable(ctx, c, id)
	if err != nil {
		return nil, err
	}
	reqs := make([]pulid.ID, 0, len(in))
	for _, x := range in {
		reqs = append(reqs, x.RequirementID)
	}
	if len(in) > MaxAnswers {
		return nil, apperr.New(apperr.Validation, "answers: at most %d in one save, got %d", MaxAnswers, len(in))
	}
	current, err := c.Answer.Query().Where(answer.AssessmentID(a.ID), answer.RequirementIDIn(reqs...)).All(ctx)
	if err != nil {
		return nil, err
	}
	stored := make(map[pulid.ID]*ent.Answer, len(current))
	for _, x := range current {
		stored[x.RequirementID] = x
	}
	changes, err := Diff(stored, in)
	if err != nil || len(changes) == 0 {
		return a, err
	}
	if err := s.write(ctx, c, changes, via); err != nil {
		return nil, err
	}
	return a, nil
}

// editable reads the assessment id for a change of its answers: the
// viewer conducts it and it is IN_PROGRESS.
func (s *Service) editable(ctx context.Context, c *ent.Client, id pulid.ID) (*ent.Assessment, error) {
	a, err := get(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if err := mayConduct(auth.FromContext(ctx), a.ConsultantID); err != nil {
		return nil, err
	}
	if !Editable(a.Status) {
		return nil, apperr.New(apperr.Conflict, "answers change only while the assessment is IN_PROGRESS; it is %s", a.Status).
			With("status", string(a.Status))
	}
	return a, nil
}

// write updates the answers in one statement and records their history
// and audit events in one statement each.
func (s *Service) write(ctx context.Context, c *ent.Client, changes []change, via Via) error {
	now := s.Now()
	v := auth.FromContext(ctx)
	actor, role := "unknown", types.RoleAdmin
	if v != nil {
		who := v
		if who.OnBehalfOf != nil {
			who = who.OnBehalfOf
		}
		actor, role = who.Name, who.Role
	}
	q, args := updateAnswers(s.Dialect, changes, actor, now)
	if _, err := c.ExecContext(ctx, q, args...); err != nil {
		return err
	}
	buf := &auth.AuditBuffer{}
	bctx := buf.Context(ctx)
	ids := make([]pulid.ID, len(changes))
	history := make([]*ent.AnswerChangeCreate, len(changes))
	for i, ch := range changes {
		ids[i] = ch.old.ID
		history[i] = c.AnswerChange.Create().SetAnswerID(ch.old.ID).
			SetFromStatus(ch.old.Status).SetToStatus(ch.new.Status).
			SetNillableFromNote(ch.old.Note).SetNillableToNote(nilIfEmpty(ch.new.Note)).
			SetNillableFromJustification(ch.old.Justification).SetNillableToJustification(nilIfEmpty(ch.new.Justification)).
			SetVia(via).SetActor(actor).SetActorRole(role).SetChangedAt(now)
	}
	if err := c.AnswerChange.CreateBulk(history...).Exec(bctx); err != nil {
		return err
	}
	fields := []string{answer.FieldStatus, answer.FieldNote, answer.FieldJustification, answer.FieldAnsweredBy, answer.FieldAnsweredAt, answer.FieldUpdatedAt}
	if err := auth.Record(bctx, c, auditevent.ActionUPDATE, ent.TypeAnswer, fields, ids, now); err != nil {
		return err
	}
	return buf.Flush(ctx)
}

// updateAnswers is one UPDATE of every changed answer, each row to its
// own values (CASE on the id).
func updateAnswers(d store.Dialect, changes []change, actor string, now any) (string, []any) {
	var status, note, just strings.Builder
	var sa, na, ja, ids []any
	for _, ch := range changes {
		status.WriteString(" WHEN ? THEN ?")
		note.WriteString(" WHEN ? THEN ?")
		just.WriteString(" WHEN ? THEN ?")
		id := string(ch.old.ID)
		sa = append(sa, id, string(ch.new.Status))
		na = append(na, id, nilIfEmpty(ch.new.Note))
		ja = append(ja, id, nilIfEmpty(ch.new.Justification))
		ids = append(ids, id)
	}
	q := fmt.Sprintf(`UPDATE answers SET status = CASE id%s END, note = CASE id%s END, justification = CASE id%s END,
answered_by = ?, answered_at = ?, updated_at = ? WHERE id IN (%s)`, status.String(), note.String(), just.String(), store.Placeholders(len(ids)))
	args := append(append(append(sa, na...), ja...), actor, now, now)
	return d.Rebind(q), append(args, ids...)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
