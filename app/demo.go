package app

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	"github.com/shopspring/decimal"

	"sicherkommunal/apperr"
	"sicherkommunal/calendar"
	"sicherkommunal/ent"
	"sicherkommunal/ent/appointment"
	"sicherkommunal/ent/banktransaction"
	"sicherkommunal/ent/calendarfeed"
	"sicherkommunal/ent/consultant"
	"sicherkommunal/ent/ledgerentry"
	"sicherkommunal/ent/measure"
	"sicherkommunal/ent/municipality"
	"sicherkommunal/ent/participation"
	"sicherkommunal/ent/program"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/ent/step"
	"sicherkommunal/ledger"
	"sicherkommunal/programme"
	"sicherkommunal/reconcile"
	"sicherkommunal/store"
)

// demoParticipations is how many Kommunen the demo registers.
const demoParticipations = 40

// The demo recognises its own data by natural keys, so that it can run
// on any database, again and again, and add only what is missing:
//   - its Kommunen: every third of the reference list in ARS order (found by
//     ARS, else AGS; created from the list if missing), and a Kommune's
//     participation in the programme is unique: a Kommune that already takes
//     part, whoever registered it, is left as it is;
//   - its consultants by e-mail (unique), used as they are when they exist;
//   - its kickoff event by kind and title, its bank statement by statement ID.
//
// Everything else (steps, payments, measures, appointments) belongs to a
// participation the demo registers and is made with it, in one
// transaction, so that it exists completely or not at all.
const (
	demoKickoffTitle = "Auftaktveranstaltung SicherKOMMUNAL – Gruppe Nord"
	demoStatementID  = "DEMO-2026-01"
	// demoKeyPrefix starts the idempotency keys of the demo's payments.
	demoKeyPrefix = "demo-"
)

var demoConsultantNames = []string{"Anna Schulze", "Jonas Weber", "Miriam Krüger", "Stefan Hoffmann", "Leonie Wagner", "Tobias Becker"}

// demoKommunen returns the Kommunen of the demo: every third of the
// eligible Kommunen of the reference list in ARS order, at most
// demoParticipations.
func demoKommunen() ([]programme.Kommune, error) {
	all, err := programme.EligibleKommunen()
	if err != nil {
		return nil, err
	}
	slices.SortFunc(all, func(a, b programme.Kommune) int { return strings.Compare(a.ARS, b.ARS) })
	var out []programme.Kommune
	for i := 0; len(out) < demoParticipations && i*3 < len(all); i++ {
		out = append(out, all[i*3])
	}
	return out, nil
}

