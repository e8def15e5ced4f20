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
func ParseCAMT053(data []byte, loc *time.Location) (*File, error) {
	return ParseCAMT053Reader(bytes.NewReader(data), loc)
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
// A DtTm is the day it is in loc, the programme's time zone (parseDay).
//
// Every element must be in the Document's namespace, except the content
// of SplmtryData/Envlp, which ISO 20022 leaves open to any namespace and
// which is never read; attributes may be in no namespace or in xsi.
//
// Errors: INVALID_STATEMENT naming the element (and for a namespace its
// path and line); INVALID_AMOUNT for an amount above the ceiling; an error
// of r itself is returned wrapped, without a code, and so is a nil loc.
func ParseCAMT053Reader(r io.Reader, loc *time.Location) (*File, error) {
	if err := checkZone(loc); err != nil {
		return nil, err
	}
	src := &statementSource{r: r, max: maxCAMTBytes}
	var charset string
	toks := &camtTokens{dec: newCAMTDecoder(src, &charset)}
	p := &camtParser{dec: xml.NewTokenDecoder(toks), toks: toks, f: &File{}, loc: loc}
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

// camtParser walks the document: dec reads from toks; loc is the
// programme's time zone, for the entries' date-times.
type camtParser struct {
	dec  *xml.Decoder
	toks *camtTokens
	f    *File
	loc  *time.Location
}

// document reads the whole document, up to the end of its input.
func (p *camtParser) document() error {
	if err := p.prolog(); err != nil {
		return err
	}
	if err := p.documentContent(); err != nil {
		return err
	}
	return p.epilog()
}

// prolog reads up to the Document's start: the XML declaration, comments,
// processing instructions, a document type and whitespace may come
// before it, text may not. camtTokens has checked the Document element.
func (p *camtParser) prolog() error {
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
		case xml.StartElement:
			return nil
		default:
			empty = false
		}
	}
}

// documentContent reads the Document's children up to its end: exactly
// one BkToCstmrStmt, which is read; any other element is skipped.
func (p *camtParser) documentContent() error {
	msgs := 0
	for {
		tok, err := p.dec.Token()
		if err != nil {
			return err
		}
		if _, ok := tok.(xml.EndElement); ok {
			break
		}
		t, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
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
	}
	if msgs != 1 {
		return invalid("Document needs exactly one BkToCstmrStmt")
	}
	return nil
}

// epilog reads to the end of the input after the Document: nothing but
// whitespace, comments or processing instructions may follow (camtTokens
// refuses a second element): a file with more is not one camt.053
// document.
func (p *camtParser) epilog() error {
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

// camtStatement is what the walk knows of the Stmt it is in.
type camtStatement struct {
	n       int    // its position in the message
	where   string // its name in messages: "Stmt n", with its Id once read
	id      string
	iban    string // of Acct/Id/IBAN, when there is one
	acct    bool   // Acct seen
	first   int    // its first line in File.Lines
	entries int    // Ntry elements seen
}

// statement reads the n-th Stmt: its Id and Acct/Id/IBAN, then its
// entries one by one; elements it does not read are skipped.
func (p *camtParser) statement(n int) error {
	st := &camtStatement{n: n, where: fmt.Sprintf("Stmt %d", n), first: len(p.f.Lines)}
	for {
		tok, err := p.dec.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "Id":
				err = p.statementID(st, &t)
			case "Acct":
				err = p.statementAccount(st, &t)
			case "Ntry":
				err = p.entry(st, &t)
			default:
				err = p.dec.Skip()
			}
			if err != nil {
				return err
			}
		case xml.EndElement:
			return p.endStatement(st)
		}
	}
}

// statementID reads the statement's Id, which its lines are stored under:
// exactly one, not empty.
func (p *camtParser) statementID(st *camtStatement, t *xml.StartElement) error {
	if st.id != "" {
		return invalid("%s: Id appears twice", st.where)
	}
	var s string
	if err := p.dec.DecodeElement(&s, t); err != nil {
		return err
	}
	var err error
	if st.id, err = ident(s); err != nil {
		return invalid("%s: Id %v", st.where, err)
	}
	if st.id == "" {
		return invalid("%s: Id is missing", st.where)
	}
	st.where = fmt.Sprintf("Stmt %d (Id %s)", st.n, st.id)
	return nil
}

