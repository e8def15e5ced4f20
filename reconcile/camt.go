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

	"sicherkommunal/apperr"
)

// camtNamespacePrefix is the namespace of every camt.053 version, less its
// two version digits.
const camtNamespacePrefix = "urn:iso:std:iso:20022:tech:xsd:camt.053.001."

// The camt.053 versions read: .001.02 (the DFÜ agreement's long-standing
// one) to .001.13. The elements read have the same names and places in all
// of them; where later versions nest differently (Sts/Cd from .08 on,
// Dbtr/Pty/Nm from .08 on, Amt directly in TxDtls from .03 on) both places
// are read.
const (
	NamespaceCAMT053v02 = camtNamespacePrefix + "02"
	NamespaceCAMT053v08 = camtNamespacePrefix + "08"
	NamespaceCAMT053v13 = camtNamespacePrefix + "13"

	MinCAMT053Version = 2
	MaxCAMT053Version = 13
)

// CAMT053Version returns the version of a camt.053 namespace (8 for
// urn:iso:std:iso:20022:tech:xsd:camt.053.001.08), and whether it is one
// of the versions read.
func CAMT053Version(namespace string) (int, bool) {
	v, ok := strings.CutPrefix(namespace, camtNamespacePrefix)
	if !ok || len(v) != 2 || v[0] < '0' || v[0] > '9' || v[1] < '0' || v[1] > '9' {
		return 0, false
	}
	n := int(v[0]-'0')*10 + int(v[1]-'0')
	return n, n >= MinCAMT053Version && n <= MaxCAMT053Version
}

// One Ntry is decoded at a time into the structs below; the rest of the
// document is walked token by token.
type camtAmount struct {
	Value string `xml:",chardata"`
	Ccy   string `xml:"Ccy,attr"`
}

type camtDate struct {
	Dt   string `xml:"Dt"`
	DtTm string `xml:"DtTm"`
}

type camtStatus struct {
	Text  string `xml:",chardata"` // .02 to .07: <Sts>BOOK</Sts>
	Cd    string `xml:"Cd"`        // .08 on: <Sts><Cd>BOOK</Cd></Sts>
	Prtry string `xml:"Prtry"`     // .08 on: a proprietary status, not read
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
	Nm    string `xml:"Nm"`     // .02 to .07: Dbtr/Nm
	PtyNm string `xml:"Pty>Nm"` // .08 on: Dbtr/Pty/Nm
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
	Amt         *camtAmount `xml:"Amt"`               // .03 on
	TxAmt       *camtAmount `xml:"AmtDtls>TxAmt>Amt"` // every version
	CdtDbtInd   string      `xml:"CdtDbtInd"`         // .03 on
	Cdtr        *camtParty  `xml:"RltdPties>Cdtr"`
	CdtrIBAN    string      `xml:"RltdPties>CdtrAcct>Id>IBAN"`
	Dbtr        *camtParty  `xml:"RltdPties>Dbtr"`
	DbtrIBAN    string      `xml:"RltdPties>DbtrAcct>Id>IBAN"`
	Ustrd       []string    `xml:"RmtInf>Ustrd"`
}

// Limits of what the parsers read: a camt.053 statement is read as a
// stream, so its bound is the default upload limit of the GraphQL layer
// (64 MiB, some 75,000 entries); a CSV file is read whole, and its lines
// are much shorter (16 MiB, some 100,000 lines).
const (
	maxCAMTBytes      = 64 << 20
	maxStatementBytes = 16 << 20
)

// ParseCAMT053 reads an ISO 20022 camt.053 statement from memory; it is
// ParseCAMT053Reader on the bytes.
func ParseCAMT053(data []byte) (*File, error) {
	return ParseCAMT053Reader(bytes.NewReader(data))
}

