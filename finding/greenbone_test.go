package finding

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"sicherkommunal/apperr"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// collect reads a report with a reader and returns its results.
func collect(read func(io.Reader, func(Result) error) (Report, error), data []byte) (Report, []Result, error) {
	var rs []Result
	rep, err := read(bytes.NewReader(data), func(r Result) error {
		rs = append(rs, r)
		return nil
	})
	return rep, rs, err
}

func mustCollect(t *testing.T, read func(io.Reader, func(Result) error) (Report, error), name string) (Report, []Result) {
	t.Helper()
	rep, rs, err := collect(read, readFixture(t, name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return rep, rs
}

func sev(s string) *string { return &s }
func qodOf(n int) *int     { return &n }

// fields is a result with its pointers resolved, for comparisons that
// name the field that differs.
func fields(r Result) map[string]any {
	m := map[string]any{}
	v := reflect.ValueOf(r)
	for i := 0; i < v.NumField(); i++ {
		name, f := v.Type().Field(i).Name, v.Field(i).Interface()
		switch x := f.(type) {
		case *int:
			if x != nil {
				f = *x
			} else {
				f = nil
			}
		}
		m[name] = f
	}
	if r.Severity != nil {
		m["Severity"] = r.Severity.String()
	} else {
		m["Severity"] = nil
	}
	return m
}

func views(rs []Result) []map[string]any {
	v := make([]map[string]any, len(rs))
	for i, r := range rs {
		v[i] = fields(r)
	}
	return v
}

func sameResult(t *testing.T, where string, got, want Result) {
	t.Helper()
	g, w := fields(got), fields(want)
	for k := range w {
		if !reflect.DeepEqual(g[k], w[k]) {
			t.Errorf("%s: %s = %#v, want %#v", where, k, g[k], w[k])
		}
	}
}

func withSeverity(r Result, s string) Result {
	d := dec(s)
	r.Severity = &d
	return r
}

// scan1 are the results of testdata/greenbone-scan1.xml whose every
// field the tests check: a high finding on 443/tcp with CVE and CWE, a
// low one on general/tcp with only a CVSS v2 vector, the log result
// without any CVSS, a medium web finding whose description has markup,
// and a local security check on the port package of an IPv6 host.
var scan1 = map[int]Result{
	0: withSeverity(Result{
		ID: "a1f0c3e2-0001-4b7c-9e10-000000000001", RuleID: "1.3.6.1.4.1.25623.1.0.900101",
		Name: "OpenSSL Heartbeat Memory Disclosure (Heartbleed)",
		Host: "192.0.2.10", Hostname: "www.musterstadt.example", Port: "443", Protocol: "tcp", Threat: "High",
		CVSSVector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
		CVEs:       []string{"CVE-2014-0160"}, CWEs: []string{"CWE-125"},
		Summary:      "The TLS service answers heartbeat requests with more data than it was sent.",
		Insight:      "The heartbeat extension does not check the length field of a request against the data received.",
		Impact:       "An attacker can read up to 64 KiB of process memory per request, including private keys and session data.",
		Solution:     "Update OpenSSL to 1.0.1g or later and replace the server's keys and certificates.",
		SolutionType: "VendorFix",
		Affected:     "OpenSSL 1.0.1 up to 1.0.1f.",
		Description:  "The server answered a heartbeat request of 1 byte with 16384 bytes of memory.",
		QoD:          qodOf(98),
	}, "7.5"),
	1: withSeverity(Result{
		ID: "a1f0c3e2-0001-4b7c-9e10-000000000002", RuleID: "1.3.6.1.4.1.25623.1.0.900102",
		Name: "TCP Timestamps Reveal Uptime",
		Host: "192.0.2.10", Hostname: "www.musterstadt.example", Port: "general", Protocol: "tcp", Threat: "Low",
		CVSSVector: "AV:N/AC:H/Au:N/C:P/I:N/A:N",
		CWEs:       []string{"CWE-200"},
		Summary:    "The host answers with TCP timestamps, from which its uptime can be estimated.",
		Insight:    "TCP timestamps (RFC 7323) are switched on.",
		// impact=N/A is none; the solution comes from the tags, as in NVTs before GMP 21.
		Solution:     "Switch TCP timestamps off where the operating system allows it.",
		SolutionType: "Mitigation",
		Affected:     "Every TCP stack with timestamps switched on.",
		Description: "TCP timestamps are switched on.\n\n" +
			"Two answers one second apart carried these timestamps:\nPacket 1: 2971318086\nPacket 2: 2971319107",
		QoD: qodOf(80),
	}, "2.6"),
	4: {
		ID: "a1f0c3e2-0001-4b7c-9e10-000000000005", RuleID: "1.3.6.1.4.1.25623.1.0.900105",
		Name: "Operating System Summary",
		Host: "192.0.2.20", Hostname: "mail.musterstadt.example", Port: "general", Protocol: "tcp", Threat: "Log",
		Summary:     "Combines what several NVTs found about the operating system and reports the best match.",
		Description: "Operating system found:\n\nOS:  Debian GNU/Linux 12\nCPE: cpe:/o:debian:debian_linux:12",
		QoD:         qodOf(80),
	},
	5: withSeverity(Result{
		ID: "a1f0c3e2-0001-4b7c-9e10-000000000006", RuleID: "1.3.6.1.4.1.25623.1.0.900106",
		Name: "Town Portal Search Form Reflected Cross-Site Scripting",
		Host: "198.51.100.7", Port: "80", Protocol: "tcp", Threat: "Medium",
		CVSSVector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
		CVEs:       []string{"CVE-2014-9999", "CVE-2014-10001"}, CWEs: []string{"CWE-79"},
		Summary:      "The search form of the town portal writes the search term into the page without encoding it.",
		Insight:      "The parameter q is written into the page without HTML encoding.",
		Impact:       "An attacker can run script code in a visitor's browser in the context of the portal.",
		Solution:     "Filter the search parameter in a web application firewall until an update is available.",
		SolutionType: "Workaround",
		Affected:     "Town portal 2.x.",
		Description:  `Vulnerable URL: http://198.51.100.7/suche?q=<script>alert("x")</script>&page=1`,
		QoD:          qodOf(80),
	}, "6.1"),
	7: withSeverity(Result{
		ID: "a1f0c3e2-0001-4b7c-9e10-000000000008", RuleID: "1.3.6.1.4.1.25623.1.1.900108",
		Name: "Debian DSA-9999-1: openssh Update Missing",
		Host: "2001:db8::15", Hostname: "intranet.musterstadt.example", Port: "package", Threat: "Medium",
		CVSSVector:   "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N",
		CVEs:         []string{"CVE-2023-48795", "CVE-2023-51385", "CVE-2024-6387"},
		Summary:      "The host lacks the update of the 'openssh' packages of the advisory DSA-9999-1.",
		Insight:      "The advisory fixes several flaws in OpenSSH.",
		Solution:     "Install the updated packages.",
		SolutionType: "VendorFix",
		Affected:     "'openssh' packages on Debian 12.",
		Description:  "Vulnerable package: openssh-server\nInstalled version: 1:9.2p1-2+deb12u2\nFixed version:     >=1:9.2p1-2+deb12u3",
		QoD:          qodOf(97),
	}, "5.9"),
}

const (
	taskID   = "0b8e4f5a-7c21-4d3e-8f6a-5e9d1c2b3a40"
	taskName = "Musterstadt – externe Systeme (Prüfung 2026)"
)

// TestReadGreenboneXML: the report as downloaded (report format XML, the
// report nested in its wrapper) gives every result with every field, and
// what the report says of itself; host details, ports and the nested
// result of a detection are not results.
func TestReadGreenboneXML(t *testing.T) {
	rep, rs := mustCollect(t, ReadGreenboneXML, "greenbone-scan1.xml")
	start, end := time.Date(2026, 3, 2, 8, 0, 12, 0, time.UTC), time.Date(2026, 3, 2, 9, 41, 50, 0, time.UTC)
	if rep.ID != "6f1d2c84-3b5a-4e0f-9a77-2c1e5d8b0a11" || rep.TaskID != taskID || rep.TaskName != taskName ||
		rep.ScanStart == nil || !rep.ScanStart.Equal(start) || rep.ScanEnd == nil || !rep.ScanEnd.Equal(end) || rep.Results != 8 {
		t.Errorf("report %+v", rep)
	}
	if len(rs) != 8 {
		t.Fatalf("%d results", len(rs))
	}
	for i, want := range scan1 {
		sameResult(t, fmt.Sprintf("result %d", i+1), rs[i], want)
	}
	threats := map[string]int{}
	for _, r := range rs {
		threats[r.Threat]++
	}
	if !reflect.DeepEqual(threats, map[string]int{"High": 2, "Medium": 3, "Low": 2, "Log": 1}) {
		t.Errorf("threats %v", threats)
	}
	if r := rs[3]; r.Port != "25" || !reflect.DeepEqual(r.CVEs, []string{"CVE-2019-10149", "CVE-2019-15846"}) ||
		!reflect.DeepEqual(r.CWEs, []string{"CWE-78"}) || r.Severity.String() != "9.8" {
		t.Errorf("result 4: %+v", r)
	}
	if r := rs[6]; r.Port != "general" || r.Protocol != "icmp" || r.CVSSVector != "AV:L/AC:L/Au:N/C:P/I:N/A:N" || r.Affected != "" {
		t.Errorf("result 7: %+v", r)
	}
}

// TestReadGreenboneCSV: the CSV results export of the same scan gives the
// same results, but for what the export does not carry (the package
// documentation): no port and protocol for general and package results,
// no vector, no CWEs, no report id or scan times.
func TestReadGreenboneCSV(t *testing.T) {
	_, fromXML := mustCollect(t, ReadGreenboneXML, "greenbone-scan1.xml")
	rep, rs := mustCollect(t, ReadGreenboneCSV, "greenbone-scan1.csv")
	if rep != (Report{TaskID: taskID, TaskName: taskName, Results: 8}) {
		t.Errorf("report %+v", rep)
	}
	if len(rs) != len(fromXML) {
		t.Fatalf("%d results, the XML report has %d", len(rs), len(fromXML))
	}
	for i, want := range fromXML {
		if want.Port == "general" || want.Port == "package" {
			want.Port, want.Protocol = "", ""
		}
		want.CVSSVector, want.CWEs = "", nil
		sameResult(t, fmt.Sprintf("row %d", i+1), rs[i], want)
	}
	sameResult(t, "row 1", rs[0], func() Result {
		r := scan1[0]
		r.CVSSVector, r.CWEs = "", nil
		return r
	}())
	if r := rs[4]; r.Severity != nil || r.Port != "" || r.Protocol != "" || r.Threat != "Log" || r.QoD == nil || *r.QoD != 80 {
		t.Errorf("row 5, the result without CVSS: %+v", r)
	}
}

// key is what identifies a finding from scan to scan: the result ids are
// new in every scan.
type key struct{ rule, host, port, protocol string }

func keys(rs []Result) map[key]string {
	m := map[key]string{}
	for _, r := range rs {
		m[key{r.RuleID, r.Host, r.Port, r.Protocol}] = r.ID
	}
	return m
}

// TestNewerScan: the newer scan of the same task (GMP's get_reports
// answer) has one finding fewer and one more; the others are the same
// findings under new result ids.
func TestNewerScan(t *testing.T) {
	rep1, old := mustCollect(t, ReadGreenboneXML, "greenbone-scan1.xml")
	rep2, cur := mustCollect(t, ReadGreenboneXML, "greenbone-scan2.xml")
	if rep2.ID != "8e2f4a6c-1d3b-4c5e-9f70-3a2b1c0d9e88" || rep2.ID == rep1.ID || rep2.TaskID != rep1.TaskID || rep2.Results != 8 ||
		!rep2.ScanStart.After(*rep1.ScanEnd) {
		t.Errorf("reports %+v %+v", rep1, rep2)
	}
	k1, k2 := keys(old), keys(cur)
	var gone, added []key
	for k, id := range k1 {
		if id2, ok := k2[k]; !ok {
			gone = append(gone, k)
		} else if id2 == id {
			t.Errorf("%v has the same result id in both scans", k)
		}
	}
	for k := range k2 {
		if _, ok := k1[k]; !ok {
			added = append(added, k)
		}
	}
	if !reflect.DeepEqual(gone, []key{{"1.3.6.1.4.1.25623.1.0.900103", "192.0.2.10", "22", "tcp"}}) ||
		!reflect.DeepEqual(added, []key{{"1.3.6.1.4.1.25623.1.0.900109", "192.0.2.20", "443", "tcp"}}) {
		t.Errorf("gone %v, new %v", gone, added)
	}
	if r := cur[3]; r.CVSSVector != "CVSS:4.0/AV:N/AC:H/AT:N/PR:N/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N" || r.Severity.String() != "6.3" ||
		!reflect.DeepEqual(r.CVEs, []string{"CVE-2011-3389", "CVE-2015-0204"}) || !reflect.DeepEqual(r.CWEs, []string{"CWE-326"}) {
		t.Errorf("the new finding: %+v", r)
	}
}

// TestFixtureScores: every v3 and v4 vector of the fixtures gives the
// score the report has; the v2 vectors are refused as such.
func TestFixtureScores(t *testing.T) {
	for _, name := range []string{"greenbone-scan1.xml", "greenbone-scan2.xml"} {
		_, rs := mustCollect(t, ReadGreenboneXML, name)
		for _, r := range rs {
			if r.CVSSVector == "" {
				if r.Severity != nil {
					t.Errorf("%s %s: a severity without a vector", name, r.ID)
				}
				continue
			}
			c, ok, err := CheckReported(r.CVSSVector, *r.Severity)
			if strings.HasPrefix(r.CVSSVector, "CVSS:") {
				if err != nil || !ok {
					t.Errorf("%s %s: %s does not give %s: %+v %v", name, r.ID, r.CVSSVector, r.Severity, c, err)
				}
			} else if e, isE := err.(*apperr.Error); !isE || e.Details["version"] != "2.0" {
				t.Errorf("%s %s: %s: %v", name, r.ID, r.CVSSVector, err)
			}
		}
	}
}

// TestReadGreenboneBroken: the broken fixtures are refused, naming the
// result or row, its line and what is wrong; results before the error
// have reached fn.
func TestReadGreenboneBroken(t *testing.T) {
	for _, tc := range []struct {
		name string
		read func(io.Reader, func(Result) error) (Report, error)
		want []string
		seen int
	}{
		{"broken-truncated.xml", ReadGreenboneXML, []string{"result 3 (line 118): not well-formed XML: line 146: unexpected EOF"}, 2},
		{"broken-doctype.xml", ReadGreenboneXML, []string{"line 2: a document type declaration (<!DOCTYPE …>) is not read"}, 0},
		{"broken-no-oid.xml", ReadGreenboneXML, []string{"result 2 (line 49): nvt/@oid: is missing"}, 1},
		{"broken-no-oid-column.csv", ReadGreenboneCSV, []string{"line 1: the column NVT OID is missing"}, 0},
	} {
		rep, rs, err := collect(tc.read, readFixture(t, tc.name))
		if apperr.CodeOf(err) != apperr.Validation || rep != (Report{}) || len(rs) != tc.seen {
			t.Errorf("%s: %+v, %d results, %v", tc.name, rep, len(rs), err)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v, want %q", tc.name, err, w)
			}
		}
	}
}

// gbResultXML is a result element with the given content inside the nvt
// element and after it.
func gbResultXML(nvt, rest string) string {
	return `<result id="r1"><name>n</name><host>192.0.2.1</host><port>443/tcp</port><nvt oid="1.3.6.1.4.1.25623.1.0.1"><name>N</name>` +
		nvt + `</nvt>` + rest + `</result>`
}

func gbReport(results ...string) string {
	return `<report id="x"><results>` + strings.Join(results, "") + `</results></report>`
}

// TestReadGreenboneXMLFields: how single fields are read and normalised.
func TestReadGreenboneXMLFields(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		check     func(Result) bool
	}{
		{"a bare report",
			gbReport(gbResultXML("", "<threat>high</threat><severity>10.0</severity>")),
			func(r Result) bool {
				return r.Threat == "High" && r.Severity.String() == "10" && r.Port == "443" && r.Name == "N"
			}},
		{"the legacy cve element",
			gbReport(gbResultXML("<cve>CVE-2012-0002, cve-2011-3389,CVE-2012-0002</cve>", "")),
			func(r Result) bool { return slices.Equal(r.CVEs, []string{"CVE-2011-3389", "CVE-2012-0002"}) }},
		{"NOCVE is none",
			gbReport(gbResultXML("<cve>NOCVE</cve>", "")),
			func(r Result) bool { return r.CVEs == nil }},
		{"CVE and CWE refs normalised, sorted, unique",
			gbReport(gbResultXML(`<refs><ref type="CVE" id=" cve-2021-44228 "/><ref type="cve" id="CVE-2021-4104"/><ref type="cve" id="CVE-2021-44228"/>`+
				`<ref type="cwe" id="CWE-502"/><ref type="cwe" id="20"/><ref type="cwe" id="CWE-0020"/><ref type="cwe" id="NVD-CWE-Other"/><ref type="url" id="https://x.example"/></refs>`, "")),
			func(r Result) bool {
				return slices.Equal(r.CVEs, []string{"CVE-2021-4104", "CVE-2021-44228"}) && slices.Equal(r.CWEs, []string{"CWE-20", "CWE-502"})
			}},
		{"the best vector: v4 before v3 before the tags' v2",
			gbReport(gbResultXML(`<severities score="9.8"><severity type="cvss_base_v2"><value>AV:N/AC:L/Au:N/C:C/I:C/A:C</value></severity>`+
				`<severity type="cvss_base_v3"><value>CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H</value></severity>`+
				`<severity type="cvss_base_v4"><value>CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N</value></severity></severities>`+
				`<tags>cvss_base_vector=AV:N/AC:L/Au:N/C:C/I:C/A:C</tags>`, "")),
			func(r Result) bool {
				return r.CVSSVector == "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
			}},
		{"a v3 vector of the tags before a v2 severity",
			gbReport(gbResultXML(`<severities><severity type="cvss_base_v2"><value>AV:N/AC:L/Au:N/C:C/I:C/A:C</value></severity></severities>`+
				`<tags>summary=s|cvss_base_vector=CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H</tags>`, "")),
			func(r Result) bool {
				return r.CVSSVector == "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" && r.Summary == "s"
			}},
		{"the solution element before the tags, N/A is none",
			gbReport(gbResultXML(`<tags>solution=from tags|solution_type=Workaround|impact=N/A|insight= N/A |affected=all</tags><solution type="VendorFix">Update.</solution>`, "")),
			func(r Result) bool {
				return r.Solution == "Update." && r.SolutionType == "VendorFix" && r.Impact == "" && r.Insight == "" && r.Affected == "all"
			}},
		{"the summary falls back to the description",
			gbReport(gbResultXML(`<tags>solution_type=</tags>`, "<description>\n\nFound it.  \n</description>")),
			func(r Result) bool { return r.Summary == "Found it." && r.Description == "Found it." }},
		{"an IPv6 address in canonical form, the hostname child",
			`<report><results><result><host>2001:DB8:0:0::15<asset asset_id="a"/><hostname>h.example</hostname></host><nvt oid="1"/></result></results></report>`,
			func(r Result) bool {
				return r.Host == "2001:db8::15" && r.Hostname == "h.example" && r.Port == "" && r.ID == ""
			}},
		{"the port form of old reports",
			gbReport(strings.Replace(gbResultXML("", ""), "443/tcp", "https (443/tcp)", 1)),
			func(r Result) bool { return r.Port == "443" && r.Protocol == "tcp" }},
		{"a false positive",
			gbReport(gbResultXML("", "<threat>False Positive</threat><severity>-1.0</severity><qod><value>0</value></qod>")),
			func(r Result) bool { return r.Threat == "False Positive" && r.Severity.String() == "-1" && *r.QoD == 0 }},
		{"the nested result of a detection, several results elements",
			`<report><results>` + gbResultXML("", `<detection><result id="d"><details><detail><name>product</name><value>cpe:/a:x</value></detail></details></result></detection>`) +
				`</results><results></results><results>` + gbResultXML("", "") + `</results></report>`,
			func(r Result) bool { return r.ID == "r1" }},
	} {
		rep, rs, err := collect(ReadGreenboneXML, []byte(tc.doc))
		if err != nil || len(rs) == 0 || rep.Results != len(rs) {
			t.Errorf("%s: %d results, %v", tc.name, len(rs), err)
			continue
		}
		for _, r := range rs {
			if !tc.check(r) {
				t.Errorf("%s: %+v", tc.name, r)
			}
		}
	}
}

