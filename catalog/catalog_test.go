package catalog_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"sicherkommunal/catalog"
	"sicherkommunal/ent/schema/types"
)

// TestValidateRules: each rule, broken on its own in an otherwise valid
// catalogue, is reported with its code, field and place.
func TestValidateRules(t *testing.T) {
	for _, tc := range []struct {
		name       string
		edit       func(c *catalog.Catalogue)
		rule       string
		field      string
		group, req int
		place      string
	}{
		{"no groups", func(c *catalog.Catalogue) { c.Groups = nil }, catalog.RuleNoGroups, catalog.FieldGroups, -1, -1, "no checklist"},
		{"no name", func(c *catalog.Catalogue) { c.Name = " " }, catalog.RuleNameEmpty, catalog.FieldName, -1, -1, "no name"},
		{"no version", func(c *catalog.Catalogue) { c.Version = "" }, catalog.RuleVersionEmpty, catalog.FieldVersion, -1, -1, "no version"},
		{"name too long", func(c *catalog.Catalogue) { c.Name = strings.Repeat("n", 201) }, catalog.RuleTooLong, catalog.FieldName, -1, -1, "201 bytes long, more than 200"},
		{"name over two lines", func(c *catalog.Catalogue) { c.Name = "a\nb" }, catalog.RuleOneLine, catalog.FieldName, -1, -1, "one line"},
		{"version with spaces around", func(c *catalog.Catalogue) { c.Version = " 1" }, catalog.RuleWhiteSpace, catalog.FieldVersion, -1, -1, "white space"},
		{"source too long", func(c *catalog.Catalogue) { c.Source = strings.Repeat("s", 2001) }, catalog.RuleTooLong, catalog.FieldSource, -1, -1, "more than 2000"},
		{"published long ago", func(c *catalog.Catalogue) { d := types.Date(1899, 12, 31); c.PublishedOn = &d }, catalog.RulePublishedRange, catalog.FieldPublished, -1, -1, "1899-12-31"},
		{"group number 0", func(c *catalog.Catalogue) { c.Groups[0].Number = 0 }, catalog.RuleGroupNumberRange, catalog.FieldNumber, 0, -1, "checklist 0 (Backup): checklist number 0"},
		{"group number 1000", func(c *catalog.Catalogue) { c.Groups[0].Number = 1000 }, catalog.RuleGroupNumberRange, catalog.FieldNumber, 0, -1, "not in 1 to 999"},
		{"group number twice", func(c *catalog.Catalogue) { c.Groups[1].Number = 3 }, catalog.RuleGroupNumberDup, catalog.FieldNumber, 1, -1, "checklist number 3 is used twice"},
		{"priority 0", func(c *catalog.Catalogue) { c.Groups[0].Priority = 0 }, catalog.RulePriorityRange, catalog.FieldPriority, 0, -1, "priority 0 is not in 1 to 4"},
		{"priority 5", func(c *catalog.Catalogue) { c.Groups[1].Priority = 5 }, catalog.RulePriorityRange, catalog.FieldPriority, 1, -1, "checklist 12 (Rollen / Berechtigungen / Authentisierung): priority 5"},
		{"no title", func(c *catalog.Catalogue) { c.Groups[0].Title = "" }, catalog.RuleTitleEmpty, catalog.FieldTitle, 0, -1, "checklist 3: the checklist has no title"},
		{"title too long", func(c *catalog.Catalogue) { c.Groups[0].Title = strings.Repeat("t", 301) }, catalog.RuleTooLong, catalog.FieldTitle, 0, -1, "more than 300"},
		{"title with a tab", func(c *catalog.Catalogue) { c.Groups[0].Title = "Back\tup" }, catalog.RuleOneLine, catalog.FieldTitle, 0, -1, "without tabs"},
		{"goal too long", func(c *catalog.Catalogue) { c.Groups[0].Goal = strings.Repeat("g", 10001) }, catalog.RuleTooLong, catalog.FieldGoal, 0, -1, "more than 10000"},
		{"empty module", func(c *catalog.Catalogue) { c.Groups[0].Modules = []string{"CON.3", ""} }, catalog.RuleModuleEmpty, catalog.FieldModules, 0, -1, "module name is empty"},
		{"module twice", func(c *catalog.Catalogue) { c.Groups[0].Modules = []string{"CON.3", "CON.3"} }, catalog.RuleModuleDup, catalog.FieldModules, 0, -1, `module "CON.3" is named twice`},
		{"too many modules", func(c *catalog.Catalogue) {
			c.Groups[0].Modules = nil
			for i := range 101 {
				c.Groups[0].Modules = append(c.Groups[0].Modules, "M"+strconv.Itoa(i))
			}
		}, catalog.RuleTooLong, catalog.FieldModules, 0, -1, "101 modules"},
		{"no ref", func(c *catalog.Catalogue) { c.Groups[0].Requirements[1].Ref = "" }, catalog.RuleRefEmpty, catalog.FieldRef, 0, 1, "question 2 of checklist 3 (Backup): the question has no reference"},
		{"ref twice", func(c *catalog.Catalogue) { c.Groups[0].Requirements[1].Ref = "Backup-1" }, catalog.RuleRefDup, catalog.FieldRef, 0, 1, `reference "Backup-1" is used twice`},
		{"ref twice in other checklists", func(c *catalog.Catalogue) {
			c.Groups[1].Requirements = []catalog.Requirement{{Ref: "BACKUP-1", Number: 1, Question: "Q"}}
		}, catalog.RuleRefDup, catalog.FieldRef, 1, 0, `reference "BACKUP-1" is the same as "Backup-1" (as an OSCAL control ID, "backup-1")`},
		{"ref too long", func(c *catalog.Catalogue) { c.Groups[0].Requirements[0].Ref = strings.Repeat("r", 51) }, catalog.RuleTooLong, catalog.FieldRef, 0, 0, "more than 50"},
		{"ref over two lines", func(c *catalog.Catalogue) { c.Groups[0].Requirements[0].Ref = "Backup\n1" }, catalog.RuleOneLine, catalog.FieldRef, 0, 0, "one line"},
		{"number 0", func(c *catalog.Catalogue) { c.Groups[0].Requirements[0].Number = 0 }, catalog.RuleNumberRange, catalog.FieldNumber, 0, 0, "question Backup-1 of checklist 3 (Backup): question number 0"},
		{"number 10000", func(c *catalog.Catalogue) { c.Groups[0].Requirements[0].Number = 10000 }, catalog.RuleNumberRange, catalog.FieldNumber, 0, 0, "not in 1 to 9999"},
		{"no question", func(c *catalog.Catalogue) { c.Groups[0].Requirements[0].Question = "\n" }, catalog.RuleQuestionEmpty, catalog.FieldQuestion, 0, 0, "the question has no text"},
		{"question too long", func(c *catalog.Catalogue) { c.Groups[0].Requirements[0].Question = strings.Repeat("ä", 2501) }, catalog.RuleTooLong, catalog.FieldQuestion, 0, 0, "5002 bytes long, more than 5000"},
		{"question with spaces around", func(c *catalog.Catalogue) { c.Groups[0].Requirements[0].Question += " " }, catalog.RuleWhiteSpace, catalog.FieldQuestion, 0, 0, "white space"},
		{"help too long", func(c *catalog.Catalogue) { c.Groups[0].Requirements[0].Help = strings.Repeat("h", 20001) }, catalog.RuleTooLong, catalog.FieldHelp, 0, 0, "more than 20000"},
		{"effort too long", func(c *catalog.Catalogue) { c.Groups[0].Requirements[0].Effort = strings.Repeat("e", 101) }, catalog.RuleTooLong, catalog.FieldEffort, 0, 0, "more than 100"},
		{"effort over two lines", func(c *catalog.Catalogue) { c.Groups[0].Requirements[0].Effort = "ge\nring" }, catalog.RuleOneLine, catalog.FieldEffort, 0, 0, "one line"},
		{"carriage return", func(c *catalog.Catalogue) { c.Groups[0].Requirements[0].Question = "a\r\nb" }, catalog.RuleControlCharacter, catalog.FieldQuestion, 0, 0, "U+000D"},
		{"escape", func(c *catalog.Catalogue) { c.Groups[0].Requirements[0].Help = "a\x1bb" }, catalog.RuleControlCharacter, catalog.FieldHelp, 0, 0, "U+001B"},
		{"C1 control", func(c *catalog.Catalogue) { c.Groups[0].Goal = "a\u0085b" }, catalog.RuleControlCharacter, catalog.FieldGoal, 0, -1, "U+0085"},
		{"not UTF-8", func(c *catalog.Catalogue) { c.Groups[0].Requirements[0].Question = "a\xffb" }, catalog.RuleNotUTF8, catalog.FieldQuestion, 0, 0, "not valid UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := small()
			if err := c.Validate(); err != nil {
				t.Fatalf("the base catalogue: %v", err)
			}
			tc.edit(c)
			ps := c.Problems()
			if len(ps) != 1 {
				t.Fatalf("problems %+v, want one", ps)
			}
			p := ps[0]
			if p.Rule != tc.rule || p.Field != tc.field || p.Group != tc.group || p.Requirement != tc.req {
				t.Errorf("problem %+v, want rule %s, field %s at %d/%d", p, tc.rule, tc.field, tc.group, tc.req)
			}
			err := c.Validate()
			wantValidation(t, err, tc.place)
			if ruleOf(err) != tc.rule {
				t.Errorf("rule detail %q, want %q", ruleOf(err), tc.rule)
			}
		})
	}
}

