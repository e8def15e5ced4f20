package reconcile

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// The camt.053 versions German banks deliver under the DFÜ agreement.
const (
	NamespaceCAMT053v02 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
	NamespaceCAMT053v08 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
)

// The structs below cover both versions: element names are the same where
// we read them; where .08 nests differently (Sts/Cd, Cdtr/Pty/Nm, an Amt
// directly in TxDtls) both places are read.
type camtDocument struct {
	XMLName xml.Name
	Msgs    []camtMessage `xml:"BkToCstmrStmt"`
}

type camtMessage struct {
	MsgID string     `xml:"GrpHdr>MsgId"`
	Stmts []camtStmt `xml:"Stmt"`
}

type camtStmt struct {
	ID      string      `xml:"Id"`
	IBAN    string      `xml:"Acct>Id>IBAN"`
	Entries []camtEntry `xml:"Ntry"`
}

type camtAmount struct {
	Value string `xml:",chardata"`
	Ccy   string `xml:"Ccy,attr"`
}

type camtDate struct {
	Dt   string `xml:"Dt"`
	DtTm string `xml:"DtTm"`
}

type camtStatus struct {
	Text string `xml:",chardata"` // .02: <Sts>BOOK</Sts>
	Cd   string `xml:"Cd"`        // .08: <Sts><Cd>BOOK</Cd></Sts>
}

type camtEntry struct {
	NtryRef     string       `xml:"NtryRef"`
	Amt         *camtAmount  `xml:"Amt"`
	CdtDbtInd   string       `xml:"CdtDbtInd"`
	RvslInd     string       `xml:"RvslInd"`
	Sts         camtStatus   `xml:"Sts"`
	BookgDt     *camtDate    `xml:"BookgDt"`
	ValDt       *camtDate    `xml:"ValDt"`
	AcctSvcrRef string       `xml:"AcctSvcrRef"`
	Txs         []camtTxDtls `xml:"NtryDtls>TxDtls"`
}

type camtParty struct {
	Nm    string `xml:"Nm"`
	PtyNm string `xml:"Pty>Nm"`
}

func (p *camtParty) name() string {
	if p == nil {
		return ""
	}
	if p.Nm != "" {
		return p.Nm
	}
	return p.PtyNm
}

type camtTxDtls struct {
	EndToEndID  string      `xml:"Refs>EndToEndId"`
	AcctSvcrRef string      `xml:"Refs>AcctSvcrRef"`
	Amt         *camtAmount `xml:"Amt"`               // .08
	TxAmt       *camtAmount `xml:"AmtDtls>TxAmt>Amt"` // .02 and .08
	CdtDbtInd   string      `xml:"CdtDbtInd"`
	Cdtr        *camtParty  `xml:"RltdPties>Cdtr"`
	CdtrIBAN    string      `xml:"RltdPties>CdtrAcct>Id>IBAN"`
	Dbtr        *camtParty  `xml:"RltdPties>Dbtr"`
	DbtrIBAN    string      `xml:"RltdPties>DbtrAcct>Id>IBAN"`
	Ustrd       []string    `xml:"RmtInf>Ustrd"`
}

// maxStatementBytes bounds what the parsers read.
const maxStatementBytes = 16 << 20

