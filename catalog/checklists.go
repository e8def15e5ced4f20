package catalog

import (
	_ "embed"
	"encoding/csv"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// checklistsCSV is the table of the 19 WiBA checklists: the BSI's number
// and title, the group of the BSI's processing order (1 first) and the
// short name this package gives each checklist (Checklist.Short).
//
//go:embed checklists.csv
var checklistsCSV string

// Checklist is one of the 19 checklists of the BSI's WiBA.
type Checklist struct {
	Number int
	Title  string
	// Priority is the group of the BSI's processing order, 1 to 4.
	Priority int
	// Short is the stable short name of the checklist, the prefix of the
	// references FromSheet makes of bare question numbers ("Backup-3"):
	// Extern, Haustechnik, Backup, Buero, Client, Drucker, IT-Admin,
	// Mobil, Netze, OrgPers, Cloud, Rollen, Serverraum, Server, SichMech,
	// Telefonie, Info, Vorfall, Web (checklists 1 to 19). It never
	// changes: stored references are made of it.
	Short string
}

var checklists = mustParseChecklists(checklistsCSV)

func mustParseChecklists(s string) []Checklist {
	records, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	if err != nil {
		panic(fmt.Sprintf("catalog: checklists.csv: %v", err))
	}
	var out []Checklist
	for i, r := range records[1:] {
		n, err1 := strconv.Atoi(r[0])
		p, err2 := strconv.Atoi(r[2])
		if err1 != nil || err2 != nil || n != i+1 {
			panic(fmt.Sprintf("catalog: checklists.csv line %d: %q", i+2, r))
		}
		out = append(out, Checklist{Number: n, Title: r[1], Priority: p, Short: r[3]})
	}
	return out
}

// Checklists returns the 19 WiBA checklists in the order of their numbers.
func Checklists() []Checklist { return append([]Checklist(nil), checklists...) }

// numberedTitle is a title after its checklist's number: "3 Backup",
// "3. Backup", "3) Backup", "3 - Backup".
var numberedTitle = regexp.MustCompile(`^(\d{1,3})\s*[.):\-–]?\s*(\S.*)$`)

// ChecklistNamed returns the checklist a spreadsheet names: its title
// (exact, after trimming), or its number followed by its title ("3
// Backup", "3. Backup").
func ChecklistNamed(s string) (Checklist, bool) {
	s = strings.TrimSpace(s)
	for _, c := range checklists {
		if c.Title == s {
			return c, true
		}
	}
	if m := numberedTitle.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[1])
		if n >= 1 && n <= len(checklists) && checklists[n-1].Title == strings.TrimSpace(m[2]) {
			return checklists[n-1], true
		}
	}
	return Checklist{}, false
}