// loadDemo adds realistic demo data relative to now: whatever of it is
// missing (see above), next to any other data. It reports whether it
// added anything; run again it adds nothing.
func loadDemo(ctx context.Context, client *ent.Client, svc *programme.Service, ledgerSvc *ledger.Service, now time.Time) (bool, error) {
	ks, err := demoKommunen()
	if err != nil {
		return false, err
	}
	tx, err := client.Tx(ctx)
	if err != nil {
		return false, err
	}
	defer func() { _ = tx.Rollback() }()
	if ledgerSvc.Dialect == dialect.Postgres {
		// Two demo starts on one database add the demo once.
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(815002)"); err != nil {
			return false, err
		}
	}
	c := tx.Client()
	ctx = ent.NewTxContext(ent.NewContext(ctx, c), tx) // the ledger joins this transaction
	added := false
	p, err := c.Program.Query().Where(program.Name(programme.SicherKommunalName)).Only(ctx)
	if ent.IsNotFound(err) {
		if p, err = programme.CreateSicherKommunal(ctx, c); err != nil {
			return false, err
		}
		added = true
	} else if err != nil {
		return false, err
	}
	berlin, err := programme.Zone(p)
	if err != nil {
		return false, err
	}
	today := types.DateOf(now, berlin)
	// The state committees approved stage 2 in mid-February (or as late as
	// the programme and today allow).
	start, last := types.NormalizeDate(p.StartsOn), types.NormalizeDate(p.EndsOn)
	if today.Before(last) {
		last = today
	}
	approvedOn := types.Date(2026, time.February, 16)
	if approvedOn.After(last) {
		approvedOn = last
	}
	if approvedOn.Before(start) {
		approvedOn = start
	}
	if p.Stage2ApprovedOn == nil && !last.Before(start) {
		if p, err = ledgerSvc.ApproveStage2(ctx, p.ID, approvedOn, "Beschluss Landesausschuss Finanzen LA-F 2026/014"); err != nil {
			return false, err
		}
		added = true
	}

	consultants := make([]*ent.Consultant, 0, len(demoConsultantNames))
	for _, name := range demoConsultantNames {
		email := emailLocal(name) + "@bechtle.example"
		co, err := c.Consultant.Query().Where(consultant.Email(email)).Only(ctx)
		if ent.IsNotFound(err) {
			co, err = c.Consultant.Create().SetName(name).SetEmail(email).SetOrganization("Bechtle").Save(ctx)
			added = true
		}
		if err != nil {
			return false, err
		}
		consultants = append(consultants, co)
	}

	cat, err := demoCatalog(ctx, c, now)
	if err != nil {
		return false, fmt.Errorf("catalogue: %w", err)
	}
	var active []*ent.Participation // registered now and not withdrawn
	for i, k := range ks {
		m, made, err := demoMunicipality(ctx, c, k)
		if err != nil {
			return false, err
		}
		added = added || made
		taken, err := c.Participation.Query().
			Where(participation.ProgramID(p.ID), participation.MunicipalityID(m.ID)).Exist(ctx)
		if err != nil {
			return false, err
		}
		if taken {
			continue
		}
		pa, err := demoParticipation(ctx, c, svc, ledgerSvc, p, m, i, today, now)
		if err != nil {
			return false, fmt.Errorf("%s: %w", m.Name, err)
		}
		if err := demoAssessments(ctx, c, ledgerSvc.Dialect, cat, pa, consultants[i%len(consultants)], pa.Status, i, now); err != nil {
			return false, fmt.Errorf("%s: assessments: %w", m.Name, err)
		}
		added = true
		if pa.Status != participation.StatusWITHDRAWN {
			active = append(active, pa)
		}
	}
	if err := demoAppointments(ctx, c, active, consultants, today, berlin); err != nil {
		return false, err
	}
	imported, err := demoBankStatement(ctx, c, ledgerSvc.Dialect, p, ks, now, berlin)
	if err != nil {
		return false, fmt.Errorf("bank statement: %w", err)
	}
	return added || imported || len(active) > 0, tx.Commit()
}

// demoMunicipality finds a Kommune of the reference list by ARS, else by
// AGS, and creates it from the list if neither exists.
func demoMunicipality(ctx context.Context, c *ent.Client, k programme.Kommune) (*ent.Municipality, bool, error) {
	m, err := c.Municipality.Query().Where(municipality.Ars(k.ARS)).Only(ctx)
	if err == nil || !ent.IsNotFound(err) {
		return m, false, err
	}
	if k.AGS != "" {
		m, err := c.Municipality.Query().Where(municipality.Ags(k.AGS)).Only(ctx)
		if err == nil || !ent.IsNotFound(err) {
			return m, false, err
		}
	}
	create := c.Municipality.Create().SetName(k.Name).SetKind(municipality.Kind(k.Kind)).SetArs(k.ARS)
	if k.AGS != "" {
		create.SetAgs(k.AGS)
	}
	m, err = create.Save(ctx)
	return m, err == nil, err
}

// demoStatuses is the status of the i-th demo participation, modulo its
// length.
var demoStatuses = []participation.Status{
	participation.StatusREGISTERED, participation.StatusSTAGE1, participation.StatusSTAGE1, participation.StatusSTAGE2,
	participation.StatusSTAGE2, participation.StatusACCEPTED, participation.StatusSETTLED, participation.StatusWITHDRAWN,
}

