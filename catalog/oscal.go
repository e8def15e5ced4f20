package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"sicherkommunal/apperr"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/oscal"
)

// A catalogue in OSCAL (ParseOSCAL reads, WriteOSCAL writes):
//
//	catalog.metadata.title       Name
//	catalog.metadata.version     Version
//	catalog.metadata.published   PublishedOn (the date as written)
//	catalog.back-matter          Source: the citation text of the resource
//	                             with the prop {"name": "type", "ns": NS,
//	                             "value": "source"} (reading also takes
//	                             its title, description or first rlink,
//	                             or a metadata prop named "source")
//	catalog.groups[]             Groups, in order
//	  .title                     Title
//	  .props label               Number ("3"; reading: else the position)
//	  .props priority (NS)       Priority ("1" to "4")
//	  .props module (NS)         Modules, in order
//	  .parts overview            Goal (reading also takes "objective")
//	  .controls[]                Requirements, in order
//	    .id                      oscal.ControlID(Ref)
//	    .title                   Ref
//	    .props label             Ref (reading: else the id)
//	    .props sort-id           Number: its trailing digits ("03-0005");
//	                             reading: else the position
//	    .props effort (NS)       Effort
//	    .parts statement         Question (id oscal.StatementID(Ref))
//	    .parts guidance          Help (id oscal.GuidanceID(Ref))
//
// NS is oscal.NS; reading takes props of the names above in NS or in no
// namespace, and ignores all others. A part's text is its prose and that
// of its parts (each after its label prop), one per line. Reading refuses
// controls outside a group, groups in groups and controls in controls
// (enhancements): a question belongs to one checklist. Parameters are
// ignored.

// MaxOSCALBytes is the largest OSCAL document ParseOSCAL reads;
// maxOSCALDepth the deepest nesting of its JSON.
const (
	MaxOSCALBytes = 16 << 20
	maxOSCALDepth = 64
)

// WriteOSCAL writes c as an OSCAL 1.0.6 catalog (JSON), valid against the
// official schema; uuid gives the document's UUIDs (oscal.NewUUID in
// production), now is its last-modified time. A catalogue that breaks a
// rule (Validate) is refused.
func WriteOSCAL(c *Catalogue, uuid func() string, now time.Time) ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	cat := oscal.Catalog{
		UUID: uuid(),
		Metadata: oscal.Metadata{
			Title:        c.Name,
			LastModified: oscal.Time(now),
			Version:      c.Version,
			OSCALVersion: oscal.Version,
		},
	}
	if c.PublishedOn != nil {
		cat.Metadata.Published = oscal.Date(*c.PublishedOn)
	}
	for _, g := range c.Groups {
		og := oscal.Group{
			ID:    fmt.Sprintf("checklist-%d", g.Number),
			Title: g.Title,
			Props: []oscal.Property{{Name: "label", Value: strconv.Itoa(g.Number)}, oscal.Prop("priority", strconv.Itoa(g.Priority))},
		}
		for _, m := range g.Modules {
			og.Props = append(og.Props, oscal.Prop("module", m))
		}
		if g.Goal != "" {
			og.Parts = []oscal.Part{{ID: og.ID + "_ovw", Name: "overview", Prose: g.Goal}}
		}
		for _, r := range g.Requirements {
			oc := oscal.Control{
				ID:    oscal.ControlID(r.Ref),
				Title: r.Ref,
				Props: []oscal.Property{{Name: "label", Value: r.Ref}, {Name: "sort-id", Value: fmt.Sprintf("%03d-%04d", g.Number, r.Number)}},
				Parts: []oscal.Part{{ID: oscal.StatementID(r.Ref), Name: "statement", Prose: r.Question}},
			}
			if r.Effort != "" {
				oc.Props = append(oc.Props, oscal.Prop("effort", r.Effort))
			}
			if r.Help != "" {
				oc.Parts = append(oc.Parts, oscal.Part{ID: oscal.GuidanceID(r.Ref), Name: "guidance", Prose: r.Help})
			}
			og.Controls = append(og.Controls, oc)
		}
		cat.Groups = append(cat.Groups, og)
	}
	if c.Source != "" {
		cat.BackMatter = &oscal.BackMatter{Resources: []oscal.Resource{{
			UUID:     uuid(),
			Title:    "Quelle der Texte",
			Props:    []oscal.Property{oscal.Prop("type", "source")},
			Citation: &oscal.Citation{Text: c.Source},
		}}}
	}
	return marshal(oscal.CatalogDocument{Catalog: cat})
}

