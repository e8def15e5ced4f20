package reconcile

import (
	"encoding/csv"
	"fmt"
	"io"
	"time"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"sicherkommunal/ent/schema/types"
)

// CSVColumns are the columns of the CSV export, one row per participation
// and a last row TOTAL (README "Reconciliation").
var CSVColumns = []string{
	"participation_id", "ags", "municipality",
	"stage1_ledger_paid", "stage1_bank_confirmed", "stage1_difference",
	"stage2_ledger_paid", "stage2_bank_confirmed", "stage2_difference",
	"total_ledger_paid", "total_bank_confirmed", "total_difference",
	"unconfirmed_entries", "open_bank_transactions",
}

func (r csvRow) figures(f Figures) csvRow {
	return r.money(f.LedgerPaid, f.BankConfirmed, f.Difference)
}

func (r *ReconciliationRow) record() csvRow {
	return csvRow{}.text(string(r.Participation.ID), r.Ags, r.MunicipalityName).
		figures(r.Stage1).figures(r.Stage2).figures(r.Total).
		count(len(r.UnconfirmedEntries), len(r.OpenBankTransactions))
}

func (r *Reconciliation) totalRecord() csvRow {
	t := r.Totals
	return csvRow{}.text("TOTAL", "", "").
		figures(t.Stage1).figures(t.Stage2).figures(t.Total).
		count(t.UnconfirmedEntries, t.OpenBankTransactions+t.UnattributedBankTransactions)
}

// WriteCSV writes the report as CSV: UTF-8, comma-separated, a header row,
// amounts with a decimal point and two fraction digits, a TOTAL row last
// (whose open_bank_transactions also counts the unattributed lines). Text
// cells that a spreadsheet would take for a formula start with a single
// quote (CSVText).
func WriteCSV(w io.Writer, r *Reconciliation) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvRow{}.text(CSVColumns...)); err != nil {
		return err
	}
	for _, row := range r.Participations {
		if err := cw.Write(row.record()); err != nil {
			return err
		}
	}
	if err := cw.Write(r.totalRecord()); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// XLSX sheet names: one sheet per view.
const (
	SheetSummary        = "Summary"
	SheetParticipations = "Participations"
	SheetOpenItems      = "Open items"
)

// Omit names the open items of a report a reader may not see line by line.
type Omit struct {
	BankLines     bool // open and unattributed bank transactions
	LedgerEntries bool // unconfirmed ledger entries
}

