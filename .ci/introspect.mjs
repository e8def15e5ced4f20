// Real introspection of a running server, compared with the committed SDL.
//
// Usage: INTROSPECT_TOKEN=<ADMIN token> node .ci/introspect.mjs URL SCHEMA_FILE
//        (URL such as http://127.0.0.1:8080/query, SCHEMA_FILE api/schema.graphql)
//
// 1. Sends the introspection queries that clients really send, each of
//    which must be answered with a schema and no error:
//      graphql-js   getIntrospectionQuery with every option on (descriptions,
//                   specifiedByUrl, directiveIsRepeatable, schemaDescription,
//                   inputValueDeprecation, oneOf): the one compared below
//      graphql-js default  getIntrospectionQuery() (codegen tools, get-graphql-schema)
//      GraphiQL     GraphiQL 3's own query, made by the getIntrospectionQuery
//                   bundled in graphiql/assets/graphiql@*/graphiql.min.js with
//                   the options the page sets, and its fallback without
//                   subscriptionType
//      Apollo Rover-style  graphql-js's shape with input value deprecation,
//                   an operation of its own and a TypeRef fragment seven
//                   ofType levels deep, and its legacy variant without
//                   input value deprecation
// 2. buildClientSchema on the full answer, and compares
//    printSchema(lexicographicSortSchema(...)) of it with the same of
//    buildSchema(SCHEMA_FILE). On a difference it names the types and
//    directives that differ and prints a unified diff of their lines.
//
// Exits 0 when all held, 1 when a query failed or the schemas differ (or the
// schema file is missing), 2 on bad usage.

import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildClientSchema,
  buildSchema,
  getIntrospectionQuery,
  isSpecifiedDirective,
  isSpecifiedScalarType,
  lexicographicSortSchema,
  parse,
  printSchema,
  printType,
  print,
  version as graphqlVersion,
} from 'graphql';

const [url, schemaFile] = process.argv.slice(2);
const token = process.env.INTROSPECT_TOKEN;
if (!url || !schemaFile || !token) {
  console.error('usage: INTROSPECT_TOKEN=<token> node introspect.mjs URL SCHEMA_FILE');
  process.exit(2);
}
const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const shownFile = relative(process.cwd(), schemaFile) || schemaFile;
let failed = false;
const fail = (msg) => {
  failed = true;
  console.error(`    FAIL: ${msg}`);
};

// ------------------------------------------------------------ the queries

const full = getIntrospectionQuery({
  descriptions: true,
  specifiedByUrl: true,
  directiveIsRepeatable: true,
  schemaDescription: true,
  inputValueDeprecation: true,
  oneOf: true,
});

// GraphiQL's query, as GraphiQL builds it (@graphiql/react's
// useIntrospectionQuery): the bundled graphql-js's getIntrospectionQuery with
// the page's options (graphiql/ui/page.js sets inputValueDeprecation and
// schemaDescription), and a fallback without subscriptionType that GraphiQL
// sends when the first answer has no data.
function graphiqlQueries() {
  const assets = join(repo, 'graphiql', 'assets');
  const dir = readdirSync(assets).find((d) => d.startsWith('graphiql@'));
  if (!dir) throw new Error(`no graphiql@* in ${assets}`);
  const bundle = readFileSync(join(assets, dir, 'graphiql.min.js'), 'utf8');
  const start = bundle.indexOf('function getIntrospectionQuery(options) {');
  if (start < 0) throw new Error(`getIntrospectionQuery not found in ${dir}/graphiql.min.js`);
  let depth = 0;
  let end = bundle.indexOf('{', start);
  for (; end < bundle.length; end++) {
    if (bundle[end] === '{') depth++;
    else if (bundle[end] === '}' && --depth === 0) break;
  }
  // A pure function of its options that builds a string.
  const bundled = new Function(`return ${bundle.slice(start, end + 1)}`)();
  const query = bundled({ inputValueDeprecation: true, schemaDescription: true });
  const sans = query.replace('subscriptionType { name }', '');
  if (sans === query) throw new Error(`${dir}: GraphiQL's fallback query would equal its first one`);
  const v = /const version = exports\.version = '([^']+)'/.exec(bundle)?.[1] ?? '?';
  return { name: dir, graphqlVersion: v, query, sans };
}