// ParseCAMT053Reader reads an ISO 20022 camt.053 statement (.001.02 to
// .001.13) as a stream: the document is walked token by token and each
// Ntry decoded on its own, so that only the lines, never the document, are
// held. At most 64 MiB are read.
//
// Every booked entry (Sts BOOK) becomes a line; an entry with several
// transaction details (a batch booking) becomes one line per TxDtls, whose
// amounts must add up to the entry's. Pending and information-only entries
// are skipped: the final statement books them. A credit's counterparty is
// its Dbtr, a debit's its Cdtr; an entry without one has no counterparty.
//
// Every element must be in the Document's namespace, except the content
// of SplmtryData/Envlp, which ISO 20022 leaves open to any namespace and
// which is never read; attributes may be in no namespace or in xsi.
//
// Errors: INVALID_STATEMENT naming the element (and for a namespace its
// path and line); INVALID_AMOUNT for an amount above the ceiling; an error
// of r itself is returned wrapped, without a code.
func ParseCAMT053Reader(r io.Reader) (*File, error) {
	src := &statementSource{r: r, max: maxCAMTBytes}
	var charset string
	toks := &camtTokens{dec: newCAMTDecoder(src, &charset)}
	p := &camtParser{dec: xml.NewTokenDecoder(toks), toks: toks, f: &File{}}
	if err := p.document(); err != nil {
		if charset != "" {
			return nil, invalid("the encoding %q is not read: camt.053 statements are UTF-8", clip(charset))
		}
		return nil, camtError(err)
	}
	if err := checkUnique(p.f.Lines); err != nil {
		return nil, err
	}
	return p.f, nil
}

// errTooLarge is what statementSource returns past its limit.
var errTooLarge = errors.New("the statement is too large")

// readError marks an error of the statement's reader, to tell it from an
// error of the document.
type readError struct{ err error }

func (e *readError) Error() string { return "reading the statement: " + e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// statementSource reads at most max bytes of r, and marks r's errors.
type statementSource struct {
	r    io.Reader
	max  int64
	read int64
}

func (s *statementSource) Read(p []byte) (int, error) {
	if s.read > s.max {
		return 0, errTooLarge
	}
	if room := s.max + 1 - s.read; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := s.r.Read(p)
	s.read += int64(n)
	switch {
	case s.read > s.max:
		return n, errTooLarge
	case err != nil && err != io.EOF:
		return n, &readError{err}
	}
	return n, err
}

// camtError turns what stopped the walk into the error of the parse.
func camtError(err error) error {
	var (
		se *xml.SyntaxError
		re *readError
	)
	switch {
	case errors.Is(err, errTooLarge):
		return invalid("the statement is larger than %d bytes", maxCAMTBytes)
	case errors.As(err, &re):
		return re
	case isCoded(err):
		return err
	case errors.As(err, &se):
		return invalid("not well-formed XML: line %d: %s", se.Line, se.Msg)
	case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("not well-formed XML: the document ends early")
	}
	return invalid("not well-formed XML: %s", clip(err.Error()))
}

func isCoded(err error) bool { return apperr.CodeOf(err) != "" }

// newCAMTDecoder is a decoder of UTF-8 documents: another encoding in the
// XML declaration stops it, with *charset set to that encoding.
func newCAMTDecoder(r io.Reader, charset *string) *xml.Decoder {
	dec := xml.NewDecoder(r)
	dec.CharsetReader = func(name string, input io.Reader) (io.Reader, error) {
		if strings.EqualFold(name, "utf-8") || strings.EqualFold(name, "utf8") {
			return input, nil
		}
		*charset = name
		return nil, fmt.Errorf("encoding %q is not supported (UTF-8 only)", name)
	}
	return dec
}

// xsiNamespace is the namespace of xsi:schemaLocation, which banks put on
// the Document element.
const xsiNamespace = "http://www.w3.org/2001/XMLSchema-instance"

// camtTokens is the token source of the parser: the tokens of a
// namespace-translating decoder, each element checked as it passes (also
// inside the Ntry that the parser decodes whole). The root must be a
// Document in a camt.053 namespace read here, and every element below it
// in that namespace, or the walk stops: the structs above match elements
// by their local names, and would otherwise read a foreign Ntry or Amt as
// if it were camt.053.
type camtTokens struct {
	dec   *xml.Decoder
	space string   // the Document's namespace
	path  []string // local names from the Document to the current element
	envlp int      // > 0 inside SplmtryData/Envlp: 1 at the Envlp itself, more in its content
	roots int      // top-level elements seen
}

func (c *camtTokens) Token() (xml.Token, error) {
	tok, err := c.dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case xml.StartElement:
		if c.envlp > 0 {
			c.envlp++
			return tok, nil
		}
		c.path = append(c.path, t.Name.Local)
		if len(c.path) == 1 {
			if c.roots++; c.roots > 1 {
				return nil, invalid("element %s after the Document element", clip(t.Name.Local))
			}
			if t.Name.Local != "Document" {
				return nil, invalid("the root element is %s, not Document", clip(t.Name.Local))
			}
			if _, ok := CAMT053Version(t.Name.Space); !ok {
				return nil, invalid("unknown namespace %q: camt.053.001.%02d to camt.053.001.%02d are read",
					clip(t.Name.Space), MinCAMT053Version, MaxCAMT053Version)
			}
			c.space = t.Name.Space
		}
		if t.Name.Space != c.space {
			line, _ := c.dec.InputPos()
			return nil, invalid("line %d: element %s is in %s, not in the Document's namespace %q",
				line, c.where(), namespaceName(t.Name.Space), c.space)
		}
		for _, a := range t.Attr {
			switch a.Name.Space {
			case "", "xmlns", xsiNamespace:
			default:
				line, _ := c.dec.InputPos()
				return nil, invalid("line %d: element %s: attribute %s is in %s, not in the Document's namespace %q",
					line, c.where(), clip(a.Name.Local), namespaceName(a.Name.Space), c.space)
			}
		}
		if t.Name.Local == "Envlp" && len(c.path) > 1 && c.path[len(c.path)-2] == "SplmtryData" {
			c.envlp = 1
		}
	case xml.EndElement:
		if c.envlp > 1 {
			c.envlp--
			return tok, nil
		}
		c.envlp = 0
		if len(c.path) > 0 {
			c.path = c.path[:len(c.path)-1]
		}
	}
	return tok, nil
}

