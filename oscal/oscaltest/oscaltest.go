// Package oscaltest validates documents against the official OSCAL 1.0.6
// JSON Schemas in tests. The schemas are not part of the repository: they
// are read from the directory OSCAL_SCHEMA_DIR names, by default
// shared/standards/oscal-1.0.6 next to the repository (as the ISO 20022
// XSDs of the camt.053 check). Where they are missing, a test that needs
// them fails when CI=true and is skipped otherwise.
//
// The official schemas declare draft-07 but give some definitions an
// "$id" (their plain-name anchor) beside a "$ref", which draft-07 says to
// ignore; a validator that follows draft-07 (as santhosh-tekuri/jsonschema
// does) then finds no such anchor. Before compiling, every "$ref" that has
// siblings moves into an "allOf" of its own, which keeps what the schema
// says and makes its anchors visible.
package oscaltest

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The schema files of the official distribution.
const (
	CatalogSchema           = "oscal_catalog_schema.json"
	AssessmentResultsSchema = "oscal_assessment-results_schema.json"
)

// Dir is the directory of the schema files: OSCAL_SCHEMA_DIR, or
// shared/standards/oscal-1.0.6 next to the repository's root.
func Dir() string {
	if d := os.Getenv("OSCAL_SCHEMA_DIR"); d != "" {
		return d
	}
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	return filepath.Join(root, "..", "shared", "standards", "oscal-1.0.6")
}

var (
	mu       sync.Mutex
	compiled = map[string]*jsonschema.Schema{}
)

// Schema returns the compiled schema of the file name (CatalogSchema,
// AssessmentResultsSchema), with format assertions on. A missing file
// fails the test when CI=true and skips it otherwise.
func Schema(t testing.TB, name string) *jsonschema.Schema {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if s, ok := compiled[name]; ok {
		return s
	}
	path := filepath.Join(Dir(), name)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		msg := fmt.Sprintf("OSCAL schema %s not found (set OSCAL_SCHEMA_DIR to the directory of the official OSCAL 1.0.6 JSON Schemas)", path)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	doc = refsBesideSiblings(doc)
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	url := "file:///oscal/" + name
	if err := c.AddResource(url, doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	s, err := c.Compile(url)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	compiled[name] = s
	return s
}

// refsBesideSiblings moves every "$ref" that has sibling keywords into an
// "allOf" of its own (see the package comment).
func refsBesideSiblings(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = refsBesideSiblings(x)
		}
		if ref, ok := v["$ref"]; ok && len(v) > 1 {
			delete(v, "$ref")
			all, _ := v["allOf"].([]any)
			v["allOf"] = append(all, map[string]any{"$ref": ref})
		}
		return v
	case []any:
		for i, x := range v {
			v[i] = refsBesideSiblings(x)
		}
		return v
	default:
		return v
	}
}

// Validate returns the schema's verdict on the JSON document data.
func Validate(t testing.TB, name string, data []byte) error {
	t.Helper()
	s := Schema(t, name)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return s.Validate(inst)
}

// MustValidate fails the test when data does not validate against the
// schema of name.
func MustValidate(t testing.TB, name string, data []byte) {
	t.Helper()
	if err := Validate(t, name, data); err != nil {
		t.Fatalf("document does not validate against %s:\n%v", name, err)
	}
}