// TestReadGreenboneXMLRefusals: what is not a Greenbone report, or not
// one whose results can be stored, is VALIDATION naming it.
func TestReadGreenboneXMLRefusals(t *testing.T) {
	ok := gbResultXML("", "")
	for _, tc := range []struct{ doc, want string }{
		{"", "the report is empty"},
		{"  \n", "the report is empty"},
		{"<!-- only a comment -->", "the report has no root element"},
		{"report", "text before the root element"},
		{`<?xml version="1.0" encoding="ISO-8859-1"?><report/>`, `the encoding "ISO-8859-1" is not read`},
		{`<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"/>`, "the root element is Document, not report or get_reports_response"},
		{`<report/><report/>`, "element report after the root element"},
		{`<report/>trailing`, "text after the root element"},
		{`<report content_type="text/csv" extension="csv">SVAsSG9zdG5hbWU=</report>`, `the report is in the format "text/csv", not text/xml`},
		{`<report>SVAsSG9zdG5hbWU=</report>`, "the report element holds text"},
		{`<get_reports_response status="404" status_text="Failed to find report"/>`, `get_reports_response has the status "404" ("Failed to find report")`},
		{`<get_reports_response status="200"><report/><report/></get_reports_response>`, "holds more than one report"},
		{`<get_reports_response status="200"></get_reports_response>`, "get_reports_response holds no report"},
		{`<report><scan_start>Mon Mar  2 08:00:12 2026</scan_start></report>`, `scan_start "Mon Mar  2 08:00:12 2026" is not a date-time`},
		{`<!DOCTYPE report SYSTEM "file:///etc/passwd"><report/>`, "line 1: a document type declaration"},
		{`<report>&xxe;</report>`, "not well-formed XML: line 1: invalid character entity &xxe;"},
		{`<report><results><result id="r1"><host>192.0.2.1</host><nvt oid="1"><name>x</nvt></result></results></report>`, "result 1 (line 1): not well-formed XML: line 1: element <name> closed by </nvt>"},
		{gbReport(ok, strings.Replace(ok, "<host>192.0.2.1</host>", "<host> </host>", 1)), "result 2 (line 1): host: is missing"},
		{gbReport(strings.Replace(ok, "<host>192.0.2.1</host>", "<host>192.0.2.1 192.0.2.2</host>", 1)), "result 1 (line 1): host: \"192.0.2.1 192.0.2.2\" contains white space"},
		{gbReport(strings.Replace(ok, `oid="1.3.6.1.4.1.25623.1.0.1"`, `oid=" "`, 1)), "result 1 (line 1): nvt/@oid: is missing"},
		{gbReport(`<result><host>h</host></result>`), "result 1 (line 1): nvt/@oid: is missing"},
		{gbReport(strings.Replace(ok, "443/tcp", "70000/tcp", 1)), `result 1 (line 1): port: "70000" is not a port number`},
		{gbReport(gbResultXML("", "<threat>Severe</threat>")), `result 1 (line 1): threat: "Severe" is not a threat level`},
		{gbReport(gbResultXML("", "<severity>11.0</severity>")), `result 1 (line 1): severity: "11.0" is out of -3.0 to 10.0`},
		{gbReport(gbResultXML("", "<severity>1e1</severity>")), `result 1 (line 1): severity: "1e1" is not a score like 7.5`},
		{gbReport(gbResultXML("", "<qod><value>101</value></qod>")), `result 1 (line 1): qod/value: "101" is not a quality of detection`},
		{gbReport(gbResultXML(`<refs><ref type="cve" id="CVE-14-0160"/></refs>`, "")), `result 1 (line 1): nvt/refs/ref type cve: "CVE-14-0160" is not a CVE id`},
		{gbReport(gbResultXML(`<refs><ref type="cwe" id="CWE-XSS"/></refs>`, "")), `result 1 (line 1): nvt/refs/ref type cwe: "CWE-XSS" is not a CWE id`},
		{gbReport(gbResultXML(`<tags>cvss_base_vector=CVSS:3.1/AV:N AC:L</tags>`, "")), "result 1 (line 1): the CVSS vector (nvt/severities, nvt/tags cvss_base_vector): \"CVSS:3.1/AV:N AC:L\" contains white space"},
		{"<report>\n<results>\n" + strings.Replace(ok, `id="r1"`, `id="`+strings.Repeat("x", 300)+`"`, 1) + "</results></report>", "result 1 (line 3): @id: \"xxxx"},
	} {
		_, rs, err := collect(ReadGreenboneXML, []byte(tc.doc))
		if apperr.CodeOf(err) != apperr.Validation || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%.80q: %v, want %q", tc.doc, err, tc.want)
		}
		if strings.Contains(tc.want, "result 2") && len(rs) != 1 {
			t.Errorf("%.80q: %d results before the error", tc.doc, len(rs))
		}
	}
}

