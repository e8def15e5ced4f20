package assessment

import (
	"context"
	"fmt"
	"math/big"
	"slices"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"sicherkommunal/apperr"
	"sicherkommunal/auth"
	"sicherkommunal/ent"
	"sicherkommunal/ent/municipality"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/store"
)

// MinGroup is the fewest Kommunen an anonymised figure is computed from.
const MinGroup = 5

// Withheld is the reason given for a figure that is not shown.
const Withheld = "withheld: computed from fewer than 5 Kommunen"

// Distribution is the spread of the share fulfilled (in percent, rounded
// half up to two places) over the Kommunen of a figure. Quartiles are
// interpolated linearly between ranks, as Excel's QUARTILE.INC does, on
// the exact ratios.
type Distribution struct {
	Min, Q1, Median, Q3, Max decimal.Decimal
}

// ChecklistFigures are the figures of one checklist.
type ChecklistFigures struct {
	Number, Priority int
	Title            string
	// Kommunen is how many Kommunen answered an applicable question of it.
	Kommunen *int
	// Fulfilled is the distribution of their shares fulfilled.
	Fulfilled *Distribution
	// FullyFulfilled is how many answered every applicable question YES.
	FullyFulfilled *int
	Withheld       *string
	shares         []*big.Rat
}

// KindFigures are the figures of the Kommunen of one kind.
type KindFigures struct {
	MunicipalityKind municipality.Kind
	Kommunen         *int
	Checklists       []*ChecklistFigures
	Withheld         *string
}

// GapFigures is a question often answered NO.
type GapFigures struct {
	Ref, Question string
	Checklist     int
	Kommunen      *int
	Withheld      *string
}

// ChangeFigures compare BASELINE with FOLLOW_UP for the Kommunen that
// have both, per checklist.
type ChangeFigures struct {
	Number                         int
	Title                          string
	Kommunen                       *int
	BaselineMedian, FollowUpMedian *decimal.Decimal
	// MedianChange is the median of the Kommunen's changes, in percentage
	// points.
	MedianChange               *decimal.Decimal
	Improved, Unchanged, Worse *int
	Withheld                   *string
}

// KommuneFigures are one Kommune's scores per checklist.
type KommuneFigures struct {
	ParticipationID pulid.ID
	MunicipalityID  pulid.ID
	Checklists      []GroupScore
	kind            municipality.Kind
}

// Picture is the programme's security picture for one kind of
// assessment: the submitted (or confirmed) assessments of its
// participations.
//
// Anonymised (for every role but ADMIN, MINISTRY and COORDINATOR), the
// Kommunen of a kind with fewer than MinGroup in the picture are left out
// of every figure, and a figure computed from fewer than MinGroup
// Kommunen is withheld with its reason. So no figure depends on a group
// under MinGroup, and no two figures differ by one: the whole is the sum
// of its published kinds.
type Picture struct {
	ProgramID  pulid.ID
	Kind       types.AssessmentKind
	Anonymised bool
	// Kommunen is how many Kommunen the picture is computed from.
	Kommunen    int
	Checklists  []*ChecklistFigures
	ByKind      []*KindFigures
	MostOftenNo []*GapFigures
	Change      []*ChangeFigures
	// PerKommune is filled when not anonymised.
	PerKommune []*KommuneFigures
	// Own is the viewer's Kommune, for a MUNICIPALITY viewer.
	Own *KommuneFigures
}

// PictureInput asks for a picture.
type PictureInput struct {
	ProgramID  pulid.ID
	Kind       types.AssessmentKind
	Anonymised bool
	// Own is the municipality whose own figures are added (MUNICIPALITY).
	Own *pulid.ID
	// TopGaps is how many of the questions most often answered NO.
	TopGaps int
}