// demoParticipation registers the i-th Kommune of the demo and gives it
// what its status implies: completed and late steps, payments, measures.
// Its random choices come from generators of its own, so that what one
// Kommune gets depends neither on the date nor on the others.
func demoParticipation(ctx context.Context, c *ent.Client, svc *programme.Service, ledgerSvc *ledger.Service,
	p *ent.Program, m *ent.Municipality, i int, today, now time.Time) (*ent.Participation, error) {
	rng := rand.New(rand.NewPCG(2026, uint64(i)))
	reg := today.AddDate(0, 0, -(14 + 7*i))
	if reg.Before(p.StartsOn) {
		reg = types.NormalizeDate(p.StartsOn)
	}
	if reg.After(p.EndsOn) {
		reg = types.NormalizeDate(p.EndsOn)
	}
	pa, err := svc.Register(ctx, c, p.ID, m.ID, reg)
	if err != nil {
		return nil, fmt.Errorf("register: %w", err)
	}
	status := demoStatuses[i%len(demoStatuses)]
	if withEmail := rng.IntN(4) == 0; withEmail && m.Ags != nil && m.ContactEmail == nil {
		if err := c.Municipality.UpdateOne(m).SetContactEmail(fmt.Sprintf("informationssicherheit@%s.example", emailLocal(m.Name))).Exec(ctx); err != nil {
			return nil, err
		}
	}
	// Complete the steps that are due, leaving some late: how far a
	// Kommune got depends on its status.
	steps, err := c.Step.Query().Where(step.ParticipationID(pa.ID)).Order(step.ByDueOn(), step.ByKind()).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, st := range steps {
		skip, hours, early := rng.IntN(3) == 0, rng.IntN(8), rng.IntN(5)
		done := false
		switch status {
		case participation.StatusACCEPTED, participation.StatusSETTLED:
			done = st.Kind != types.StepBilling || status == participation.StatusSETTLED
		case participation.StatusWITHDRAWN:
			done = st.Kind == types.StepKickoff
		default:
			done = st.DueOn.Before(today) && !skip
		}
		if done {
			at := st.DueOn.Add(time.Duration(9+hours)*time.Hour).AddDate(0, 0, -early)
			if at.After(now) {
				at = now.Add(-time.Hour)
			}
			if err := c.Step.UpdateOne(st).SetCompletedAt(at).Exec(ctx); err != nil {
				return nil, err
			}
		}
	}
	if err := demoPayments(ctx, ledgerSvc, p, pa, status, i, today); err != nil {
		return nil, fmt.Errorf("payments: %w", err)
	}
	u := c.Participation.UpdateOne(pa).SetStatus(status)
	if status == participation.StatusWITHDRAWN {
		u.SetWithdrawnAt(now.AddDate(0, 0, -3)).SetWithdrawalReason("Personalengpass in der IT; Teilnahme 2027 geplant")
	}
	if pa, err = u.Save(ctx); err != nil {
		return nil, err
	}
	if err := demoMeasures(ctx, c, pa, status, today, p, rand.New(rand.NewPCG(2027, uint64(i)))); err != nil {
		return nil, err
	}
	return pa, nil
}