// ParseCAMT053 reads an ISO 20022 camt.053 statement (.001.02 or .001.08).
// Every booked entry (Sts BOOK) becomes a line; an entry with several
// transaction details (a batch booking) becomes one line per TxDtls, whose
// amounts must add up to the entry's. Pending and information-only entries
// are skipped: the final statement books them.
// Errors: INVALID_STATEMENT naming the element.
func ParseCAMT053(data []byte) (*File, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, invalid("the statement is empty")
	}
	if len(data) > maxStatementBytes {
		return nil, invalid("the statement is larger than %d bytes", maxStatementBytes)
	}
	dec := newCAMTDecoder(data)
	var doc camtDocument
	if err := dec.Decode(&doc); err != nil {
		var se *xml.SyntaxError
		if errors.As(err, &se) {
			return nil, invalid("not well-formed XML: line %d: %s", se.Line, se.Msg)
		}
		return nil, invalid("not a camt.053 document: %s", clip(err.Error()))
	}
	// Nothing but whitespace, comments or processing instructions may follow.
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return nil, invalid("not well-formed XML: line %d: %s", se.Line, se.Msg)
			}
			return nil, invalid("not well-formed XML: %s", clip(err.Error()))
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return nil, invalid("text after the Document element")
			}
		case xml.StartElement:
			return nil, invalid("element %s after the Document element", t.Name.Local)
		}
	}
	if doc.XMLName.Local != "Document" {
		return nil, invalid("the root element is %s, not Document", clip(doc.XMLName.Local))
	}
	switch doc.XMLName.Space {
	case NamespaceCAMT053v02, NamespaceCAMT053v08:
	default:
		return nil, invalid("unknown namespace %q: camt.053.001.02 and camt.053.001.08 are supported", clip(doc.XMLName.Space))
	}
	if err := checkNamespaces(data, doc.XMLName.Space); err != nil {
		return nil, err
	}
	if len(doc.Msgs) != 1 {
		return nil, invalid("Document needs exactly one BkToCstmrStmt")
	}
	msg := doc.Msgs[0]
	if len(msg.Stmts) == 0 {
		return nil, invalid("BkToCstmrStmt has no Stmt")
	}
	msgID, err := ident(msg.MsgID)
	if err != nil {
		return nil, invalid("GrpHdr/MsgId %v", err)
	}
	f := &File{MessageID: msgID}
	for si, st := range msg.Stmts {
		where := fmt.Sprintf("Stmt %d", si+1)
		id, err := ident(st.ID)
		if err != nil {
			return nil, invalid("%s: Id %v", where, err)
		}
		if id == "" {
			return nil, invalid("%s: Id is missing", where)
		}
		where = fmt.Sprintf("Stmt %d (Id %s)", si+1, id)
		iban, err := normIBAN(st.IBAN)
		if err != nil {
			return nil, invalid("%s: Acct/Id/IBAN %v", where, err)
		}
		stmtID := id
		if iban != "" {
			stmtID = iban + ":" + id
		}
		if len(stmtID) > maxIdentifier {
			return nil, invalid("%s: the statement identification is too long", where)
		}
		f.StatementIDs = append(f.StatementIDs, stmtID)
		for ei := range st.Entries {
			lines, err := camtEntryLines(&st.Entries[ei], fmt.Sprintf("%s, Ntry %d", where, ei+1), ei+1)
			if err != nil {
				return nil, err
			}
			for i := range lines {
				lines[i].StatementID, lines[i].AccountIBAN = stmtID, iban
			}
			f.Lines = append(f.Lines, lines...)
		}
	}
	if err := checkUnique(f.Lines); err != nil {
		return nil, err
	}
	return f, nil
}

func newCAMTDecoder(data []byte) *xml.Decoder {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.CharsetReader = func(charset string, input io.Reader) (io.Reader, error) {
		if strings.EqualFold(charset, "utf-8") || strings.EqualFold(charset, "utf8") {
			return input, nil
		}
		return nil, fmt.Errorf("encoding %q is not supported (UTF-8 only)", charset)
	}
	return dec
}

// xsiNamespace is the namespace of xsi:schemaLocation, which banks put on
// the Document element.
const xsiNamespace = "http://www.w3.org/2001/XMLSchema-instance"

