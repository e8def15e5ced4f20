package assessment

import (
	"context"
	"fmt"
	"math/big"

	"github.com/shopspring/decimal"

	"entgo.io/ent/dialect/sql"

	"sicherkommunal/ent"
	"sicherkommunal/ent/answer"
	"sicherkommunal/ent/assessment"
	"sicherkommunal/ent/cataloggroup"
	"sicherkommunal/ent/requirement"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/store"
)

// Counts are the answers of a checklist (or of a whole assessment) by
// status.
type Counts struct {
	Open, Yes, Partial, No, NotApplicable int
}

// Add adds one status n times.
func (c *Counts) Add(s types.AnswerStatus, n int) {
	switch s {
	case types.AnswerOpen:
		c.Open += n
	case types.AnswerYes:
		c.Yes += n
	case types.AnswerPartial:
		c.Partial += n
	case types.AnswerNo:
		c.No += n
	case types.AnswerNotApplicable:
		c.NotApplicable += n
	}
}

// Plus is the sum of two counts.
func (c Counts) Plus(o Counts) Counts {
	return Counts{c.Open + o.Open, c.Yes + o.Yes, c.Partial + o.Partial, c.No + o.No, c.NotApplicable + o.NotApplicable}
}

// Total is the number of questions.
func (c Counts) Total() int { return c.Open + c.Yes + c.Partial + c.No + c.NotApplicable }

// Applicable is the number of answered questions that apply: YES,
// PARTIAL and NO (OPEN is not answered, NOT_APPLICABLE does not apply).
func (c Counts) Applicable() int { return c.Yes + c.Partial + c.No }

// Fulfilled is the share fulfilled, YES ÷ applicable answered, as an exact
// ratio.
func (c Counts) Fulfilled() Ratio { return Ratio{Numerator: c.Yes, Denominator: c.Applicable()} }

// Complete reports whether every applicable question is YES: nothing
// OPEN, PARTIAL or NO (a checklist of only NOT_APPLICABLE answers is
// complete).
func (c Counts) Complete() bool { return c.Total() > 0 && c.Open == 0 && c.Partial == 0 && c.No == 0 }

// Ratio is an exact share. Its Percent is rounded half up to two places,
// for display; comparisons use the ratio itself.
type Ratio struct{ Numerator, Denominator int }

// Defined reports whether the ratio has a denominator.
func (r Ratio) Defined() bool { return r.Denominator > 0 }

// Rat is the ratio as an exact rational (nil when undefined).
func (r Ratio) Rat() *big.Rat {
	if !r.Defined() {
		return nil
	}
	return big.NewRat(int64(r.Numerator), int64(r.Denominator))
}

// Percent is 100 × the ratio rounded half up to two places, nil when
// undefined.
func (r Ratio) Percent() *decimal.Decimal {
	if !r.Defined() {
		return nil
	}
	// Exact: 100·n/d, rounded at the third place of an exact quotient.
	q := decimal.NewFromInt(int64(r.Numerator)*100).DivRound(decimal.NewFromInt(int64(r.Denominator)), 2)
	return &q
}

// GroupScore is the score of one checklist of an assessment.
type GroupScore struct {
	GroupID  pulid.ID
	Number   int
	Title    string
	Priority int
	Counts   Counts
}

// Score is the score of an assessment: per checklist (by number) and
// overall.
type Score struct {
	Groups []GroupScore
}

// Overall is the counts of all checklists.
func (s *Score) Overall() Counts {
	var c Counts
	for _, g := range s.Groups {
		c = c.Plus(g.Counts)
	}
	return c
}

// PriorityComplete reports whether every checklist of a processing-order
// group (1 = first) is complete.
func (s *Score) PriorityComplete(priority int) bool {
	found := false
	for _, g := range s.Groups {
		if g.Priority == priority {
			found = true
			if !g.Counts.Complete() {
				return false
			}
		}
	}
	return found
}

