package reconcile

import (
	"strconv"

	"github.com/shopspring/decimal"
)

// CSVText neutralises a CSV cell that a spreadsheet would take for a
// formula ("CSV injection", OWASP): a cell that begins with =, +, -, @, a
// tab or a carriage return gets a single quote in front, which spreadsheets
// read as "this is text" and do not show. Every other cell is returned as
// it is. Quoting of separators and quotes is encoding/csv's business.
//
// Every CSV the server writes passes its text cells through this function
// (through csvRow.text); only numbers the server formats itself are not
// text (csvRow.money, csvRow.count).
func CSVText(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// csvRow builds one CSV record; every cell goes through one of its methods.
//
// text is for everything that is or may be text: identifiers, names (a
// municipality's name is typed by people), labels and headers. It is
// neutralised by CSVText.
//
// money and count are for numbers the server formats itself, from a
// decimal.Decimal ("-500.00") or an int ("3"). They are written without a
// quote even when negative: such a cell is digits with at most a leading
// minus and a decimal point, which every spreadsheet reads as a number and
// none as a formula, and a quote would turn a negative difference into
// text that columns no longer sum. No user's text ever reaches these
// methods.
type csvRow []string

func (r csvRow) text(cells ...string) csvRow {
	for _, c := range cells {
		r = append(r, CSVText(c))
	}
	return r
}

func (r csvRow) money(amounts ...decimal.Decimal) csvRow {
	for _, d := range amounts {
		r = append(r, d.StringFixed(2))
	}
	return r
}

func (r csvRow) count(ns ...int) csvRow {
	for _, n := range ns {
		r = append(r, strconv.Itoa(n))
	}
	return r
}