// statementAccount reads the account's IBAN (Acct/Id/IBAN), at most once:
// banks number statements per account, so it becomes part of the
// statement's key.
func (p *camtParser) statementAccount(st *camtStatement, t *xml.StartElement) error {
	if st.acct {
		return invalid("%s: Acct appears twice", st.where)
	}
	st.acct = true
	var a struct {
		IBAN string `xml:"Id>IBAN"`
	}
	if err := p.dec.DecodeElement(&a, t); err != nil {
		return err
	}
	var err error
	if st.iban, err = normIBAN(a.IBAN); err != nil {
		return invalid("%s: Acct/Id/IBAN %v", st.where, err)
	}
	return nil
}

// entry decodes one Ntry, the only part of the document held whole, and
// adds its lines. The Id must come first: the entry's messages name it.
func (p *camtParser) entry(st *camtStatement, t *xml.StartElement) error {
	st.entries++
	if st.id == "" {
		return invalid("%s: Id is missing (before Ntry %d)", st.where, st.entries)
	}
	var e camtEntry
	if err := p.dec.DecodeElement(&e, t); err != nil {
		return err
	}
	lines, err := camtEntryLines(&e, fmt.Sprintf("%s, Ntry %d", st.where, st.entries), st.entries, p.loc)
	if err != nil {
		return err
	}
	p.f.Lines = append(p.f.Lines, lines...)
	return nil
}

// endStatement gives the statement's lines its key and account: the walk
// does not require Acct before the entries, so only the statement's end
// knows them.
func (p *camtParser) endStatement(st *camtStatement) error {
	if st.id == "" {
		return invalid("%s: Id is missing", st.where)
	}
	stmtID := statementKey(st.iban, st.id)
	if len(stmtID) > maxIdentifier {
		return invalid("%s: the statement identification is too long", st.where)
	}
	p.f.StatementIDs = append(p.f.StatementIDs, stmtID)
	for i := st.first; i < len(p.f.Lines); i++ {
		p.f.Lines[i].StatementID, p.f.Lines[i].AccountIBAN = stmtID, st.iban
	}
	return nil
}

// camtEntryLines turns the pos-th Ntry of its statement into lines: none
// for an entry not booked, one for a single booking, one per TxDtls for a
// batch booking. where names the entry in messages; its date-times are
// read in loc.
func camtEntryLines(e *camtEntry, where string, pos int, loc *time.Location) ([]Line, error) {
	booked, err := camtBooked(e, where)
	if err != nil || !booked {
		return nil, err
	}
	var base Line
	if where, err = camtEntryKey(e, where, pos, &base); err != nil {
		return nil, err
	}
	if err := camtEntryBooking(e, where, &base); err != nil {
		return nil, err
	}
	if err := camtEntryDates(e, where, &base, loc); err != nil {
		return nil, err
	}
	if len(e.Txs) == 0 {
		return []Line{base}, nil
	}
	batch := len(e.Txs) > 1
	lines := make([]Line, 0, len(e.Txs))
	for ti := range e.Txs {
		l, err := camtTxLine(&e.Txs[ti], base, batch, ti+1, fmt.Sprintf("%s, TxDtls %d", where, ti+1))
		if err != nil {
			return nil, err
		}
		lines = append(lines, l)
	}
	if batch {
		if err := camtBatchSum(lines, base.Amount, where); err != nil {
			return nil, err
		}
	}
	return lines, nil
}

