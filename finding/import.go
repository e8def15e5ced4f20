package finding

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"sicherkommunal/apperr"
	"sicherkommunal/ent"
	"sicherkommunal/ent/finding"
	"sicherkommunal/ent/findingchange"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/ent/securitytest"
)

// Format is the format of a scan report.
type Format = securitytest.Format

// The formats Import reads.
const (
	FormatGreenboneXML = securitytest.FormatGREENBONE_XML
	FormatGreenboneCSV = securitytest.FormatGREENBONE_CSV
)

// MaxImportBytes bounds a report Import reads (the upload limit of the
// server is lower by default).
const MaxImportBytes = 256 << 20

// ImportInput is a scan report of a participation's systems.
type ImportInput struct {
	ParticipationID pulid.ID
	Kind            types.TestKind
	Format          Format
	PerformedOn     time.Time
	Name            string
	Tool, Scope     string
	ConsultantID    *pulid.ID
	AppointmentID   *pulid.ID
	StepID          *pulid.ID
}

// identity is a finding's identity within its participation.
type identity struct{ rule, host, port string }

// Import reads a scan report and records it as a SecurityTest with its
// findings, in the caller's transaction; the whole report is read and
// checked before anything is written.
//
//   - The same file again (its SHA-256) is the stored test: nothing written.
//   - A result names a finding by (rule, host, port): a new one is OPEN,
//     with its due date from the programme's remediation days; one stored
//     has its last seen day moved on and, if FIXED or VERIFIED, is REOPENED
//     (Seen), due anew.
//   - A stored finding on a host the report covers, seen last before this
//     test and not in it, is not seen since this test's day, and a FIXED
//     one VERIFIED (Missed).
//   - Several results of one finding in a report count once (the most
//     severe).
//
// Each change of status is kept in the finding's history (via SCAN).
// Errors: VALIDATION naming the element or row of a broken report.
func (s *Service) Import(ctx context.Context, c *ent.Client, in ImportInput, r io.Reader) (*ent.SecurityTest, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxImportBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxImportBytes {
		return nil, apperr.New(apperr.Validation, "the report is larger than %d MiB", MaxImportBytes>>20)
	}
	sum := sha256.Sum256(data)
	digest := hex.EncodeToString(sum[:])
	pa, err := c.Participation.Get(ctx, in.ParticipationID)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "participation %s not found", in.ParticipationID)
	} else if err != nil {
		return nil, err
	}
	if stored, err := c.SecurityTest.Query().Where(securitytest.ParticipationID(pa.ID), securitytest.ReportSha256(digest)).Only(ctx); err == nil {
		return stored, nil
	} else if !ent.IsNotFound(err) {
		return nil, err
	}
	results, count, err := readReport(in.Format, data)
	if err != nil {
		return nil, err
	}
	program, err := c.Program.Get(ctx, pa.ProgramID)
	if err != nil {
		return nil, err
	}
	day := types.NormalizeDate(in.PerformedOn)
	test, err := s.record(ctx, c, in, data, digest, count, day)
	if err != nil {
		return nil, err
	}
	name, role := actor(ctx)
	w := &importer{s: s, c: c, test: test, day: day, days: DaysOf(program), actor: name, role: role}
	if err := w.apply(ctx, pa.ID, results); err != nil {
		return nil, err
	}
	return test.Update().SetFindingsAdded(w.added).SetFindingsSeenAgain(w.seen).
		SetFindingsReopened(w.reopened).SetFindingsNotSeen(w.notSeen).Save(ctx)
}

