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
		ks := kommunen(rows, types.AssessmentBaseline)
		kinds := publishedKinds(ks, anonymised)
		in := keep(ks, kinds)
		return &Picture{Kommunen: len(in), Checklists: checklists(in, anonymised), ByKind: byKind(ks, kinds, anonymised),
			Change: progress(rows, anonymised)}, kinds
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