// camtBooked reads the entry's status (Sts, or Sts/Cd from .08 on): only
// a booked entry (BOOK) is a line; pending, information-only and future
// entries are skipped, as the final statement books them. A proprietary
// or unknown status is refused rather than guessed.
func camtBooked(e *camtEntry, where string) (bool, error) {
	status := strings.TrimSpace(e.Sts.Cd)
	if status == "" {
		status = strings.TrimSpace(e.Sts.Text)
	}
	if status == "" && strings.TrimSpace(e.Sts.Prtry) != "" {
		return false, invalid("%s: Sts has the proprietary code %q, not BOOK, PDNG, INFO or FUTR", where, clip(strings.TrimSpace(e.Sts.Prtry)))
	}
	switch status {
	case "BOOK":
		return true, nil
	case "PDNG", "INFO", "FUTR":
		return false, nil
	case "":
		return false, invalid("%s: Sts is missing", where)
	}
	return false, invalid("%s: unknown Sts %q", where, clip(status))
}

// camtEntryKey sets the entry's line key and bank reference, and returns
// where with the NtryRef for the messages that follow. The key is the
// NtryRef, else the bank's AcctSvcrRef, else the entry's position #pos:
// a statement sent again gives the same line the same key, so it is not
// stored twice.
func camtEntryKey(e *camtEntry, where string, pos int, l *Line) (string, error) {
	ref, err := ident(e.NtryRef)
	if err != nil {
		return where, invalid("%s: NtryRef %v", where, err)
	}
	if l.BankReference, err = ident(e.AcctSvcrRef); err != nil {
		return where, invalid("%s: AcctSvcrRef %v", where, err)
	}
	switch {
	case ref != "":
		l.LineKey = ref
	case l.BankReference != "":
		l.LineKey = l.BankReference
	default:
		l.LineKey = fmt.Sprintf("#%d", pos)
	}
	if ref != "" {
		where = fmt.Sprintf("%s (NtryRef %s)", where, ref)
	}
	return where, nil
}

// camtEntryBooking sets what the entry booked: its amount and currency,
// its direction (CdtDbtInd) and reversal indicator (RvslInd), which
// together give the line's kind.
func camtEntryBooking(e *camtEntry, where string, l *Line) error {
	if e.Amt == nil {
		return invalid("%s: Amt is missing", where)
	}
	var err error
	if l.Amount, l.Currency, err = camtAmountOf(e.Amt); err != nil {
		return invalidAmount(err, "%s: Amt %v", where, err)
	}
	if l.Debit, err = camtDirection(e.CdtDbtInd); err != nil {
		return invalid("%s: CdtDbtInd %v", where, err)
	}
	switch strings.TrimSpace(e.RvslInd) {
	case "", "false", "0":
	case "true", "1":
		l.Reversal = true
	default:
		return invalid("%s: RvslInd %q is not a boolean", where, clip(e.RvslInd))
	}
	return nil
}

// camtEntryDates sets the booking and value dates; an entry with only one
// of them takes it for both, since every line needs both: the report and
// the matcher go by the value date, the overdue check by the booking date.
// A DtTm is the day it is in loc.
func camtEntryDates(e *camtEntry, where string, l *Line, loc *time.Location) error {
	booking, err := camtDay(e.BookgDt, loc)
	if err != nil {
		return invalid("%s: BookgDt %v", where, err)
	}
	value, err := camtDay(e.ValDt, loc)
	if err != nil {
		return invalid("%s: ValDt %v", where, err)
	}
	switch {
	case booking.IsZero() && value.IsZero():
		return invalid("%s: BookgDt and ValDt are missing", where)
	case booking.IsZero():
		booking = value
	case value.IsZero():
		value = booking
	}
	l.BookingDate, l.ValueDate = booking, value
	return nil
}

