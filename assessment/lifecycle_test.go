package assessment

import (
	"strings"
	"testing"

	"sicherkommunal/apperr"
	"sicherkommunal/ent"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
)

func TestNext(t *testing.T) {
	const (
		ip = types.AssessmentInProgress
		su = types.AssessmentSubmitted
		co = types.AssessmentConfirmed
		re = types.AssessmentReturned
	)
	want := map[types.AssessmentStatus]map[Action]types.AssessmentStatus{
		ip: {Submit: su},
		su: {Confirm: co, Return: re},
		re: {Reopen: ip},
		co: {},
	}
	for _, from := range []types.AssessmentStatus{ip, su, co, re} {
		for _, a := range []Action{Submit, Confirm, Return, Reopen} {
			to, err := Next(from, a)
			w, ok := want[from][a]
			if ok && (err != nil || to != w) {
				t.Errorf("%s %s: %s %v, want %s", from, a, to, err, w)
			}
			if !ok && apperr.CodeOf(err) != apperr.Conflict {
				t.Errorf("%s %s: %s %v, want CONFLICT", from, a, to, err)
			}
		}
	}
	if !Editable(ip) || Editable(su) || Editable(re) || !Submitted(co) || Submitted(re) {
		t.Error("Editable/Submitted")
	}
}

func TestDiff(t *testing.T) {
	note := "alt"
	stored := map[pulid.ID]*ent.Answer{
		"R1": {ID: "A1", RequirementID: "R1", Status: types.AnswerOpen},
		"R2": {ID: "A2", RequirementID: "R2", Status: types.AnswerYes, Note: &note},
	}
	for _, c := range []struct {
		name    string
		in      []AnswerInput
		changed int
		code    string
	}{
		{"unchanged", []AnswerInput{{RequirementID: "R2", Status: types.AnswerYes, Note: "alt"}}, 0, ""},
		{"new note", []AnswerInput{{RequirementID: "R2", Status: types.AnswerYes, Note: "neu"}}, 1, ""},
		{"cleared note", []AnswerInput{{RequirementID: "R2", Status: types.AnswerYes}}, 1, ""},
		{"two", []AnswerInput{{RequirementID: "R1", Status: types.AnswerNo}, {RequirementID: "R2", Status: types.AnswerNo, Note: "alt"}}, 2, ""},
		{"not applicable justified", []AnswerInput{{RequirementID: "R1", Status: types.AnswerNotApplicable, Justification: "kein Server"}}, 1, ""},
		{"not applicable unjustified", []AnswerInput{{RequirementID: "R1", Status: types.AnswerNotApplicable, Justification: "  "}}, 0, apperr.Validation},
		{"twice", []AnswerInput{{RequirementID: "R1", Status: types.AnswerNo}, {RequirementID: "R1", Status: types.AnswerYes}}, 0, apperr.Validation},
		{"foreign", []AnswerInput{{RequirementID: "R9", Status: types.AnswerNo}}, 0, apperr.Validation},
		{"too many", make([]AnswerInput, MaxAnswers+1), 0, apperr.Validation},
	} {
		got, err := Diff(stored, c.in)
		if apperr.CodeOf(err) != c.code || len(got) != c.changed {
			t.Errorf("%s: %d changes, %v", c.name, len(got), err)
		}
	}
}

func TestCounts(t *testing.T) {
	for _, c := range []struct {
		c        Counts
		complete bool
		percent  string
	}{
		{Counts{Yes: 3}, true, "100.00"},
		{Counts{Yes: 2, NotApplicable: 1}, true, "100.00"},
		{Counts{NotApplicable: 2}, true, ""},
		{Counts{Yes: 2, Open: 1}, false, "100.00"},
		{Counts{Yes: 1, Partial: 1, No: 1}, false, "33.33"},
		{Counts{Yes: 2, No: 1}, false, "66.67"},
		{Counts{}, false, ""},
	} {
		p := ""
		if x := c.c.Fulfilled().Percent(); x != nil {
			p = x.StringFixed(2)
		}
		if c.c.Complete() != c.complete || p != c.percent {
			t.Errorf("%+v: complete %v, %s", c.c, c.c.Complete(), p)
		}
	}
	s := &Score{Groups: []GroupScore{{Priority: 1, Counts: Counts{Yes: 1}}, {Priority: 1, Counts: Counts{No: 1}}, {Priority: 2, Counts: Counts{Yes: 1}}}}
	if s.PriorityOneComplete() || !s.PriorityComplete(2) || s.PriorityComplete(3) {
		t.Error("priority completeness")
	}
}

// TestSubmittedSQL: the SQL list of the queries names exactly the statuses
// Submitted reports.
func TestSubmittedSQL(t *testing.T) {
	var want []string
	for _, s := range []types.AssessmentStatus{types.AssessmentInProgress, types.AssessmentSubmitted, types.AssessmentConfirmed, types.AssessmentReturned} {
		if Submitted(s) {
			want = append(want, "'"+string(s)+"'")
		}
	}
	if got := "(" + strings.Join(want, ", ") + ")"; got != SubmittedSQL {
		t.Fatalf("SubmittedSQL is %s, Submitted reports %s", SubmittedSQL, got)
	}
}
