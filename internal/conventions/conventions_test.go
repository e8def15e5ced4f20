// Package conventions checks rules of the code base that the compiler
// cannot: where the clock, time zones and SQL placeholders are handled.
package conventions

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// sources parses every hand-written Go file of the module except tests
// (generated ent code is left out; ent/schema is hand-written).
func sources(t *testing.T) map[string]*ast.File {
	t.Helper()
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	files := map[string]*ast.File{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() && path != root {
			if strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "testdata" ||
				(strings.HasPrefix(rel, "ent/") && !strings.HasPrefix(rel, "ent/schema") && rel != "ent/entc") {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || rel == "graph/generated.go" || rel == "graph/models_gen.go" {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		files[rel] = f
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 60 {
		t.Fatalf("only %d source files found", len(files))
	}
	return files
}

// TestClockAndZones: only the clock package reads the system clock or
// loads time zones; everything else receives a clock and takes zones from
// the programme.
func TestClockAndZones(t *testing.T) {
	forbidden := map[string]bool{"Now": true, "Since": true, "Until": true, "LoadLocation": true}
	for path, f := range sources(t) {
		if strings.HasPrefix(path, "internal/clock/") {
			continue
		}
		timePkg := importName(f, "time")
		if timePkg == "" {
			continue
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == timePkg && forbidden[sel.Sel.Name] {
					t.Errorf("%s: time.%s outside internal/clock: take the injected clock (or clock.LoadZone via programme.Zone)", path, sel.Sel.Name)
				}
			}
			return true
		})
	}
}

var placeholder = regexp.MustCompile(`\$[0-9]|\?[0-9]`)

// TestPlaceholdersOnlyInStore: SQL is written with ? placeholders and
// rewritten for the database only by store.Dialect.Rebind: no other
// package writes $1 or ?1, or rewrites ? and $ itself.
func TestPlaceholdersOnlyInStore(t *testing.T) {
	for path, f := range sources(t) {
		if strings.HasPrefix(path, "store/") {
			continue
		}
		stringsPkg := importName(f, "strings")
		ast.Inspect(f, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok && stringsPkg != "" {
				if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
					if id, ok := sel.X.(*ast.Ident); ok && id.Name == stringsPkg && strings.HasPrefix(sel.Sel.Name, "Replace") || ok && sel.Sel.Name == "NewReplacer" {
						for _, a := range call.Args {
							if l, ok := a.(*ast.BasicLit); ok && (strings.Contains(l.Value, "$") || strings.Contains(l.Value, "?")) {
								t.Errorf("%s: strings.%s rewrites placeholders: use store.Dialect.Rebind", path, sel.Sel.Name)
							}
						}
					}
				}
			}
			lit, ok := n.(*ast.BasicLit)
			if !ok || (lit.Kind != token.STRING && lit.Kind != token.CHAR) {
				return true
			}
			v, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			if placeholder.MatchString(v) && looksLikeSQL(v) {
				t.Errorf("%s: %q rewrites or numbers placeholders: write ? and use store.Dialect.Rebind", path, v)
			}
			return true
		})
	}
}

func looksLikeSQL(s string) bool {
	u := strings.ToUpper(s)
	for _, w := range []string{"SELECT ", "UPDATE ", "INSERT ", "DELETE ", "WHERE ", " AND ", " IN (", "VALUES"} {
		if strings.Contains(u, w) {
			return true
		}
	}
	return false
}

// importName is the name under which f imports path ("" if it does not).
func importName(f *ast.File, path string) string {
	for _, im := range f.Imports {
		if p, _ := strconv.Unquote(im.Path.Value); p == path {
			if im.Name != nil {
				return im.Name.Name
			}
			return filepath.Base(path)
		}
	}
	return ""
}

// TestOneZoneSource: the programme's stored time zone is the only source
// of zones. No source names one but the default of a new programme
// (types.DefaultTimeZone), and only the programme package reads it.
func TestOneZoneSource(t *testing.T) {
	zoneName := regexp.MustCompile(`^"(Europe|America|Asia|Africa|Australia|Pacific|Atlantic|Indian|Antarctica)/[A-Za-z_]+"$`)
	for path, f := range sources(t) {
		if strings.HasPrefix(path, "ent/") && !strings.HasPrefix(path, "ent/schema/") {
			continue // generated from ent/schema
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.BasicLit:
				if x.Kind == token.STRING && zoneName.MatchString(x.Value) && path != "ent/schema/types/types.go" {
					t.Errorf("%s: names the time zone %s: take the programme's (programme.InstallationZone, passed to the service)", path, x.Value)
				}
			case *ast.SelectorExpr:
				if x.Sel.Name == "DefaultTimeZone" && !strings.HasPrefix(path, "programme/") && !strings.HasPrefix(path, "ent/schema/") {
					t.Errorf("%s: reads DefaultTimeZone: only a new programme takes it", path)
				}
			}
			return true
		})
	}
}