// readReport reads every result, merged by finding (the most severe of
// several results wins).
func readReport(f Format, data []byte) (map[identity]Result, int, error) {
	read := ReadGreenboneXML
	switch f {
	case FormatGreenboneXML:
	case FormatGreenboneCSV:
		read = ReadGreenboneCSV
	default:
		return nil, 0, apperr.New(apperr.Validation, "unknown report format %q", f)
	}
	out := map[identity]Result{}
	n := 0
	_, err := read(bytes.NewReader(data), func(r Result) error {
		n++
		k := identity{rule: r.RuleID, host: r.Host, port: r.Port}
		if old, ok := out[k]; !ok || score(r).GreaterThan(score(old)) {
			out[k] = r
		}
		return nil
	})
	return out, n, err
}

// score is a result's severity score, -10 when it has none.
func score(r Result) decimal.Decimal {
	if r.Severity == nil {
		return decimal.NewFromInt(-10)
	}
	return *r.Severity
}

// record stores the test itself.
func (s *Service) record(ctx context.Context, c *ent.Client, in ImportInput, data []byte, digest string, results int, day time.Time) (*ent.SecurityTest, error) {
	tc := c.SecurityTest.Create().SetParticipationID(in.ParticipationID).SetKind(in.Kind).SetFormat(in.Format).
		SetPerformedOn(day).SetReportSha256(digest).SetReportSize(int64(len(data))).SetReport(data).SetResults(results).
		SetNillableConsultantID(in.ConsultantID).SetNillableAppointmentID(in.AppointmentID).SetNillableStepID(in.StepID)
	if in.Name != "" {
		tc.SetReportName(clip(in.Name, 300))
	}
	if in.Tool != "" {
		tc.SetTool(in.Tool)
	} else {
		tc.SetTool("Greenbone")
	}
	if in.Scope != "" {
		tc.SetScope(in.Scope)
	}
	return tc.Save(ctx)
}

// importer applies one report's results to the stored findings.
type importer struct {
	s                              *Service
	c                              *ent.Client
	test                           *ent.SecurityTest
	day                            time.Time
	days                           types.RemediationDays
	actor                          string
	role                           types.Role
	added, seen, reopened, notSeen int
	history                        []*ent.FindingChangeCreate
}