// marshal writes v as indented JSON, without HTML escapes.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ParseOSCAL reads an OSCAL 1.0.x (or 1.1.x) catalog in JSON, as the
// mapping above says. Errors (VALIDATION) name the JSON path
// ("catalog.groups[2].controls[5].parts: …"): a document larger than
// MaxOSCALBytes or nested deeper than 64 levels, no JSON, no catalog, a
// missing or mistyped field, a rule of Catalogue.Problems.
func ParseOSCAL(r io.Reader) (*Catalogue, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxOSCALBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxOSCALBytes {
		return nil, apperr.New(apperr.Validation, "the OSCAL document is larger than %d MiB", MaxOSCALBytes>>20)
	}
	doc, err := decodeJSON(data)
	if err != nil {
		return nil, err
	}
	p := &parser{paths: map[fieldAt]string{}}
	c, err := p.catalog(node{"", doc})
	if err != nil {
		return nil, err
	}
	err = problemsError(c.Problems(), func(pr Problem) string {
		if path, ok := p.paths[fieldAt{pr.Group, pr.Requirement, pr.Field}]; ok {
			return path
		}
		switch {
		case pr.Group < 0:
			return "catalog.metadata"
		case pr.Requirement < 0:
			return fmt.Sprintf("catalog.groups[%d]", pr.Group)
		}
		return fmt.Sprintf("catalog.groups[%d].controls[%d]", pr.Group, pr.Requirement)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// invalid is a VALIDATION error at a JSON path.
func invalid(path, format string, args ...any) error {
	if path == "" {
		path = "the document"
	}
	return apperr.New(apperr.Validation, "%s: %s", path, fmt.Sprintf(format, args...))
}

// decodeJSON decodes one JSON value (numbers as json.Number), refusing
// nesting deeper than maxOSCALDepth, duplicate keys and trailing data.
func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := readJSON(dec, "", 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, apperr.New(apperr.Validation, "the document is not one JSON value: more follows at byte %d", dec.InputOffset())
	}
	return v, nil
}

func syntaxError(dec *json.Decoder, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return apperr.New(apperr.Validation, "the document is not valid JSON: it ends early")
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return apperr.New(apperr.Validation, "the document is not valid JSON (at byte %d): %s", se.Offset, se.Error())
	}
	return apperr.New(apperr.Validation, "the document is not valid JSON (at byte %d)", dec.InputOffset())
}

func readJSON(dec *json.Decoder, path string, depth int) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, syntaxError(dec, err)
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	if depth == maxOSCALDepth {
		return nil, invalid(path, "nested deeper than %d levels", maxOSCALDepth)
	}
	switch d {
	case '{':
		m := map[string]any{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, syntaxError(dec, err)
			}
			k, _ := kt.(string)
			if _, dup := m[k]; dup {
				return nil, invalid(join(path, k), "the key appears twice")
			}
			v, err := readJSON(dec, join(path, k), depth+1)
			if err != nil {
				return nil, err
			}
			m[k] = v
		}
		if _, err := dec.Token(); err != nil {
			return nil, syntaxError(dec, err)
		}
		return m, nil
	default: // '['
		a := []any{}
		for dec.More() {
			v, err := readJSON(dec, fmt.Sprintf("%s[%d]", path, len(a)), depth+1)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		if _, err := dec.Token(); err != nil {
			return nil, syntaxError(dec, err)
		}
		return a, nil
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// node is a JSON value at its path.
type node struct {
	path string
	v    any
}

func kind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "true or false"
	case nil:
		return "null"
	}
	return "a value"
}

func (n node) object() (map[string]any, error) {
	m, ok := n.v.(map[string]any)
	if !ok {
		return nil, invalid(n.path, "expected an object, found %s", kind(n.v))
	}
	return m, nil
}

func (n node) array() ([]any, error) {
	a, ok := n.v.([]any)
	if !ok {
		return nil, invalid(n.path, "expected an array, found %s", kind(n.v))
	}
	return a, nil
}

func (n node) string() (string, error) {
	s, ok := n.v.(string)
	if !ok {
		return "", invalid(n.path, "expected a string, found %s", kind(n.v))
	}
	return s, nil
}

// key is the member k of the object at n; ok reports whether it is there.
func key(n node, m map[string]any, k string) (node, bool) {
	v, ok := m[k]
	return node{join(n.path, k), v}, ok
}

