package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"sicherkommunal/apperr"
	"sicherkommunal/calendar"
	"sicherkommunal/ent"
	"sicherkommunal/ent/appointment"
	"sicherkommunal/ent/calendarfeed"
	"sicherkommunal/ent/ledgerentry"
	"sicherkommunal/ent/measure"
	"sicherkommunal/ent/municipality"
	"sicherkommunal/ent/participation"
	"sicherkommunal/ent/program"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/ent/step"
	"sicherkommunal/ledger"
	programpkg "sicherkommunal/program"
	"sicherkommunal/reconcile"
)

// demoParticipations is how many Kommunen the demo registers.
const demoParticipations = 40

// loadDemo adds realistic demo data relative to now, unless the programme
// already has participations. It reports whether it added anything.
func loadDemo(ctx context.Context, client *ent.Client, svc *programpkg.Service, ledgerSvc *ledger.Service, now time.Time) (bool, error) {
	tx, err := client.Tx(ctx)
	if err != nil {
		return false, err
	}
	defer func() { _ = tx.Rollback() }()
	c := tx.Client()
	ctx = ent.NewTxContext(ent.NewContext(ctx, c), tx) // the ledger joins this transaction
	p, err := c.Program.Query().Where(program.Name(programpkg.SicherKommunalName)).Only(ctx)
	if err != nil {
		return false, err
	}
	if n, err := c.Participation.Query().Count(ctx); err != nil || n > 0 {
		return false, err
	}
	rng := rand.New(rand.NewPCG(2026, 133))
	berlin, err := time.LoadLocation(p.TimeZone)
	if err != nil {
		return false, err
	}
	today := types.DateOf(now, berlin)
	// The state committees approved stage 2 in mid-February (or today, if earlier).
	approvedOn := types.Date(2026, time.February, 16)
	if today.Before(approvedOn) {
		approvedOn = today
	}
	if p.Stage2ApprovedOn == nil && !today.Before(p.StartsOn) {
		if p, err = ledgerSvc.ApproveStage2(ctx, p.ID, approvedOn, "Beschluss Landesausschuss Finanzen LA-F 2026/014"); err != nil {
			return false, err
		}
	}

	consultants := make([]*ent.Consultant, 0, 6)
	for _, name := range []string{"Anna Schulze", "Jonas Weber", "Miriam Krüger", "Stefan Hoffmann", "Leonie Wagner", "Tobias Becker"} {
		co, err := c.Consultant.Create().SetName(name).
			SetEmail(fmt.Sprintf("%s@bechtle.example", emailLocal(name))).SetOrganization("Bechtle").Save(ctx)
		if err != nil {
			return false, err
		}
		consultants = append(consultants, co)
	}

	munis, err := c.Municipality.Query().Order(municipality.ByArs()).All(ctx)
	if err != nil {
		return false, err
	}
	statuses := []participation.Status{
		participation.StatusREGISTERED, participation.StatusSTAGE1, participation.StatusSTAGE1, participation.StatusSTAGE2,
		participation.StatusSTAGE2, participation.StatusACCEPTED, participation.StatusSETTLED, participation.StatusWITHDRAWN,
	}
	var active []*ent.Participation
	for i := 0; i < demoParticipations && i*3 < len(munis); i++ {
		m := munis[i*3]
		reg := today.AddDate(0, 0, -(14 + 7*i))
		if reg.Before(p.StartsOn) {
			reg = types.NormalizeDate(p.StartsOn)
		}
		if reg.After(p.EndsOn) {
			reg = types.NormalizeDate(p.EndsOn)
		}
		pa, err := svc.Register(ctx, c, p.ID, m.ID, reg)
		if err != nil {
			return false, fmt.Errorf("register %s: %w", m.Name, err)
		}
		status := statuses[i%len(statuses)]
		if m.Ags != nil && rng.IntN(4) == 0 {
			if err := c.Municipality.UpdateOne(m).SetContactEmail(fmt.Sprintf("informationssicherheit@%s.example", emailLocal(m.Name))).Exec(ctx); err != nil {
				return false, err
			}
		}
		// Complete the steps that are due, leaving some late: how far a
		// Kommune got depends on its status.
		steps, err := c.Step.Query().Where(step.ParticipationID(pa.ID)).All(ctx)
		if err != nil {
			return false, err
		}
		for _, st := range steps {
			done := false
			switch status {
			case participation.StatusACCEPTED, participation.StatusSETTLED:
				done = st.Kind != types.StepBilling || status == participation.StatusSETTLED
			case participation.StatusWITHDRAWN:
				done = st.Kind == types.StepKickoff
			default:
				done = st.DueOn.Before(today) && rng.IntN(3) > 0
			}
			if done {
				at := st.DueOn.Add(time.Duration(9+rng.IntN(8))*time.Hour).AddDate(0, 0, -rng.IntN(5))
				if at.After(now) {
					at = now.Add(-time.Hour)
				}
				if err := c.Step.UpdateOne(st).SetCompletedAt(at).Exec(ctx); err != nil {
					return false, err
				}
			}
		}
		if err := demoPayments(ctx, ledgerSvc, p, pa, status, i, today); err != nil {
			return false, fmt.Errorf("payments for %s: %w", m.Name, err)
		}
		u := c.Participation.UpdateOne(pa).SetStatus(status)
		if status == participation.StatusWITHDRAWN {
			u.SetWithdrawnAt(now.AddDate(0, 0, -3)).SetWithdrawalReason("Personalengpass in der IT; Teilnahme 2027 geplant")
		}
		if pa, err = u.Save(ctx); err != nil {
			return false, err
		}
		if status != participation.StatusWITHDRAWN {
			active = append(active, pa)
		}
		if err := demoMeasures(ctx, c, pa, status, today, p, rng); err != nil {
			return false, err
		}
	}
	if err := demoAppointments(ctx, c, active, consultants, today, berlin, rng); err != nil {
		return false, err
	}
	if err := demoBankStatement(ctx, c, now); err != nil {
		return false, fmt.Errorf("bank statement: %w", err)
	}
	return true, tx.Commit()
}