func (w *importer) apply(ctx context.Context, pa pulid.ID, results map[identity]Result) error {
	stored, err := w.c.Finding.Query().Where(finding.ParticipationID(pa)).All(ctx)
	if err != nil {
		return err
	}
	byKey := make(map[identity]*ent.Finding, len(stored))
	for _, f := range stored {
		byKey[identity{f.RuleID, f.Host, f.Port}] = f
	}
	hosts := map[string]bool{}
	keys := make([]identity, 0, len(results))
	for k := range results {
		keys = append(keys, k)
		hosts[k.host] = true
	}
	sort.Slice(keys, func(i, j int) bool { // a stable order of inserts
		a, b := keys[i], keys[j]
		return a.host+"|"+a.port+"|"+a.rule < b.host+"|"+b.port+"|"+b.rule
	})
	var creates []*ent.FindingCreate
	for _, k := range keys {
		r := results[k]
		if f := byKey[k]; f != nil {
			if err := w.seenAgain(ctx, f, r); err != nil {
				return err
			}
			continue
		}
		creates = append(creates, w.create(pa, r))
	}
	for from := 0; from < len(creates); from += 500 {
		made, err := w.c.Finding.CreateBulk(creates[from:min(from+500, len(creates))]...).Save(ctx)
		if err != nil {
			return err
		}
		for _, f := range made {
			w.change(f.ID, nil, StatusOpen)
		}
	}
	w.added = len(creates)
	for _, f := range stored {
		if _, found := results[identity{f.RuleID, f.Host, f.Port}]; found || !hosts[f.Host] || !f.LastSeenOn.Before(w.day) {
			continue
		}
		if err := w.missed(ctx, f); err != nil {
			return err
		}
	}
	for from := 0; from < len(w.history); from += 500 {
		if err := w.c.FindingChange.CreateBulk(w.history[from:min(from+500, len(w.history))]...).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// create is a new finding of a result.
func (w *importer) create(pa pulid.ID, r Result) *ent.FindingCreate {
	sev, computed, reported := rate(r)
	title := strings.TrimSpace(r.Name)
	if title == "" {
		title = r.RuleID
	}
	fc := w.c.Finding.Create().SetParticipationID(pa).SetFirstTestID(w.test.ID).SetRuleID(r.RuleID).
		SetHost(r.Host).SetPort(r.Port).SetTitle(clip(title, 500)).SetSeverity(sev).
		SetFirstSeenOn(w.day).SetLastSeenOn(w.day).SetNillableDueOn(w.days.DueOn(sev, w.day)).
		SetNillableCvssScoreTenths(computed).SetNillableReportedScoreTenths(reported)
	if r.Hostname != "" {
		fc.SetHostname(clip(r.Hostname, 255))
	}
	if d := describe(r); d != "" {
		fc.SetDescription(clip(d, 100000))
	}
	if r.Solution != "" {
		fc.SetSolution(clip(r.Solution, 20000))
	}
	if r.CVSSVector != "" {
		fc.SetCvssVector(clip(r.CVSSVector, 200))
	}
	if len(r.CVEs) > 0 {
		fc.SetCves(r.CVEs)
	}
	if len(r.CWEs) > 0 {
		fc.SetCwes(r.CWEs)
	}
	return fc
}

// seenAgain is a stored finding this report finds again.
func (w *importer) seenAgain(ctx context.Context, f *ent.Finding, r Result) error {
	w.seen++
	u := w.c.Finding.UpdateOne(f).ClearNotSeenSince()
	if w.day.After(f.LastSeenOn) {
		u.SetLastSeenOn(w.day)
	}
	next := Seen(f.Status)
	if next != f.Status {
		w.reopened++
		u.SetStatus(next).SetNillableDueOn(w.days.DueOn(f.Severity, w.day))
		w.change(f.ID, &f.Status, next)
	}
	return u.Exec(ctx)
}

// missed is a stored finding on a host of the report that the report no
// longer finds.
func (w *importer) missed(ctx context.Context, f *ent.Finding) error {
	w.notSeen++
	u := w.c.Finding.UpdateOne(f)
	if f.NotSeenSince == nil {
		u.SetNotSeenSince(w.day)
	}
	if next := Missed(f.Status); next != f.Status {
		u.SetStatus(next)
		w.change(f.ID, &f.Status, next)
	}
	return u.Exec(ctx)
}

func (w *importer) change(id pulid.ID, from *types.FindingStatus, to types.FindingStatus) {
	w.history = append(w.history, w.c.FindingChange.Create().SetFindingID(id).SetNillableFromStatus(from).SetToStatus(to).
		SetVia(findingchange.ViaSCAN).SetTestID(w.test.ID).SetActor(w.actor).SetActorRole(w.role).SetChangedAt(w.s.Now()))
}

// rate is a result's severity and scores in tenths: from its CVSS vector
// when it has one that reads, else from the reported score, else INFO.
func rate(r Result) (types.Severity, *int, *int) {
	var reported *int
	if r.Severity != nil && !r.Severity.IsNegative() {
		t := int(r.Severity.Mul(decimal.NewFromInt(10)).Round(0).IntPart())
		reported = &t
	}
	if r.CVSSVector != "" {
		if c, err := ParseCVSS(r.CVSSVector); err == nil {
			t := int(c.Base.Mul(decimal.NewFromInt(10)).IntPart())
			return c.Severity, &t, reported
		}
	}
	if r.Severity != nil {
		return SeverityOf(*r.Severity), nil, reported
	}
	return types.SeverityInfo, nil, reported
}

// describe is a finding's description: the result's summary, insight,
// impact and specific result, in that order.
func describe(r Result) string {
	var parts []string
	for _, p := range []string{r.Summary, r.Insight, r.Impact, r.Description} {
		if p = strings.TrimSpace(p); p != "" && !slices.Contains(parts, p) {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "\n\n")
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut at a rune boundary.
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