// TestReadGreenboneXMLBounds: nesting, texts, results and their
// elements, and the number of results are bounded; past a bound the
// report is refused naming it, without holding more than the bound.
func TestReadGreenboneXMLBounds(t *testing.T) {
	deep := strings.Repeat("<a>", MaxDepth) + strings.Repeat("</a>", MaxDepth)
	longText := strings.Repeat("x", MaxTextBytes+1)
	for _, tc := range []struct{ name, doc, want string }{
		{"nesting", `<report>` + deep + `</report>`, fmt.Sprintf("element a is nested deeper than %d elements", MaxDepth)},
		{"nesting in a result", gbReport(gbResultXML("", deep)), fmt.Sprintf("result 1 (line 1): line 1: element a is nested deeper than %d", MaxDepth)},
		{"a long description", gbReport(gbResultXML("", "<description>"+longText+"</description>")),
			fmt.Sprintf("result 1 (line 1): line 1: the text of report/results/result/description is longer than %d bytes", MaxTextBytes)},
		{"a long text in pieces", gbReport(gbResultXML("", "<description>"+longText[:MaxTextBytes/2]+"<![CDATA["+longText[:MaxTextBytes/2]+"]]>x</description>")),
			"the text of report/results/result/description is longer than"},
		{"a long comment", `<report><!--` + strings.Repeat("-x", MaxTextBytes) + `--></report>`, fmt.Sprintf("line 1: a text, tag or comment is longer than %d bytes", MaxTextBytes)},
		{"a long attribute", `<report id="` + strings.Repeat("x", 2*MaxTextBytes) + `"/>`, "a text, tag or comment is longer than"},
		{"many elements in a result", gbReport(gbResultXML("<refs>"+strings.Repeat(`<ref type="url" id="u"/>`, MaxResultElements)+"</refs>", "")),
			fmt.Sprintf("result 1 (line 1): line 1: the result has more than %d elements", MaxResultElements)},
		{"a large result", gbReport(gbResultXML("", strings.Repeat("<comment>"+longText[:MaxTextBytes-10]+"</comment>", 5))),
			fmt.Sprintf("result 1 (line 1): line 1: the result is larger than %d bytes", MaxResultBytes)},
	} {
		_, _, err := collect(ReadGreenboneXML, []byte(tc.doc))
		if apperr.CodeOf(err) != apperr.Validation || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %.300v, want %q", tc.name, err, tc.want)
		}
	}
	// Depth up to the bound is read.
	almost := strings.Repeat("<a>", MaxDepth-3) + strings.Repeat("</a>", MaxDepth-3)
	if _, _, err := collect(ReadGreenboneXML, []byte(gbReport(gbResultXML("", almost)))); err != nil {
		t.Errorf("nesting to the bound: %v", err)
	}
}