func TestValidateTabsAndNewlinesInTexts(t *testing.T) {
	c := small()
	c.Groups[0].Requirements[0].Question = "Zeile 1\n\tZeile 2"
	c.Groups[0].Requirements[0].Help = "a\tb"
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
}

func TestValidateListsSeveralProblems(t *testing.T) {
	c := small()
	for i := range c.Groups[0].Requirements {
		c.Groups[0].Requirements[i].Question = ""
	}
	c.Groups = append(c.Groups, make([]catalog.Group, 12)...)
	err := c.Validate()
	wantValidation(t, err, "question Backup-1 of checklist 3 (Backup): the question has no text; question OPS.1.1.4 A1", "and ")
	if len(c.Problems()) <= 10 {
		t.Fatalf("%d problems", len(c.Problems()))
	}
}

func TestDigest(t *testing.T) {
	base := small().Digest()
	if len(base) != 64 || strings.Trim(base, "0123456789abcdef") != "" {
		t.Fatalf("digest %q is no hex SHA-256", base)
	}
	same := map[string]func(c *catalog.Catalogue){
		"other name":      func(c *catalog.Catalogue) { c.Name = "Anders" },
		"other version":   func(c *catalog.Catalogue) { c.Version = "2" },
		"other source":    func(c *catalog.Catalogue) { c.Source = "" },
		"no date":         func(c *catalog.Catalogue) { c.PublishedOn = nil },
		"groups reversed": func(c *catalog.Catalogue) { slices.Reverse(c.Groups) },
		"questions reversed": func(c *catalog.Catalogue) {
			slices.Reverse(c.Groups[0].Requirements)
		},
	}
	for name, edit := range same {
		c := small()
		edit(c)
		if c.Digest() != base {
			t.Errorf("%s changes the digest", name)
		}
	}
	differ := map[string]func(c *catalog.Catalogue){
		"a question":   func(c *catalog.Catalogue) { c.Groups[0].Requirements[1].Question += "!" },
		"help":         func(c *catalog.Catalogue) { c.Groups[0].Requirements[1].Help = "x" },
		"effort":       func(c *catalog.Catalogue) { c.Groups[0].Requirements[1].Effort = "hoch" },
		"a ref":        func(c *catalog.Catalogue) { c.Groups[0].Requirements[1].Ref = "X-2" },
		"a number":     func(c *catalog.Catalogue) { c.Groups[0].Requirements[1].Number = 7 },
		"a priority":   func(c *catalog.Catalogue) { c.Groups[0].Priority = 2 },
		"a title":      func(c *catalog.Catalogue) { c.Groups[0].Title = "Datensicherung" },
		"a goal":       func(c *catalog.Catalogue) { c.Groups[0].Goal = "" },
		"module order": func(c *catalog.Catalogue) { slices.Reverse(c.Groups[0].Modules) },
		"text moved between": func(c *catalog.Catalogue) {
			r := &c.Groups[0].Requirements[0]
			r.Question, r.Help = r.Question+r.Help, ""
		},
		"question moved": func(c *catalog.Catalogue) {
			c.Groups[1].Requirements = c.Groups[0].Requirements[1:]
			c.Groups[0].Requirements = c.Groups[0].Requirements[:1]
		},
	}
	for name, edit := range differ {
		c := small()
		edit(c)
		if c.Digest() == base {
			t.Errorf("%s keeps the digest", name)
		}
	}
}

