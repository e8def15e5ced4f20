package finding

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"sicherkommunal/apperr"
	"sicherkommunal/ent/schema/types"
)

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// TestNextMatrix: every status against every target, as the contractor
// (with a re-test, reasons and an acceptance filled in), against the
// finding's life written out: what a person may do from each status.
func TestNextMatrix(t *testing.T) {
	want := map[Status]string{
		StatusOpen:          "CONFIRMED IN_REMEDIATION FIXED FALSE_POSITIVE RISK_ACCEPTED",
		StatusReopened:      "CONFIRMED IN_REMEDIATION FIXED FALSE_POSITIVE RISK_ACCEPTED",
		StatusConfirmed:     "IN_REMEDIATION FIXED FALSE_POSITIVE RISK_ACCEPTED",
		StatusInRemediation: "FIXED FALSE_POSITIVE RISK_ACCEPTED",
		StatusFixed:         "IN_REMEDIATION VERIFIED",
		StatusVerified:      "",
		StatusFalsePositive: "OPEN",
		StatusRiskAccepted:  "OPEN IN_REMEDIATION",
	}
	until := day("2027-03-31")
	today := day("2026-12-03")
	for _, from := range Statuses() {
		var got []string
		for _, to := range Statuses() {
			c := Change{To: to, Reason: "Dienst abgeschaltet", AcceptedBy: "Bürgermeisterin", AcceptedUntil: &until, Retest: true}
			err := Next(from, c, types.RoleAdmin, today)
			switch code := apperr.CodeOf(err); {
			case err == nil:
				got = append(got, string(to))
			case code != apperr.Conflict:
				t.Errorf("%s → %s: %v, want CONFLICT or nil", from, to, err)
			}
		}
		if g := strings.Join(got, " "); g != want[from] {
			t.Errorf("from %s: %q, want %q", from, g, want[from])
		}
	}
}

// TestNextRoles: who may set what; the BSI, KITU and MID set nothing.
func TestNextRoles(t *testing.T) {
	until := day("2027-03-31")
	today := day("2026-12-03")
	want := map[Status]string{
		StatusConfirmed:     "ADMIN CONTRACTOR",
		StatusInRemediation: "ADMIN CONTRACTOR MUNICIPALITY",
		StatusFixed:         "ADMIN CONTRACTOR MUNICIPALITY",
		StatusFalsePositive: "ADMIN CONTRACTOR",
		StatusRiskAccepted:  "ADMIN MUNICIPALITY",
	}
	roles := []types.Role{types.RoleAdmin, types.RoleMinistry, types.RoleCoordinator, types.RoleContractor, types.RoleMunicipality, types.RoleBSI}
	for to, w := range want {
		var got []string
		for _, r := range roles {
			err := Next(StatusOpen, Change{To: to, Reason: "r", AcceptedBy: "x", AcceptedUntil: &until}, r, today)
			switch {
			case err == nil:
				got = append(got, string(r))
			case apperr.CodeOf(err) != apperr.Forbidden:
				t.Errorf("%s by %s: %v", to, r, err)
			}
		}
		if g := strings.Join(got, " "); g != w {
			t.Errorf("%s: %q, want %q", to, g, w)
		}
	}
	// VERIFIED by hand: the contractor's re-test.
	if err := Next(StatusFixed, Change{To: StatusVerified, Retest: true}, types.RoleContractor, today); err != nil {
		t.Error(err)
	}
	if err := Next(StatusFixed, Change{To: StatusVerified, Retest: true}, types.RoleMunicipality, today); apperr.CodeOf(err) != apperr.Forbidden {
		t.Errorf("a Kommune verified its own fix: %v", err)
	}
}

