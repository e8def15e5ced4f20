// Package catalog holds the catalogues of check questions: the BSI's WiBA
// checklists as operators import them, or the demonstration catalogue.
//
// A Catalogue is one edition: groups (the checklists, each in a group of
// the BSI's processing order, 1 first) of requirements (the questions).
// It comes from a WiBA-Tool spreadsheet export (ReadSheet, FromSheet) or
// an OSCAL catalog (ParseOSCAL), goes out as OSCAL (WriteOSCAL) or as a
// WiBA-Tool-shaped spreadsheet (WriteSheet), and is stored once per name
// and version (Service.Import, Load). The server ships no BSI text: Demo
// is the team's own demonstration catalogue.
//
// Errors: VALIDATION for a catalogue or file that breaks a rule (naming
// the row, the JSON path or the checklist and question), CONFLICT for a
// different content under a stored name and version.
package catalog

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"sicherkommunal/apperr"
	"sicherkommunal/oscal"
)

// Catalogue is one edition of a catalogue of check questions.
type Catalogue struct {
	Name    string
	Version string
	// Source says where the texts come from (an edition of the BSI's
	// material, a URL); empty if unknown.
	Source string
	// PublishedOn is the edition's date (midnight UTC), if known.
	PublishedOn *time.Time
	Groups      []Group
}

// Group is one checklist (Prüfthema).
type Group struct {
	Number int
	// Priority is the group of the BSI's processing order, 1 to 4.
	Priority int
	Title    string
	// Modules are the IT-Grundschutz modules behind the checklist.
	Modules      []string
	Goal         string
	Requirements []Requirement
}

// Requirement is one check question (Prüffrage).
type Requirement struct {
	// Ref is the question's reference, such as "Backup-3"; unique in the
	// catalogue, also as an OSCAL control ID (oscal.ControlID).
	Ref    string
	Number int
	// Question is the question's text; Help the aids (Hilfsmittel),
	// Effort the effort (Aufwand), both optional.
	Question, Help, Effort string
}

// The limits of the texts, in bytes: the data model's (ent/schema).
const (
	MaxNameLen     = 200
	MaxVersionLen  = 50
	MaxSourceLen   = 2000
	MaxTitleLen    = 300
	MaxGoalLen     = 10000
	MaxRefLen      = 50
	MaxQuestionLen = 5000
	MaxHelpLen     = 20000
	MaxEffortLen   = 100
	// MaxModuleLen and MaxModules bound a checklist's modules.
	MaxModuleLen = 100
	MaxModules   = 100
)

// The rules of a catalogue, as Problem.Rule.
const (
	RuleNoGroups         = "no-groups"              // at least one checklist
	RuleNameEmpty        = "name-empty"             // a name
	RuleVersionEmpty     = "version-empty"          // a version
	RuleGroupNumberRange = "group-number-range"     // checklist numbers 1–999
	RuleGroupNumberDup   = "group-number-duplicate" // unique checklist numbers
	RulePriorityRange    = "priority-range"         // priorities 1–4
	RuleTitleEmpty       = "title-empty"            // every checklist has a title
	RuleModuleEmpty      = "module-empty"           // no empty module names
	RuleModuleDup        = "module-duplicate"       // a module once per checklist
	RuleRefEmpty         = "ref-empty"              // every question has a reference
	RuleRefDup           = "ref-duplicate"          // unique references (as OSCAL control IDs)
	RuleNumberRange      = "requirement-number-range"
	RuleQuestionEmpty    = "question-empty"    // every question has a text
	RuleTooLong          = "too-long"          // within the data model's lengths
	RuleControlCharacter = "control-character" // none but tab and newline
	RuleNotUTF8          = "not-utf8"          // valid UTF-8
	RuleOneLine          = "one-line"          // one line, without tabs (names, titles, references, modules, effort)
	RuleWhiteSpace       = "white-space"       // no white space around a text
	RulePublishedRange   = "published-range"   // a date in 1900–2999
)

// The fields a Problem names.
const (
	FieldName      = "name"
	FieldVersion   = "version"
	FieldSource    = "source"
	FieldPublished = "published"
	FieldGroups    = "groups"
	FieldNumber    = "number"
	FieldPriority  = "priority"
	FieldTitle     = "title"
	FieldModules   = "modules"
	FieldGoal      = "goal"
	FieldRef       = "ref"
	FieldQuestion  = "question"
	FieldHelp      = "help"
	FieldEffort    = "effort"
)

// Problem is one broken rule of a catalogue.
type Problem struct {
	Rule string
	// Group is the index of the checklist in Groups, -1 for the catalogue
	// itself; Requirement the index of the question in its Requirements,
	// -1 for the checklist itself.
	Group, Requirement int
	// Field is the field at fault (FieldName …).
	Field string
	// Message says what is wrong, without the place.
	Message string
	// OtherGroup and OtherRequirement are the first place of a duplicate
	// (-1 otherwise).
	OtherGroup, OtherRequirement int
}