// checkNamespaces refuses a document with an element in another namespace
// than its Document element (or in none), or an attribute in a namespace
// other than xsi: the structs above match elements by their local names,
// and would otherwise read a foreign Ntry or Amt as if it were camt.053.
// The one exception is the content of SplmtryData/Envlp, which ISO 20022
// leaves open to any namespace (xs:any) and which is never read.
// Errors: INVALID_STATEMENT naming the element (its path and line) and the
// namespace.
func checkNamespaces(data []byte, space string) error {
	dec := newCAMTDecoder(data)
	var path []string
	envlp := 0 // > 0 inside SplmtryData/Envlp: 1 at the Envlp itself, more in its content
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return invalid("not well-formed XML: %s", clip(err.Error()))
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if envlp > 0 {
				envlp++
				continue
			}
			path = append(path, t.Name.Local)
			line, _ := dec.InputPos()
			where := clip(strings.Join(path, "/"))
			if t.Name.Space != space {
				return invalid("line %d: element %s is in %s, not in the Document's namespace %q",
					line, where, namespaceName(t.Name.Space), space)
			}
			for _, a := range t.Attr {
				switch a.Name.Space {
				case "", "xmlns", xsiNamespace:
				default:
					return invalid("line %d: element %s: attribute %s is in %s, not in the Document's namespace %q",
						line, where, clip(a.Name.Local), namespaceName(a.Name.Space), space)
				}
			}
			if t.Name.Local == "Envlp" && len(path) > 1 && path[len(path)-2] == "SplmtryData" {
				envlp = 1
			}
		case xml.EndElement:
			if envlp > 1 {
				envlp--
				continue
			}
			envlp = 0
			if len(path) > 0 {
				path = path[:len(path)-1]
			}
		}
	}
}

func namespaceName(space string) string {
	if space == "" {
		return "no namespace"
	}
	return fmt.Sprintf("namespace %q", clip(space))
}

