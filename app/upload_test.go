package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"testing"
)

const uploadStatement = `mutation($file: Upload!) {
  importBankStatementFile(format: CAMT053, file: $file) { id linesTotal linesAdded statementIds }
}`

// multipartBody is a GraphQL multipart request (operations, map, one file).
func multipartBody(t *testing.T, query string, file []byte) (*bytes.Buffer, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	ops, _ := json.Marshal(map[string]any{"query": query, "variables": map[string]any{"file": nil}})
	_ = mw.WriteField("operations", string(ops))
	_ = mw.WriteField("map", `{"0": ["variables.file"]}`)
	fw, err := mw.CreateFormFile("0", "statement.xml")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(file)
	_ = mw.Close()
	return &body, mw.FormDataContentType()
}

// postUpload sends a multipart request; chunked hides its length.
func (s *testServer) postUpload(t *testing.T, token string, body *bytes.Buffer, contentType string, chunked bool) (int, string) {
	t.Helper()
	var r io.Reader = body
	if chunked {
		r = io.MultiReader(body) // no Len: the client sends it chunked
	}
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/query", r)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+token)
	if chunked {
		req.ContentLength = -1
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	return res.StatusCode, readAll(res)
}

// bigStatement is a camt.053 fixture with n copies of its entries (each
// with its own reference) and about pad bytes of comments after them.
func bigStatement(t *testing.T, file string, n, pad int) []byte {
	t.Helper()
	doc, err := os.ReadFile("../reconcile/testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	first, last := strings.Index(s, "<Ntry>"), strings.LastIndex(s, "</Ntry>")+len("</Ntry>")
	entries := s[first:last]
	var b strings.Builder
	b.WriteString(s[:first])
	for i := 0; i < n; i++ {
		e := strings.ReplaceAll(entries, "<NtryRef>", fmt.Sprintf("<NtryRef>%06d-", i))
		e = strings.ReplaceAll(e, "<AcctSvcrRef>", fmt.Sprintf("<AcctSvcrRef>%06d-", i))
		b.WriteString(e)
	}
	// Padding as comments of 1 KiB, read past token by token.
	comment := "<!-- " + strings.Repeat("p", 1014) + " -->\n"
	b.WriteString(strings.Repeat(comment, pad/len(comment)))
	b.WriteString(s[last:])
	return []byte(b.String())
}

// TestUploadStatement: a bank statement travels as a file in a GraphQL
// multipart request, beyond the 1 MiB of a JSON body: a 1.8 MB statement,
// the same again chunked (no line added twice), and one of 51 MiB (padded), which
// a JSON body could never carry. Above the upload limit it is 413
// REQUEST_TOO_LARGE with the limit, and nothing is stored. The JSON body
// limit is unchanged.
func TestUploadStatement(t *testing.T) {
	s := newTestServer(t)
	ministry := s.token(t, "MINISTRY", "")

	// 1.8 MB, as a statement of about 700 entries with long remittance texts is.
	doc := bigStatement(t, "camt053-001-08-mixed.xml", 420, 0)
	if len(doc) < 1<<20 {
		t.Fatalf("fixture only %d bytes", len(doc))
	}
	var stored int
	for i, chunked := range []bool{false, true} {
		body, ct := multipartBody(t, uploadStatement, doc)
		status, raw := s.postUpload(t, ministry, body, ct, chunked)
		var r struct {
			Data struct {
				ImportBankStatementFile struct{ LinesTotal, LinesAdded int }
			}
			Errors []gqlError
		}
		if err := json.Unmarshal([]byte(raw), &r); err != nil || status != 200 || len(r.Errors) > 0 {
			t.Fatalf("upload (chunked %v): %d %s", chunked, status, raw)
		}
		got := r.Data.ImportBankStatementFile
		if got.LinesTotal < 600 {
			t.Fatalf("%d lines read from a %d-byte statement", got.LinesTotal, len(doc))
		}
		if i == 0 && got.LinesAdded != got.LinesTotal || i == 1 && got.LinesAdded != 0 {
			t.Errorf("upload %d: %d of %d lines added", i, got.LinesAdded, got.LinesTotal)
		}
		stored = got.LinesTotal
	}
	t.Logf("%d-byte statement, %d lines", len(doc), stored)

	// 51 MiB: accepted under the default limit of 64 MiB.
	huge := bigStatement(t, "camt053-001-10-mixed.xml", 1, 51<<20)
	body, ct := multipartBody(t, uploadStatement, huge)
	if status, raw := s.postUpload(t, ministry, body, ct, false); status != 200 || strings.Contains(raw, `"errors"`) {
		t.Fatalf("51 MiB upload: %d %.500s", status, raw)
	}

	// Above the limit: refused before it is read.
	small := newOpsServer(t, appOptions{MaxUploadBytes: 2 << 20}, nil)
	smallTok := small.token(t, "MINISTRY", "")
	for _, chunked := range []bool{false, true} {
		body, ct := multipartBody(t, uploadStatement, bigStatement(t, "camt053-001-08-mixed.xml", 600, 0))
		status, raw := small.postUpload(t, smallTok, body, ct, chunked)
		if status != http.StatusRequestEntityTooLarge || !strings.Contains(raw, "REQUEST_TOO_LARGE") || !strings.Contains(raw, `"limit":2097152`) {
			t.Errorf("upload over the limit (chunked %v): %d %s", chunked, status, raw)
		}
	}
	var n struct{ BankStatementImports struct{ TotalCount int } }
	small.must(t, small.Admin, `{ bankStatementImports { totalCount } }`, nil, &n)
	if n.BankStatementImports.TotalCount != 0 {
		t.Errorf("%d imports stored after refused uploads", n.BankStatementImports.TotalCount)
	}
	// The JSON limit stays 1 MiB.
	js, _ := json.Marshal(map[string]any{"query": importStatement, "variables": map[string]any{"in": map[string]any{"format": "CAMT053", "content": string(doc)}}})
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/query", bytes.NewReader(js))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+ministry)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("1.8 MB JSON body: %d", res.StatusCode)
	}
	// Only the roles that may import.
	body, ct = multipartBody(t, uploadStatement, doc)
	if _, raw := s.postUpload(t, s.token(t, "COORDINATOR", ""), body, ct, false); !strings.Contains(raw, "FORBIDDEN") {
		t.Errorf("COORDINATOR upload: %s", raw)
	}
}

// TestMutationOverGET: 405 with Allow: POST and a code, as the
// GraphQL-over-HTTP spec asks; nothing runs.
func TestMutationOverGET(t *testing.T) {
	s := newTestServer(t)
	q := `mutation { createApiToken(input: {name: "x", role: ADMIN}) { token } }`
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/query?query="+urlQuery(q), nil)
	req.Header.Set("Authorization", "Bearer "+s.Admin)
	req.Header.Set("Accept", "application/graphql-response+json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(res)
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "POST" || !strings.Contains(body, `"code":"METHOD_NOT_ALLOWED"`) {
		t.Fatalf("mutation over GET: %d allow %q %s", res.StatusCode, res.Header.Get("Allow"), body)
	}
	var n struct{ ApiTokens struct{ TotalCount int } }
	s.must(t, s.Admin, `{ apiTokens { totalCount } }`, nil, &n)
	if n.ApiTokens.TotalCount != 1 {
		t.Errorf("%d tokens after a refused GET mutation", n.ApiTokens.TotalCount)
	}
	// A query over GET still answers.
	req, _ = http.NewRequest(http.MethodGet, s.URL+"/query?query="+urlQuery(`{ viewer { role } }`), nil)
	req.Header.Set("Authorization", "Bearer "+s.Admin)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("query over GET: %d", res.StatusCode)
	}
}