// Problems lists every broken rule of c, in the order of c.
func (c *Catalogue) Problems() []Problem {
	var ps []Problem
	add := func(rule string, g, r int, field, format string, args ...any) {
		ps = append(ps, Problem{Rule: rule, Group: g, Requirement: r, Field: field,
			Message: fmt.Sprintf(format, args...), OtherGroup: -1, OtherRequirement: -1})
	}
	text := func(g, r int, field, s string, max int, line bool) {
		switch {
		case !utf8.ValidString(s):
			add(RuleNotUTF8, g, r, field, "%s is not valid UTF-8", field)
			return
		case len(s) > max:
			add(RuleTooLong, g, r, field, "%s is %d bytes long, more than %d", field, len(s), max)
		}
		for _, ch := range s {
			if line && (ch == '\n' || ch == '\t') {
				add(RuleOneLine, g, r, field, "%s must be one line, without tabs", field)
				break
			}
			if ch != '\n' && ch != '\t' && unicode.IsControl(ch) {
				add(RuleControlCharacter, g, r, field, "%s contains the control character %U", field, ch)
				break
			}
		}
		if t := strings.TrimSpace(s); t != "" && t != s {
			add(RuleWhiteSpace, g, r, field, "%s begins or ends with white space", field)
		}
	}

	if strings.TrimSpace(c.Name) == "" {
		add(RuleNameEmpty, -1, -1, FieldName, "the catalogue has no name")
	}
	text(-1, -1, FieldName, c.Name, MaxNameLen, true)
	if strings.TrimSpace(c.Version) == "" {
		add(RuleVersionEmpty, -1, -1, FieldVersion, "the catalogue has no version")
	}
	text(-1, -1, FieldVersion, c.Version, MaxVersionLen, true)
	text(-1, -1, FieldSource, c.Source, MaxSourceLen, false)
	if p := c.PublishedOn; p != nil && (p.Year() < 1900 || p.Year() > 2999) {
		add(RulePublishedRange, -1, -1, FieldPublished, "publication date %s is not in the years 1900 to 2999", p.Format(time.DateOnly))
	}
	if len(c.Groups) == 0 {
		add(RuleNoGroups, -1, -1, FieldGroups, "the catalogue has no checklist")
	}

	groupAt := map[int]int{}
	type place struct{ g, r int }
	refAt := map[string]place{}
	for gi, g := range c.Groups {
		if g.Number < 1 || g.Number > 999 {
			add(RuleGroupNumberRange, gi, -1, FieldNumber, "checklist number %d is not in 1 to 999", g.Number)
		} else if first, ok := groupAt[g.Number]; ok {
			add(RuleGroupNumberDup, gi, -1, FieldNumber, "checklist number %d is used twice", g.Number)
			ps[len(ps)-1].OtherGroup = first
		} else {
			groupAt[g.Number] = gi
		}
		if g.Priority < 1 || g.Priority > 4 {
			add(RulePriorityRange, gi, -1, FieldPriority, "priority %d is not in 1 to 4", g.Priority)
		}
		if strings.TrimSpace(g.Title) == "" {
			add(RuleTitleEmpty, gi, -1, FieldTitle, "the checklist has no title")
		}
		text(gi, -1, FieldTitle, g.Title, MaxTitleLen, true)
		text(gi, -1, FieldGoal, g.Goal, MaxGoalLen, false)
		if len(g.Modules) > MaxModules {
			add(RuleTooLong, gi, -1, FieldModules, "the checklist has %d modules, more than %d", len(g.Modules), MaxModules)
		}
		seen := map[string]bool{}
		for _, m := range g.Modules {
			switch {
			case strings.TrimSpace(m) == "":
				add(RuleModuleEmpty, gi, -1, FieldModules, "a module name is empty")
			case seen[m]:
				add(RuleModuleDup, gi, -1, FieldModules, "module %q is named twice", clip(m))
			}
			seen[m] = true
			text(gi, -1, FieldModules, m, MaxModuleLen, true)
		}
		for ri, r := range g.Requirements {
			if strings.TrimSpace(r.Ref) == "" {
				add(RuleRefEmpty, gi, ri, FieldRef, "the question has no reference")
			} else if first, ok := refAt[oscal.ControlID(r.Ref)]; ok {
				other := c.Groups[first.g].Requirements[first.r].Ref
				if other == r.Ref {
					add(RuleRefDup, gi, ri, FieldRef, "reference %q is used twice", clip(r.Ref))
				} else {
					add(RuleRefDup, gi, ri, FieldRef, "reference %q is the same as %q (as an OSCAL control ID, %q)", clip(r.Ref), clip(other), oscal.ControlID(r.Ref))
				}
				ps[len(ps)-1].OtherGroup, ps[len(ps)-1].OtherRequirement = first.g, first.r
			} else {
				refAt[oscal.ControlID(r.Ref)] = place{gi, ri}
			}
			text(gi, ri, FieldRef, r.Ref, MaxRefLen, true)
			if r.Number < 1 || r.Number > 9999 {
				add(RuleNumberRange, gi, ri, FieldNumber, "question number %d is not in 1 to 9999", r.Number)
			}
			if strings.TrimSpace(r.Question) == "" {
				add(RuleQuestionEmpty, gi, ri, FieldQuestion, "the question has no text")
			}
			text(gi, ri, FieldQuestion, r.Question, MaxQuestionLen, false)
			text(gi, ri, FieldHelp, r.Help, MaxHelpLen, false)
			text(gi, ri, FieldEffort, r.Effort, MaxEffortLen, true)
		}
	}
	return ps
}