func camtEntryLines(e *camtEntry, where string, pos int) ([]Line, error) {
	status := strings.TrimSpace(e.Sts.Cd)
	if status == "" {
		status = strings.TrimSpace(e.Sts.Text)
	}
	switch status {
	case "BOOK":
	case "PDNG", "INFO", "FUTR":
		return nil, nil
	case "":
		return nil, invalid("%s: Sts is missing", where)
	default:
		return nil, invalid("%s: unknown Sts %q", where, clip(status))
	}
	ref, err := ident(e.NtryRef)
	if err != nil {
		return nil, invalid("%s: NtryRef %v", where, err)
	}
	bankRef, err := ident(e.AcctSvcrRef)
	if err != nil {
		return nil, invalid("%s: AcctSvcrRef %v", where, err)
	}
	key := ref
	if key == "" {
		key = bankRef
	}
	if key == "" {
		key = fmt.Sprintf("#%d", pos)
	}
	if ref != "" {
		where = fmt.Sprintf("%s (NtryRef %s)", where, ref)
	}
	if e.Amt == nil {
		return nil, invalid("%s: Amt is missing", where)
	}
	amount, ccy, err := camtAmountOf(e.Amt)
	if err != nil {
		return nil, invalidAmount(err, "%s: Amt %v", where, err)
	}
	debit, err := camtDirection(e.CdtDbtInd)
	if err != nil {
		return nil, invalid("%s: CdtDbtInd %v", where, err)
	}
	var reversal bool
	switch strings.TrimSpace(e.RvslInd) {
	case "", "false", "0":
	case "true", "1":
		reversal = true
	default:
		return nil, invalid("%s: RvslInd %q is not a boolean", where, clip(e.RvslInd))
	}
	booking, err := camtDay(e.BookgDt)
	if err != nil {
		return nil, invalid("%s: BookgDt %v", where, err)
	}
	value, err := camtDay(e.ValDt)
	if err != nil {
		return nil, invalid("%s: ValDt %v", where, err)
	}
	switch {
	case booking.IsZero() && value.IsZero():
		return nil, invalid("%s: BookgDt and ValDt are missing", where)
	case booking.IsZero():
		booking = value
	case value.IsZero():
		value = booking
	}
	base := Line{
		LineKey: key, BookingDate: booking, ValueDate: value, Debit: debit, Reversal: reversal,
		Amount: amount, Currency: ccy, BankReference: bankRef,
	}
	if len(e.Txs) == 0 {
		return []Line{base}, nil
	}
	lines := make([]Line, 0, len(e.Txs))
	sum := decimal.Zero
	for ti := range e.Txs {
		tx := &e.Txs[ti]
		twhere := fmt.Sprintf("%s, TxDtls %d", where, ti+1)
		l := base
		if len(e.Txs) > 1 {
			l.LineKey = fmt.Sprintf("%s/%d", key, ti+1)
			amt := tx.Amt
			if amt == nil {
				amt = tx.TxAmt
			}
			if amt == nil {
				return nil, invalid("%s: a batch booking needs the amount of each transaction (Amt or AmtDtls/TxAmt/Amt)", twhere)
			}
			if l.Amount, l.Currency, err = camtAmountOf(amt); err != nil {
				return nil, invalidAmount(err, "%s: Amt %v", twhere, err)
			}
			if l.Currency != ccy {
				return nil, invalid("%s: currency %s differs from the entry's %s", twhere, l.Currency, ccy)
			}
			sum = sum.Add(l.Amount)
		}
		if strings.TrimSpace(tx.CdtDbtInd) != "" {
			d, err := camtDirection(tx.CdtDbtInd)
			if err != nil {
				return nil, invalid("%s: CdtDbtInd %v", twhere, err)
			}
			if d != debit {
				return nil, invalid("%s: CdtDbtInd differs from the entry's", twhere)
			}
		}
		if l.EndToEndID, err = ident(tx.EndToEndID); err != nil {
			return nil, invalid("%s: Refs/EndToEndId %v", twhere, err)
		}
		if l.EndToEndID == "NOTPROVIDED" {
			l.EndToEndID = ""
		}
		if r, err := ident(tx.AcctSvcrRef); err != nil {
			return nil, invalid("%s: Refs/AcctSvcrRef %v", twhere, err)
		} else if r != "" {
			l.BankReference = r
		}
		// The counterparty is who received a debit, or who sent a credit.
		party, iban, other, otherIBAN := tx.Cdtr, tx.CdtrIBAN, tx.Dbtr, tx.DbtrIBAN
		if !debit {
			party, iban, other, otherIBAN = other, otherIBAN, party, iban
		}
		if party.name() == "" && strings.TrimSpace(iban) == "" {
			party, iban = other, otherIBAN
		}
		l.CounterpartyName = text(party.name(), maxName)
		if l.CounterpartyIBAN, err = normIBAN(iban); err != nil {
			return nil, invalid("%s: RltdPties IBAN %v", twhere, err)
		}
		l.Remittance = text(strings.Join(tx.Ustrd, " "), maxRemittance)
		lines = append(lines, l)
	}
	if len(e.Txs) > 1 && !sum.Equal(amount) {
		return nil, invalid("%s: the %d transactions add up to %s, not the entry's Amt %s",
			where, len(e.Txs), sum.StringFixed(2), amount.StringFixed(2))
	}
	return lines, nil
}

func camtAmountOf(a *camtAmount) (decimal.Decimal, string, error) {
	d, err := parseAmount(a.Value)
	if err != nil {
		return d, "", err
	}
	ccy := strings.TrimSpace(a.Ccy)
	if !isCurrency(ccy) {
		return d, "", fmt.Errorf("has no valid Ccy attribute (%q)", clip(ccy))
	}
	return d, ccy, nil
}

func isCurrency(s string) bool {
	if len(s) != 3 {
		return false
	}
	for _, r := range s {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

func camtDirection(s string) (debit bool, err error) {
	switch strings.TrimSpace(s) {
	case "DBIT":
		return true, nil
	case "CRDT":
		return false, nil
	}
	return false, fmt.Errorf("%q is neither DBIT nor CRDT", clip(s))
}

func camtDay(d *camtDate) (time.Time, error) {
	if d == nil {
		return time.Time{}, nil
	}
	switch {
	case strings.TrimSpace(d.Dt) != "":
		return parseDay(d.Dt)
	case strings.TrimSpace(d.DtTm) != "":
		return parseDay(d.DtTm)
	}
	return time.Time{}, fmt.Errorf("has neither Dt nor DtTm")
}
