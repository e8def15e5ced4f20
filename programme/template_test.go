package programme

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"sicherkommunal/ent"
	"sicherkommunal/ent/schema/types"
)

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestDefaultStepTemplate(t *testing.T) {
	tpl := DefaultStepTemplate(day("2026-12-31"))
	if len(tpl) != len(types.StepKinds) {
		t.Fatalf("%d items, want %d", len(tpl), len(types.StepKinds))
	}
	want := map[types.StepKind]string{
		types.StepKickoff:             "+14",
		types.StepOnsiteAssessment:    "+42",
		types.StepPolicyReview:        "+70",
		types.StepTechnicalSpotCheck:  "+70",
		types.StepVulnerabilityScan:   "+84",
		types.StepMeasurePackage:      "+112",
		types.StepMeasuresImplemented: "+280",
		types.StepFinalAcceptance:     "2026-12-17", // two weeks before the end
		types.StepBilling:             "2026-12-31",
	}
	for i, it := range tpl {
		// In process order, each kind once.
		if it.Kind != types.StepKinds[i] {
			t.Errorf("item %d is %s, want %s", i, it.Kind, types.StepKinds[i])
		}
		var got string
		if it.DueOn != nil {
			if it.OffsetDays != 0 {
				t.Errorf("%s has a date and an offset", it.Kind)
			}
			got = it.DueOn.Format(time.DateOnly)
		} else {
			got = "+" + strconv.Itoa(it.OffsetDays)
		}
		if got != want[it.Kind] {
			t.Errorf("%s: %s, want %s", it.Kind, got, want[it.Kind])
		}
	}
	// The fixed dates follow the end given, and the template does not share
	// them between calls.
	other := DefaultStepTemplate(day("2027-03-01"))
	if d := other[7].DueOn.Format(time.DateOnly); d != "2027-02-15" {
		t.Errorf("final acceptance for an end on 2027-03-01: %s", d)
	}
	if tpl[7].DueOn.Format(time.DateOnly) != "2026-12-17" || tpl[8].DueOn.Format(time.DateOnly) != "2026-12-31" {
		t.Error("a second template changed the first")
	}
}

func TestDueDates(t *testing.T) {
	start, end := day("2025-12-02"), day("2026-12-31")
	p := &ent.Program{StartsOn: start, EndsOn: end, StepTemplate: DefaultStepTemplate(end)}
	for _, c := range []struct {
		name       string
		p          *ent.Program
		registered time.Time
		want       map[types.StepKind]string
	}{
		{
			name: "offsets from registration, fixed dates as they are", p: p, registered: day("2026-01-05"),
			want: map[types.StepKind]string{
				types.StepKickoff: "2026-01-19", types.StepOnsiteAssessment: "2026-02-16",
				types.StepPolicyReview: "2026-03-16", types.StepTechnicalSpotCheck: "2026-03-16",
				types.StepVulnerabilityScan: "2026-03-30", types.StepMeasurePackage: "2026-04-27",
				types.StepMeasuresImplemented: "2026-10-12",
				types.StepFinalAcceptance:     "2026-12-17", types.StepBilling: "2026-12-31",
			},
		},
		{
			name: "late registration: offsets end at the programme's end, fixed dates not before registration", p: p, registered: day("2026-12-20"),
			want: map[types.StepKind]string{
				types.StepKickoff: "2026-12-31", types.StepOnsiteAssessment: "2026-12-31",
				types.StepPolicyReview: "2026-12-31", types.StepTechnicalSpotCheck: "2026-12-31",
				types.StepVulnerabilityScan: "2026-12-31", types.StepMeasurePackage: "2026-12-31",
				types.StepMeasuresImplemented: "2026-12-31",
				types.StepFinalAcceptance:     "2026-12-20", types.StepBilling: "2026-12-31",
			},
		},
		{
			name: "registration on the last day", p: p, registered: day("2026-12-31"),
			want: map[types.StepKind]string{
				types.StepKickoff: "2026-12-31", types.StepOnsiteAssessment: "2026-12-31",
				types.StepPolicyReview: "2026-12-31", types.StepTechnicalSpotCheck: "2026-12-31",
				types.StepVulnerabilityScan: "2026-12-31", types.StepMeasurePackage: "2026-12-31",
				types.StepMeasuresImplemented: "2026-12-31",
				types.StepFinalAcceptance:     "2026-12-31", types.StepBilling: "2026-12-31",
			},
		},
		{
			// A registration read back as a local midnight (or any time of
			// day) counts as that calendar day; so do the programme's dates.
			name: "times of day and zones are dropped",
			p: &ent.Program{EndsOn: time.Date(2026, 6, 30, 0, 0, 0, 0, berlin),
				StepTemplate: []types.StepTemplateItem{
					{Kind: types.StepKickoff, OffsetDays: 0},
					{Kind: types.StepBilling, DueOn: ptr(time.Date(2026, 6, 1, 23, 30, 0, 0, berlin))},
				}},
			registered: time.Date(2026, 5, 4, 23, 59, 0, 0, berlin),
			want:       map[types.StepKind]string{types.StepKickoff: "2026-05-04", types.StepBilling: "2026-06-01"},
		},
		{
			name: "an empty template has no due dates", p: &ent.Program{EndsOn: end}, registered: day("2026-01-05"),
			want: map[types.StepKind]string{},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := DueDates(c.p, c.registered)
			if len(got) != len(c.want) {
				t.Errorf("%d due dates, want %d", len(got), len(c.want))
			}
			for k, w := range c.want {
				d, ok := got[k]
				if !ok {
					t.Errorf("%s missing", k)
					continue
				}
				if d.Location() != time.UTC || d.Hour() != 0 || d.Minute() != 0 {
					t.Errorf("%s: %v is not a date at midnight UTC", k, d)
				}
				if d.Format(time.DateOnly) != w {
					t.Errorf("%s: %s, want %s", k, d.Format(time.DateOnly), w)
				}
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestSortSteps(t *testing.T) {
	var steps []*ent.Step
	for _, k := range slices.Backward(types.StepKinds) {
		steps = append(steps, &ent.Step{Kind: k})
	}
	first := steps[0]
	sorted := SortSteps(steps)
	for i, s := range sorted {
		if s.Kind != types.StepKinds[i] {
			t.Errorf("%d: %s, want %s", i, s.Kind, types.StepKinds[i])
		}
	}
	if steps[0] != first {
		t.Error("SortSteps sorted its argument in place")
	}
}