// TestNextNeeds: the reason, acceptor and date a change needs.
func TestNextNeeds(t *testing.T) {
	today := day("2026-12-03")
	tomorrow, same := day("2026-12-04"), day("2026-12-03")
	for _, c := range []struct {
		change Change
		role   types.Role
		want   string // "" for allowed
	}{
		{Change{To: StatusFalsePositive}, types.RoleContractor, "FALSE_POSITIVE needs a reason"},
		{Change{To: StatusFalsePositive, Reason: "  "}, types.RoleContractor, "FALSE_POSITIVE needs a reason"},
		{Change{To: StatusFalsePositive, Reason: "Version ist gepatcht"}, types.RoleContractor, ""},
		{Change{To: StatusRiskAccepted, AcceptedBy: "x", AcceptedUntil: &tomorrow}, types.RoleMunicipality, "needs a reason"},
		{Change{To: StatusRiskAccepted, Reason: "r", AcceptedUntil: &tomorrow}, types.RoleMunicipality, "acceptedBy"},
		{Change{To: StatusRiskAccepted, Reason: "r", AcceptedBy: "x"}, types.RoleMunicipality, "acceptedUntil"},
		{Change{To: StatusRiskAccepted, Reason: "r", AcceptedBy: "x", AcceptedUntil: &same}, types.RoleMunicipality, "must lie after today"},
		{Change{To: StatusRiskAccepted, Reason: "r", AcceptedBy: "x", AcceptedUntil: &tomorrow}, types.RoleMunicipality, ""},
		{Change{To: StatusVerified}, types.RoleContractor, "needs a re-test"},
	} {
		from := StatusOpen
		if c.change.To == StatusVerified {
			from = StatusFixed
		}
		err := Next(from, c.change, c.role, today)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%+v: %v", c.change, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || apperr.CodeOf(err) != apperr.Validation):
			t.Errorf("%+v: %v, want VALIDATION %q", c.change, err, c.want)
		}
	}
	if err := Next("DONE", Change{To: StatusOpen}, types.RoleAdmin, today); apperr.CodeOf(err) != apperr.Validation {
		t.Errorf("unknown status: %v", err)
	}
}

// TestScans: what a scan does to a finding it finds again, or no longer
// finds; an expired acceptance.
func TestScans(t *testing.T) {
	seen := map[Status]Status{StatusFixed: StatusReopened, StatusVerified: StatusReopened}
	missed := map[Status]Status{StatusFixed: StatusVerified}
	for _, s := range Statuses() {
		w := s
		if x, ok := seen[s]; ok {
			w = x
		}
		if got := Seen(s); got != w {
			t.Errorf("Seen(%s) = %s, want %s", s, got, w)
		}
		w = s
		if x, ok := missed[s]; ok {
			w = x
		}
		if got := Missed(s); got != w {
			t.Errorf("Missed(%s) = %s, want %s", s, got, w)
		}
	}
	until := day("2026-12-31")
	for _, c := range []struct {
		today string
		want  bool
	}{{"2026-12-31", false}, {"2027-01-01", true}} {
		if got := Expired(StatusRiskAccepted, &until, day(c.today)); got != c.want {
			t.Errorf("accepted until %s, on %s: expired %v", until.Format(time.DateOnly), c.today, got)
		}
	}
	if Expired(StatusOpen, &until, day("2027-06-01")) {
		t.Error("an open finding expired")
	}
}

// TestDueOn: the due date follows the programme's days per severity.
func TestDueOn(t *testing.T) {
	since := day("2026-11-30")
	for sev, want := range map[types.Severity]string{types.SeverityCritical: "2026-12-07", types.SeverityHigh: "2026-12-30",
		types.SeverityMedium: "2027-02-28", types.SeverityLow: "2027-05-29", types.SeverityInfo: ""} {
		got := types.DefaultRemediationDays.DueOn(sev, since)
		if g := fmt.Sprint(got); want == "" && got != nil || want != "" && (got == nil || got.Format(time.DateOnly) != want) {
			t.Errorf("%s: %s, want %s", sev, g, want)
		}
	}
	if p := types.DefaultRemediationDays.Problem(); p != "" {
		t.Error(p)
	}
	for _, d := range []types.RemediationDays{{Critical: 0, High: 30, Medium: 90, Low: 180}, {Critical: 30, High: 7, Medium: 90, Low: 180}, {Critical: 7, High: 30, Medium: 90, Low: 4000}} {
		if d.Problem() == "" {
			t.Errorf("%v: no problem", d)
		}
	}
}

// TestClosedSQL: the SQL list of the monitoring queries names exactly the
// statuses Closed reports.
func TestClosedSQL(t *testing.T) {
	var want []string
	for _, s := range Statuses() {
		if Closed(s) {
			want = append(want, "'"+string(s)+"'")
		}
	}
	if got := "(" + strings.Join(want, ", ") + ")"; got != ClosedSQL {
		t.Fatalf("ClosedSQL is %s, Closed reports %s", ClosedSQL, got)
	}
}