// fieldAt is a field of the catalogue read: its path names the problems.
type fieldAt struct {
	group, req int
	field      string
}

type parser struct{ paths map[fieldAt]string }

func (p *parser) at(g, r int, field, path string) { p.paths[fieldAt{g, r, field}] = path }

// prop is a prop of the programme's (or OSCAL's own) namespace.
type prop struct{ name, value, path string }

// props reads the props of the object m at n, keeping those in oscal.NS
// or in no namespace.
func props(n node, m map[string]any) ([]prop, error) {
	pn, ok := key(n, m, "props")
	if !ok {
		return nil, nil
	}
	items, err := pn.array()
	if err != nil {
		return nil, err
	}
	var out []prop
	for i, it := range items {
		in := node{fmt.Sprintf("%s[%d]", pn.path, i), it}
		pm, err := in.object()
		if err != nil {
			return nil, err
		}
		var f [3]string
		for j, k := range []string{"name", "value", "ns"} {
			fn, ok := key(in, pm, k)
			if !ok {
				if k == "ns" {
					continue
				}
				return nil, invalid(fn.path, "missing")
			}
			if f[j], err = fn.string(); err != nil {
				return nil, err
			}
		}
		if f[2] == "" || f[2] == oscal.NS {
			out = append(out, prop{name: f[0], value: strings.TrimSpace(f[1]), path: in.path + ".value"})
		}
	}
	return out, nil
}

func propsNamed(ps []prop, name string) []prop {
	var out []prop
	for _, p := range ps {
		if p.name == name {
			out = append(out, p)
		}
	}
	return out
}

// part is a part with its text.
type part struct{ name, text, path string }

// parts reads the parts of the object m at n.
func parts(n node, m map[string]any, depth int) ([]part, error) {
	pn, ok := key(n, m, "parts")
	if !ok {
		return nil, nil
	}
	items, err := pn.array()
	if err != nil {
		return nil, err
	}
	var out []part
	for i, it := range items {
		in := node{fmt.Sprintf("%s[%d]", pn.path, i), it}
		pm, err := in.object()
		if err != nil {
			return nil, err
		}
		nn, ok := key(in, pm, "name")
		if !ok {
			return nil, invalid(nn.path, "missing")
		}
		name, err := nn.string()
		if err != nil {
			return nil, err
		}
		var lines []string
		if pr, ok := key(in, pm, "prose"); ok {
			s, err := pr.string()
			if err != nil {
				return nil, err
			}
			if s = normalizeText(s); s != "" {
				lines = append(lines, s)
			}
		}
		sub, err := parts(in, pm, depth+1)
		if err != nil {
			return nil, err
		}
		for _, s := range sub {
			if s.text != "" {
				lines = append(lines, s.text)
			}
		}
		text := strings.Join(lines, "\n")
		if depth > 0 && text != "" {
			ps, err := props(in, pm)
			if err != nil {
				return nil, err
			}
			if l := propsNamed(ps, "label"); len(l) > 0 && l[0].value != "" {
				text = l[0].value + " " + text
			}
		}
		out = append(out, part{name: name, text: text, path: in.path})
	}
	return out, nil
}

func partNamed(ps []part, names ...string) (part, bool) {
	for _, p := range ps {
		for _, n := range names {
			if p.name == n {
				return p, true
			}
		}
	}
	return part{}, false
}

// refuse fails if the object m at n has the member k.
func refuse(n node, m map[string]any, k, why string) error {
	if kn, ok := key(n, m, k); ok {
		return invalid(kn.path, "%s", why)
	}
	return nil
}

func (p *parser) catalog(root node) (*Catalogue, error) {
	rm, err := root.object()
	if err != nil {
		return nil, err
	}
	cn, ok := key(root, rm, "catalog")
	if !ok {
		return nil, invalid("", "no \"catalog\": not an OSCAL catalog")
	}
	cm, err := cn.object()
	if err != nil {
		return nil, err
	}
	c := &Catalogue{}
	if err := p.metadata(cn, cm, c); err != nil {
		return nil, err
	}
	if err := refuse(cn, cm, "controls", "controls outside a group are not read: every question belongs to a checklist"); err != nil {
		return nil, err
	}
	if bn, ok := key(cn, cm, "back-matter"); ok {
		if err := p.backMatter(bn, c); err != nil {
			return nil, err
		}
	}
	gn, ok := key(cn, cm, "groups")
	if !ok {
		return nil, invalid(gn.path, "missing: the catalog has no checklists")
	}
	groups, err := gn.array()
	if err != nil {
		return nil, err
	}
	p.at(-1, -1, FieldGroups, gn.path)
	for i, g := range groups {
		grp, err := p.group(node{fmt.Sprintf("%s[%d]", gn.path, i), g}, i)
		if err != nil {
			return nil, err
		}
		c.Groups = append(c.Groups, grp)
	}
	return c, nil
}