// TestReadGreenboneMaxResults: one result more than MaxResults refuses the
// report.
func TestReadGreenboneMaxResults(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 200,001 results")
	}
	one := `<result><host>h</host><nvt oid="1"/></result>`
	doc := "<report><results>" + strings.Repeat(one, MaxResults+1) + "</results></report>"
	n := 0
	_, err := ReadGreenboneXML(strings.NewReader(doc), func(Result) error { n++; return nil })
	if apperr.CodeOf(err) != apperr.Validation || !strings.Contains(err.Error(), fmt.Sprintf("more than %d results", MaxResults)) || n != MaxResults {
		t.Errorf("%d results, %v", n, err)
	}
	csvDoc := "IP,Port,Port Protocol,CVSS,Severity,NVT Name,NVT OID\n" + strings.Repeat("h,,,,,n,1\n", MaxResults+1)
	n = 0
	_, err = ReadGreenboneCSV(strings.NewReader(csvDoc), func(Result) error { n++; return nil })
	if apperr.CodeOf(err) != apperr.Validation || !strings.Contains(err.Error(), fmt.Sprintf("more than %d results", MaxResults)) || n != MaxResults {
		t.Errorf("CSV: %d results, %v", n, err)
	}
}

// TestSourceBounds: the stream refuses past the report's bound and past
// the bound of one token; marking starts a new token.
func TestSourceBounds(t *testing.T) {
	s := &reportSource{r: strings.NewReader(strings.Repeat("x", 100)), max: 50, gap: 1000}
	if _, err := io.ReadAll(s); !errors.Is(err, errTooLarge) {
		t.Errorf("past the bound: %v", err)
	}
	s = &reportSource{r: strings.NewReader(strings.Repeat("x", 100)), max: 1000, gap: 10}
	buf := make([]byte, 8)
	for i := 0; i < 5; i++ {
		if _, err := s.Read(buf); err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
		s.mark()
	}
	_, _ = s.Read(buf)
	_, _ = s.Read(buf)
	if _, err := s.Read(buf); !errors.Is(err, errTokenTooLarge) {
		t.Errorf("past the token bound: %v", err)
	}
	if err := readerError(errTooLarge, nil); apperr.CodeOf(err) != apperr.Validation || !strings.Contains(err.Error(), "larger than 1073741824 bytes") {
		t.Errorf("finish: %v", err)
	}
}