func (c *camtTokens) where() string { return clip(strings.Join(c.path, "/")) }

func namespaceName(space string) string {
	if space == "" {
		return "no namespace"
	}
	return fmt.Sprintf("namespace %q", clip(space))
}

// camtParser walks the document: dec reads from toks.
type camtParser struct {
	dec  *xml.Decoder
	toks *camtTokens
	f    *File
}

// document reads the whole document, up to the end of its input.
func (p *camtParser) document() error {
	// Before the Document: the XML declaration, comments, processing
	// instructions, a document type, whitespace.
	empty := true
	for {
		tok, err := p.dec.Token()
		if err == io.EOF {
			if empty {
				return invalid("the statement is empty")
			}
			return invalid("not a camt.053 document: it has no Document element")
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return invalid("not a camt.053 document: text before the Document element")
			}
			continue
		case xml.StartElement: // the Document: camtTokens checked it
		default:
			empty = false
			continue
		}
		break
	}
	msgs := 0
	for {
		tok, err := p.dec.Token()
		if err != nil {
			return err
		}
		if t, ok := tok.(xml.StartElement); ok {
			if t.Name.Local != "BkToCstmrStmt" {
				if err := p.dec.Skip(); err != nil {
					return err
				}
				continue
			}
			if msgs++; msgs > 1 {
				return invalid("Document needs exactly one BkToCstmrStmt")
			}
			if err := p.message(); err != nil {
				return err
			}
			continue
		}
		if _, ok := tok.(xml.EndElement); ok {
			break
		}
	}
	if msgs != 1 {
		return invalid("Document needs exactly one BkToCstmrStmt")
	}
	// Nothing but whitespace, comments or processing instructions may follow.
	for {
		tok, err := p.dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if t, ok := tok.(xml.CharData); ok && len(bytes.TrimSpace(t)) > 0 {
			return invalid("text after the Document element")
		}
	}
}