// demoPayments books stage-1 money for everyone past registration, stage-2
// money for those in stage 2 or beyond, and one double payment reversed.
func demoPayments(ctx context.Context, l *ledger.Service, p *ent.Program, pa *ent.Participation, status participation.Status, i int, today time.Time) error {
	if status == participation.StatusREGISTERED {
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
	post := func(stage types.FundingStage, amount string, valueDate time.Time, n int) (*ent.LedgerEntry, error) {
		return l.PostDisbursement(ctx, ledger.Disbursement{
			ParticipationID: pa.ID, Stage: stage, Amount: decimal.RequireFromString(amount), ValueDate: valueDate,
			Reference: fmt.Sprintf("SK-2026-%04d-%d", i+1, n), IdempotencyKey: fmt.Sprintf("demo-%s-%d", pa.ID, n),
		})
	}
	first, err := post(types.Stage1, "16100.00", day(21), 1)
	if err != nil {
		return err
	}
	if i == 1 {
		// A double payment, reversed the next day.
		dup, err := post(types.Stage1, "16100.00", day(22), 9)
		if err != nil && apperr.CodeOf(err) != ledger.CodeCapExceeded {
			return err
		}
		if dup == nil { // the cap refused it, as it should; reverse part of the first instead
			half := decimal.RequireFromString("8050.00")
			_, err = l.ReverseDisbursement(ctx, ledger.Reversal{EntryID: first.ID, Amount: &half,
				Reason: "Teilrückforderung: Schwachstellenscan nicht durchgeführt", IdempotencyKey: "demo-reversal-" + string(pa.ID)})
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
		amount := "13900.00"
		if status == participation.StatusSTAGE2 {
			amount = "6950.00"
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

func demoAppointments(ctx context.Context, c *ent.Client, active []*ent.Participation, consultants []*ent.Consultant, today time.Time, berlin *time.Location, rng *rand.Rand) error {
	// Working days over the coming five weeks.
	var days []time.Time
	for d := today.AddDate(0, 0, 1); len(days) < 25; d = d.AddDate(0, 0, 1) {
		if _, closed := calendar.IsNonWorkingDay(time.Date(d.Year(), d.Month(), d.Day(), 12, 0, 0, 0, berlin)); !closed {
			days = append(days, d)
		}
	}
	at := func(day time.Time, hour int) time.Time {
		return time.Date(day.Year(), day.Month(), day.Day(), hour, 0, 0, 0, berlin).UTC()
	}
	// A kickoff event for several Kommunen at once.
	if len(active) >= 6 {
		if err := c.Appointment.Create().SetKind(appointment.KindKICKOFF_EVENT).
			SetTitle("Auftaktveranstaltung SicherKOMMUNAL – Gruppe Nord").
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
		_ = rng
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

// demoFeeds creates one calendar feed per scope (the programme, the first
// Kommune and the first consultant of the demo kickoff event) and returns
// their URLs. Secrets are stored hashed, so every demo start makes new ones.
func demoFeeds(ctx context.Context, client *ent.Client, svc *calendar.Service) ([]demoFeed, error) {
	kickoff, err := client.Appointment.Query().Where(appointment.KindEQ(appointment.KindKICKOFF_EVENT)).
		Order(appointment.ByCreatedAt(), appointment.ByID()).First(ctx)
	if err != nil {
		return nil, err
	}
	pa, err := kickoff.QueryParticipations().Order(participation.ByID()).First(ctx)
	if err != nil {
		return nil, err
	}
	co, err := kickoff.QueryConsultants().Order(ent.Asc("id")).First(ctx)
	if err != nil {
		return nil, err
	}
	ins := []calendar.FeedInput{
		{Scope: calendarfeed.ScopePROGRAM, ProgramID: &pa.ProgramID},
		{Scope: calendarfeed.ScopeMUNICIPALITY, MunicipalityID: &pa.MunicipalityID},
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

// demoBankStatement gives the first paid Kommunen an IBAN and imports a
// bank statement (CSV layout) of the ledger's stage-1 payments: most lines
// carry the payment reference and match, one was paid without reference
// and matches by amount, IBAN and date, one paid another amount
// (AMOUNT_MISMATCH), and one payment matches nothing (UNMATCHED).
func demoBankStatement(ctx context.Context, c *ent.Client, now time.Time) error {
	entries, err := c.LedgerEntry.Query().
		Where(ledgerentry.KindEQ(ledgerentry.KindDISBURSEMENT), ledgerentry.StageEQ(types.Stage1)).
		WithParticipation().Order(ent.Asc(ledgerentry.FieldReference)).Limit(8).All(ctx)
	if err != nil || len(entries) < 4 {
		return err
	}
	var b strings.Builder
	b.WriteString("statement_id;line_ref;booking_date;value_date;credit_debit;amount;currency;end_to_end_id;counterparty_name;counterparty_iban;remittance\n")
	for i, e := range entries {
		iban := demoIBAN(1000000 + i)
		if err := c.Municipality.UpdateOneID(e.Edges.Participation.MunicipalityID).SetIban(iban).Exec(ctx); err != nil {
			return err
		}
		amount, ref := e.Amount, e.Reference
		switch i {
		case 1: // paid without the reference: matched by amount, IBAN and value date
			ref = ""
		case 2: // the bank paid another amount than the ledger says
			amount = amount.Sub(decimal.New(10000, -2))
		}
		fmt.Fprintf(&b, "DEMO-2026-01;%d;%s;%s;DBIT;%s;EUR;%s;Kommune;%s;SicherKOMMUNAL Stufe 1 %s\n", i+1,
			e.ValueDate.Format(time.DateOnly), e.ValueDate.Format(time.DateOnly), amount.StringFixed(2), ref, iban, ref)
	}
	day := types.DateOf(now, time.UTC).Format(time.DateOnly)
	fmt.Fprintf(&b, "DEMO-2026-01;99;%s;%s;DBIT;1234.56;EUR;RE-2026-0815;IT-Dienstleister GmbH;DE37810532729990001234;Rechnung 2026-0815\n", day, day)
	_, err = (&reconcile.Service{Client: c, Now: func() time.Time { return now }}).Import(ctx, "CSV", []byte(b.String()))
	return err
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