// TestReadGreenboneErrorsOfCallerAndReader: an error of fn stops the walk
// and comes back as it is; so does an error of the reader, wrapped; both
// without a code.
func TestReadGreenboneErrorsOfCallerAndReader(t *testing.T) {
	stop := errors.New("stop")
	for _, tc := range []struct {
		name string
		read func(io.Reader, func(Result) error) (Report, error)
		file string
	}{
		{"XML", ReadGreenboneXML, "greenbone-scan1.xml"},
		{"CSV", ReadGreenboneCSV, "greenbone-scan1.csv"},
	} {
		n := 0
		rep, err := tc.read(bytes.NewReader(readFixture(t, tc.file)), func(Result) error {
			if n++; n == 3 {
				return stop
			}
			return nil
		})
		if err != stop || n != 3 || rep != (Report{}) {
			t.Errorf("%s: fn's error: %v after %d", tc.name, err, n)
		}
		data := readFixture(t, tc.file)
		r := io.MultiReader(bytes.NewReader(data[:len(data)/2]), iotest.ErrReader(io.ErrClosedPipe))
		_, err = tc.read(r, func(Result) error { return nil })
		if !errors.Is(err, io.ErrClosedPipe) || apperr.CodeOf(err) != "" {
			t.Errorf("%s: the reader's error: %v", tc.name, err)
		}
	}
}