// message reads BkToCstmrStmt: its GrpHdr/MsgId and every Stmt.
func (p *camtParser) message() error {
	stmts, hdrs := 0, 0
	for {
		tok, err := p.dec.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "GrpHdr":
				if hdrs++; hdrs > 1 {
					return invalid("BkToCstmrStmt has two GrpHdr")
				}
				var h struct {
					MsgID string `xml:"MsgId"`
				}
				if err := p.dec.DecodeElement(&h, &t); err != nil {
					return err
				}
				if p.f.MessageID, err = ident(h.MsgID); err != nil {
					return invalid("GrpHdr/MsgId %v", err)
				}
			case "Stmt":
				stmts++
				if err := p.statement(stmts); err != nil {
					return err
				}
			default:
				if err := p.dec.Skip(); err != nil {
					return err
				}
			}
		case xml.EndElement:
			if stmts == 0 {
				return invalid("BkToCstmrStmt has no Stmt")
			}
			return nil
		}
	}
}

// statement reads the n-th Stmt: its Id and Acct/Id/IBAN, then its
// entries one by one.
func (p *camtParser) statement(n int) error {
	where := fmt.Sprintf("Stmt %d", n)
	var id, iban string
	var acct bool
	first := len(p.f.Lines)
	entries := 0
	for {
		tok, err := p.dec.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "Id":
				if id != "" {
					return invalid("%s: Id appears twice", where)
				}
				var s string
				if err := p.dec.DecodeElement(&s, &t); err != nil {
					return err
				}
				if id, err = ident(s); err != nil {
					return invalid("%s: Id %v", where, err)
				}
				if id == "" {
					return invalid("%s: Id is missing", where)
				}
				where = fmt.Sprintf("Stmt %d (Id %s)", n, id)
			case "Acct":
				if acct {
					return invalid("%s: Acct appears twice", where)
				}
				acct = true
				var a struct {
					IBAN string `xml:"Id>IBAN"`
				}
				if err := p.dec.DecodeElement(&a, &t); err != nil {
					return err
				}
				if iban, err = normIBAN(a.IBAN); err != nil {
					return invalid("%s: Acct/Id/IBAN %v", where, err)
				}
			case "Ntry":
				entries++
				if id == "" {
					return invalid("%s: Id is missing (before Ntry %d)", where, entries)
				}
				var e camtEntry
				if err := p.dec.DecodeElement(&e, &t); err != nil {
					return err
				}
				lines, err := camtEntryLines(&e, fmt.Sprintf("%s, Ntry %d", where, entries), entries)
				if err != nil {
					return err
				}
				p.f.Lines = append(p.f.Lines, lines...)
			default:
				if err := p.dec.Skip(); err != nil {
					return err
				}
			}
		case xml.EndElement:
			if id == "" {
				return invalid("%s: Id is missing", where)
			}
			stmtID := id
			if iban != "" {
				stmtID = iban + ":" + id
			}
			if len(stmtID) > maxIdentifier {
				return invalid("%s: the statement identification is too long", where)
			}
			p.f.StatementIDs = append(p.f.StatementIDs, stmtID)
			for i := first; i < len(p.f.Lines); i++ {
				p.f.Lines[i].StatementID, p.f.Lines[i].AccountIBAN = stmtID, iban
			}
			return nil
		}
	}
}

func camtEntryLines(e *camtEntry, where string, pos int) ([]Line, error) {
	status := strings.TrimSpace(e.Sts.Cd)
	if status == "" {
		status = strings.TrimSpace(e.Sts.Text)
	}
	if status == "" && strings.TrimSpace(e.Sts.Prtry) != "" {
		return nil, invalid("%s: Sts has the proprietary code %q, not BOOK, PDNG, INFO or FUTR", where, clip(strings.TrimSpace(e.Sts.Prtry)))
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
		// The counterparty is who received a debit (Cdtr), or who sent a
		// credit (Dbtr); without that party there is none: the other party
		// of the transaction is the account itself.
		party, iban := tx.Cdtr, tx.CdtrIBAN
		if !debit {
			party, iban = tx.Dbtr, tx.DbtrIBAN
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
