package assessment

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"sicherkommunal/auth"
	"sicherkommunal/catalog"
	"sicherkommunal/ent"
	"sicherkommunal/ent/cataloggroup"
	"sicherkommunal/ent/requirement"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/store"
	"sicherkommunal/store/storetest"
)

// The scale benchmarks of the security picture: a nationwide WiBA
// rollout of 11,000 Kommunen with a submitted BASELINE of 257 answers
// each (2.8 million answers), and the 133 Kommunen of one Land, on the
// database under test (SQLite, or PostgreSQL when SK_TEST_POSTGRES_URL is
// set). The data is generated in SQL (INSERT … SELECT from a recursive
// CTE), not through ent.
//
//	go test ./assessment -run '^$' -bench 'ProgramPicture|SaveAnswers' -benchtime 5x -timeout 90m
//
// The picture must cost the same few statements at both sizes, and at
// most twice the time of the bare aggregate it is built on (countsQuery),
// measured in the same run; saving a checklist of 25 answers the same
// statements at both sizes. -short leaves out the 11,000. (On SQLite one
// picture of 11,000 Kommunen takes half a minute and each seeding one to
// two, so the whole run takes longer than go test's default timeout of
// ten minutes.)

// scaleSizes are the sizes of the benchmarks: one Land, nationwide.
var scaleSizes = []int{133, 11000}

// maxPictureStatements bounds the statements of one picture.
const maxPictureStatements = 6

// scaleNow is the time of every generated row.
var scaleNow = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

// The generated catalogue: the 19 WiBA checklists with 257 questions,
// 13 each but Backup (25, the checklist the save benchmark writes) and the
// two of processing-order group 4 (12 each).
const (
	scaleQuestions      = 257
	scaleSaveChecklist  = 3 // Backup
	scaleSaveQuestions  = 25
	scaleCatalogName    = "Lasttest-Katalog (keine BSI-Texte)"
	scaleCatalogVersion = "257"
)

func scaleGroupSize(number, priority int) int {
	switch {
	case number == scaleSaveChecklist:
		return scaleSaveQuestions
	case priority == 4:
		return 12
	}
	return 13
}

// scaleCatalogue is the generated catalogue, in catalogue order: the k-th
// question of it (k = 1 … 257, by checklist number and question number)
// is the k of seededStatus.
func scaleCatalogue() *catalog.Catalogue {
	cat := &catalog.Catalogue{Name: scaleCatalogName, Version: scaleCatalogVersion}
	for _, c := range catalog.Checklists() {
		g := catalog.Group{Number: c.Number, Priority: c.Priority, Title: c.Title,
			Goal: "Ziel der Checkliste " + c.Title + " (Lasttest)."}
		for q := 1; q <= scaleGroupSize(c.Number, c.Priority); q++ {
			g.Requirements = append(g.Requirements, catalog.Requirement{
				Ref: fmt.Sprintf("%s-%d", c.Short, q), Number: q,
				Question: fmt.Sprintf("Prüffrage %d der Checkliste %s (Lasttest)?", q, c.Title),
				Effort:   []string{"gering", "mittel", "hoch"}[q%3]})
		}
		cat.Groups = append(cat.Groups, g)
	}
	return cat
}

// kommunenMix is how many Kommunen of each kind n has: the 3 kreisfreie
// Städte there are, and Landkreise and Verbandsgemeinden in the
// proportions of Sachsen-Anhalt (11 and 18 of 133) or, from 1,000 on, of
// Germany (294 and about 1,300 of 11,000); Einheitsgemeinden the rest.
// The Kommunen are numbered 1 … n in this order of kinds.
func kommunenMix(n int) (kreisfrei, landkreis, verband, einheit int) {
	kreisfrei = min(3, n)
	if n >= 1000 {
		landkreis, verband = 294*n/11000, 1300*n/11000
	} else {
		landkreis, verband = 11*n/133, 18*n/133
	}
	return kreisfrei, landkreis, verband, n - kreisfrei - landkreis - verband
}