// TestReadGreenboneCSVShapes: columns by name in any order and case,
// columns of later versions ignored, the semicolon of spreadsheets, a
// byte-order mark, the formula apostrophe, the export's text for no
// description, CVEs as lists.
func TestReadGreenboneCSVShapes(t *testing.T) {
	doc := "\xef\xbb\xbf" + `nvt oid;Max Severity EPSS score;IP;port;Port Protocol;CVSS;severity;NVT Name;CVEs;Specific Result;Summary;Result ID;Compliance` + "\r\n" +
		`1.3.6.1.4.1.25623.1.0.1;0.95;192.0.2.1;443;tcp;7.5;High;'=cmd|' /C calc'!A0;"CVE-2014-0160, cve-2012-0002 ;NOCVE";"Vulnerability was detected according to the Vulnerability Detection Method.";'-leading dash;r1;undefined` + "\r\n" +
		`1.3.6.1.4.1.25623.1.0.2;;2001:DB8::1;;;;log;OS;;"line 1` + "\r\n" + `line 2";;r2;` + "\r\n"
	rep, rs, err := collect(ReadGreenboneCSV, []byte(doc))
	if err != nil || len(rs) != 2 || rep != (Report{Results: 2}) {
		t.Fatalf("%+v %d %v", rep, len(rs), err)
	}
	r := rs[0]
	if r.RuleID != "1.3.6.1.4.1.25623.1.0.1" || r.Host != "192.0.2.1" || r.Port != "443" || r.Protocol != "tcp" || r.Severity.String() != "7.5" ||
		r.Threat != "High" || r.Name != "=cmd|' /C calc'!A0" || !slices.Equal(r.CVEs, []string{"CVE-2012-0002", "CVE-2014-0160"}) ||
		r.Description != "" || r.Summary != "-leading dash" || r.ID != "r1" || r.QoD != nil || r.Hostname != "" {
		t.Errorf("row 1: %+v", r)
	}
	r = rs[1]
	if r.Host != "2001:db8::1" || r.Threat != "Log" || r.Severity != nil || r.Description != "line 1\nline 2" || r.Summary != r.Description || r.CVEs != nil {
		t.Errorf("row 2: %+v", r)
	}
	if _, rs, err := collect(ReadGreenboneCSV, []byte("IP,Port,Port Protocol,CVSS,Severity,NVT Name,NVT OID\n")); err != nil || len(rs) != 0 {
		t.Errorf("only the header: %d %v", len(rs), err)
	}
}

