// GraphiQL in a real browser: Debian's Chromium, headless, driven by
// playwright-core, against a running server.
//
// Usage: BROWSER_TOKEN=<ADMIN token> node .ci/browser.mjs BASE_URL SCREENSHOT.png
//        (BASE_URL such as http://127.0.0.1:8080)
//
// Every request that does not go to BASE_URL's own origin is aborted and
// counted, and any such attempt fails the check, as do uncaught page
// errors and Content-Security-Policy violations. The check opens GraphiQL,
// sets the token in the "Bearer token" field, waits until the schema has
// loaded, opens the documentation explorer and looks for Query in it,
// types a query into the editor, runs it, and reads data (not an error)
// from the result pane; then reloads the page and checks that the token
// was kept (sessionStorage) and the schema loads again. It saves a
// screenshot of GraphiQL with the result and prints its path.
//
// Exits 0 when everything held, 1 when a check failed, 2 on bad usage.

import { chromium } from 'playwright-core';

const [base, screenshot] = process.argv.slice(2);
const token = process.env.BROWSER_TOKEN;
if (!base || !screenshot || !token) {
  console.error('usage: BROWSER_TOKEN=<token> node browser.mjs BASE_URL SCREENSHOT.png');
  process.exit(2);
}
const origin = new URL(base).origin;
const endpoint = `${origin}/query`;
const QUERY = '{ viewer { role } }';
const DEADLINE_MS = 45_000;

