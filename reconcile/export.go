package reconcile

import (
	"encoding/csv"
	"fmt"
	"io"
	"time"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"sicherkommunal/ent"
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

// reportLine is one line of the Participations view in the columns of
// CSVColumns, a participation's or the TOTAL: the CSV and the XLSX export
// write the same lines, each in its own cells (line.csv, line.cells).
type reportLine struct {
	id, ags, name         string
	stage1, stage2, total Figures
	unconfirmed, open     int
}

// line is a participation's line: its counts are of its own open items.
func (r *ReconciliationRow) line() reportLine {
	return reportLine{id: string(r.Participation.ID), ags: r.Ags, name: r.MunicipalityName,
		stage1: r.Stage1, stage2: r.Stage2, total: r.Total,
		unconfirmed: len(r.UnconfirmedEntries), open: len(r.OpenBankTransactions)}
}

// totalLine is the TOTAL line: its open count also counts the unattributed
// bank lines, which no participation's line shows.
func (r *Reconciliation) totalLine() reportLine {
	t := r.Totals
	return reportLine{id: "TOTAL", stage1: t.Stage1, stage2: t.Stage2, total: t.Total,
		unconfirmed: t.UnconfirmedEntries, open: t.OpenBankTransactions + t.UnattributedBankTransactions}
}

// csv is the line as a CSV record: text through CSVText, numbers as the
// server formats them (csvRow).
func (l reportLine) csv() csvRow {
	return csvRow{}.text(l.id, l.ags, l.name).
		figures(l.stage1).figures(l.stage2).figures(l.total).
		count(l.unconfirmed, l.open)
}

// cells is the line as XLSX cells: amounts as decimals (numeric cells),
// counts as ints.
func (l reportLine) cells() []any {
	out := []any{l.id, l.ags, l.name}
	for _, f := range []Figures{l.stage1, l.stage2, l.total} {
		out = append(out, f.LedgerPaid, f.BankConfirmed, f.Difference)
	}
	return append(out, l.unconfirmed, l.open)
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
		if err := cw.Write(row.line().csv()); err != nil {
			return err
		}
	}
	if err := cw.Write(r.totalLine().csv()); err != nil {
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
	x := newXLSXWriter(f)
	if x.err == nil {
		x.err = f.SetSheetName("Sheet1", SheetSummary)
	}
	x.summarySheet(r)
	x.participationsSheet(r)
	x.openItemsSheet(r, omit)
	if x.err != nil {
		return x.err
	}
	return f.Write(w)
}

// newXLSXWriter makes the styles the sheets use, once per workbook, before
// any cell: xlsxWriter.row picks them by the kind of each value.
func newXLSXWriter(f *excelize.File) *xlsxWriter {
	x := &xlsxWriter{f: f}
	numFmt, dateFmt, bold := "#,##0.00", "yyyy-mm-dd", &excelize.Font{Bold: true}
	x.money = x.style(&excelize.Style{CustomNumFmt: &numFmt})
	x.moneyBold = x.style(&excelize.Style{CustomNumFmt: &numFmt, Font: bold})
	x.date = x.style(&excelize.Style{CustomNumFmt: &dateFmt})
	x.bold = x.style(&excelize.Style{Font: bold})
	return x
}

// summarySheet writes the Summary sheet: the programme and period, the
// figures per stage and in total, and the counts of open items, which stay
// whatever a reader may not see line by line.
func (x *xlsxWriter) summarySheet(r *Reconciliation) {
	s, t := SheetSummary, r.Totals
	stage := func(label string, f Figures) []any { return []any{label, f.LedgerPaid, f.BankConfirmed, f.Difference} }
	x.row(s, 1, x.bold, "Reconciliation", r.Program.Name)
	x.row(s, 2, 0, "From", r.From)
	x.row(s, 3, 0, "To", r.To)
	x.row(s, 5, x.bold, "Stage", "Ledger paid", "Bank confirmed", "Difference")
	x.row(s, 6, 0, stage("Stage 1", t.Stage1)...)
	x.row(s, 7, 0, stage("Stage 2", t.Stage2)...)
	x.row(s, 8, x.bold, stage("Total", t.Total)...)
	x.row(s, 10, 0, "Participations", len(r.Participations))
	x.row(s, 11, 0, "Unconfirmed ledger entries", t.UnconfirmedEntries)
	x.row(s, 12, 0, "Open bank transactions", t.OpenBankTransactions)
	x.row(s, 13, 0, "Unattributed bank transactions", t.UnattributedBankTransactions)
	x.width(s, "A", "A", 32)
	x.width(s, "B", "D", 18)
}

// participationsSheet writes the Participations sheet: the CSV's header,
// lines and TOTAL (reportLine), with numeric cells.
func (x *xlsxWriter) participationsSheet(r *Reconciliation) {
	p := SheetParticipations
	x.sheet(p)
	head := make([]any, len(CSVColumns))
	for i, c := range CSVColumns {
		head[i] = c
	}
	x.row(p, 1, x.bold, head...)
	n := 2
	for _, row := range r.Participations {
		x.row(p, n, 0, row.line().cells()...)
		n++
	}
	x.row(p, n, x.bold, r.totalLine().cells()...)
	x.width(p, "A", "A", 30)
	x.width(p, "C", "C", 30)
	x.width(p, "D", "N", 16)
}

// openItemsSheet writes the Open items sheet: per participation its
// unconfirmed entries and open bank lines, then the unattributed lines.
// What omit names is left out, so that a reader sees only the items the
// role may read.
func (x *xlsxWriter) openItemsSheet(r *Reconciliation, omit Omit) {
	o := SheetOpenItems
	x.sheet(o)
	x.row(o, 1, x.bold, "item", "id", "participation_id", "municipality", "value_date", "amount", "reference", "status", "note")
	n := 2
	for _, row := range r.Participations {
		pid := string(row.Participation.ID)
		if !omit.LedgerEntries {
			for _, e := range row.UnconfirmedEntries {
				x.row(o, n, 0, "UNCONFIRMED_ENTRY", string(e.ID), pid, row.MunicipalityName,
					e.ValueDate, e.Amount, e.Reference, string(e.Stage), "no bank payment confirms this disbursement")
				n++
			}
		}
		if !omit.BankLines {
			for _, bt := range row.OpenBankTransactions {
				x.row(o, n, 0, openBankCells(bt, pid, row.MunicipalityName)...)
				n++
			}
		}
	}
	if !omit.BankLines {
		for _, bt := range r.UnattributedBankTransactions {
			x.row(o, n, 0, openBankCells(bt, "", deref(bt.CounterpartyName))...)
			n++
		}
	}
	x.width(o, "A", "D", 28)
	x.width(o, "E", "H", 16)
	x.width(o, "I", "I", 60)
}

// openBankCells is an open bank line on the Open items sheet, under a
// participation (pid and its Kommune's name) or, unattributed, under no
// participation with the counterparty's name.
func openBankCells(bt *ent.BankTransaction, pid, name string) []any {
	return []any{"BANK_" + string(bt.Kind), string(bt.ID), pid, name,
		bt.ValueDate, bt.Amount, deref(bt.EndToEndID), string(bt.Status), deref(bt.Note)}
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