// TestReadGreenboneCSVRefusals: each refusal names the row, its line and
// the column.
func TestReadGreenboneCSVRefusals(t *testing.T) {
	const head = "IP,Port,Port Protocol,CVSS,Severity,NVT Name,NVT OID,Task ID,Task Name,QoD\n"
	for _, tc := range []struct{ doc, want string }{
		{"", "the CSV file is empty"},
		{"\xef\xbb\xbf", "the CSV file is empty"},
		{"IP,Hostname,Port\n", "line 1: the column Port Protocol is missing: is it gvmd's CSV results export?"},
		{"IP,Port,Port Protocol,CVSS,Severity,NVT Name,NVT OID,ip\n", "line 1: the column IP appears twice"},
		{strings.Repeat("x,", MaxColumns) + "x\n", fmt.Sprintf("more than %d", MaxColumns)},
		{strings.Repeat("x", MaxResultBytes+128<<10) + "\n", fmt.Sprintf("line 1: the header row is longer than %d bytes", MaxResultBytes)},
		{head + "192.0.2.1,443,tcp,7.5,High,n,1,t,T,80\n192.0.2.1,443,tcp,7.5,High,n,1,t,T\n", "line 3, column 1: wrong number of fields"},
		{head + `192.0.2.1,443,tcp,7.5,High,"n,1,t,T,80` + "\n", `extraneous or missing " in quoted-field`},
		{head + "192.0.2.1,443,tcp,7.5,High,n,,t,T,80\n", "row 1 (line 2), column NVT OID: is missing"},
		{head + "192.0.2.1,443,tcp,7.5,High,n,1,t,T,80\n\n192.0.2.1,99999,tcp,7.5,High,n,1,t,T,80\n", `row 2 (line 4), column Port: "99999" is not a port number`},
		{head + "192.0.2.1,443,tcp,high,High,n,1,t,T,80\n", `row 1 (line 2), column CVSS: "high" is not a score`},
		{head + "192.0.2.1,443,tcp,7.5,Hoch,n,1,t,T,80\n", `row 1 (line 2), column Severity: "Hoch" is not a threat level`},
		{head + "192.0.2.1,443,tcp,7.5,High,n,1,t,T,80%\n", `row 1 (line 2), column QoD: "80%" is not a quality of detection`},
		{head + "192.0.2.1,443,tcp,7.5,High,n\x00x,1,t,T,80\n", "row 1 (line 2), column NVT Name: contains control characters"},
		{head + "192.0.2.1,443,tcp,7.5,High,n\xff,1,t,T,80\n", "row 1 (line 2), column NVT Name: is not valid UTF-8"},
		{head + "192.0.2.1,443,tcp,7.5,High,n,1,t1,T,80\n192.0.2.1,443,tcp,7.5,High,n,1,t2,T,80\n", "row 2 (line 3), column Task ID: the task t2 (\"T\") differs from the task t1"},
		{head + "192.0.2.1,443,tcp,7.5,High," + strings.Repeat("n", MaxTextBytes+1) + ",1,t,T,80\n", fmt.Sprintf("row 1 (line 2), column NVT Name: is longer than %d bytes", MaxTextBytes)},
		{head + "192.0.2.1,443,tcp,7.5,High,\"" + strings.Repeat("n\n", MaxResultBytes/2+512<<10) + "\",1,t,T,80\n", fmt.Sprintf("row 1: the row is longer than %d bytes", MaxResultBytes)},
	} {
		_, _, err := collect(ReadGreenboneCSV, []byte(tc.doc))
		if apperr.CodeOf(err) != apperr.Validation || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%.80q: %.300v, want %q", tc.doc, err, tc.want)
		}
	}
}

// checkResults is what fuzzing requires of every result accepted.
func checkResults(t *testing.T, rep Report, rs []Result) {
	if rep.Results != len(rs) {
		t.Fatalf("report counts %d results, fn saw %d", rep.Results, len(rs))
	}
	for _, r := range rs {
		if r.RuleID == "" || r.Host == "" || strings.ContainsAny(r.RuleID+r.Host+r.Port+r.Protocol+r.ID, " \t\r\n") {
			t.Fatalf("result %+v", r)
		}
		if !slices.IsSortedFunc(r.CVEs, func(a, b string) int { return compareCVE(a, b) }) || len(slices.Compact(slices.Clone(r.CVEs))) != len(r.CVEs) {
			t.Fatalf("CVEs %v", r.CVEs)
		}
		for _, c := range r.CVEs {
			if !cvePattern.MatchString(c) {
				t.Fatalf("CVE %q", c)
			}
		}
		for _, c := range r.CWEs {
			if !strings.HasPrefix(c, "CWE-") {
				t.Fatalf("CWE %q", c)
			}
		}
		if r.Severity != nil && (r.Severity.LessThan(dec("-3")) || r.Severity.GreaterThan(dec("10"))) {
			t.Fatalf("severity %s", r.Severity)
		}
		if r.QoD != nil && (*r.QoD < 0 || *r.QoD > 100) {
			t.Fatalf("QoD %d", *r.QoD)
		}
	}
}

func compareCVE(a, b string) int {
	ma, mb := cvePattern.FindStringSubmatch(a), cvePattern.FindStringSubmatch(b)
	if c := strings.Compare(ma[1], mb[1]); c != 0 {
		return c
	}
	if len(ma[2]) != len(mb[2]) {
		return len(ma[2]) - len(mb[2])
	}
	return strings.Compare(ma[2], mb[2])
}

// fuzzRead reads data whole and through a reader that cuts it into
// pieces: both must give the same answer.
func fuzzRead(t *testing.T, read func(io.Reader, func(Result) error) (Report, error), data []byte) {
	rep, rs, err := collect(read, data)
	var cut []Result
	rep2, err2 := read(iotest.HalfReader(bytes.NewReader(data)), func(r Result) error {
		cut = append(cut, r)
		return nil
	})
	if fmt.Sprint(err) != fmt.Sprint(err2) || !reflect.DeepEqual(views(rs), views(cut)) || !reflect.DeepEqual(rep, rep2) {
		t.Fatalf("a reader that cuts the bytes reads another report: %v / %v", err, err2)
	}
	if err != nil {
		if apperr.CodeOf(err) != apperr.Validation {
			t.Fatalf("error without VALIDATION: %v", err)
		}
		return
	}
	checkResults(t, rep, rs)
}

func fuzzSeeds(f *testing.F, pattern string) {
	names, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil || len(names) < 2 {
		f.Fatalf("fixtures %v: %v", names, err)
	}
	for _, name := range names {
		f.Add(readFixture(f, filepath.Base(name)))
	}
}

// FuzzReadGreenboneXML: the XML reader never panics, every error is
// VALIDATION, and what it accepts holds to the Result's rules. Every XML
// fixture is a seed.
func FuzzReadGreenboneXML(f *testing.F) {
	fuzzSeeds(f, "*.xml")
	f.Add([]byte(gbReport(gbResultXML(`<severities><severity><value>CVSS:3.1/AV:N</value></severity></severities><refs><ref type="cve" id="CVE-2020-0001"/></refs>`,
		"<severity>5.0</severity><qod><value>70</value></qod><threat>Medium</threat>"))))
	f.Add([]byte(`<get_reports_response status="200"><report content_type="text/xml"><report><results><result><host>::1</host><nvt oid="1"/></result></results></report></report></get_reports_response>`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, ReadGreenboneXML, data) })
}

