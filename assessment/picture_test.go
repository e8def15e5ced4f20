package assessment

import (
	"fmt"
	"math/big"
	"testing"

	"sicherkommunal/ent/municipality"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
)

func TestQuantileAndPercent(t *testing.T) {
	r := func(n, d int64) *big.Rat { return big.NewRat(n, d) }
	for _, c := range []struct {
		xs   []*big.Rat
		p, q int
		want string
	}{
		{[]*big.Rat{r(1, 1)}, 1, 2, "100"},
		{[]*big.Rat{r(0, 1), r(1, 1)}, 1, 2, "50"},
		{[]*big.Rat{r(1, 3), r(2, 3), r(1, 1)}, 1, 2, "66.67"},
		// QUARTILE.INC({1,2,3,4}/4, 1) = 1.75/4
		{[]*big.Rat{r(1, 4), r(2, 4), r(3, 4), r(4, 4)}, 1, 4, "43.75"},
		{[]*big.Rat{r(1, 4), r(2, 4), r(3, 4), r(4, 4)}, 3, 4, "81.25"},
		// 1/8 is 12.5 %: half up to 12.5, and 1/6 is 16.666… → 16.67
		{[]*big.Rat{r(1, 8)}, 1, 2, "12.5"},
		{[]*big.Rat{r(1, 6)}, 1, 2, "16.67"},
		// 0.125 % rounds half up at the second place: 1/800 → 0.13
		{[]*big.Rat{r(1, 800)}, 1, 2, "0.13"},
	} {
		if got := percent(quantile(c.xs, c.p, c.q)).String(); got != c.want {
			t.Errorf("%v %d/%d: %s, want %s", c.xs, c.p, c.q, got, c.want)
		}
	}
	if got := (Ratio{1, 3}).Percent().StringFixed(2); got != "33.33" {
		t.Errorf("1/3: %s", got)
	}
	if (Ratio{0, 0}).Percent() != nil {
		t.Error("0/0 has a percent")
	}
}

// kommune is n rows of one Kommune: checklist 3 (Backup) with yes of
// applicable answers.
func kommune(i int, kind municipality.Kind, ak types.AssessmentKind, yes, applicable int) row {
	return row{
		participation: pulid.ID(fmt.Sprintf("PA%03d", i)), municipality: pulid.ID(fmt.Sprintf("MU%03d", i)),
		kommuneKind: kind, kind: ak,
		group: GroupScore{Number: 3, Title: "Backup", Priority: 1, Counts: Counts{Yes: yes, No: applicable - yes}},
	}
}

// TestAnonymisedPicture: kinds with fewer than 5 Kommunen are left out of
// every figure (so the 3 kreisfreie Städte never form a group, and the
// whole is the sum of the published kinds), and a figure from fewer than
// 5 Kommunen is withheld.
func TestAnonymisedPicture(t *testing.T) {
	var rows []row
	for i := range 3 {
		rows = append(rows, kommune(i, municipality.KindKREISFREIE_STADT, types.AssessmentBaseline, 0, 4))
	}
	for i := 3; i < 9; i++ {
		rows = append(rows, kommune(i, municipality.KindLANDKREIS, types.AssessmentBaseline, i-3, 5))
	}
	for i := 9; i < 13; i++ { // 4 Einheitsgemeinden: withheld too
		rows = append(rows, kommune(i, municipality.KindEINHEITSGEMEINDE, types.AssessmentBaseline, 5, 5))
	}
	build := func(rows []row, anonymised bool) (*Picture, []municipality.Kind) {
		return compose(rows, PictureInput{Kind: types.AssessmentBaseline, Anonymised: anonymised})
	}
	p, kinds := build(rows, true)
	if len(kinds) != 1 || kinds[0] != municipality.KindLANDKREIS || p.Kommunen != 6 {
		t.Fatalf("published kinds %v, %d Kommunen", kinds, p.Kommunen)
	}
	b := p.Checklists[0]
	if *b.Kommunen != 6 || *b.FullyFulfilled != 1 || b.Fulfilled.Min.String() != "0" || b.Fulfilled.Max.String() != "100" ||
		b.Fulfilled.Median.String() != "50" {
		t.Fatalf("backup: %+v %+v", b, b.Fulfilled)
	}
	for _, k := range p.ByKind {
		published := k.MunicipalityKind == municipality.KindLANDKREIS
		if published != (k.Withheld == nil) || published != (k.Kommunen != nil) {
			t.Errorf("%s: withheld %v, kommunen %v", k.MunicipalityKind, k.Withheld, k.Kommunen)
		}
	}
	// Changing a Kreisfreie Stadt's answers changes nothing published.
	changed := append([]row(nil), rows...)
	changed[0] = kommune(0, municipality.KindKREISFREIE_STADT, types.AssessmentBaseline, 4, 4)
	q, _ := build(changed, true)
	if fmt.Sprintf("%+v %+v", *q.Checklists[0].Fulfilled, *q.Checklists[0].FullyFulfilled) != fmt.Sprintf("%+v %+v", *b.Fulfilled, *b.FullyFulfilled) {
		t.Error("a suppressed Kommune's answers changed a published figure")
	}
	// Not anonymised: every Kommune.
	full, _ := build(rows, false)
	if full.Kommunen != 13 || *full.Checklists[0].Kommunen != 13 || len(full.ByKind) != 3 {
		t.Errorf("full picture: %d Kommunen, %d kinds", full.Kommunen, len(full.ByKind))
	}
	// Four Kommunen with both assessments: no change figure; six are
	// shown, with medians and directions (4 better, 2 worse).
	for i := 3; i < 7; i++ {
		rows = append(rows, kommune(i, municipality.KindLANDKREIS, types.AssessmentFollowUp, 5, 5))
	}
	if p, _ := build(rows, true); len(p.Change) > 0 && (p.Change[0].Withheld == nil || p.Change[0].Kommunen != nil) {
		t.Errorf("change of 4: %+v", p.Change[0])
	}
	for i := 7; i < 9; i++ {
		rows = append(rows, kommune(i, municipality.KindLANDKREIS, types.AssessmentFollowUp, 2, 5))
	}
	p, _ = build(rows, true)
	c := p.Change[0]
	if c.Withheld != nil || *c.Kommunen != 6 || *c.Improved != 4 || *c.Worse != 2 || *c.Unchanged != 0 || c.FollowUpMedian.String() != "100" {
		t.Errorf("change of 6: %+v", c)
	}
}