// oscalVersions are the OSCAL versions read: their catalog model has the
// fields read here unchanged.
var oscalVersions = regexp.MustCompile(`^1\.[01]\.\d+$`)

func (p *parser) metadata(cn node, cm map[string]any, c *Catalogue) error {
	mn, ok := key(cn, cm, "metadata")
	if !ok {
		return invalid(mn.path, "missing")
	}
	mm, err := mn.object()
	if err != nil {
		return err
	}
	str := func(k string) (string, string, bool, error) {
		n, ok := key(mn, mm, k)
		if !ok {
			return "", n.path, false, nil
		}
		s, err := n.string()
		return s, n.path, true, err
	}
	v, path, ok, err := str("oscal-version")
	if err != nil {
		return err
	}
	if !ok {
		return invalid(path, "missing")
	}
	if !oscalVersions.MatchString(strings.TrimSpace(v)) {
		return invalid(path, "OSCAL version %q is not read: 1.0.x and 1.1.x are", clip(v))
	}
	for _, f := range []struct {
		key, field string
		to         *string
	}{{"title", FieldName, &c.Name}, {"version", FieldVersion, &c.Version}} {
		s, path, ok, err := str(f.key)
		if err != nil {
			return err
		}
		if !ok {
			return invalid(path, "missing")
		}
		*f.to = normalizeText(s)
		p.at(-1, -1, f.field, path)
	}
	if s, path, ok, err := str("published"); err != nil {
		return err
	} else if ok {
		t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
		if err != nil {
			return invalid(path, "%q is not an OSCAL date-time (2026-01-15T00:00:00Z)", clip(s))
		}
		d := types.Date(t.Date())
		c.PublishedOn = &d
		p.at(-1, -1, FieldPublished, path)
	}
	ps, err := props(mn, mm)
	if err != nil {
		return err
	}
	if s := propsNamed(ps, "source"); len(s) > 0 {
		c.Source = s[0].value
		p.at(-1, -1, FieldSource, s[0].path)
	}
	return nil
}

func (p *parser) backMatter(bn node, c *Catalogue) error {
	bm, err := bn.object()
	if err != nil {
		return err
	}
	rn, ok := key(bn, bm, "resources")
	if !ok {
		return nil
	}
	rs, err := rn.array()
	if err != nil {
		return err
	}
	for i, r := range rs {
		in := node{fmt.Sprintf("%s[%d]", rn.path, i), r}
		m, err := in.object()
		if err != nil {
			return err
		}
		ps, err := props(in, m)
		if err != nil {
			return err
		}
		isSource := false
		for _, t := range propsNamed(ps, "type") {
			isSource = isSource || t.value == "source"
		}
		if !isSource {
			continue
		}
		text := func(n node, k string) (string, string, error) {
			o, err := n.object()
			if err != nil {
				return "", "", err
			}
			kn, ok := key(n, o, k)
			if !ok {
				return "", "", nil
			}
			s, err := kn.string()
			return normalizeText(s), kn.path, err
		}
		for _, k := range []string{"citation", "title", "description", "rlinks"} {
			kn, ok := key(in, m, k)
			if !ok {
				continue
			}
			var s, path string
			switch k {
			case "citation":
				s, path, err = text(kn, "text")
			case "rlinks":
				var links []any
				if links, err = kn.array(); err == nil && len(links) > 0 {
					s, path, err = text(node{kn.path + "[0]", links[0]}, "href")
				}
			default:
				var v string
				v, err = kn.string()
				s, path = normalizeText(v), kn.path
			}
			if err != nil {
				return err
			}
			if s != "" {
				c.Source = s
				p.at(-1, -1, FieldSource, path)
				return nil
			}
		}
	}
	return nil
}

// integer reads a prop's value as a whole number.
func integer(pr prop, what string) (int, error) {
	n, err := strconv.Atoi(pr.value)
	if err != nil || len(pr.value) > 6 {
		return 0, invalid(pr.path, "%s %q is not a whole number", what, clip(pr.value))
	}
	return n, nil
}