// seededStatus is the status the seeding gives question k (1 … 257) in
// the BASELINE of Kommune i (1 … n): statusSQL in Go. A Kommune's
// maturity (i mod 5) moves 10 points at a time from NO to YES, so the
// shares fulfilled spread from about 35 % to 90 %; overall about 1 %
// OPEN, 8 % NOT_APPLICABLE, 50 % YES, 15 % PARTIAL and 26 % NO. OPEN
// answers in a submitted assessment cannot arise through Move (submitting
// needs every question answered); they are there so that every status
// passes through the aggregate.
func seededStatus(i, k int) types.AnswerStatus {
	h := (i*37 + k*53 + (i%17)*(k%23)*7 + (k*k)%89) % 100
	yes := 39 + 10*(i%5)
	switch {
	case h < 1:
		return types.AnswerOpen
	case h < 9:
		return types.AnswerNotApplicable
	case h < yes:
		return types.AnswerYes
	case h < yes+15:
		return types.AnswerPartial
	}
	return types.AnswerNo
}

// statusSQL is seededStatus in SQL, of the columns i and k.
const statusSQL = `CASE
  WHEN (i * 37 + k * 53 + (i % 17) * (k % 23) * 7 + (k * k) % 89) % 100 < 1 THEN 'OPEN'
  WHEN (i * 37 + k * 53 + (i % 17) * (k % 23) * 7 + (k * k) % 89) % 100 < 9 THEN 'NOT_APPLICABLE'
  WHEN (i * 37 + k * 53 + (i % 17) * (k % 23) * 7 + (k * k) % 89) % 100 < 39 + 10 * (i % 5) THEN 'YES'
  WHEN (i * 37 + k * 53 + (i % 17) * (k % 23) * 7 + (k * k) % 89) % 100 < 54 + 10 * (i % 5) THEN 'PARTIAL'
  ELSE 'NO' END`

// seedID is the ID of number x with prefix: the prefix and x in 26
// digits, as long as a ULID's 26 characters (digits are ULID characters;
// the leading zeros keep them apart from every ID made by pulid.New).
func seedID(prefix string, x int) pulid.ID { return pulid.ID(fmt.Sprintf("%s%026d", prefix, x)) }

// seedIDSQL is seedID in SQL, of an integer expression below 10^12.
func seedIDSQL(prefix, expr string) string {
	return "'" + prefix + "00000000000000' || substr(CAST(1000000000000 + " + expr + " AS TEXT), 2)"
}

// scaleDB is a seeded database.
type scaleDB struct {
	db      *store.DB
	counter *storetest.Counter
	n       int
	program pulid.ID
	catalog pulid.ID
	// followUp is the FOLLOW_UP of Kommune 1, IN_PROGRESS (not in the
	// picture), which the save benchmark writes; checklist the IDs of its
	// 25 Backup questions.
	followUp  pulid.ID
	checklist []pulid.ID
	// seeded is the time the seeding took, answers of it the 2.8 million
	// answers' INSERTs.
	seeded, answers time.Duration
}

// contractor is the context of a contractor's token (all consultants).
func contractor() context.Context {
	return auth.NewContext(context.Background(), &auth.Viewer{Name: "Beraterin (Lasttest)", Role: types.RoleContractor})
}