// countsQuery are the answer counts of every submitted assessment of a
// programme per checklist: one row per Kommune, assessment kind and
// checklist. The figures are built from it in memory.
const countsQuery = `SELECT p.id, p.municipality_id, m.kind, s.kind, g.number, g.title, g.priority,
  SUM(CASE WHEN a.status = 'OPEN' THEN 1 ELSE 0 END),
  SUM(CASE WHEN a.status = 'YES' THEN 1 ELSE 0 END),
  SUM(CASE WHEN a.status = 'PARTIAL' THEN 1 ELSE 0 END),
  SUM(CASE WHEN a.status = 'NO' THEN 1 ELSE 0 END),
  SUM(CASE WHEN a.status = 'NOT_APPLICABLE' THEN 1 ELSE 0 END)
FROM assessments s
JOIN participations p ON p.id = s.participation_id
JOIN municipalities m ON m.id = p.municipality_id
JOIN answers a ON a.assessment_id = s.id
JOIN requirements r ON r.id = a.requirement_id
JOIN catalog_groups g ON g.id = r.group_id
WHERE p.program_id = ? AND s.status IN ` + SubmittedSQL + `
GROUP BY p.id, p.municipality_id, m.kind, s.kind, g.number, g.title, g.priority`

// gapsQuery counts, per question, the Kommunen (of the given kinds) whose
// assessment of one kind answers it NO.
const gapsQuery = `SELECT r.ref, r.question, g.number, COUNT(*)
FROM assessments s
JOIN participations p ON p.id = s.participation_id
JOIN municipalities m ON m.id = p.municipality_id
JOIN answers a ON a.assessment_id = s.id
JOIN requirements r ON r.id = a.requirement_id
JOIN catalog_groups g ON g.id = r.group_id
WHERE p.program_id = ? AND s.kind = ? AND s.status IN ` + SubmittedSQL + ` AND a.status = 'NO' AND m.kind IN (%s)
GROUP BY r.ref, r.question, g.number
ORDER BY COUNT(*) DESC, g.number, r.ref
LIMIT ?`

// row is one line of countsQuery.
type row struct {
	participation, municipality pulid.ID
	kommuneKind                 municipality.Kind
	kind                        types.AssessmentKind
	group                       GroupScore
}

// ProgramPicture computes the picture in three statements (the
// programme, the counts, the questions most often NO), whatever the number
// of Kommunen. The counts are read with the rights of the picture, not of
// the viewer's rows: the caller decides Anonymised from the viewer's role.
func ProgramPicture(ctx context.Context, c *ent.Client, d store.Dialect, in PictureInput) (*Picture, error) {
	// Programmes are public to every role that reads the picture (the BSI
	// reads no rows of its own).
	if _, err := c.Program.Get(auth.SystemContext(ctx), in.ProgramID); ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "programme %s not found", in.ProgramID)
	} else if err != nil {
		return nil, err
	}
	rows, err := readCounts(ctx, c, d, in.ProgramID)
	if err != nil {
		return nil, err
	}
	pic, kinds := compose(rows, in)
	if in.TopGaps > 0 && len(kinds) > 0 {
		if pic.MostOftenNo, err = readGaps(ctx, c, d, in, kinds); err != nil {
			return nil, err
		}
	}
	if pic.MostOftenNo == nil {
		pic.MostOftenNo = []*GapFigures{}
	}
	return pic, nil
}

// compose builds the picture of the count rows, all but the questions
// most often NO; it returns the kinds of Kommune whose members enter it.
func compose(rows []row, in PictureInput) (*Picture, []municipality.Kind) {
	pic := &Picture{ProgramID: in.ProgramID, Kind: in.Kind, Anonymised: in.Anonymised}
	byKommune := kommunen(rows, in.Kind)
	kinds := publishedKinds(byKommune, in.Anonymised)
	in1 := keep(byKommune, kinds)
	pic.Kommunen = len(in1)
	pic.ByKind = byKind(byKommune, kinds, in.Anonymised)
	pic.Checklists = checklists(in1, in.Anonymised, publishedChecklists(pic.ByKind, in.Anonymised))
	pic.Change = progress(rows, in.Anonymised)
	if !in.Anonymised {
		pic.PerKommune = in1
	}
	if in.Own != nil {
		for _, k := range byKommune {
			if k.MunicipalityID == *in.Own {
				pic.Own = k
			}
		}
	}
	return pic, kinds
}