func TestChecklists(t *testing.T) {
	want := map[int]int{1: 3, 2: 3, 3: 1, 4: 2, 5: 2, 6: 4, 7: 1, 8: 3, 9: 2, 10: 1, 11: 3, 12: 1, 13: 2, 14: 2, 15: 2, 16: 4, 17: 3, 18: 1, 19: 2}
	cls := catalog.Checklists()
	if len(cls) != 19 {
		t.Fatalf("%d checklists", len(cls))
	}
	shorts := map[string]bool{}
	for i, cl := range cls {
		if cl.Number != i+1 || cl.Priority != want[cl.Number] || cl.Title == "" || cl.Short == "" {
			t.Errorf("checklist %+v", cl)
		}
		if shorts[strings.ToLower(cl.Short)] {
			t.Errorf("short name %q twice", cl.Short)
		}
		shorts[strings.ToLower(cl.Short)] = true
	}
	if cls[6].Title != "IT-Administration" || cls[6].Short != "IT-Admin" || cls[9].Short != "OrgPers" {
		t.Errorf("checklists 7 and 10: %+v %+v", cls[6], cls[9])
	}
}

func TestChecklistNamed(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int // 0: not found
	}{
		{"Backup", 3},
		{"  Backup \n", 3},
		{"3 Backup", 3},
		{"3. Backup", 3},
		{"3.Backup", 3},
		{"3) Backup", 3},
		{"3 - Backup", 3},
		{"03 Backup", 3},
		{"12 Rollen / Berechtigungen / Authentisierung", 12},
		{"Rollen / Berechtigungen / Authentisierung", 12},
		{"Vorbereitung für Sicherheitsvorfälle", 18},
		{"4 Backup", 0},
		{"backup", 0},
		{"Backups", 0},
		{"3", 0},
		{"", 0},
		{"20 Backup", 0},
	} {
		cl, ok := catalog.ChecklistNamed(tc.in)
		if ok != (tc.want != 0) || ok && cl.Number != tc.want {
			t.Errorf("ChecklistNamed(%q) = %d, %v; want %d", tc.in, cl.Number, ok, tc.want)
		}
	}
}

