package assessment

import (
	"fmt"
	"testing"

	"sicherkommunal/auth"
	"sicherkommunal/ent/answer"
	"sicherkommunal/ent/answerchange"
	"sicherkommunal/ent/municipality"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
)

// TestScaleSeeding: the data the scale benchmarks generate in SQL is what
// they claim, at 133 Kommunen: the kinds of Kommune, 257 answers per
// BASELINE with the statuses of seededStatus, well-formed IDs, a picture
// of every Kommune, and a save of the 25 Backup answers.
func TestScaleSeeding(t *testing.T) {
	const n = 133
	s := seedScale(t, n)
	ctx := auth.SystemContext(t.Context())
	c := s.db.Client

	kreisfrei, landkreis, verband, einheit := kommunenMix(n)
	if kreisfrei != 3 || landkreis != 11 || verband != 18 || einheit != 101 {
		t.Fatalf("mix of 133: %d %d %d %d, want Sachsen-Anhalt's 3 11 18 101", kreisfrei, landkreis, verband, einheit)
	}
	if k, l, v, e := kommunenMix(11000); k != 3 || l != 294 || v != 1300 || e != 9403 {
		t.Fatalf("mix of 11,000: %d %d %d %d", k, l, v, e)
	}
	for kind, want := range map[municipality.Kind]int{municipality.KindKREISFREIE_STADT: kreisfrei,
		municipality.KindLANDKREIS: landkreis, municipality.KindVERBANDSGEMEINDE: verband, municipality.KindEINHEITSGEMEINDE: einheit} {
		if got := c.Municipality.Query().Where(municipality.KindEQ(kind)).CountX(ctx); got != want {
			t.Errorf("%s: %d Kommunen, want %d", kind, got, want)
		}
	}
	if got := c.Municipality.Query().Where(municipality.AgsIsNil()).CountX(ctx); got != verband {
		t.Errorf("%d Kommunen without AGS, want the %d Verbandsgemeinden", got, verband)
	}

	want := map[types.AnswerStatus]int{}
	for i := 1; i <= n; i++ {
		for k := 1; k <= scaleQuestions; k++ {
			want[seededStatus(i, k)]++
		}
	}
	rs, err := c.QueryContext(ctx, s.db.Dialect.Rebind(`SELECT a.status, COUNT(*) FROM answers a
JOIN assessments s ON s.id = a.assessment_id WHERE s.kind = 'BASELINE' AND s.status = 'SUBMITTED' GROUP BY a.status`))
	if err != nil {
		t.Fatal(err)
	}
	got := map[types.AnswerStatus]int{}
	for rs.Next() {
		var st string
		var k int
		if err := rs.Scan(&st, &k); err != nil {
			t.Fatal(err)
		}
		got[types.AnswerStatus(st)] = k
	}
	if err := rs.Close(); err != nil {
		t.Fatal(err)
	}
	spread := ""
	for _, st := range types.AnswerStatus("").Values() {
		status := types.AnswerStatus(st)
		if want[status] == 0 || got[status] != want[status] {
			t.Errorf("%s: %d answers, the seeding formula says %d", st, got[status], want[status])
		}
		spread += fmt.Sprintf(" %s %.1f%%", st, 100*float64(want[status])/float64(n*scaleQuestions))
	}
	t.Logf("statuses of %d answers:%s", n*scaleQuestions, spread)

	// IDs as the application's: two letters and 26 characters.
	for _, id := range []pulid.ID{seedID("MU", n), seedID("PA", 1), seedID("AS", n), seedID("AN", n*1000+scaleQuestions)} {
		if id.Prefix() == "" {
			t.Errorf("malformed id %s", id)
		}
	}
	a := c.Answer.Query().Where(answer.ID(seedID("AN", 7*1000+42))).WithRequirement().OnlyX(ctx)
	if a.AssessmentID != seedID("AS", 7) || a.Status != seededStatus(7, 42) || a.Edges.Requirement.Ref != "Backup-16" {
		t.Errorf("answer 7/42: %s %s %s", a.AssessmentID, a.Status, a.Edges.Requirement.Ref)
	}

	// The picture: every Kommune, every checklist; anonymised without the
	// 3 kreisfreie Städte.
	p, err := s.picture(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	yes := 0
	for _, k := range p.PerKommune {
		for _, g := range k.Checklists {
			yes += g.Counts.Yes
		}
	}
	if p.Kommunen != n || len(p.Checklists) != 19 || len(p.ByKind) != 4 || len(p.MostOftenNo) != 10 || yes != want[types.AnswerYes] {
		t.Fatalf("picture: %d Kommunen, %d checklists, %d kinds, %d gaps, %d YES", p.Kommunen, len(p.Checklists), len(p.ByKind), len(p.MostOftenNo), yes)
	}
	for _, f := range p.Checklists {
		if *f.Kommunen != n || f.Fulfilled.Min.Equal(f.Fulfilled.Max) {
			t.Errorf("checklist %d: %d Kommunen, fulfilled %v … %v", f.Number, *f.Kommunen, f.Fulfilled.Min, f.Fulfilled.Max)
		}
	}
	if p, err := s.picture(ctx, true); err != nil || p.Kommunen != n-kreisfrei {
		t.Fatalf("anonymised picture: %v, %v", p, err)
	}
	// Only submitted assessments count: the FOLLOW_UP is IN_PROGRESS.
	if rows, err := s.bare(ctx); err != nil || rows != n*19 {
		t.Fatalf("bare aggregate: %d rows, %v", rows, err)
	}

	// The save of the benchmark: each round changes all 25 answers.
	for round := 1; round <= 2; round++ {
		if err := s.save(contractor(), round); err != nil {
			t.Fatal(err)
		}
	}
	if got := c.AnswerChange.Query().Where(answerchange.HasAnswerWith(answer.AssessmentID(s.followUp))).CountX(ctx); got != 2*scaleSaveQuestions {
		t.Errorf("%d changes after two saves, want %d", got, 2*scaleSaveQuestions)
	}
}
