// Package program administers funding programmes: the SicherKOMMUNAL facts
// and the Kommunen seeded on first start, registration and withdrawal of
// participations, and their steps.
package programme

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/csv"
	"fmt"
	"io"
	"time"

	"github.com/shopspring/decimal"

	"sicherkommunal/ent"
	"sicherkommunal/ent/municipality"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/store"
)

// kommunenCSV is a copy of the reference list of Sachsen-Anhalt's municipal
// entities (Destatis Gemeindeverzeichnis, Stand 30.06.2026).
//
//go:embed sachsen-anhalt-kommunen.csv
var kommunenCSV []byte

// Kommune is one row of the reference list.
type Kommune struct {
	AGS, ARS, Name, Kind string
}

// EligibleKommunen returns the 133 Kommunen that may take part: kreisfreie
// Städte, Landkreise, Einheitsgemeinden and Verbandsgemeinden. Member
// municipalities of a Verbandsgemeinde are represented by it.
func EligibleKommunen() ([]Kommune, error) {
	r := csv.NewReader(bytes.NewReader(kommunenCSV))
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("kommunen: %w", err)
	}
	want := []string{"ags", "ars", "name", "kind", "kreis_ags", "verband_ars"}
	if fmt.Sprint(head) != fmt.Sprint(want) {
		return nil, fmt.Errorf("kommunen: unexpected header %v", head)
	}
	var out []Kommune
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("kommunen line %d: %w", line, err)
		}
		if rec[3] == "MITGLIEDSGEMEINDE" {
			continue
		}
		out = append(out, Kommune{AGS: rec[0], ARS: rec[1], Name: rec[2], Kind: rec[3]})
	}
	return out, nil
}

// SicherKommunalName is the name of the seeded programme.
const SicherKommunalName = "SicherKOMMUNAL"

// DefaultStepTemplate: due dates of the nine steps after registration, with
// final acceptance and billing fixed to the programme's end.
func DefaultStepTemplate(endsOn time.Time) []types.StepTemplateItem {
	accept := endsOn.AddDate(0, 0, -14)
	end := endsOn
	return []types.StepTemplateItem{
		{Kind: types.StepKickoff, OffsetDays: 14},
		{Kind: types.StepOnsiteAssessment, OffsetDays: 42},
		{Kind: types.StepPolicyReview, OffsetDays: 70},
		{Kind: types.StepTechnicalSpotCheck, OffsetDays: 70},
		{Kind: types.StepVulnerabilityScan, OffsetDays: 84},
		{Kind: types.StepMeasurePackage, OffsetDays: 112},
		{Kind: types.StepMeasuresImplemented, OffsetDays: 280},
		{Kind: types.StepFinalAcceptance, DueOn: &accept},
		{Kind: types.StepBilling, DueOn: &end},
	}
}

// CreateSicherKommunal creates the programme with the figures of the
// ministry's announcement of 2 December 2025: 16,100.00 EUR stage 1,
// 30,000.00 EUR cap, stage 2 from 2026-01-01 subject to the committees'
// approval, final acceptance and billing by 2026-12-31.
func CreateSicherKommunal(ctx context.Context, c *ent.Client) (*ent.Program, error) {
	ends := types.Date(2026, time.December, 31)
	return c.Program.Create().
		SetName(SicherKommunalName).
		SetStage1Amount(decimal.RequireFromString("16100.00")).
		SetTotalCap(decimal.RequireFromString("30000.00")).
		SetStartsOn(types.Date(2025, time.December, 2)).
		SetStage2OpensOn(types.Date(2026, time.January, 1)).
		SetEndsOn(ends).
		SetTimeZone(DefaultTimeZone).
		SetStepTemplate(DefaultStepTemplate(ends)).
		Save(ctx)
}

// Seed creates, on an empty database, the SicherKOMMUNAL programme and the
// 133 eligible Kommunen. It is safe to call on every start and from several
// replicas at once.
func Seed(ctx context.Context, client *ent.Client, d store.Dialect) error {
	tx, err := client.Tx(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if d.IsPostgres() {
		// Replicas starting together seed once.
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(815001)"); err != nil {
			return err
		}
	}
	c := tx.Client()
	if n, err := c.Program.Query().Count(ctx); err != nil {
		return err
	} else if n == 0 {
		if _, err := CreateSicherKommunal(ctx, c); err != nil {
			return fmt.Errorf("seed programme: %w", err)
		}
	}
	if n, err := c.Municipality.Query().Count(ctx); err != nil {
		return err
	} else if n == 0 {
		ks, err := EligibleKommunen()
		if err != nil {
			return err
		}
		builders := make([]*ent.MunicipalityCreate, 0, len(ks))
		for _, k := range ks {
			b := c.Municipality.Create().SetName(k.Name).SetKind(municipality.Kind(k.Kind)).SetArs(k.ARS)
			if k.AGS != "" {
				b.SetAgs(k.AGS)
			}
			builders = append(builders, b)
		}
		if err := c.Municipality.CreateBulk(builders...).Exec(ctx); err != nil {
			return fmt.Errorf("seed municipalities: %w", err)
		}
	}
	return tx.Commit()
}