// WriteXLSX writes the report as a workbook with three sheets: Summary
// (totals per stage), Participations (the CSV's rows) and Open items
// (unconfirmed ledger entries and open bank lines). Amounts are numbers
// with the format #,##0.00, written from their exact decimal text; dates
// are dates. The open items a reader may not see (omit) are left out of
// the Open items sheet; every count stays.
func WriteXLSX(w io.Writer, r *Reconciliation, omit Omit) error {
	f := excelize.NewFile()
	defer f.Close()
	x := &xlsxWriter{f: f}
	numFmt, dateFmt, bold := "#,##0.00", "yyyy-mm-dd", &excelize.Font{Bold: true}
	x.money = x.style(&excelize.Style{CustomNumFmt: &numFmt})
	x.moneyBold = x.style(&excelize.Style{CustomNumFmt: &numFmt, Font: bold})
	x.date = x.style(&excelize.Style{CustomNumFmt: &dateFmt})
	x.bold = x.style(&excelize.Style{Font: bold})
	if x.err = f.SetSheetName("Sheet1", SheetSummary); x.err != nil {
		return x.err
	}

	// Summary.
	s := SheetSummary
	x.row(s, 1, x.bold, "Reconciliation", r.Program.Name)
	x.row(s, 2, 0, "From", r.From)
	x.row(s, 3, 0, "To", r.To)
	x.row(s, 5, x.bold, "Stage", "Ledger paid", "Bank confirmed", "Difference")
	x.row(s, 6, 0, "Stage 1", r.Totals.Stage1.LedgerPaid, r.Totals.Stage1.BankConfirmed, r.Totals.Stage1.Difference)
	x.row(s, 7, 0, "Stage 2", r.Totals.Stage2.LedgerPaid, r.Totals.Stage2.BankConfirmed, r.Totals.Stage2.Difference)
	x.row(s, 8, x.bold, "Total", r.Totals.Total.LedgerPaid, r.Totals.Total.BankConfirmed, r.Totals.Total.Difference)
	x.row(s, 10, 0, "Participations", len(r.Participations))
	x.row(s, 11, 0, "Unconfirmed ledger entries", r.Totals.UnconfirmedEntries)
	x.row(s, 12, 0, "Open bank transactions", r.Totals.OpenBankTransactions)
	x.row(s, 13, 0, "Unattributed bank transactions", r.Totals.UnattributedBankTransactions)
	x.width(s, "A", "A", 32)
	x.width(s, "B", "D", 18)

	// Participations.
	p := SheetParticipations
	x.sheet(p)
	head := make([]any, len(CSVColumns))
	for i, c := range CSVColumns {
		head[i] = c
	}
	x.row(p, 1, x.bold, head...)
	n := 2
	for _, row := range r.Participations {
		x.row(p, n, 0, string(row.Participation.ID), row.Ags, row.MunicipalityName,
			row.Stage1.LedgerPaid, row.Stage1.BankConfirmed, row.Stage1.Difference,
			row.Stage2.LedgerPaid, row.Stage2.BankConfirmed, row.Stage2.Difference,
			row.Total.LedgerPaid, row.Total.BankConfirmed, row.Total.Difference,
			len(row.UnconfirmedEntries), len(row.OpenBankTransactions))
		n++
	}
	t := r.Totals
	x.row(p, n, x.bold, "TOTAL", "", "",
		t.Stage1.LedgerPaid, t.Stage1.BankConfirmed, t.Stage1.Difference,
		t.Stage2.LedgerPaid, t.Stage2.BankConfirmed, t.Stage2.Difference,
		t.Total.LedgerPaid, t.Total.BankConfirmed, t.Total.Difference,
		t.UnconfirmedEntries, t.OpenBankTransactions+t.UnattributedBankTransactions)
	x.width(p, "A", "A", 30)
	x.width(p, "C", "C", 30)
	x.width(p, "D", "N", 16)

	// Open items.
	o := SheetOpenItems
	x.sheet(o)
	x.row(o, 1, x.bold, "item", "id", "participation_id", "municipality", "value_date", "amount", "reference", "status", "note")
	n = 2
	for _, row := range r.Participations {
		for _, e := range row.UnconfirmedEntries {
			if omit.LedgerEntries {
				break
			}
			x.row(o, n, 0, "UNCONFIRMED_ENTRY", string(e.ID), string(row.Participation.ID), row.MunicipalityName,
				e.ValueDate, e.Amount, e.Reference, string(e.Stage), "no bank payment confirms this disbursement")
			n++
		}
		for _, bt := range row.OpenBankTransactions {
			if omit.BankLines {
				break
			}
			x.row(o, n, 0, "BANK_"+string(bt.Kind), string(bt.ID), string(row.Participation.ID), row.MunicipalityName,
				bt.ValueDate, bt.Amount, deref(bt.EndToEndID), string(bt.Status), deref(bt.Note))
			n++
		}
	}
	for _, bt := range r.UnattributedBankTransactions {
		if omit.BankLines {
			break
		}
		x.row(o, n, 0, "BANK_"+string(bt.Kind), string(bt.ID), "", deref(bt.CounterpartyName),
			bt.ValueDate, bt.Amount, deref(bt.EndToEndID), string(bt.Status), deref(bt.Note))
		n++
	}
	x.width(o, "A", "D", 28)
	x.width(o, "E", "H", 16)
	x.width(o, "I", "I", 60)
	if x.err != nil {
		return x.err
	}
	return f.Write(w)
}

// xlsxWriter writes cells and keeps the first error.
type xlsxWriter struct {
	f                            *excelize.File
	err                          error
	money, moneyBold, date, bold int
}

func (x *xlsxWriter) style(s *excelize.Style) int {
	if x.err != nil {
		return 0
	}
	id, err := x.f.NewStyle(s)
	x.err = err
	return id
}

func (x *xlsxWriter) sheet(name string) {
	if x.err == nil {
		_, x.err = x.f.NewSheet(name)
	}
}

func (x *xlsxWriter) width(sheet, from, to string, w float64) {
	if x.err == nil {
		x.err = x.f.SetColWidth(sheet, from, to, w)
	}
}

// row writes values from column A on; style (if not 0) applies to text
// cells and bold rows use the bold money style.
func (x *xlsxWriter) row(sheet string, n int, style int, values ...any) {
	for i, v := range values {
		if x.err != nil {
			return
		}
		cell, err := excelize.CoordinatesToCellName(i+1, n)
		if err != nil {
			x.err = err
			return
		}
		st := style
		switch v := v.(type) {
		case decimal.Decimal:
			// The exact decimal text becomes a numeric cell: no float.
			x.err = x.f.SetCellDefault(sheet, cell, v.StringFixed(2))
			st = x.money
			if style == x.bold && style != 0 {
				st = x.moneyBold
			}
		case time.Time:
			x.err = x.f.SetCellValue(sheet, cell, types.NormalizeDate(v))
			st = x.date
		case int:
			x.err = x.f.SetCellInt(sheet, cell, int64(v))
		case string:
			x.err = x.f.SetCellStr(sheet, cell, v)
		default:
			x.err = fmt.Errorf("xlsx: unsupported value %T", v)
		}
		if x.err == nil && st != 0 {
			x.err = x.f.SetCellStyle(sheet, cell, cell, st)
		}
	}
}