const t0 = Date.now();
const log = (msg) => console.log(`    [${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);
const failures = [];
const fail = (msg) => {
  failures.push(msg);
  console.error(`    FAIL: ${msg}`);
};

const outside = []; // requests to anything but the server
const pageErrors = [];
const cspViolations = [];
const consoleErrors = [];
const graphqlExchanges = []; // {operationName, query, status, body}

const timer = setTimeout(() => {
  console.error(`    FAIL: the browser check did not finish within ${DEADLINE_MS / 1000}s`);
  process.exit(1);
}, DEADLINE_MS);

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    // Belt and braces: no host name resolves, so even a request that
    // escaped the routing below could not reach anything.
    `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE ${new URL(base).hostname}`,
  ],
});
try {
  await run();
} catch (e) {
  fail(`${e.message?.split('\n')[0] ?? e}`);
  if (e.stack) console.error(e.stack.split('\n').slice(1, 4).join('\n'));
} finally {
  await browser.close().catch(() => {});
  clearTimeout(timer);
}

function report() {
  if (outside.length) {
    fail(`${outside.length} request(s) to other hosts were attempted (aborted): ${[...new Set(outside)].slice(0, 10).join(', ')}`);
  }
  if (pageErrors.length) fail(`uncaught errors in the page: ${pageErrors.slice(0, 5).join(' | ')}`);
  if (cspViolations.length) fail(`Content-Security-Policy violations: ${cspViolations.slice(0, 5).join(' | ')}`);
  const introspections = graphqlExchanges.filter((x) => x.query.includes('__schema'));
  log(`GraphQL requests: ${graphqlExchanges.length} (introspection: ${introspections.map((x) => `${x.operationName ?? '-'} ${x.status}`).join(', ')})`);
  if (consoleErrors.length) {
    log(`console errors (allowed: the 401 before the token was set): ${consoleErrors.slice(0, 5).join(' | ')}`);
  }
  if (failures.length) {
    console.error(`    browser check FAILED: ${failures.length} problem(s)`);
    process.exit(1);
  }
  log(`browser check passed (Chromium ${browser.version()}, no request left ${origin})`);
}
report();

async function run() {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, serviceWorkers: 'block' });
  context.setDefaultTimeout(15_000);
  // Every request of every page: the server's own origin passes, anything
  // else is aborted and counted. data: URLs never reach the router.
  await context.route('**/*', (route) => {
    const url = route.request().url();
    let reqOrigin = '';
    try {
      reqOrigin = new URL(url).origin;
    } catch {}
    if (reqOrigin === origin) return route.continue();
    outside.push(url);
    return route.abort('blockedbyclient');
  });
  context.on('request', (req) => {
    if (req.url() === endpoint && req.method() === 'POST') {
      req.response().then(async (res) => {
        let body = null;
        try {
          body = await res.json();
        } catch {}
        let params = {};
        try {
          params = JSON.parse(req.postData() ?? '{}');
        } catch {}
        graphqlExchanges.push({ operationName: params.operationName, query: params.query ?? '', status: res.status(), body });
      }, () => {});
    }
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e.message ?? e)));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    if (/Content Security Policy/i.test(text)) cspViolations.push(`${((Date.now() - t0) / 1000).toFixed(1)}s ${text}`);
    else consoleErrors.push(text);
  });
  // Violations are also reported as events; record them from the start.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI} ${JSON.stringify(e.sample ?? '')}`);
    });
  });

  const res = await page.goto(`${origin}/`, { waitUntil: 'load' });
  const csp = res.headers()['content-security-policy'] ?? '';
  if (!/script-src 'self'/.test(csp) || !/connect-src 'self'/.test(csp)) {
    fail(`the page's Content-Security-Policy is not strict: ${JSON.stringify(csp)}`);
  }
  await page.locator('.graphiql-container').waitFor();
  log('GraphiQL rendered');

  // The token field, visible and labelled, above GraphiQL.
  const tokenField = page.getByLabel('Bearer token');
  await tokenField.waitFor({ state: 'visible' });
  const fieldBox = await tokenField.boundingBox();
  const giBox = await page.locator('.graphiql-container').boundingBox();
  if (!fieldBox || !giBox || fieldBox.y >= giBox.y) fail('the "Bearer token" field is not above GraphiQL');

  // Set the token; GraphiQL loads the schema with it.
  const schemaLoaded = waitForIntrospection(page);
  schemaLoaded.catch(() => {}); // awaited below
  await tokenField.fill(token);
  await tokenField.press('Enter');
  await schemaLoaded;
  log('schema loaded with the token');

  // The documentation explorer lists the root type Query.
  await page.locator('button[aria-label="Show Documentation Explorer"]').click();
  const docs = page.locator('.graphiql-doc-explorer');
  await docs.getByText('Query', { exact: true }).first().waitFor();
  await docs.getByText('Query', { exact: true }).first().click();
  await docs.getByText('viewer', { exact: true }).first().waitFor();
  log('documentation explorer lists Query and its field viewer');

  // A dialog of GraphiQL's (Radix) inserts styles at run time: it must open
  // without a CSP violation.
  await page.locator('button[aria-label="Open settings dialog"]').click();
  await page.getByRole('dialog').waitFor();
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'detached' });

  // Type the query into the editor (CodeMirror closes brackets itself and
  // skips over the ones typed after).
  const editor = page.locator('.graphiql-query-editor .CodeMirror');
  await editor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.type(QUERY, { delay: 5 });
  await page.keyboard.press('Escape'); // close an open completion list
  const typed = await editor.evaluate((el) => el.CodeMirror.getValue());
  if (typed.replace(/\s+/g, ' ').trim() !== QUERY) {
    throw new Error(`the editor holds ${JSON.stringify(typed)} after typing ${JSON.stringify(QUERY)}`);
  }
  log(`typed ${QUERY}`);

  const answered = page.waitForResponse(
    (r) => r.url() === endpoint && r.request().method() === 'POST' && (r.request().postData() ?? '').includes('viewer')
  );
  await page.locator('button.graphiql-execute-button').click();
  const answer = await answered;
  const resultPane = page.locator('.graphiql-response .CodeMirror');
  await page.waitForFunction(
    () => /"data"|"errors"/.test(document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror?.getValue() ?? '')
  );
  const shown = await resultPane.evaluate((el) => el.CodeMirror.getValue());
  let result;
  try {
    result = JSON.parse(shown);
  } catch {
    throw new Error(`the result pane does not hold JSON: ${shown.slice(0, 300)}`);
  }
  if (answer.status() !== 200 || result.errors || result.data?.viewer?.role !== 'ADMIN') {
    throw new Error(`the result pane shows ${shown.slice(0, 300)} (HTTP ${answer.status()})`);
  }
  log(`result pane shows data: ${JSON.stringify(result.data)}`);
  if (answer.request().headers()['authorization'] !== `Bearer ${token}`) {
    fail('the query was not sent with the token as Authorization: Bearer …');
  }
  await page.screenshot({ path: screenshot });
  log(`screenshot: ${screenshot}`);

  // The token is kept for the tab (sessionStorage) and used at once.
  const reloaded = waitForIntrospection(page);
  reloaded.catch(() => {}); // awaited below
  await page.reload({ waitUntil: 'load' });
  await reloaded;
  if ((await page.getByLabel('Bearer token').inputValue()) !== token) {
    fail('the token field is empty after a reload (sessionStorage)');
  }
  log('after a reload the token is still set and the schema loads');

  for (const x of graphqlExchanges) {
    if (x.query.includes('__schema') && x.status === 200 && (x.body?.errors || !x.body?.data?.__schema)) {
      fail(`GraphiQL's introspection ${x.operationName} answered with errors: ${JSON.stringify(x.body?.errors ?? x.body).slice(0, 300)}`);
    }
  }
  await context.close();
}

// Resolves once GraphiQL's introspection was answered with a schema, and
// GraphiQL shows no fetch error.
async function waitForIntrospection(page) {
  const res = await page.waitForResponse(
    (r) =>
      r.url() === endpoint &&
      r.request().method() === 'POST' &&
      r.request().headers()['authorization'] === `Bearer ${token}` &&
      (r.request().postData() ?? '').includes('__schema')
  );
  const body = await res.json().catch(() => null);
  if (res.status() !== 200 || body?.errors || !body?.data?.__schema) {
    throw new Error(`GraphiQL's introspection was answered ${res.status()}: ${JSON.stringify(body?.errors ?? body).slice(0, 300)}`);
  }
  // The schema is in place when the explorer's button works; give React a
  // moment by waiting for GraphiQL to drop its spinner.
  await page.locator('.graphiql-spinner').waitFor({ state: 'detached' }).catch(() => {});
}