func (p *parser) group(gn node, gi int) (Group, error) {
	gm, err := gn.object()
	if err != nil {
		return Group{}, err
	}
	if err := refuse(gn, gm, "groups", "groups in groups are not read: a checklist has questions only"); err != nil {
		return Group{}, err
	}
	var g Group
	tn, ok := key(gn, gm, "title")
	if !ok {
		return Group{}, invalid(tn.path, "missing")
	}
	if g.Title, err = tn.string(); err != nil {
		return Group{}, err
	}
	g.Title = normalizeText(g.Title)
	p.at(gi, -1, FieldTitle, tn.path)
	ps, err := props(gn, gm)
	if err != nil {
		return Group{}, err
	}
	g.Number = gi + 1
	if l := propsNamed(ps, "label"); len(l) > 0 {
		if g.Number, err = integer(l[0], "checklist number (label)"); err != nil {
			return Group{}, err
		}
		p.at(gi, -1, FieldNumber, l[0].path)
	}
	pr := propsNamed(ps, "priority")
	if len(pr) == 0 {
		return Group{}, invalid(gn.path+".props", "no prop \"priority\" (namespace %s): the group of the BSI's processing order, 1 to 4", oscal.NS)
	}
	if g.Priority, err = integer(pr[0], "priority"); err != nil {
		return Group{}, err
	}
	p.at(gi, -1, FieldPriority, pr[0].path)
	for _, m := range propsNamed(ps, "module") {
		g.Modules = append(g.Modules, m.value)
		p.at(gi, -1, FieldModules, m.path)
	}
	pts, err := parts(gn, gm, 0)
	if err != nil {
		return Group{}, err
	}
	if goal, ok := partNamed(pts, "overview", "objective"); ok {
		g.Goal = goal.text
		p.at(gi, -1, FieldGoal, goal.path)
	}
	if cn, ok := key(gn, gm, "controls"); ok {
		controls, err := cn.array()
		if err != nil {
			return Group{}, err
		}
		for ri, ctl := range controls {
			r, err := p.control(node{fmt.Sprintf("%s[%d]", cn.path, ri), ctl}, gi, ri)
			if err != nil {
				return Group{}, err
			}
			g.Requirements = append(g.Requirements, r)
		}
	}
	return g, nil
}

func (p *parser) control(cn node, gi, ri int) (Requirement, error) {
	cm, err := cn.object()
	if err != nil {
		return Requirement{}, err
	}
	if err := refuse(cn, cm, "controls", "controls in controls (enhancements) are not read: a question has no sub-questions"); err != nil {
		return Requirement{}, err
	}
	var r Requirement
	ps, err := props(cn, cm)
	if err != nil {
		return Requirement{}, err
	}
	if l := propsNamed(ps, "label"); len(l) > 0 {
		r.Ref = l[0].value
		p.at(gi, ri, FieldRef, l[0].path)
	} else {
		in, ok := key(cn, cm, "id")
		if !ok {
			return Requirement{}, invalid(in.path, "missing, and no prop \"label\" names the question")
		}
		if r.Ref, err = in.string(); err != nil {
			return Requirement{}, err
		}
		r.Ref = strings.TrimSpace(r.Ref)
		p.at(gi, ri, FieldRef, in.path)
	}
	r.Number = ri + 1
	if s := propsNamed(ps, "sort-id"); len(s) > 0 {
		if m := trailingNumber.FindString(s[0].value); m != "" {
			if r.Number, err = strconv.Atoi(strings.TrimLeft(m, "0")); err != nil || len(m) > 9 {
				r.Number = 0 // out of range: a problem at the sort-id
			}
			p.at(gi, ri, FieldNumber, s[0].path)
		}
	}
	if e := propsNamed(ps, "effort"); len(e) > 0 {
		r.Effort = e[0].value
		p.at(gi, ri, FieldEffort, e[0].path)
	}
	pts, err := parts(cn, cm, 0)
	if err != nil {
		return Requirement{}, err
	}
	st, ok := partNamed(pts, "statement")
	if !ok {
		return Requirement{}, invalid(cn.path+".parts", "no part \"statement\": the question")
	}
	r.Question = st.text
	p.at(gi, ri, FieldQuestion, st.path)
	if h, ok := partNamed(pts, "guidance"); ok {
		r.Help = h.text
		p.at(gi, ri, FieldHelp, h.path)
	}
	return r, nil
}