// seedScale opens a fresh database and seeds n Kommunen: the programme,
// the catalogue (through catalog.Service.Import), then in SQL the
// municipalities, their participations, one submitted BASELINE each with
// 257 answers, and through the service a FOLLOW_UP of Kommune 1.
func seedScale(tb testing.TB, n int) *scaleDB {
	tb.Helper()
	start := time.Now()
	s := &scaleDB{counter: &storetest.Counter{}, n: n}
	s.db = storetest.Open(tb, store.Options{Wrap: s.counter.Wrap})
	now := func() time.Time { return scaleNow }
	s.db.Client.Use(auth.AuditHook(now)) // as in production
	sys := auth.SystemContext(context.Background())
	ends := types.Date(2026, time.December, 31)
	accept := ends.AddDate(0, 0, -14)
	p, err := s.db.Client.Program.Create().SetName("SicherKOMMUNAL").
		SetStage1Amount(decimal.RequireFromString("16100.00")).SetTotalCap(decimal.RequireFromString("30000.00")).
		SetStartsOn(types.Date(2025, time.December, 2)).SetStage2OpensOn(types.Date(2026, time.January, 1)).SetEndsOn(ends).
		SetStepTemplate([]types.StepTemplateItem{
			{Kind: types.StepKickoff, OffsetDays: 14}, {Kind: types.StepOnsiteAssessment, OffsetDays: 42},
			{Kind: types.StepPolicyReview, OffsetDays: 70}, {Kind: types.StepTechnicalSpotCheck, OffsetDays: 70},
			{Kind: types.StepVulnerabilityScan, OffsetDays: 84}, {Kind: types.StepMeasurePackage, OffsetDays: 112},
			{Kind: types.StepMeasuresImplemented, OffsetDays: 280},
			{Kind: types.StepFinalAcceptance, DueOn: &accept}, {Kind: types.StepBilling, DueOn: &ends},
		}).Save(sys)
	if err != nil {
		tb.Fatalf("programme: %v", err)
	}
	s.program = p.ID
	admin := auth.NewContext(context.Background(), &auth.Viewer{Name: "Admin (Lasttest)", Role: types.RoleAdmin})
	err = store.InTx(admin, s.db.Client, func(ctx context.Context, c *ent.Client) error {
		cat, err := (&catalog.Service{Now: now}).Import(ctx, c, scaleCatalogue())
		if err == nil {
			s.catalog = cat.ID
		}
		return err
	})
	if err != nil {
		tb.Fatalf("catalogue: %v", err)
	}

	d := s.db.Dialect
	// One connection seeds; on SQLite with a page cache of 256 MiB for
	// the indexes of the answers, set back to the default before the
	// connection returns to the pool, so the benchmarks read as the
	// application does.
	conn, err := s.db.SQL.Conn(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	exec := func(what, q string, args ...any) {
		tb.Helper()
		if _, err := conn.ExecContext(context.Background(), d.Rebind(q), args...); err != nil {
			tb.Fatalf("seed %s: %v", what, err)
		}
	}
	if !d.IsPostgres() {
		exec("cache", "PRAGMA cache_size = -262144")
	}
	kreisfrei, landkreis, verband, _ := kommunenMix(n)
	exec("municipalities", fmt.Sprintf(`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < %d)
INSERT INTO municipalities (id, created_at, updated_at, ags, ars, name, kind)
SELECT %s, ?, ?,
  CASE WHEN kind = 'VERBANDSGEMEINDE' THEN NULL ELSE CAST(10000000 + i AS TEXT) END,
  CAST(100000000000 + i AS TEXT),
  CASE kind WHEN 'KREISFREIE_STADT' THEN 'Stadt ' WHEN 'LANDKREIS' THEN 'Landkreis '
    WHEN 'VERBANDSGEMEINDE' THEN 'Verbandsgemeinde ' ELSE 'Gemeinde ' END || CAST(i AS TEXT),
  kind
FROM (SELECT i, CASE WHEN i <= %d THEN 'KREISFREIE_STADT' WHEN i <= %d THEN 'LANDKREIS'
  WHEN i <= %d THEN 'VERBANDSGEMEINDE' ELSE 'EINHEITSGEMEINDE' END AS kind FROM seq) k`,
		n, seedIDSQL("MU", "i"), kreisfrei, kreisfrei+landkreis, kreisfrei+landkreis+verband), scaleNow, scaleNow)
	registered, on := d.Date(types.Date(2026, time.January, 5))
	exec("participations", `INSERT INTO participations (id, created_at, updated_at, status, registered_on, municipality_id, program_id)
SELECT 'PA' || substr(m.id, 3), m.created_at, m.updated_at, 'STAGE1', `+registered+`, m.id, ? FROM municipalities m`,
		on, string(s.program))
	exec("assessments", `INSERT INTO assessments (id, created_at, updated_at, kind, status, submitted_at, catalog_id, participation_id)
SELECT 'AS' || substr(p.id, 3), p.created_at, p.updated_at, 'BASELINE', 'SUBMITTED', p.updated_at, ?, p.id
FROM participations p WHERE p.program_id = ?`, string(s.catalog), string(s.program))
	// The answers, a thousand assessments (257,000 rows) per statement:
	// every question of the catalogue (k in catalogue order) for every
	// BASELINE (i its Kommune's number).
	answers := `INSERT INTO answers (id, created_at, updated_at, status, justification, answered_by, answered_at, requirement_id, assessment_id)
SELECT ` + seedIDSQL("AN", "i * 1000 + k") + `, created_at, submitted_at, status,
  CASE WHEN status = 'NOT_APPLICABLE' THEN 'Trifft auf die Kommune nicht zu.' END,
  CASE WHEN status <> 'OPEN' THEN 'Beraterin (Lasttest)' END,
  CASE WHEN status <> 'OPEN' THEN submitted_at END,
  rid, sid
FROM (SELECT x.*, ` + statusSQL + ` AS status
  FROM (SELECT s.id AS sid, s.created_at, s.submitted_at, CAST(substr(s.id, 3) AS INTEGER) AS i, q.rid, q.k
    FROM assessments s
    CROSS JOIN (SELECT r.id AS rid, ROW_NUMBER() OVER (ORDER BY g.number, r.number) AS k
      FROM requirements r JOIN catalog_groups g ON g.id = r.group_id WHERE r.catalog_id = ?) q
    WHERE s.kind = 'BASELINE' AND s.id BETWEEN ? AND ?) x) y`
	t0 := time.Now()
	const chunk = 1000
	for from := 1; from <= n; from += chunk {
		exec("answers", answers, string(s.catalog), string(seedID("AS", from)), string(seedID("AS", min(from+chunk-1, n))))
	}
	s.answers = time.Since(t0)
	if d.IsPostgres() {
		// As autovacuum would have by the time the picture is read, and so
		// that it does not start during the measured runs.
		exec("vacuum", "VACUUM ANALYZE")
	} else {
		exec("cache", "PRAGMA cache_size = -2000")
	}
	if err := conn.Close(); err != nil {
		tb.Fatal(err)
	}

	// The FOLLOW_UP of Kommune 1, as the contractor starts it.
	ctx := contractor()
	svc := &Service{Dialect: d, Now: now}
	err = store.InTx(ctx, s.db.Client, func(ctx context.Context, c *ent.Client) error {
		a, err := svc.Create(ctx, c, CreateInput{ParticipationID: seedID("PA", 1), CatalogID: s.catalog, Kind: types.AssessmentFollowUp})
		if err == nil {
			s.followUp = a.ID
		}
		return err
	})
	if err != nil {
		tb.Fatalf("follow-up: %v", err)
	}
	s.checklist, err = s.db.Client.Requirement.Query().
		Where(requirement.CatalogID(s.catalog), requirement.HasGroupWith(cataloggroup.Number(scaleSaveChecklist))).
		Order(requirement.ByNumber()).IDs(ctx)
	if err != nil || len(s.checklist) != scaleSaveQuestions {
		tb.Fatalf("checklist %d: %d questions, %v", scaleSaveChecklist, len(s.checklist), err)
	}
	s.seeded = time.Since(start)
	return s
}

// bare runs countsQuery alone, its rows scanned (as readCounts does) and
// discarded, and returns how many rows it read.
func (s *scaleDB) bare(ctx context.Context) (int, error) {
	rs, err := s.db.Client.QueryContext(ctx, s.db.Dialect.Rebind(countsQuery), string(s.program))
	if err != nil {
		return 0, err
	}
	defer rs.Close()
	n := 0
	for rs.Next() {
		var pid, mid, mk, kind, title string
		var number, priority, open, yes, partial, no, na int
		if err := rs.Scan(&pid, &mid, &mk, &kind, &number, &title, &priority, &open, &yes, &partial, &no, &na); err != nil {
			return n, err
		}
		n++
	}
	return n, rs.Err()
}

// picture is the picture the programmeSecurity query reads.
func (s *scaleDB) picture(ctx context.Context, anonymised bool) (*Picture, error) {
	return ProgramPicture(ctx, s.db.Client, s.db.Dialect,
		PictureInput{ProgramID: s.program, Kind: types.AssessmentBaseline, Anonymised: anonymised, TopGaps: 10})
}

// save saves the Backup checklist of the FOLLOW_UP in a transaction, as
// the saveAnswers mutation does: in round r question j gets the (r+j)-th
// of YES, PARTIAL, NO and NOT_APPLICABLE, so that every round changes all
// 25.
func (s *scaleDB) save(ctx context.Context, round int) error {
	cycle := []types.AnswerStatus{types.AnswerYes, types.AnswerPartial, types.AnswerNo, types.AnswerNotApplicable}
	in := make([]AnswerInput, len(s.checklist))
	for j, id := range s.checklist {
		in[j] = AnswerInput{RequirementID: id, Status: cycle[(round+j)%len(cycle)]}
		if in[j].Status == types.AnswerNotApplicable {
			in[j].Justification = "Kein Backup-System vor Ort (Lasttest)."
		}
	}
	svc := &Service{Dialect: s.db.Dialect, Now: func() time.Time { return scaleNow }}
	return store.InTx(ctx, s.db.Client, func(ctx context.Context, c *ent.Client) error {
		_, err := svc.SaveAnswers(ctx, c, s.followUp, in, ViaSave)
		return err
	})
}

func perOp(b *testing.B) float64 { return float64(b.Elapsed().Nanoseconds()) / float64(b.N) }

// BenchmarkProgramPicture: the bare aggregate, then the picture (full
// and anonymised, with the 10 questions most often NO as the
// programmeSecurity query asks), at 133 and 11,000 Kommunen. Each reports
// statements/op; the pictures x-bare, their ns/op over the bare
// aggregate's of the same run.
func BenchmarkProgramPicture(b *testing.B) {
	stmts := map[string]map[int]float64{} // by sub-benchmark, by size
	for _, n := range scaleSizes {
		b.Run(fmt.Sprintf("kommunen=%d", n), func(b *testing.B) {
			if n > 1000 && testing.Short() {
				b.Skip("-short: 11,000 Kommunen are seeded only for the full benchmark")
			}
			s := seedScale(b, n)
			b.Logf("%d Kommunen, %d answers seeded in %v (answers %v) on %s",
				n, n*scaleQuestions, s.seeded.Round(time.Millisecond), s.answers.Round(time.Millisecond), s.db.Dialect)
			ctx := auth.NewContext(context.Background(), &auth.Viewer{Name: "Ministerium (Lasttest)", Role: types.RoleMinistry})
			var bareNs float64
			measure := func(name string, op func() error) {
				b.Run(name, func(b *testing.B) {
					// The run of b.N = 1 before the measured one warms the caches.
					s.counter.Reset()
					b.ResetTimer()
					for range b.N {
						if err := op(); err != nil {
							b.Fatal(err)
						}
					}
					b.StopTimer()
					st := float64(s.counter.Count()) / float64(b.N)
					b.ReportMetric(st, "statements/op")
					if stmts[name] == nil {
						stmts[name] = map[int]float64{}
					}
					stmts[name][n] = st
					if name == "bare" {
						bareNs = perOp(b)
						b.ReportMetric(s.seeded.Seconds(), "s-seeding")
					} else if bareNs > 0 {
						x := perOp(b) / bareNs
						b.ReportMetric(x, "x-bare")
						if x > 2 && b.N > 1 {
							b.Logf("%s at %d Kommunen takes %.2f× the bare aggregate, more than 2×", name, n, x)
						}
					}
				})
			}
			measure("bare", func() error {
				rows, err := s.bare(ctx)
				if err == nil && rows != n*19 {
					err = fmt.Errorf("bare aggregate: %d rows, want %d", rows, n*19)
				}
				return err
			})
			for _, anonymised := range []bool{false, true} {
				name := "picture"
				if anonymised {
					name = "picture-anonymised"
				}
				measure(name, func() error {
					p, err := s.picture(ctx, anonymised)
					if err == nil && p.Kommunen != n && !anonymised {
						err = fmt.Errorf("picture of %d Kommunen, want %d", p.Kommunen, n)
					}
					return err
				})
			}
		})
	}
	for name, by := range stmts {
		for n, st := range by {
			if name != "bare" && st > maxPictureStatements {
				b.Fatalf("%s at %d Kommunen: %.1f statements, at most %d", name, n, st, maxPictureStatements)
			}
			for m, other := range by {
				if other != st {
					b.Fatalf("%s: %.1f statements at %d Kommunen, %.1f at %d", name, st, n, other, m)
				}
			}
		}
	}
}

// BenchmarkSaveAnswers: saving a checklist of 25 answers, each changed,
// in the FOLLOW_UP of one Kommune among 133 and among 11,000; the
// statements per save must not depend on the size.
func BenchmarkSaveAnswers(b *testing.B) {
	stmts := map[int]float64{}
	for _, n := range scaleSizes {
		b.Run(fmt.Sprintf("kommunen=%d", n), func(b *testing.B) {
			if n > 1000 && testing.Short() {
				b.Skip("-short: 11,000 Kommunen are seeded only for the full benchmark")
			}
			s := seedScale(b, n)
			b.Logf("%d Kommunen, %d answers seeded in %v (answers %v) on %s",
				n, n*scaleQuestions, s.seeded.Round(time.Millisecond), s.answers.Round(time.Millisecond), s.db.Dialect)
			ctx := contractor()
			round := 0
			b.Run("checklist=25", func(b *testing.B) {
				s.counter.Reset()
				b.ResetTimer()
				for range b.N {
					round++
					if err := s.save(ctx, round); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				stmts[n] = float64(s.counter.Count()) / float64(b.N)
				b.ReportMetric(stmts[n], "statements/op")
				b.ReportMetric(s.seeded.Seconds(), "s-seeding")
			})
		})
	}
	for n, st := range stmts {
		for m, other := range stmts {
			if other != st {
				b.Fatalf("save: %.1f statements at %d Kommunen, %.1f at %d", st, n, other, m)
			}
		}
	}
}