// scoreQuery counts the answers of assessments per checklist and status:
// one statement for any number of assessments.
const scoreQuery = `SELECT a.assessment_id, g.id, g.number, g.title, g.priority, a.status, COUNT(*)
FROM answers a
JOIN requirements r ON r.id = a.requirement_id
JOIN catalog_groups g ON g.id = r.group_id
WHERE a.assessment_id IN (%s)
GROUP BY a.assessment_id, g.id, g.number, g.title, g.priority, a.status
ORDER BY a.assessment_id, g.number`

// Scores computes the scores of assessments in SQL, in one statement. The
// caller has read the assessments (their rows passed the privacy rules).
func Scores(ctx context.Context, c *ent.Client, d store.Dialect, ids []pulid.ID) (map[pulid.ID]*Score, error) {
	out := make(map[pulid.ID]*Score, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = string(id)
		out[id] = &Score{}
	}
	rows, err := c.QueryContext(ctx, d.Rebind(fmt.Sprintf(scoreQuery, store.Placeholders(len(ids)))), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			aid, gid, title, status string
			number, priority, n     int
		)
		if err := rows.Scan(&aid, &gid, &number, &title, &priority, &status, &n); err != nil {
			return nil, err
		}
		s := out[pulid.ID(aid)]
		if k := len(s.Groups); k == 0 || s.Groups[k-1].GroupID != pulid.ID(gid) {
			s.Groups = append(s.Groups, GroupScore{GroupID: pulid.ID(gid), Number: number, Title: title, Priority: priority})
		}
		s.Groups[len(s.Groups)-1].Counts.Add(types.AnswerStatus(status), n)
	}
	return out, rows.Err()
}

// PriorityOneComplete reports whether every checklist of processing-order
// group 1, the foundation, is complete.
func (s *Score) PriorityOneComplete() bool { return s.PriorityComplete(1) }

// GroupView is one checklist of an assessment: the group, its answers in
// question order, and their counts.
type GroupView struct {
	Group   *ent.CatalogGroup
	Answers []*ent.Answer
	Score   Counts
}

// Groups returns the checklists of an assessment in catalogue order, each
// with its answers: two statements.
func Groups(ctx context.Context, c *ent.Client, a *ent.Assessment) ([]*GroupView, error) {
	groups, err := c.CatalogGroup.Query().Where(cataloggroup.CatalogID(a.CatalogID)).
		WithRequirements(func(q *ent.RequirementQuery) { q.Order(requirement.ByNumber(), requirement.ByRef()) }).
		Order(cataloggroup.ByNumber()).All(ctx)
	if err != nil {
		return nil, err
	}
	answers, err := c.Answer.Query().Where(answer.AssessmentID(a.ID)).All(ctx)
	if err != nil {
		return nil, err
	}
	byReq := make(map[pulid.ID]*ent.Answer, len(answers))
	for _, x := range answers {
		byReq[x.RequirementID] = x
	}
	out := make([]*GroupView, 0, len(groups))
	for _, g := range groups {
		v := &GroupView{Group: g}
		for _, r := range g.Edges.Requirements {
			if x, ok := byReq[r.ID]; ok {
				v.Answers = append(v.Answers, x)
				v.Score.Add(x.Status, 1)
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// UnaddressedGaps are the NO answers of processing-order group 1 in the
// participation's latest assessment (the FOLLOW_UP once there is one)
// that no measure addresses.
func UnaddressedGaps(ctx context.Context, c *ent.Client, participationID pulid.ID) ([]*ent.Answer, error) {
	latest, err := c.Assessment.Query().Where(assessment.ParticipationID(participationID)).
		Order(assessment.ByKind(sql.OrderDesc())).First(ctx)
	if ent.IsNotFound(err) {
		return []*ent.Answer{}, nil
	} else if err != nil {
		return nil, err
	}
	return c.Answer.Query().Where(answer.AssessmentID(latest.ID), answer.StatusEQ(types.AnswerNo),
		answer.HasRequirementWith(requirement.HasGroupWith(cataloggroup.Priority(1))),
		answer.Not(answer.HasMeasures())).
		Order(answer.ByRequirementField(requirement.FieldRef)).All(ctx)
}