// demoPayments books stage-1 money for everyone past registration, stage-2
// money for those in stage 2 or beyond (all of it, or half for those still
// in stage 2), and for the second Kommune a double payment that the cap
// refuses and a partial reversal. Amounts follow the programme's figures.
func demoPayments(ctx context.Context, l *ledger.Service, p *ent.Program, pa *ent.Participation, status participation.Status, i int, today time.Time) error {
	if status == participation.StatusREGISTERED || today.Before(types.NormalizeDate(p.StartsOn)) {
		return nil
	}
	day := func(offset int) time.Time {
		d := pa.RegisteredOn.AddDate(0, 0, offset)
		if d.After(today) {
			d = today
		}
		if d.After(p.EndsOn) {
			d = types.NormalizeDate(p.EndsOn)
		}
		return d
	}
	post := func(stage types.FundingStage, amount decimal.Decimal, valueDate time.Time, n int) (*ent.LedgerEntry, error) {
		return l.PostDisbursement(ctx, ledger.Disbursement{
			ParticipationID: pa.ID, Stage: stage, Amount: amount, ValueDate: valueDate,
			Reference: fmt.Sprintf("SK-2026-%04d-%d", i+1, n), IdempotencyKey: fmt.Sprintf("%s%s-%d", demoKeyPrefix, pa.ID, n),
		})
	}
	first, err := post(types.Stage1, p.Stage1Amount, day(21), 1)
	if err != nil {
		return err
	}
	if i == 1 {
		// A double payment, reversed the next day.
		dup, err := post(types.Stage1, p.Stage1Amount, day(22), 9)
		if err != nil && apperr.CodeOf(err) != ledger.CodeCapExceeded {
			return err
		}
		if dup == nil { // the cap refused it, as it should; reverse part of the first instead
			half := p.Stage1Amount.DivRound(decimal.NewFromInt(2), 2)
			_, err = l.ReverseDisbursement(ctx, ledger.Reversal{EntryID: first.ID, Amount: &half,
				Reason: "Teilrückforderung: Schwachstellenscan nicht durchgeführt", IdempotencyKey: demoKeyPrefix + "reversal-" + string(pa.ID)})
			if err != nil {
				return err
			}
		}
	}
	if status == participation.StatusSTAGE2 || status == participation.StatusACCEPTED || status == participation.StatusSETTLED {
		vd := day(120)
		if vd.Before(p.Stage2OpensOn) || p.Stage2ApprovedOn == nil || vd.Before(*p.Stage2ApprovedOn) {
			return nil
		}
		amount := p.TotalCap.Sub(p.Stage1Amount)
		if status == participation.StatusSTAGE2 {
			amount = amount.DivRound(decimal.NewFromInt(2), 2)
		}
		if !amount.IsPositive() {
			return nil
		}
		if _, err := post(types.Stage2, amount, vd, 2); err != nil {
			return err
		}
	}
	return nil
}

