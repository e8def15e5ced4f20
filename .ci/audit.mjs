// GraphQL-over-HTTP conformance audit of a running server, with the
// graphql-http audit suite (https://graphql.github.io/graphql-over-http).
//
// Usage: node .ci/audit.mjs URL        (e.g. http://127.0.0.1:8080/query)
// Environment:
//   AUDIT_TOKEN   bearer token added to every request (required: /query
//                 answers 401 without one)
//   AUDIT_VERBOSE if "1", also print request and response of warnings
//
// Prints every audit result and the ok/notice/warn/error counts. Exits 1 if
// any MUST-level audit failed (status "error"), 2 on a fatal problem.

import { auditServer } from 'graphql-http';

const url = process.argv[2] || process.env.AUDIT_URL;
const token = process.env.AUDIT_TOKEN;
if (!url || !token) {
  console.error('usage: AUDIT_TOKEN=<token> node audit.mjs <graphql url>');
  process.exit(2);
}
const verbose = process.env.AUDIT_VERBOSE === '1';

// What was sent and received, per Response object, for the failure report.
const exchanges = new WeakMap();

async function fetchFn(input, init = {}) {
  const headers = new Headers(init.headers);
  if (!headers.has('authorization')) {
    headers.set('authorization', `Bearer ${token}`);
  }
  const res = await fetch(input, { ...init, headers });
  const sentHeaders = {};
  headers.forEach((v, k) => {
    sentHeaders[k] = k === 'authorization' ? 'Bearer <token>' : v;
  });
  const exchange = {
    method: init.method || 'GET',
    url: String(input),
    headers: sentHeaders,
    body: typeof init.body === 'string' ? init.body : init.body == null ? '' : '<non-string body>',
    // Read a copy so the audit can still consume the original body.
    responseText: res.clone().text().catch((e) => `<unreadable: ${e}>`),
  };
  track(res, exchange);
  return res;
}

// The audits report failures with clones of the response, so clones carry
// the same record.
function track(res, exchange) {
  exchanges.set(res, exchange);
  const clone = res.clone.bind(res);
  res.clone = () => track(clone(), exchange);
  return res;
}

function clip(s, n = 600) {
  s = String(s);
  return s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s;
}

async function describe(res) {
  const lines = [];
  if (!res) return lines;
  const ex = exchanges.get(res);
  if (ex) {
    lines.push(`request:  ${ex.method} ${ex.url}`);
    lines.push(`          headers ${JSON.stringify(ex.headers)}`);
    if (ex.body) lines.push(`          body ${clip(ex.body, 300)}`);
  }
  lines.push(`response: HTTP ${res.status} content-type: ${res.headers.get('content-type') ?? '<none>'}`);
  if (ex) lines.push(`          body ${clip((await ex.responseText).trim())}`);
  return lines;
}

let results;
try {
  results = await auditServer({ url, fetchFn });
} catch (err) {
  console.error('audit: fatal error while auditing', url, '\n', err);
  process.exit(2);
}

// Stable order: MUST first, then SHOULD, then MAY; within a level by id.
const level = (name) => ['MUST', 'SHOULD', 'MAY'].indexOf(name.split(' ')[0]);
results.sort((a, b) => level(a.name) - level(b.name) || a.id.localeCompare(b.id));

const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
for (const r of results) {
  counts[r.status] = (counts[r.status] ?? 0) + 1;
  console.log(`[${r.status.padEnd(6)}] ${r.id} ${r.name}`);
  if (r.status !== 'ok') {
    console.log(`         reason:   ${r.reason}`);
    if (r.status === 'error' || verbose) {
      for (const line of await describe(r.response)) console.log(`         ${line}`);
    }
  }
}

console.log(
  `audit counts: ok=${counts.ok} notice=${counts.notice} warn=${counts.warn} error=${counts.error} (total ${results.length})`,
);
if (counts.error > 0) {
  console.log(`audit: ${counts.error} MUST-level requirement(s) of GraphQL over HTTP failed`);
  process.exit(1);
}
console.log('audit: all MUST-level requirements met');