func readCounts(ctx context.Context, c *ent.Client, d store.Dialect, program pulid.ID) ([]row, error) {
	rs, err := c.QueryContext(ctx, d.Rebind(countsQuery), string(program))
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []row
	for rs.Next() {
		var r row
		var pid, mid, mk, kind string
		cn := &r.group.Counts
		if err := rs.Scan(&pid, &mid, &mk, &kind, &r.group.Number, &r.group.Title, &r.group.Priority,
			&cn.Open, &cn.Yes, &cn.Partial, &cn.No, &cn.NotApplicable); err != nil {
			return nil, err
		}
		r.participation, r.municipality, r.kommuneKind, r.kind = pulid.ID(pid), pulid.ID(mid), municipality.Kind(mk), types.AssessmentKind(kind)
		out = append(out, r)
	}
	return out, rs.Err()
}

// kommunen groups the rows of one assessment kind by Kommune, checklists
// by number; the Kommunen in participation order.
func kommunen(rows []row, kind types.AssessmentKind) []*KommuneFigures {
	idx := map[pulid.ID]*KommuneFigures{}
	var out []*KommuneFigures
	for _, r := range rows {
		if r.kind != kind {
			continue
		}
		k := idx[r.participation]
		if k == nil {
			k = &KommuneFigures{ParticipationID: r.participation, MunicipalityID: r.municipality, kind: r.kommuneKind}
			idx[r.participation] = k
			out = append(out, k)
		}
		k.Checklists = append(k.Checklists, r.group)
	}
	for _, k := range out {
		slices.SortFunc(k.Checklists, func(a, b GroupScore) int { return a.Number - b.Number })
	}
	slices.SortFunc(out, func(a, b *KommuneFigures) int {
		return strings.Compare(string(a.ParticipationID), string(b.ParticipationID))
	})
	return out
}

// kindOrder is the order of the kinds of Kommune in the picture.
var kindOrder = []municipality.Kind{municipality.KindKREISFREIE_STADT, municipality.KindLANDKREIS,
	municipality.KindEINHEITSGEMEINDE, municipality.KindVERBANDSGEMEINDE}

// publishedKinds are the kinds of Kommune whose members enter the
// picture: every kind, or, anonymised, those with at least MinGroup
// Kommunen in it.
func publishedKinds(ks []*KommuneFigures, anonymised bool) []municipality.Kind {
	n := map[municipality.Kind]int{}
	for _, k := range ks {
		n[k.kind]++
	}
	var out []municipality.Kind
	for _, kind := range kindOrder {
		if n[kind] > 0 && (!anonymised || n[kind] >= MinGroup) {
			out = append(out, kind)
		}
	}
	return out
}

func keep(ks []*KommuneFigures, kinds []municipality.Kind) []*KommuneFigures {
	out := []*KommuneFigures{}
	for _, k := range ks {
		if slices.Contains(kinds, k.kind) {
			out = append(out, k)
		}
	}
	return out
}

// published says which checklists of a kind of Kommune enter a figure;
// nil: all.
type published map[municipality.Kind]map[int]bool

// publishedChecklists are, anonymised, the checklists each kind publishes
// a figure of. A checklist's figure for the whole programme counts only
// the Kommunen of the kinds whose own figure of it is published: so the
// whole is the sum of its published kinds, checklist by checklist, and
// no kind's withheld figure follows from the whole less the others.
func publishedChecklists(kinds []*KindFigures, anonymised bool) published {
	if !anonymised {
		return nil
	}
	out := published{}
	for _, k := range kinds {
		out[k.MunicipalityKind] = map[int]bool{}
		for _, f := range k.Checklists {
			if f.Withheld == nil {
				out[k.MunicipalityKind][f.Number] = true
			}
		}
	}
	return out
}

