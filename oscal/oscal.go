// Package oscal holds the parts of NIST's Open Security Controls Assessment
// Language (OSCAL 1.0.x, JSON) that the programme exchanges: the document
// model shared by catalogues and assessment results (metadata, properties,
// parts, back matter), the catalog model (catalog.go; package catalog maps
// its catalogues to and from it), and the writer of assessment results
// (results.go: one WiBA assessment of a Kommune as OSCAL findings).
//
// What the programme adds to OSCAL is marked with props in the namespace
// NS; every document it writes validates against the official OSCAL 1.0.6
// JSON Schemas (the tests check this).
//
// Identifiers: a requirement's reference ("Backup-3") becomes a control ID
// by ControlID ("backup-3"); its question is the control's statement part,
// whose ID is StatementID ("backup-3_smt"), the target of its finding.
package oscal

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Version is the OSCAL version of the documents written.
const Version = "1.0.6"

// NS is the namespace of the props the programme defines (priority,
// module, effort, answer …); props without a namespace are OSCAL's own
// (label, sort-id).
const NS = "https://sicherkommunal.example/ns/wiba"

// NewUUID returns a random (version 4) UUID: the uuid function of the
// writers in production. Tests pass a deterministic one.
func NewUUID() string { return uuid.NewString() }

// Property is an OSCAL prop.
type Property struct {
	Name  string `json:"name"`
	NS    string `json:"ns,omitempty"`
	Value string `json:"value"`
	Class string `json:"class,omitempty"`
}

// Prop returns a prop of the programme's namespace.
func Prop(name, value string) Property { return Property{Name: name, NS: NS, Value: value} }

// Link is an OSCAL link.
type Link struct {
	Href      string `json:"href"`
	Rel       string `json:"rel,omitempty"`
	MediaType string `json:"media-type,omitempty"`
	Text      string `json:"text,omitempty"`
}

// Part is an OSCAL part (a statement, guidance, an overview …).
type Part struct {
	ID    string     `json:"id,omitempty"`
	Name  string     `json:"name"`
	NS    string     `json:"ns,omitempty"`
	Title string     `json:"title,omitempty"`
	Props []Property `json:"props,omitempty"`
	Prose string     `json:"prose,omitempty"`
	Parts []Part     `json:"parts,omitempty"`
}

// Metadata is a document's metadata.
type Metadata struct {
	Title              string             `json:"title"`
	Published          string             `json:"published,omitempty"`
	LastModified       string             `json:"last-modified"`
	Version            string             `json:"version"`
	OSCALVersion       string             `json:"oscal-version"`
	Props              []Property         `json:"props,omitempty"`
	Links              []Link             `json:"links,omitempty"`
	Roles              []Role             `json:"roles,omitempty"`
	Parties            []Party            `json:"parties,omitempty"`
	ResponsibleParties []ResponsibleParty `json:"responsible-parties,omitempty"`
	Remarks            string             `json:"remarks,omitempty"`
}

// Role is a function a party has in a document.
type Role struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// Party is a person or an organisation.
type Party struct {
	UUID        string       `json:"uuid"`
	Type        string       `json:"type"` // "person" or "organization"
	Name        string       `json:"name,omitempty"`
	ExternalIDs []ExternalID `json:"external-ids,omitempty"`
	Props       []Property   `json:"props,omitempty"`
}

// ExternalID is an identifier of a party in a scheme (a URI).
type ExternalID struct {
	Scheme string `json:"scheme"`
	ID     string `json:"id"`
}

// ResponsibleParty names the parties of a role.
type ResponsibleParty struct {
	RoleID     string   `json:"role-id"`
	PartyUUIDs []string `json:"party-uuids"`
}

// BackMatter holds the resources a document refers to.
type BackMatter struct {
	Resources []Resource `json:"resources,omitempty"`
}

// Resource is one resource of the back matter.
type Resource struct {
	UUID        string     `json:"uuid"`
	Title       string     `json:"title,omitempty"`
	Description string     `json:"description,omitempty"`
	Props       []Property `json:"props,omitempty"`
	Citation    *Citation  `json:"citation,omitempty"`
	RLinks      []RLink    `json:"rlinks,omitempty"`
	Remarks     string     `json:"remarks,omitempty"`
}

// Citation is the citation text of a resource.
type Citation struct {
	Text string `json:"text"`
}

// RLink is a link to a resource.
type RLink struct {
	Href      string `json:"href"`
	MediaType string `json:"media-type,omitempty"`
}

// Time formats t as an OSCAL date-time with time zone, in UTC.
func Time(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// Date formats the calendar date of d (as written, midnight UTC in this
// code base) as an OSCAL date-time: midnight UTC of that day.
func Date(d time.Time) string {
	y, m, day := d.Date()
	return time.Date(y, m, day, 0, 0, 0, 0, time.UTC).Format(time.RFC3339)
}

// ControlID is the OSCAL control ID of a requirement's reference: lower
// case, every run of characters other than letters, digits, '.', '-' and
// '_' replaced by one '-', leading and trailing '-' dropped, and "r-"
// put in front when it would not start with a letter or '_' (an OSCAL
// token must). "Backup-3" → "backup-3", "OPS.1.1.4 A1" → "ops.1.1.4-a1",
// "3.1" → "r-3.1". Two references with the same control ID are one
// reference to a catalogue (package catalog refuses the second).
func ControlID(ref string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(ref) {
		if unicode.IsLetter(r) || unicode.IsNumber(r) || r == '.' || r == '-' || r == '_' {
			b.WriteRune(r)
			dash = false
			continue
		}
		if !dash && b.Len() > 0 {
			b.WriteByte('-')
		}
		dash = true
	}
	id := strings.Trim(b.String(), "-")
	if id == "" {
		return "r"
	}
	if r, _ := utf8.DecodeRuneInString(id); !unicode.IsLetter(r) && r != '_' {
		return "r-" + id
	}
	return id
}

// StatementID is the ID of the statement part (the question) of the
// control of ref: the target of its finding in assessment results.
func StatementID(ref string) string { return ControlID(ref) + "_smt" }

// GuidanceID is the ID of the guidance part (the help) of ref's control.
func GuidanceID(ref string) string { return ControlID(ref) + "_gdn" }

// String makes s an OSCAL string (StringDatatype: one line, no leading or
// trailing white space): runs of white space become one space. It
// returns "" for a string of only white space.
func String(s string) string { return strings.Join(strings.Fields(s), " ") }