// maxListed bounds the problems an error message lists.
const maxListed = 10

// Validate checks every rule of a catalogue (Problems): a VALIDATION error
// lists the first problems, each with its place (checklist and question);
// its details hold the first problem's rule ("rule") and their number
// ("problems").
func (c *Catalogue) Validate() error {
	return problemsError(c.Problems(), c.Place)
}

// problemsError is the VALIDATION error of ps, each placed by place; nil
// for none.
func problemsError(ps []Problem, place func(Problem) string) error {
	if len(ps) == 0 {
		return nil
	}
	var b strings.Builder
	for i, p := range ps {
		if i == maxListed {
			fmt.Fprintf(&b, "; and %d more", len(ps)-maxListed)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		if pl := place(p); pl != "" {
			b.WriteString(pl + ": ")
		}
		b.WriteString(p.Message)
	}
	return apperr.New(apperr.Validation, "%s", b.String()).With("rule", ps[0].Rule).With("problems", len(ps))
}

// Place names the place of p in c: "checklist 3 (Backup)", "question
// Backup-2 of checklist 3", or "" for the catalogue itself.
func (c *Catalogue) Place(p Problem) string {
	if p.Group < 0 || p.Group >= len(c.Groups) {
		return ""
	}
	g := c.Groups[p.Group]
	gp := fmt.Sprintf("checklist %d (%s)", g.Number, clip(g.Title))
	if strings.TrimSpace(g.Title) == "" {
		gp = fmt.Sprintf("checklist %d", g.Number)
	}
	if p.Requirement < 0 || p.Requirement >= len(g.Requirements) {
		return gp
	}
	r := g.Requirements[p.Requirement]
	if strings.TrimSpace(r.Ref) == "" {
		return fmt.Sprintf("question %d of %s", p.Requirement+1, gp)
	}
	return fmt.Sprintf("question %s of %s", clip(r.Ref), gp)
}

// clip shortens a text quoted in a message.
func clip(s string) string {
	if len(s) <= 60 {
		return s
	}
	cut := 60
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// Digest is the hex SHA-256 of the content of c: its checklists in the
// order of their numbers, each with its fields and its questions in the
// order of their numbers (then references). Name, version, source and
// publication date are not part of it: they name the edition, the digest
// tells whether two editions say the same.
//
// The encoding is a version line followed by netstrings ("<length>:<bytes>,")
// of every field, which no text can make ambiguous.
func (c *Catalogue) Digest() string {
	h := sha256.New()
	put := func(s string) { fmt.Fprintf(h, "%d:%s,", len(s), s) }
	num := func(n int) { put(strconv.Itoa(n)) }
	h.Write([]byte("sicherkommunal catalogue v1\n"))
	groups := slices.Clone(c.Groups)
	slices.SortStableFunc(groups, func(a, b Group) int { return a.Number - b.Number })
	for _, g := range groups {
		put("group")
		num(g.Number)
		num(g.Priority)
		put(g.Title)
		num(len(g.Modules))
		for _, m := range g.Modules {
			put(m)
		}
		put(g.Goal)
		reqs := slices.Clone(g.Requirements)
		sortRequirements(reqs)
		num(len(reqs))
		for _, r := range reqs {
			put(r.Ref)
			num(r.Number)
			put(r.Question)
			put(r.Help)
			put(r.Effort)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// sortRequirements orders questions by number, then reference.
func sortRequirements(rs []Requirement) {
	slices.SortStableFunc(rs, func(a, b Requirement) int {
		if a.Number != b.Number {
			return a.Number - b.Number
		}
		return strings.Compare(a.Ref, b.Ref)
	})
}

// trailingNumber is the number at the end of a reference ("Backup-3").
var trailingNumber = regexp.MustCompile(`(\d+)$`)

// normalizeText is how the importers take a text: line ends as "\n", no
// white space around it.
func normalizeText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.TrimSpace(s)
}