// checklists are the figures per checklist of the Kommunen ks (of the
// checklists only that their kind publishes, when only is not nil).
func checklists(ks []*KommuneFigures, anonymised bool, only published) []*ChecklistFigures {
	idx := map[int]*ChecklistFigures{}
	var out []*ChecklistFigures
	for _, k := range ks {
		for _, g := range k.Checklists {
			if only != nil && !only[k.kind][g.Number] {
				if idx[g.Number] == nil {
					idx[g.Number] = &ChecklistFigures{Number: g.Number, Title: g.Title, Priority: g.Priority}
					out = append(out, idx[g.Number])
				}
				continue
			}
			f := idx[g.Number]
			if f == nil {
				f = &ChecklistFigures{Number: g.Number, Title: g.Title, Priority: g.Priority}
				idx[g.Number] = f
				out = append(out, f)
			}
			if r := g.Counts.Fulfilled().Rat(); r != nil {
				f.shares = append(f.shares, r)
			}
		}
	}
	slices.SortFunc(out, func(a, b *ChecklistFigures) int { return a.Number - b.Number })
	for _, f := range out {
		n := len(f.shares)
		if anonymised && n < MinGroup {
			w := Withheld
			f.Withheld = &w
			continue
		}
		full := 0
		for _, r := range f.shares {
			if r.Cmp(big.NewRat(1, 1)) == 0 {
				full++
			}
		}
		f.Kommunen, f.FullyFulfilled = &n, &full
		if n > 0 {
			f.Fulfilled = distribution(f.shares)
		}
	}
	return out
}

// byKind are the figures of each kind of Kommune; anonymised, the kinds
// left out are listed as withheld.
func byKind(ks []*KommuneFigures, published []municipality.Kind, anonymised bool) []*KindFigures {
	var out []*KindFigures
	for _, kind := range kindOrder {
		f := &KindFigures{MunicipalityKind: kind}
		if !slices.Contains(published, kind) {
			if !anonymised {
				continue // none of this kind
			}
			w := Withheld
			f.Withheld = &w
			f.Checklists = []*ChecklistFigures{}
		} else {
			members := keep(ks, []municipality.Kind{kind})
			n := len(members)
			f.Kommunen = &n
			f.Checklists = checklists(members, anonymised, nil)
		}
		out = append(out, f)
	}
	return out
}

// progress compares, per checklist, the shares of the Kommunen with a
// BASELINE and a FOLLOW_UP (anonymised: of the kinds with at least
// MinGroup such Kommunen).
func progress(rows []row, anonymised bool) []*ChangeFigures {
	base := kommunen(rows, types.AssessmentBaseline)
	follow := map[pulid.ID]*KommuneFigures{}
	for _, k := range kommunen(rows, types.AssessmentFollowUp) {
		follow[k.ParticipationID] = k
	}
	var both []*KommuneFigures
	for _, k := range base {
		if follow[k.ParticipationID] != nil {
			both = append(both, k)
		}
	}
	both = keep(both, publishedKinds(both, anonymised))
	type pair struct{ before, after *big.Rat }
	pairs := map[int][]pair{}
	titles := map[int]string{}
	var numbers []int
	for _, k := range both {
		after := map[int]GroupScore{}
		for _, g := range follow[k.ParticipationID].Checklists {
			after[g.Number] = g
		}
		for _, g := range k.Checklists {
			a, ok := after[g.Number]
			b, f := g.Counts.Fulfilled().Rat(), a.Counts.Fulfilled().Rat()
			if !ok || b == nil || f == nil {
				continue
			}
			if _, seen := titles[g.Number]; !seen {
				titles[g.Number] = g.Title
				numbers = append(numbers, g.Number)
			}
			pairs[g.Number] = append(pairs[g.Number], pair{b, f})
		}
	}
	sort.Ints(numbers)
	out := []*ChangeFigures{}
	for _, num := range numbers {
		ps := pairs[num]
		f := &ChangeFigures{Number: num, Title: titles[num]}
		n := len(ps)
		if anonymised && n < MinGroup {
			w := Withheld
			f.Withheld = &w
			out = append(out, f)
			continue
		}
		var before, after, diff []*big.Rat
		improved, unchanged, worse := 0, 0, 0
		for _, p := range ps {
			before, after = append(before, p.before), append(after, p.after)
			d := new(big.Rat).Sub(p.after, p.before)
			diff = append(diff, d)
			switch d.Sign() {
			case 1:
				improved++
			case 0:
				unchanged++
			default:
				worse++
			}
		}
		bm, am, dm := percent(quantile(sorted(before), 1, 2)), percent(quantile(sorted(after), 1, 2)), percent(quantile(sorted(diff), 1, 2))
		f.Kommunen, f.BaselineMedian, f.FollowUpMedian, f.MedianChange = &n, &bm, &am, &dm
		f.Improved, f.Unchanged, f.Worse = &improved, &unchanged, &worse
		out = append(out, f)
	}
	return out
}