// Apollo Rover-style: graphql-js's shape (input value deprecation, no
// schema description, specifiedByURL or isRepeatable) with its own
// operation name and a TypeRef fragment of kind/name and seven ofType
// levels.
function roverStyle(inputValueDeprecation, operation) {
  let typeRef = 'kind name';
  for (let i = 0; i < 7; i++) typeRef = `kind name ofType { ${typeRef} }`;
  const doc = parse(getIntrospectionQuery({ inputValueDeprecation }));
  const text = print({
    ...doc,
    definitions: doc.definitions.map((d) => {
      if (d.kind === 'OperationDefinition') return { ...d, name: { kind: 'Name', value: operation } };
      if (d.kind === 'FragmentDefinition' && d.name.value === 'TypeRef') {
        return { ...d, selectionSet: parse(`{ ${typeRef} }`).definitions[0].selectionSet };
      }
      return d;
    }),
  });
  return text;
}

const gi = graphiqlQueries();
const queries = [
  { name: `graphql-js ${graphqlVersion}, every option`, query: full, operationName: 'IntrospectionQuery' },
  { name: `graphql-js ${graphqlVersion}, default options`, query: getIntrospectionQuery(), operationName: 'IntrospectionQuery' },
  { name: `GraphiQL (${gi.name}, graphql-js ${gi.graphqlVersion})`, query: gi.query, operationName: 'IntrospectionQuery' },
  { name: `GraphiQL fallback without subscriptionType`, query: gi.sans, operationName: 'IntrospectionQuery' },
  { name: 'Apollo Rover-style', query: roverStyle(true, 'GraphIntrospectQuery'), operationName: 'GraphIntrospectQuery' },
  { name: 'Apollo Rover-style legacy', query: roverStyle(false, 'GraphIntrospectLegacyQuery'), operationName: 'GraphIntrospectLegacyQuery' },
];

const depth = (q) => {
  // Deepest nesting of selection sets, TypeRef fragments inlined.
  let max = 0;
  let d = 0;
  for (const c of q) {
    if (c === '{') max = Math.max(max, ++d);
    else if (c === '}') d--;
  }
  return max;
};

async function send({ query, operationName }) {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json;q=0.9',
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({ query, operationName }),
  });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = { errors: [{ message: `not JSON: ${text.slice(0, 200)}` }] };
  }
  return { status: res.status, body };
}

let fullSchema = null;
for (const q of queries) {
  const t = Date.now();
  let r;
  try {
    r = await send(q);
  } catch (e) {
    fail(`${q.name}: ${e.message}`);
    continue;
  }
  const ms = Date.now() - t;
  const size = JSON.stringify(r.body).length;
  if (r.status !== 200 || r.body.errors || !r.body.data?.__schema) {
    const errs = (r.body.errors ?? []).map((e) => `${e.extensions?.code ?? '-'}: ${e.message}`).join('; ');
    fail(`${q.name}: HTTP ${r.status}, ${errs || 'no __schema in the answer'} (query ${q.query.length} bytes, ${depth(q.query)} levels deep in its text)`);
    continue;
  }
  let schema;
  try {
    schema = buildClientSchema(r.body.data);
  } catch (e) {
    fail(`${q.name}: buildClientSchema refused the answer: ${e.message}`);
    continue;
  }
  const types = Object.keys(schema.getTypeMap()).length;
  console.log(`    ok  ${q.name}: ${types} types, ${(size / 1024).toFixed(0)} KiB in ${ms} ms`);
  if (q.query === full) fullSchema = schema;
}

// ------------------------------------------------------------ the comparison

if (!existsSync(schemaFile)) {
  fail(`${shownFile} missing: the committed schema to compare introspection with`);
  process.exit(1);
}
let committed;
try {
  committed = buildSchema(readFileSync(schemaFile, 'utf8'));
} catch (e) {
  fail(`${shownFile} is not a valid schema: ${e.message}`);
  process.exit(1);
}
if (!fullSchema) {
  fail('no schema from introspection to compare');
  process.exit(1);
}

