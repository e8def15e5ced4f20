package oscal

// CatalogDocument is an OSCAL catalog document: {"catalog": {…}}.
type CatalogDocument struct {
	Catalog Catalog `json:"catalog"`
}

// Catalog is an OSCAL catalog. The programme's catalogues have groups
// only (the checklists), each with controls only (the questions).
type Catalog struct {
	UUID       string      `json:"uuid"`
	Metadata   Metadata    `json:"metadata"`
	Groups     []Group     `json:"groups,omitempty"`
	BackMatter *BackMatter `json:"back-matter,omitempty"`
}

// Group is a group of controls: one checklist.
type Group struct {
	ID       string     `json:"id,omitempty"`
	Class    string     `json:"class,omitempty"`
	Title    string     `json:"title"`
	Props    []Property `json:"props,omitempty"`
	Parts    []Part     `json:"parts,omitempty"`
	Controls []Control  `json:"controls,omitempty"`
}

// Control is one control: one check question.
type Control struct {
	ID    string     `json:"id"`
	Class string     `json:"class,omitempty"`
	Title string     `json:"title"`
	Props []Property `json:"props,omitempty"`
	Parts []Part     `json:"parts,omitempty"`
}
