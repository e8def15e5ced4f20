package reconcile

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"testing"
	"time"

	"sicherkommunal/ent/bankstatementimport"
)

// benchStatement is one camt.053.001.08 statement of n booked entries with
// the details banks send (references, parties with IBANs, remittance):
// payments, money received and returns.
func benchStatement(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>BENCH-1</MsgId><CreDtTm>2026-03-06T06:00:00+01:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>2026-BENCH</Id>
      <CreDtTm>2026-03-06T06:00:00+01:00</CreDtTm>
      <Acct><Id><IBAN>DE42810000000810015001</IBAN></Id><Ccy>EUR</Ccy></Acct>
      <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">1000000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-03-01</Dt></Dt></Bal>
`)
	for i := 1; i <= n; i++ {
		ind, rvsl, party, role := "DBIT", "", "Cdtr", "Kommune"
		switch i % 10 {
		case 3, 7:
			ind, party = "CRDT", "Dbtr"
		case 9:
			ind, rvsl, party = "CRDT", "\n        <RvslInd>true</RvslInd>", "Dbtr"
		}
		day := 2 + i%4
		fmt.Fprintf(&b, `      <Ntry>
        <NtryRef>%06d</NtryRef>
        <Amt Ccy="EUR">%d.%02d</Amt>
        <CdtDbtInd>%s</CdtDbtInd>%s
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2026-03-%02d</Dt></BookgDt>
        <ValDt><Dt>2026-03-%02d</Dt></ValDt>
        <AcctSvcrRef>20260300%08d</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls>
          <TxDtls>
            <Refs><EndToEndId>KZ-%d</EndToEndId></Refs>
            <Amt Ccy="EUR">%d.%02d</Amt>
            <RltdPties>
              <%s><Pty><Nm>%s %d</Nm></Pty></%s>
              <%sAcct><Id><IBAN>DE%02d81053272%010d</IBAN></Id></%sAcct>
            </RltdPties>
            <RmtInf><Ustrd>SicherKOMMUNAL Stufe 1 KZ-%d</Ustrd></RmtInf>
          </TxDtls>
        </NtryDtls>
      </Ntry>
`, i, 100+i, i%100, ind, rvsl, day, day, i, i, 100+i, i%100, party, role, i, party, party, i%100, i, party, i)
	}
	b.WriteString("    </Stmt>\n  </BkToCstmrStmt>\n</Document>\n")
	return b.Bytes()
}

// tokenWalk is the baseline: encoding/xml reading every token of the
// document (with namespace translation), which any parser of it must do.
func tokenWalk(data []byte) (int, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	entries := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return entries, nil
		}
		if err != nil {
			return entries, err
		}
		if t, ok := tok.(xml.StartElement); ok && t.Name.Local == "Ntry" {
			entries++
		}
	}
}

// BenchmarkImport10000: one camt.053 statement of 10,000 entries, per
// iteration read three ways: the bare encoding/xml token walk (baseline),
// ParseCAMT053Reader, and ImportReader into a fresh database (SQLite, or
// PostgreSQL when SK_TEST_POSTGRES_URL is set). Reported: entries/s of
// each and the time of parse and import as a multiple of the baseline's.
// The loop's ns/op is the import.
//
//	go test ./reconcile -run '^$' -bench Import10000 -benchtime 3x
func BenchmarkImport10000(b *testing.B) {
	const n = 10000
	data := benchStatement(n)
	if f, err := ParseCAMT053(data, berlin); err != nil || len(f.Lines) != n {
		b.Fatalf("statement: %v", err)
	}
	b.ReportAllocs()
	var walk, parse, imp time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		start := time.Now()
		if got, err := tokenWalk(data); err != nil || got != n {
			b.Fatalf("token walk: %d %v", got, err)
		}
		walk += time.Since(start)
		start = time.Now()
		if f, err := ParseCAMT053Reader(bytes.NewReader(data), berlin); err != nil || len(f.Lines) != n {
			b.Fatalf("parse: %v", err)
		}
		parse += time.Since(start)
		svc, ctx := testService(b)
		b.StartTimer()

		start = time.Now()
		got, err := svc.ImportReader(ctx, bankstatementimport.FormatCAMT053, bytes.NewReader(data))
		if err != nil || got.LinesAdded != n {
			b.Fatalf("import: %v", err)
		}
		imp += time.Since(start)
	}
	b.StopTimer()
	rate := func(d time.Duration) float64 { return float64(n) * float64(b.N) / d.Seconds() }
	b.ReportMetric(float64(len(data))/(1<<20), "MiB/statement")
	b.ReportMetric(rate(walk), "baseline-entries/s")
	b.ReportMetric(rate(parse), "parse-entries/s")
	b.ReportMetric(rate(imp), "import-entries/s")
	b.ReportMetric(parse.Seconds()/walk.Seconds(), "parse/baseline")
	b.ReportMetric(imp.Seconds()/walk.Seconds(), "import/baseline")
}