func demoMeasures(ctx context.Context, c *ent.Client, pa *ent.Participation, status participation.Status, today time.Time, p *ent.Program, rng *rand.Rand) error {
	if status == participation.StatusREGISTERED || status == participation.StatusWITHDRAWN {
		return nil
	}
	type m struct {
		kind  measure.Kind
		title string
		stage types.FundingStage
	}
	catalog := []m{
		{measure.KindWORKSHOP, "Workshop Informationssicherheitsleitlinie", types.Stage1},
		{measure.KindPENETRATION_TEST, "Penetrationstest der Internetdienste (Bürgerportal, E-Mail)", types.Stage2},
		{measure.KindTRAINING, "Schulung: Phishing erkennen für alle Beschäftigten", types.Stage2},
		{measure.KindTECHNICAL, "Härtung der Active-Directory-Konfiguration", types.Stage2},
		{measure.KindORGANISATIONAL, "Notfallhandbuch und Meldewege", types.Stage2},
	}
	n := 2 + rng.IntN(3)
	for i := 0; i < n; i++ {
		it := catalog[(i+rng.IntN(len(catalog)))%len(catalog)]
		cost := decimal.New(int64(150000+rng.IntN(45)*10000), -2) // 1,500.00 … 5,900.00
		due := today.AddDate(0, 0, 7+rng.IntN(40))
		if due.After(p.EndsOn) {
			due = types.NormalizeDate(p.EndsOn)
		}
		st := measure.StatusPLANNED
		switch {
		case status == participation.StatusACCEPTED || status == participation.StatusSETTLED:
			st = measure.StatusDONE
		case i == 0:
			st = measure.StatusIN_PROGRESS
		}
		if err := c.Measure.Create().SetParticipationID(pa.ID).SetKind(it.kind).SetTitle(it.title).
			SetStage(it.stage).SetPlannedCost(cost).SetStatus(st).SetDueOn(due).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// demoAppointments plans, over the coming five weeks, a kickoff event for
// the first six of the Kommunen (unless the demo's kickoff exists) and one
// appointment for each, one of them cancelled.
func demoAppointments(ctx context.Context, c *ent.Client, active []*ent.Participation, consultants []*ent.Consultant, today time.Time, berlin *time.Location) error {
	if len(active) == 0 {
		return nil
	}
	// Working days over the coming five weeks.
	var days []time.Time
	for d := today.AddDate(0, 0, 1); len(days) < 25; d = d.AddDate(0, 0, 1) {
		if _, closed := calendar.IsNonWorkingDay(time.Date(d.Year(), d.Month(), d.Day(), 12, 0, 0, 0, berlin), berlin); !closed {
			days = append(days, d)
		}
	}
	at := func(day time.Time, hour int) time.Time {
		return time.Date(day.Year(), day.Month(), day.Day(), hour, 0, 0, 0, berlin).UTC()
	}
	// A kickoff event for several Kommunen at once.
	kickoff, err := c.Appointment.Query().
		Where(appointment.KindEQ(appointment.KindKICKOFF_EVENT), appointment.Title(demoKickoffTitle)).Exist(ctx)
	if err != nil {
		return err
	}
	if !kickoff && len(active) >= 6 {
		if err := c.Appointment.Create().SetKind(appointment.KindKICKOFF_EVENT).
			SetTitle(demoKickoffTitle).
			SetDescription("Vorstellung des Vorgehens nach WiBA, Zeitplan, Ansprechpartner.").
			SetLocation("Magdeburg, Landeshaus, Domplatz 6").
			SetStartsAt(at(days[2], 10)).SetEndsAt(at(days[2], 13)).
			SetStatus(appointment.StatusCONFIRMED).
			AddParticipations(active[:6]...).AddConsultants(consultants[0], consultants[1]).Exec(ctx); err != nil {
			return err
		}
	}
	kinds := []appointment.Kind{appointment.KindONSITE_VISIT, appointment.KindWORKSHOP, appointment.KindPENETRATION_TEST, appointment.KindTRAINING}
	for i, pa := range active {
		m, err := pa.QueryMunicipality().Only(ctx)
		if err != nil {
			return err
		}
		kind := kinds[i%len(kinds)]
		day := days[(i*3)%len(days)]
		hour := 9 + 4*(i%2)
		status := appointment.StatusTENTATIVE
		if i%3 == 0 {
			status = appointment.StatusCONFIRMED
		}
		loc := "Rathaus " + m.Name
		create := c.Appointment.Create().SetKind(kind).
			SetTitle(fmt.Sprintf("%s – %s", demoKindTitle[kind], m.Name)).
			SetLocation(loc).
			SetStartsAt(at(day, hour)).SetEndsAt(at(day, hour+3)).
			SetStatus(status).
			AddParticipations(pa).AddConsultants(consultants[i%len(consultants)])
		if i == 4 {
			// A cancelled date stays in the feeds as STATUS:CANCELLED.
			create.SetStatus(appointment.StatusCANCELLED).SetSequence(1).
				SetCancelReason("Erkrankung des Beraters; ein neuer Termin folgt.").
				SetDescription("Bitte bereithalten: Netzplan, Liste der Server; Zugang zum Serverraum, Ansprechpartner der IT.")
		}
		if err := create.Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

var demoKindTitle = map[appointment.Kind]string{
	appointment.KindONSITE_VISIT:     "Vor-Ort-Termin IST-Erhebung",
	appointment.KindWORKSHOP:         "Workshop Maßnahmenpaket",
	appointment.KindPENETRATION_TEST: "Penetrationstest",
	appointment.KindTRAINING:         "Schulung Informationssicherheit",
}

// emailLocal turns a name into the local part of a demo e-mail address.
func emailLocal(name string) string {
	repl := map[rune]string{'ä': "ae", 'ö': "oe", 'ü': "ue", 'ß': "ss", 'Ä': "ae", 'Ö': "oe", 'Ü': "ue", ' ': ".", '(': "", ')': "", ',': "", '/': "-"}
	out := make([]byte, 0, len(name))
	for _, r := range name {
		if s, ok := repl[r]; ok {
			out = append(out, s...)
			continue
		}
		switch {
		case r >= 'A' && r <= 'Z':
			out = append(out, byte(r-'A'+'a'))
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '.':
			out = append(out, byte(r))
		}
	}
	return string(out)
}

// demoFeed is a calendar feed made for the demo, with its secret URL.
type demoFeed struct {
	Scope calendarfeed.Scope
	URL   string
}

// demoFeeds creates one calendar feed per scope and returns their URLs:
// the programme's, the one of the first demo Kommune on the demo's kickoff
// event (else the first demo Kommune taking part), and the first demo
// consultant's. Secrets are stored hashed, so every demo start makes new
// ones; the feeds of earlier starts keep working.
func demoFeeds(ctx context.Context, client *ent.Client, svc *calendar.Service) ([]demoFeed, error) {
	p, err := client.Program.Query().Where(program.Name(programme.SicherKommunalName)).Only(ctx)
	if err != nil {
		return nil, err
	}
	ks, err := demoKommunen()
	if err != nil {
		return nil, err
	}
	onKickoff := map[pulid.ID]bool{}
	kickoff, err := client.Appointment.Query().
		Where(appointment.KindEQ(appointment.KindKICKOFF_EVENT), appointment.Title(demoKickoffTitle)).
		Order(appointment.ByCreatedAt(), appointment.ByID()).First(ctx)
	switch {
	case err == nil:
		pas, err := kickoff.QueryParticipations().Where(participation.ProgramID(p.ID)).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, pa := range pas {
			onKickoff[pa.MunicipalityID] = true
		}
	case !ent.IsNotFound(err):
		return nil, err
	}
	// The first demo Kommune on the kickoff, else the first taking part,
	// else the first that exists.
	var muni, taking, exists *pulid.ID
	for _, k := range ks {
		m, err := client.Municipality.Query().Where(municipality.Ars(k.ARS)).Only(ctx)
		if ent.IsNotFound(err) && k.AGS != "" {
			m, err = client.Municipality.Query().Where(municipality.Ags(k.AGS)).Only(ctx)
		}
		if ent.IsNotFound(err) {
			continue
		} else if err != nil {
			return nil, err
		}
		if onKickoff[m.ID] {
			muni = &m.ID
			break
		}
		if exists == nil {
			exists = &m.ID
		}
		if taking == nil {
			ok, err := client.Participation.Query().
				Where(participation.ProgramID(p.ID), participation.MunicipalityID(m.ID)).Exist(ctx)
			if err != nil {
				return nil, err
			}
			if ok {
				taking = &m.ID
			}
		}
	}
	for _, id := range []*pulid.ID{taking, exists} {
		if muni == nil {
			muni = id
		}
	}
	if muni == nil {
		return nil, fmt.Errorf("no Kommune of the demo in the database")
	}
	co, err := client.Consultant.Query().Where(consultant.Email(emailLocal(demoConsultantNames[0]) + "@bechtle.example")).Only(ctx)
	if err != nil {
		return nil, fmt.Errorf("the demo's first consultant: %w", err)
	}
	ins := []calendar.FeedInput{
		{Scope: calendarfeed.ScopePROGRAM, ProgramID: &p.ID},
		{Scope: calendarfeed.ScopeMUNICIPALITY, MunicipalityID: muni},
		{Scope: calendarfeed.ScopeCONSULTANT, ConsultantID: &co.ID},
	}
	out := make([]demoFeed, 0, len(ins))
	for _, in := range ins {
		url, _, err := svc.CreateFeed(ctx, client, in)
		if err != nil {
			return nil, err
		}
		out = append(out, demoFeed{Scope: in.Scope, URL: url})
	}
	return out, nil
}

// demoBankStatement imports, unless it exists, the demo's bank statement
// (CSV layout) of the stage-1 payments of the demo's Kommunen, and gives
// those Kommunen that have none an IBAN: most lines carry the payment
// reference and match, one was paid without reference and matches by
// amount, IBAN and date, one paid another amount (AMOUNT_MISMATCH), and one
// payment matches nothing (UNMATCHED). It reports whether it imported.
func demoBankStatement(ctx context.Context, c *ent.Client, d store.Dialect, p *ent.Program, ks []programme.Kommune, now time.Time, berlin *time.Location) (bool, error) {
	if done, err := c.BankTransaction.Query().Where(banktransaction.StatementID(demoStatementID)).Exist(ctx); err != nil || done {
		return false, err
	}
	ars := make([]string, 0, len(ks))
	for _, k := range ks {
		ars = append(ars, k.ARS)
	}
	entries, err := c.LedgerEntry.Query().
		Where(ledgerentry.ProgramID(p.ID), ledgerentry.KindEQ(ledgerentry.KindDISBURSEMENT), ledgerentry.StageEQ(types.Stage1),
			ledgerentry.IdempotencyKeyHasPrefix(demoKeyPrefix),
			ledgerentry.HasParticipationWith(participation.HasMunicipalityWith(municipality.ArsIn(ars...)))).
		WithParticipation(func(q *ent.ParticipationQuery) { q.WithMunicipality() }).
		Order(ent.Asc(ledgerentry.FieldReference), ent.Asc(ledgerentry.FieldID)).Limit(8).All(ctx)
	if err != nil || len(entries) < 4 {
		return false, err
	}
	var b strings.Builder
	b.WriteString("statement_id;line_ref;booking_date;value_date;credit_debit;amount;currency;end_to_end_id;counterparty_name;counterparty_iban;remittance\n")
	for i, e := range entries {
		m := e.Edges.Participation.Edges.Municipality
		iban := demoIBAN(1000000 + i)
		if m.Iban != nil {
			iban = *m.Iban
		} else if err := c.Municipality.UpdateOne(m).SetIban(iban).Exec(ctx); err != nil {
			return false, err
		}
		amount, ref := e.Amount, e.Reference
		switch i {
		case 1: // paid without the reference: matched by amount, IBAN and value date
			ref = ""
		case 2: // the bank paid another amount than the ledger says
			amount = amount.Sub(decimal.New(10000, -2))
		}
		fmt.Fprintf(&b, "%s;%d;%s;%s;DBIT;%s;EUR;%s;Kommune;%s;SicherKOMMUNAL Stufe 1 %s\n", demoStatementID, i+1,
			e.ValueDate.Format(time.DateOnly), e.ValueDate.Format(time.DateOnly), amount.StringFixed(2), ref, iban, ref)
	}
	day := types.DateOf(now, time.UTC).Format(time.DateOnly)
	fmt.Fprintf(&b, "%s;99;%s;%s;DBIT;1234.56;EUR;RE-2026-0815;IT-Dienstleister GmbH;DE37810532729990001234;Rechnung 2026-0815\n", demoStatementID, day, day)
	_, err = (&reconcile.Service{Client: c, Dialect: d, Now: func() time.Time { return now }, Zone: berlin}).Import(ctx, "CSV", []byte(b.String()))
	return err == nil, err
}

// demoIBAN returns a German IBAN with correct check digits for an account
// at the Stadtsparkasse Magdeburg (BLZ 81053272).
func demoIBAN(account int) string {
	bban := fmt.Sprintf("81053272%010d", account)
	rest := 0
	for _, r := range bban + "131400" { // D=13, E=14, check digits 00
		rest = (rest*10 + int(r-'0')) % 97
	}
	return fmt.Sprintf("DE%02d%s", 98-rest, bban)
}