func readGaps(ctx context.Context, c *ent.Client, d store.Dialect, in PictureInput, kinds []municipality.Kind) ([]*GapFigures, error) {
	args := []any{string(in.ProgramID), string(in.Kind)}
	for _, k := range kinds {
		args = append(args, string(k))
	}
	args = append(args, in.TopGaps)
	rs, err := c.QueryContext(ctx, d.Rebind(fmt.Sprintf(gapsQuery, store.Placeholders(len(kinds)))), args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	out := []*GapFigures{}
	for rs.Next() {
		g := &GapFigures{}
		var n int
		if err := rs.Scan(&g.Ref, &g.Question, &g.Checklist, &n); err != nil {
			return nil, err
		}
		if in.Anonymised && n < MinGroup {
			// Not listed: even its rank would tell of fewer than MinGroup
			// Kommunen (the list is by count, so the rest are smaller).
			break
		}
		g.Kommunen = &n
		out = append(out, g)
	}
	return out, rs.Err()
}

// distribution is the five-number summary of exact shares.
func distribution(shares []*big.Rat) *Distribution {
	x := sorted(shares)
	return &Distribution{
		Min: percent(x[0]), Q1: percent(quantile(x, 1, 4)), Median: percent(quantile(x, 1, 2)),
		Q3: percent(quantile(x, 3, 4)), Max: percent(x[len(x)-1]),
	}
}

func sorted(xs []*big.Rat) []*big.Rat {
	out := slices.Clone(xs)
	slices.SortFunc(out, func(a, b *big.Rat) int { return a.Cmp(b) })
	return out
}

// quantile is the p/q quantile of sorted values, interpolated linearly
// between the ranks around (n-1)·p/q (QUARTILE.INC), exactly.
func quantile(x []*big.Rat, p, q int) *big.Rat {
	pos := new(big.Rat).SetFrac64(int64((len(x)-1)*p), int64(q))
	lo := new(big.Int).Quo(pos.Num(), pos.Denom()).Int64()
	frac := new(big.Rat).Sub(pos, new(big.Rat).SetInt64(lo))
	v := new(big.Rat).Set(x[lo])
	if frac.Sign() > 0 {
		step := new(big.Rat).Sub(x[lo+1], x[lo])
		v.Add(v, step.Mul(step, frac))
	}
	return v
}

// percent is 100·r rounded half up (away from zero) to two places.
func percent(r *big.Rat) decimal.Decimal {
	num := decimal.NewFromBigInt(new(big.Int).Mul(r.Num(), big.NewInt(100)), 0)
	return num.DivRound(decimal.NewFromBigInt(r.Denom(), 0), 2)
}

// MinimumGroup is MinGroup, for the schema.
func (p *Picture) MinimumGroup() int { return MinGroup }