// camtTxLine is the line of the n-th TxDtls of an entry: the entry's line
// (base) with the transaction's amount when it is part of a batch, and
// its references, counterparty and remittance text.
func camtTxLine(tx *camtTxDtls, base Line, batch bool, n int, where string) (Line, error) {
	l := base
	if batch {
		l.LineKey = fmt.Sprintf("%s/%d", base.LineKey, n)
		if err := camtBatchAmount(tx, where, base.Currency, &l); err != nil {
			return Line{}, err
		}
	}
	if strings.TrimSpace(tx.CdtDbtInd) != "" {
		d, err := camtDirection(tx.CdtDbtInd)
		if err != nil {
			return Line{}, invalid("%s: CdtDbtInd %v", where, err)
		}
		if d != base.Debit {
			return Line{}, invalid("%s: CdtDbtInd differs from the entry's", where)
		}
	}
	if err := camtTxReferences(tx, where, &l); err != nil {
		return Line{}, err
	}
	if err := camtCounterparty(tx, where, &l); err != nil {
		return Line{}, err
	}
	l.Remittance = text(strings.Join(tx.Ustrd, " "), maxRemittance)
	return l, nil
}

// camtBatchAmount sets the amount of one transaction of a batch booking:
// Amt directly in TxDtls (.03 on) or AmtDtls/TxAmt/Amt (every version),
// in the entry's currency. (A single booking keeps the entry's amount;
// its transaction's amount is not read.)
func camtBatchAmount(tx *camtTxDtls, where, ccy string, l *Line) error {
	amt := tx.Amt
	if amt == nil {
		amt = tx.TxAmt
	}
	if amt == nil {
		return invalid("%s: a batch booking needs the amount of each transaction (Amt or AmtDtls/TxAmt/Amt)", where)
	}
	var err error
	if l.Amount, l.Currency, err = camtAmountOf(amt); err != nil {
		return invalidAmount(err, "%s: Amt %v", where, err)
	}
	if l.Currency != ccy {
		return invalid("%s: currency %s differs from the entry's %s", where, l.Currency, ccy)
	}
	return nil
}

// camtBatchSum refuses a batch booking whose transactions do not add up
// to the entry's amount: its lines would then not be what the bank
// booked, and the report would confirm other sums than the statement.
func camtBatchSum(lines []Line, amount decimal.Decimal, where string) error {
	sum := decimal.Zero
	for i := range lines {
		sum = sum.Add(lines[i].Amount)
	}
	if !sum.Equal(amount) {
		return invalid("%s: the %d transactions add up to %s, not the entry's Amt %s",
			where, len(lines), sum.StringFixed(2), amount.StringFixed(2))
	}
	return nil
}

// camtTxReferences sets the transaction's end-to-end id (the payer's
// reference, which the matcher looks for) and its own AcctSvcrRef, which
// replaces the entry's when the bank gives one.
func camtTxReferences(tx *camtTxDtls, where string, l *Line) error {
	var err error
	if l.EndToEndID, err = endToEndID(tx.EndToEndID); err != nil {
		return invalid("%s: Refs/EndToEndId %v", where, err)
	}
	if r, err := ident(tx.AcctSvcrRef); err != nil {
		return invalid("%s: Refs/AcctSvcrRef %v", where, err)
	} else if r != "" {
		l.BankReference = r
	}
	return nil
}

// camtCounterparty sets the counterparty: who received a debit (Cdtr), or
// who sent a credit (Dbtr). Without that party there is none: the other
// party of the transaction is the account itself.
func camtCounterparty(tx *camtTxDtls, where string, l *Line) error {
	party, iban := tx.Cdtr, tx.CdtrIBAN
	if !l.Debit {
		party, iban = tx.Dbtr, tx.DbtrIBAN
	}
	l.CounterpartyName = text(party.name(), maxName)
	var err error
	if l.CounterpartyIBAN, err = normIBAN(iban); err != nil {
		return invalid("%s: RltdPties IBAN %v", where, err)
	}
	return nil
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

func camtDay(d *camtDate, loc *time.Location) (time.Time, error) {
	if d == nil {
		return time.Time{}, nil
	}
	switch {
	case strings.TrimSpace(d.Dt) != "":
		return parseDay(d.Dt, loc)
	case strings.TrimSpace(d.DtTm) != "":
		return parseDay(d.DtTm, loc)
	}
	return time.Time{}, fmt.Errorf("has neither Dt nor DtTm")
}