// FuzzReadGreenboneCSV: as FuzzReadGreenboneXML for the CSV export.
func FuzzReadGreenboneCSV(f *testing.F) {
	fuzzSeeds(f, "*.csv")
	f.Add([]byte("IP;Port;Port Protocol;CVSS;Severity;NVT Name;NVT OID;CVEs;QoD\n192.0.2.1;443;tcp;7.5;High;n;1;CVE-2014-0160;80\n"))
	f.Add([]byte("\xef\xbb\xbfIP,Port,Port Protocol,CVSS,Severity,NVT Name,NVT OID\n\"a\nb\",,,,,\"'=x\",1\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, ReadGreenboneCSV, data) })
}

// benchReport is a report of n results as gvmd writes them, with the
// details they carry (tags, refs, a detection), on 100 hosts.
func benchReport(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<report id="bench" format_id="a994b278-1f62-11e1-96ac-406186ea4fc5" extension="xml" content_type="text/xml">
  <task id="t"><name>Benchmark</name></task>
  <report id="bench">
    <scan_start>2026-03-02T08:00:12Z</scan_start>
    <results start="1" max="-1">
`)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, `      <result id="00000000-0000-4000-8000-%012d">
        <name>Example NVT %d</name>
        <owner><name>scan</name></owner>
        <modification_time>2026-03-02T08:52:03Z</modification_time>
        <comment></comment>
        <creation_time>2026-03-02T08:52:03Z</creation_time>
        <host>10.0.%d.%d<asset asset_id="a%d"/><hostname>host%d.example</hostname></host>
        <port>%d/tcp</port>
        <nvt oid="1.3.6.1.4.1.25623.1.0.%d">
          <type>nvt</type>
          <name>Example NVT %d</name>
          <family>General</family>
          <cvss_base>7.5</cvss_base>
          <severities score="7.5"><severity type="cvss_base_v3"><origin></origin><date>2024-01-01T00:00:00Z</date><score>7.5</score><value>CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N</value></severity></severities>
          <tags>cvss_base_vector=CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N|summary=The service discloses memory to unauthenticated clients.|insight=A length field is not checked.|affected=Versions before 2.0.|impact=An attacker can read memory of the process.|vuldetect=Sends a crafted request and checks the answer.|solution_type=VendorFix</tags>
          <solution type="VendorFix">Update to version 2.0 or later.</solution>
          <refs><ref type="cve" id="CVE-2024-%04d"/><ref type="cve" id="CVE-2023-%04d"/><ref type="cwe" id="CWE-125"/><ref type="url" id="https://vendor.example/advisory/%d"/><ref type="cert-bund" id="WID-SEC-2024-%04d"/></refs>
        </nvt>
        <scan_nvt_version>2026-01-15T10:00:00Z</scan_nvt_version>
        <threat>High</threat>
        <severity>7.5</severity>
        <qod><value>98</value><type>remote_vul</type></qod>
        <description>The service answered a request of 1 byte with 16384 bytes.
Installed version: 1.%d
Fixed version:     2.0</description>
        <original_threat>High</original_threat>
        <original_severity>7.5</original_severity>
        <compliance>undefined</compliance>
        <detection><result id="d%d"><details><detail><name>product</name><value>cpe:/a:vendor:product:1.%d</value></detail><detail><name>source_oid</name><value>1.3.6.1.4.1.25623.1.0.1</value></detail></details></result></detection>
      </result>
`, i, i%500, i%100/10, i%10, i%100, i%100, 1+i%1000, 100000+i%500, i%500, i%10000, (i*7)%10000, i, i%10000, i%50, i, i%50)
	}
	b.WriteString("    </results>\n    <scan_end>2026-03-02T09:41:50Z</scan_end>\n  </report>\n</report>\n")
	return b.Bytes()
}

// tokenWalk is the baseline: encoding/xml reading every token of the
// report, which any reader of it must do.
func tokenWalk(data []byte) (int, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	results, depth := 0, 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return results, nil
		}
		if err != nil {
			return results, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth++; t.Name.Local == "result" && depth == 4 {
				results++
			}
		case xml.EndElement:
			depth--
		}
	}
}

// BenchmarkReadGreenboneXML: a report of 10,000 results, per iteration
// read by the bare encoding/xml token walk (baseline) and by
// ReadGreenboneXML. Reported: results/s of ReadGreenboneXML, those of the
// walk, and the time of ReadGreenboneXML as a multiple of the walk's
// (x-decode). The loop's ns/op is ReadGreenboneXML.
//
//	go test ./finding -run '^$' -bench ReadGreenboneXML -benchtime 10x
func BenchmarkReadGreenboneXML(b *testing.B) {
	const n = 10000
	data := benchReport(n)
	if got, err := tokenWalk(data); err != nil || got != n {
		b.Fatalf("token walk: %d %v", got, err)
	}
	count := func(Result) error { return nil }
	if rep, err := ReadGreenboneXML(bytes.NewReader(data), count); err != nil || rep.Results != n {
		b.Fatalf("report: %+v %v", rep, err)
	}
	b.ReportAllocs()
	var walk, read time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		start := time.Now()
		if got, err := tokenWalk(data); err != nil || got != n {
			b.Fatalf("token walk: %d %v", got, err)
		}
		walk += time.Since(start)
		b.StartTimer()

		start = time.Now()
		if rep, err := ReadGreenboneXML(bytes.NewReader(data), count); err != nil || rep.Results != n {
			b.Fatalf("report: %+v %v", rep, err)
		}
		read += time.Since(start)
	}
	b.StopTimer()
	rate := func(d time.Duration) float64 { return float64(n) * float64(b.N) / d.Seconds() }
	b.ReportMetric(float64(len(data))/(1<<20), "MiB/report")
	b.ReportMetric(rate(read), "results/s")
	b.ReportMetric(rate(walk), "walk-results/s")
	b.ReportMetric(read.Seconds()/walk.Seconds(), "x-decode")
}