func TestDemo(t *testing.T) {
	c := catalog.Demo()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Name != "SicherKOMMUNAL Demonstrationskatalog (keine BSI-Texte)" || c.Version != "2026.1" {
		t.Errorf("name %q, version %q", c.Name, c.Version)
	}
	if len(c.Groups) != 19 {
		t.Fatalf("%d checklists", len(c.Groups))
	}
	total, helped := 0, 0
	questions := map[string]bool{}
	for i, g := range c.Groups {
		cl := catalog.Checklists()[i]
		if g.Number != cl.Number || g.Title != cl.Title || g.Priority != cl.Priority || g.Goal == "" {
			t.Errorf("checklist %d: %+v", i+1, g)
		}
		if n := len(g.Requirements); n < 3 || n > 5 {
			t.Errorf("checklist %d has %d questions", g.Number, n)
		}
		for j, r := range g.Requirements {
			total++
			if r.Help != "" {
				helped++
			}
			if r.Number != j+1 || !strings.HasPrefix(r.Ref, cl.Short+"-") {
				t.Errorf("question %+v", r)
			}
			if !slices.Contains([]string{"gering", "mittel", "hoch"}, r.Effort) {
				t.Errorf("%s: effort %q", r.Ref, r.Effort)
			}
			if !strings.HasSuffix(r.Question, "?") || questions[r.Question] {
				t.Errorf("%s: question %q", r.Ref, r.Question)
			}
			questions[r.Question] = true
		}
	}
	if total < 70 || total > 80 {
		t.Errorf("%d questions, want 70 to 80", total)
	}
	if helped == 0 || helped == total {
		t.Errorf("%d of %d questions have help, want some", helped, total)
	}
	if catalog.Demo().Digest() != c.Digest() {
		t.Error("Demo is not stable")
	}
}