const a = lexicographicSortSchema(fullSchema); // introspected
const b = lexicographicSortSchema(committed);
const printedA = printSchema(a);
const printedB = printSchema(b);
if (printedA === printedB) {
  const n = printedA.split('\n').length;
  console.log(`    introspection matches ${shownFile} (${Object.keys(a.getTypeMap()).length} types, ${n} printed lines)`);
} else {
  fail(`introspection differs from ${shownFile} (--- ${shownFile}, +++ introspection)`);
  reportDifferences(b, a);
}
process.exit(failed ? 1 : 0);

// Names what differs, type by type and directive by directive, with a
// unified diff of each (at most 12 of them, 60 lines each).
function reportDifferences(fileSchema, liveSchema) {
  const entries = (s) => {
    const m = new Map();
    const desc = s.description ? `"""${s.description}"""\n` : '';
    const roots = ['Query', 'Mutation', 'Subscription'].map((k, i) => {
      const t = [s.getQueryType(), s.getMutationType(), s.getSubscriptionType()][i];
      return `${k.toLowerCase()}: ${t?.name ?? '-'}`;
    });
    m.set('schema', `${desc}schema { ${roots.join(', ')} }`);
    for (const [name, t] of Object.entries(s.getTypeMap())) {
      // As printSchema: neither introspection types nor specified scalars.
      if (!name.startsWith('__') && !isSpecifiedScalarType(t)) m.set(`type ${name}`, printType(t));
    }
    for (const d of s.getDirectives()) {
      if (isSpecifiedDirective(d)) continue;
      const args = d.args.map((x) => `${x.name}: ${x.type}${x.defaultValue !== undefined ? ` = ${JSON.stringify(x.defaultValue)}` : ''}`);
      m.set(
        `directive @${d.name}`,
        `${d.description ? `"""${d.description}"""\n` : ''}directive @${d.name}(${args.join(', ')})${d.isRepeatable ? ' repeatable' : ''} on ${d.locations.join(' | ')}`
      );
    }
    return m;
  };
  const fileEntries = entries(fileSchema);
  const liveEntries = entries(liveSchema);
  const keys = [...new Set([...fileEntries.keys(), ...liveEntries.keys()])].sort();
  const only = { file: [], live: [] };
  const changed = [];
  for (const k of keys) {
    const f = fileEntries.get(k);
    const l = liveEntries.get(k);
    if (f === undefined) only.live.push(k);
    else if (l === undefined) only.file.push(k);
    else if (f !== l) changed.push(k);
  }
  if (only.file.length) console.error(`    only in ${shownFile}: ${only.file.join(', ')}`);
  if (only.live.length) console.error(`    only in the introspection: ${only.live.join(', ')}`);
  if (changed.length) console.error(`    different: ${changed.join(', ')}`);
  const shown = [...changed, ...only.file, ...only.live].slice(0, 12);
  for (const k of shown) {
    console.error(`\n    @@ ${k} @@`);
    const lines = unifiedDiff(fileEntries.get(k) ?? '', liveEntries.get(k) ?? '');
    for (const line of lines.slice(0, 60)) console.error(`    ${line}`);
    if (lines.length > 60) console.error(`    … ${lines.length - 60} more lines`);
  }
  if (changed.length + only.file.length + only.live.length > shown.length) {
    console.error(`\n    … and ${changed.length + only.file.length + only.live.length - shown.length} more`);
  }
}

// Line diff (LCS; the texts are one type each) with two lines of context.
function unifiedDiff(x, y) {
  const a = x ? x.split('\n') : [];
  const b = y ? y.split('\n') : [];
  const n = a.length;
  const m = b.length;
  const L = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      L[i][j] = a[i] === b[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
    }
  }
  const ops = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) ops.push(`  ${a[i++]}`), j++;
    else if (j < m && (i === n || L[i][j + 1] >= L[i + 1][j])) ops.push(`+ ${b[j++]}`);
    else ops.push(`- ${a[i++]}`);
  }
  // Keep changed lines and two lines of context around them.
  const keep = ops.map((o) => !o.startsWith('  '));
  const out = [];
  let skipped = false;
  ops.forEach((o, k) => {
    const near = keep.slice(Math.max(0, k - 2), k + 3).some(Boolean);
    if (near) {
      if (skipped) out.push('  …');
      skipped = false;
      out.push(o);
    } else {
      skipped = true;
    }
  });
  return out;
}
