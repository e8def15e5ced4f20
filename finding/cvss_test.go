package finding

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"sicherkommunal/apperr"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// TestParseCVSSPublishedExamples: vectors whose base scores FIRST
// publishes, each computed by the library and rated.
func TestParseCVSSPublishedExamples(t *testing.T) {
	for _, tc := range []struct {
		source, vector, base string
		severity             Severity
	}{
		// CVSS v3.1: Examples (FIRST), section 3, each example's base score.
		{"v3.1 examples: CVE-2013-1937 phpMyAdmin reflected XSS", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", "6.1", SeverityMedium},
		{"v3.1 examples: CVE-2013-0375 MySQL stored SQL injection", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", "6.4", SeverityMedium},
		{"v3.1 examples: CVE-2014-3566 SSLv3 POODLE", "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", "3.1", SeverityLow},
		{"v3.1 examples: CVE-2012-1516 VMware guest to host escape", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", "9.9", SeverityCritical},
		{"v3.1 examples: CVE-2009-0783 Apache Tomcat XML parser", "CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:L", "4.2", SeverityMedium},
		{"v3.1 examples: CVE-2012-0384 Cisco IOS arbitrary command execution", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", "8.8", SeverityHigh},
		{"v3.1 examples: CVE-2015-1098 Apple iWork denial of service", "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", "7.8", SeverityHigh},
		{"v3.1 examples: CVE-2014-0160 OpenSSL Heartbleed", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", "7.5", SeverityHigh},
		{"v3.1 examples: CVE-2014-6271 GNU Bash Shellshock", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "9.8", SeverityCritical},
		{"v3.1 examples: CVE-2008-1447 DNS Kaminsky bug", "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:N/I:H/A:N", "6.8", SeverityMedium},
		{"v3.1 examples: CVE-2014-2005 Sophos login screen bypass", "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "6.8", SeverityMedium},
		{"v3.1 examples: CVE-2010-0467 Joomla directory traversal", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:N/A:N", "5.8", SeverityMedium},
		{"v3.1 examples: CVE-2014-9253 DokuWiki reflected XSS", "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N", "5.4", SeverityMedium},
		{"v3.1 examples: CVE-2011-1265 Microsoft Windows Bluetooth remote code execution", "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "8.8", SeverityHigh},
		{"v3.1 examples: CVE-2014-2019 Apple iOS security control bypass", "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N", "4.6", SeverityMedium},
		{"v3.1 examples: CVE-2015-0970 SearchBlox cross-site request forgery", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", "8.8", SeverityHigh},
		{"v3.1 examples: CVE-2014-0224 OpenSSL CCS injection", "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:N", "7.4", SeverityHigh},
		// CVSS v3.0: Examples (FIRST), the same vulnerabilities scored with v3.0.
		{"v3.0 examples: CVE-2014-0160 OpenSSL Heartbleed", "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", "7.5", SeverityHigh},
		{"v3.0 examples: CVE-2014-6271 GNU Bash Shellshock", "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "9.8", SeverityCritical},
		// CVSS v4.0: Examples (FIRST).
		{"v4.0 examples: network, no requirements, high impact on the vulnerable system only", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "9.3", SeverityCritical},
		{"v4.0 examples: CVE-2022-41741 nginx mp4 module", "CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "7.3", SeverityHigh},
		// CVSS v4.0: Specification, section 8.2: MacroVector 000000, the highest, is 10.0.
		{"v4.0 specification: the highest MacroVector", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H", "10.0", SeverityCritical},
		// CVSS v4.0: Specification, section 8.2: no impact at all is 0.0.
		{"v4.0 specification: no impact", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", "0.0", SeverityInfo},
	} {
		c, err := ParseCVSS(tc.vector)
		if err != nil {
			t.Errorf("%s: %v", tc.source, err)
			continue
		}
		if !c.Base.Equal(dec(tc.base)) || c.Severity != tc.severity || c.Vector != tc.vector ||
			c.Version != strings.TrimPrefix(strings.SplitN(tc.vector, "/", 2)[0], "CVSS:") {
			t.Errorf("%s: %+v, want base %s %s", tc.source, c, tc.base, tc.severity)
		}
		if c.Base.StringFixed(1) != tc.base || !c.Base.Equal(c.Base.Round(1)) {
			t.Errorf("%s: base %s is not %s", tc.source, c.Base, tc.base)
		}
		if got, ok, err := CheckReported(tc.vector, dec(tc.base)); err != nil || !ok || !got.Base.Equal(c.Base) {
			t.Errorf("%s: the published score does not agree: %v %v", tc.source, ok, err)
		}
	}
}

// TestParseCVSSCanonical: the canonical vector lists the metrics in the
// specification's order without those Not Defined; a v4.0 base score is
// that of its base metrics (CVSS-B), whatever threat metrics it has.
func TestParseCVSSCanonical(t *testing.T) {
	for _, tc := range []struct{ in, vector, version, base string }{
		{" CVSS:3.1/C:H/AV:N/PR:N/AC:L/UI:N/S:U/I:N/A:N\n", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", "3.1", "7.5"},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N/E:X/RL:O/CR:X", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N/RL:O", "3.1", "7.5"},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N/E:U/RL:O/RC:R", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N/E:U/RL:O/RC:R", "3.1", "7.5"},
		{"CVSS:3.0/S:U/AV:N/AC:L/PR:N/UI:N/C:H/I:H/A:H", "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "3.0", "9.8"},
		// E:U makes the library's score the CVSS-BT 8.1; the base score stays 9.3.
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U", "4.0", "9.3"},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:X/MAV:L/AU:Y", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/MAV:L/AU:Y", "4.0", "9.3"},
	} {
		c, err := ParseCVSS(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if c.Vector != tc.vector || c.Version != tc.version || !c.Base.Equal(dec(tc.base)) || c.Severity != SeverityOf(c.Base) {
			t.Errorf("%q: %+v, want %s %s %s", tc.in, c, tc.vector, tc.version, tc.base)
		}
	}
}

// TestParseCVSSRefusals: each malformed vector is VALIDATION, naming what
// is wrong.
func TestParseCVSSRefusals(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "is empty"},
		{"   ", "is empty"},
		{"AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", "must begin with CVSS:3.0/, CVSS:3.1/ or CVSS:4.0/"},
		{"cvss:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", "must begin with"},
		{"CVSS:3.2/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", `the CVSS version "CVSS:3.2" is not read`},
		{"CVSS:3.1", "has no metrics"},
		{"CVSS:3.1/", "has no metrics"},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N/", `part 9 "" is not a metric`},
		{"CVSS:3.1/AV:N//AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", `part 2 "" is not a metric`},
		{"CVSS:3.1/AV/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", `part 1 "AV" is not a metric`},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N", "the base metric A is missing"},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N/AV:L", "the metric AV appears twice"},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N/ZZ:Y", `unknown metric "ZZ" for CVSS v3.1`},
		{"CVSS:3.1/av:n/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", `unknown metric "av"`},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:Q", `the metric A cannot have the value "Q"`},
		{"CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", `the metric AV cannot have the value "X"`},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N/AT:N", `unknown metric "AT" for CVSS v3.1`},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N", "the base metric SA is missing"},
		{"CVSS:4.0/AC:L/AV:N/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "the metric AV comes after AC"},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/AU:Y/E:A", "the metric E comes after AU"},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/S:U", `the metric S cannot have the value "U"`},
		{"CVSS:4.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", `the metric S cannot have the value "U"`},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/C:H/I:N/A:N", `unknown metric "C" for CVSS v4.0`},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N/" + strings.Repeat("E:X/", 200), "longer than 512 bytes"},
	} {
		_, err := ParseCVSS(tc.in)
		if apperr.CodeOf(err) != apperr.Validation || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want VALIDATION with %q", tc.in, err, tc.want)
		}
	}
}

// TestParseCVSSv2Refused: a CVSS v2 vector, as Greenbone reports still
// carry them for old NVTs, is refused with the detail version 2.0.
func TestParseCVSSv2Refused(t *testing.T) {
	for _, v := range []string{
		"AV:N/AC:L/Au:N/C:P/I:N/A:N",
		"(AV:N/AC:L/Au:N/C:P/I:N/A:N)",
		"CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:N/A:N",
		"AV:N/AC:L/Au:N/C:P/I:N/A:N/E:F/RL:OF/RC:C",
	} {
		_, err := ParseCVSS(v)
		var e *apperr.Error
		if apperr.CodeOf(err) != apperr.Validation || !strings.Contains(err.Error(), "CVSS v2 vector") {
			t.Errorf("%q: %v", v, err)
			continue
		}
		if e = err.(*apperr.Error); e.Details["version"] != "2.0" {
			t.Errorf("%q: details %v", v, e.Details)
		}
	}
	if _, ok, err := CheckReported("AV:N/AC:L/Au:N/C:P/I:N/A:N", dec("5.0")); err == nil || ok {
		t.Errorf("CheckReported of a v2 vector: %v %v", ok, err)
	}
}

// TestSeverityOf: the bands of the qualitative rating scale at their
// edges.
func TestSeverityOf(t *testing.T) {
	for score, want := range map[string]Severity{
		"0.0": SeverityInfo, "0": SeverityInfo, "-1.0": SeverityInfo, "-3.0": SeverityInfo, "0.09": SeverityInfo,
		"0.1": SeverityLow, "3.9": SeverityLow, "3.95": SeverityLow,
		"4.0": SeverityMedium, "6.9": SeverityMedium,
		"7.0": SeverityHigh, "8.9": SeverityHigh,
		"9.0": SeverityCritical, "10.0": SeverityCritical, "10": SeverityCritical,
	} {
		if got := SeverityOf(dec(score)); got != want {
			t.Errorf("%s: %s, want %s", score, got, want)
		}
	}
	if len(Severities) != 5 || Severities[0] != "CRITICAL" || Severities[4] != "INFO" {
		t.Errorf("Severities %v", Severities)
	}
}

// TestCheckReported: a reported score agrees when it is the base score at
// one decimal.
func TestCheckReported(t *testing.T) {
	const heartbleed = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"
	for reported, want := range map[string]bool{
		"7.5": true, "7.50": true, "7.45": true, "7.54": true,
		"7.4": false, "7.55": false, "5.0": false, "0": false,
	} {
		c, ok, err := CheckReported(heartbleed, dec(reported))
		if err != nil || ok != want || !c.Base.Equal(dec("7.5")) || c.Severity != SeverityHigh {
			t.Errorf("%s: %+v %v %v, want %v", reported, c, ok, err, want)
		}
	}
	if _, ok, err := CheckReported("CVSS:3.1/AV:N", dec("7.5")); apperr.CodeOf(err) != apperr.Validation || ok {
		t.Errorf("a broken vector: %v %v", ok, err)
	}
}

// FuzzParseCVSS: never a panic; what is accepted has a score from 0.0 to
// 10.0 with one decimal, and its canonical vector reads back the same.
func FuzzParseCVSS(f *testing.F) {
	for _, s := range []string{
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
		"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:F/RL:O/RC:C/CR:H/MAV:A",
		"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U/CR:H/MSI:S/S:P/AU:Y/U:Red",
		"AV:N/AC:L/Au:N/C:P/I:N/A:N",
		"CVSS:3.1/AV:N/AC:L",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		c, err := ParseCVSS(v)
		if err != nil {
			if apperr.CodeOf(err) != apperr.Validation {
				t.Fatalf("%q: error without VALIDATION: %v", v, err)
			}
			return
		}
		if c.Base.IsNegative() || c.Base.GreaterThan(dec("10")) || !c.Base.Equal(c.Base.Round(1)) || c.Severity != SeverityOf(c.Base) {
			t.Fatalf("%q: %+v", v, c)
		}
		again, err := ParseCVSS(c.Vector)
		if err != nil || again.Vector != c.Vector || !again.Base.Equal(c.Base) || again.Version != c.Version {
			t.Fatalf("%q: the canonical %q reads as %+v, %v", v, c.Vector, again, err)
		}
	})
}