// TestWithheldChecklistOfAPublishedKind: a kind is published (5
// Einheitsgemeinden) but one of its checklists is not (only 4 have an
// applicable answer in Drucker). The whole's Drucker figure then leaves
// that kind out, so it equals the published kinds' sum and the withheld
// group does not follow from the whole less the others.
func TestWithheldChecklistOfAPublishedKind(t *testing.T) {
	drucker := func(r row, yes, applicable, na int) row {
		r.group = GroupScore{Number: 6, Title: "Drucker", Priority: 4, Counts: Counts{Yes: yes, No: applicable - yes, NotApplicable: na}}
		return r
	}
	var rows []row
	for i := range 6 {
		k := kommune(i, municipality.KindLANDKREIS, types.AssessmentBaseline, i%3, 2)
		rows = append(rows, k, drucker(k, i%2, 2, 0))
	}
	for i := 6; i < 11; i++ {
		k := kommune(i, municipality.KindEINHEITSGEMEINDE, types.AssessmentBaseline, 1, 2)
		d := drucker(k, 2, 2, 0)
		if i == 6 {
			d = drucker(k, 0, 0, 2) // nothing applies
		}
		rows = append(rows, k, d)
	}
	p, kinds := compose(rows, PictureInput{Kind: types.AssessmentBaseline, Anonymised: true})
	if len(kinds) != 2 || p.Kommunen != 11 {
		t.Fatalf("kinds %v, %d Kommunen", kinds, p.Kommunen)
	}
	figure := func(fs []*ChecklistFigures, number int) *ChecklistFigures {
		for _, f := range fs {
			if f.Number == number {
				return f
			}
		}
		t.Fatalf("no checklist %d", number)
		return nil
	}
	var lk, eg *KindFigures
	for _, k := range p.ByKind {
		switch k.MunicipalityKind {
		case municipality.KindLANDKREIS:
			lk = k
		case municipality.KindEINHEITSGEMEINDE:
			eg = k
		}
	}
	if f := figure(eg.Checklists, 6); f.Withheld == nil || f.Kommunen != nil || f.Fulfilled != nil {
		t.Fatalf("the Einheitsgemeinden's Drucker: %+v", f)
	}
	whole, own := figure(p.Checklists, 6), figure(lk.Checklists, 6)
	if *whole.Kommunen != *own.Kommunen || *whole.FullyFulfilled != *own.FullyFulfilled || fmt.Sprint(*whole.Fulfilled) != fmt.Sprint(*own.Fulfilled) {
		t.Fatalf("the whole's Drucker (%d, %d full, %+v) is not the Landkreise's (%d, %d full, %+v)",
			*whole.Kommunen, *whole.FullyFulfilled, *whole.Fulfilled, *own.Kommunen, *own.FullyFulfilled, *own.Fulfilled)
	}
	// Backup, published by both kinds, counts both.
	if b := figure(p.Checklists, 3); *b.Kommunen != 11 {
		t.Fatalf("the whole's Backup: %d Kommunen", *b.Kommunen)
	}
	// Not anonymised, every Kommune counts.
	full, _ := compose(rows, PictureInput{Kind: types.AssessmentBaseline})
	if f := figure(full.Checklists, 6); *f.Kommunen != 10 {
		t.Fatalf("the full Drucker: %d Kommunen", *f.Kommunen)
	}
}
