// Sign-in from the widget (passkeys and OpenID Connect) and its sessions in the desk, in real headless
// Chromium against the real natter binary, with a real OpenID Connect provider (tests/peers/oidc).
//
// Natter runs as http://localhost:<port> (bound to 127.0.0.1): WebAuthn wants a host name as its RP ID,
// never an IP address. The blog pages come from a node server at http://127.0.0.1:<other port>, so the
// popup's hand-over of the session (postMessage from Natter's origin to the blog's) is really cross-origin.
// A popup is a page of its own: each gets Chromium's virtual authenticator (CDP WebAuthn) before its
// first script runs (support/cdp.mjs, onPopup). The "second device" is a second Chromium with its own
// profile, whose authenticator is given a copy of the passkey the first one made.
// Needs the binary ($NATTER_BIN, default $CARGO_TARGET_DIR/debug/natter, else target/debug/natter) and
// Chromium ($CHROMIUM or /usr/bin/chromium): without them the tests are skipped, or fail when
// NATTER_REQUIRE_BROWSER=1. The OpenID Connect tests need the provider's packages (`npm ci --prefix
// tests/peers`): without them they are skipped, or fail when NATTER_REQUIRE_PEERS=1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { findChrome, launch } from '../support/cdp.mjs';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
// the binary cargo builds: a relative CARGO_TARGET_DIR is taken from the repository root
const BIN = process.env.NATTER_BIN || join(ROOT, process.env.CARGO_TARGET_DIR || 'target', 'debug', 'natter');
const CHROME = findChrome();
const missing = !existsSync(BIN)
  ? `the natter binary is missing at ${BIN} (run \`cargo build\`, or set NATTER_BIN)`
  : !CHROME ? 'no Chromium installed (set CHROMIUM=/path/to/chromium)' : null;
if (missing && process.env.NATTER_REQUIRE_BROWSER === '1') {
  test('sign-in browser test prerequisites', () => assert.fail(`NATTER_REQUIRE_BROWSER=1 but ${missing}`));
}
const PROVIDER = join(ROOT, 'tests/peers/oidc/provider.mjs');
const oidcMissing = !existsSync(PROVIDER) ? `the OpenID Connect provider ${PROVIDER} is missing`
  : !existsSync(join(ROOT, 'tests/peers/node_modules/oidc-provider/package.json'))
    ? 'the OpenID Connect provider\'s packages are missing (run `npm ci --prefix tests/peers`)' : null;
if (oidcMissing && process.env.NATTER_REQUIRE_PEERS === '1') {
  test('OpenID Connect provider prerequisites', () => assert.fail(`NATTER_REQUIRE_PEERS=1 but ${oidcMissing}`));
}
const skip = missing || false;
const skipOidc = skip || oidcMissing || false;
const TOKEN = 'natter-test-' + randomBytes(16).toString('hex');
const SECRET = 'oidc-secret-' + randomBytes(12).toString('hex');

/* ---------- servers: natter, the OpenID Connect provider, the blog and another site ---------- */
const freePort = () => new Promise((ok, fail) => {
  const s = createNetServer().once('error', fail).listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => ok(port));
  });
});
/** { sites: { blog: { origins: [...] } }, oidc: { peer: {...} } } → TOML with a table per site and provider. */
const toml = (tables) => Object.entries(tables).flatMap(([group, entries]) => Object.entries(entries).map(([name, keys]) =>
  `[${group}.${name}]\n` + Object.entries(keys).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join('\n'))).join('\n\n') + '\n';

let natter; // { base: http://localhost:PORT, port, proc, log() }
let provider; // { issuer, proc }
let dataDir;
const children = new Set();
const stop = (proc) => (proc.exitCode !== null || proc.signalCode ? Promise.resolve() : new Promise((r) => (proc.once('exit', r), proc.kill('SIGTERM'))));

/** The OpenID Connect provider, its client being natter at `port`, with the account alice. */
async function startProvider(port) {
  const config = {
    clients: [{ client_id: 'natter', client_secret: SECRET, redirect_uris: [`http://localhost:${port}/auth/oidc/peer/callback`] }],
    accounts: { alice: { name: 'Alice Example', email: 'alice@example.test', email_verified: true } },
  };
  const proc = spawn(process.execPath, [PROVIDER], { env: { ...process.env, OIDC_PEER_CONFIG: JSON.stringify(config) }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  let log = '';
  proc.stderr.on('data', (d) => (log = (log + d).slice(-8000)));
  const ready = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('the OpenID Connect provider did not start within 20 s:\n' + log)), 20000);
    proc.once('exit', (code) => (clearTimeout(timer), fail(new Error(`the OpenID Connect provider exited (${code}) at start:\n${log}`))));
    createInterface({ input: proc.stdout }).once('line', (line) => (clearTimeout(timer), ok(JSON.parse(line))));
  });
  return { issuer: ready.issuer, proc, log: () => log };
}

async function startNatter(port, sites, oidc) {
  dataDir = mkdtempSync(join(tmpdir(), 'natter-signin-'));
  const config = join(dataDir, 'natter.toml');
  writeFileSync(config, toml({ sites, ...(oidc ? { oidc } : {}) }));
  const base = `http://localhost:${port}`;
  const proc = spawn(BIN, [], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env, NATTER_DATABASE: join(dataDir, 'natter.db'), NATTER_BIND: `127.0.0.1:${port}`, NATTER_CONFIG: config,
      NATTER_PUBLIC_URL: base, NATTER_ADMIN_TOKEN: TOKEN, NATTER_FETCH_ALLOW: '["127.0.0.1", "localhost"]',
      NATTER_LIMITS__COMMENTS_PER_MINUTE: '0', NATTER_LIMITS__READS_PER_MINUTE: '0', NATTER_LIMITS__VOTES_PER_MINUTE: '0',
      NATTER_LIMITS__EDITS_PER_MINUTE: '0', NATTER_LIMITS__ASSETS_PER_MINUTE: '0',
    },
  });
  children.add(proc);
  let log = '';
  await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('natter did not start within 10 s:\n' + log)), 10000);
    proc.stderr.on('data', (d) => {
      log = (log + d).slice(-20000);
      if (/port\W{1,3}\d+/.test(log.replace(/\x1b\[[0-9;]*m/g, ''))) (clearTimeout(timer), ok());
    });
    proc.once('exit', (code) => (clearTimeout(timer), fail(new Error(`natter exited (${code}) at start:\n${log}`))));
  });
  return { base, port, proc, log: () => log };
}

/** A call to natter from node (no Origin header, as a script would): { status, body, type }. */
async function call(method, path, { body, bearer, headers = {} } = {}) {
  if (body) headers['Content-Type'] = 'application/json';
  if (bearer) headers.Authorization = 'Bearer ' + bearer;
  const res = await fetch(natter.base + path, { method, headers, body: body && (typeof body == 'string' ? body : JSON.stringify(body)) });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, body: json, text, type: res.headers.get('content-type') || '' };
}
const admin = (method, path) => call(method, '/api/admin' + path, { bearer: TOKEN });
const thread = async (site, page) => (await call('GET', `/api/comments?site=${site}&page=${encodeURIComponent(page)}`)).body;

// The blog (the sites' listed origin) and a site that is not listed anywhere, each a small node server.
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
function serve(handler) {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(handler(new URL(req.url, 'http://x')));
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r({ server, origin: `http://127.0.0.1:${server.address().port}` })));
}
let blog, other;
const blogPage = (url) => url.pathname == '/plain' ? '<!doctype html><title>plain</title><p>A page of the blog without comments.' : `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,">
<title>A post</title><style>body{margin:0 auto;max-width:46rem;padding:0 12px;font:17px/1.6 Georgia,serif}</style></head>
<body><h1>A post</h1><p>Some text to comment on.</p><div id="natter"></div>
<script src="${natter.base}/embed.js" data-site="${esc(url.searchParams.get('site') || 'blog')}" async></script></body></html>`;
// A page on an origin that no site lists: it opens the sign-in popup itself and records every message it gets.
const otherPage = () => `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body>
<script>window.got = []; addEventListener('message', (e) => window.got.push({ origin: e.origin, data: e.data }));</script></body></html>`;

/* ---------- browsers ("devices") ---------- */
// In-page helpers on the blog's pages (namespaced so they can't touch the page's own code).
const HELPERS = `
  window.W = {
    R: () => document.querySelector('[data-natter-theme]')?.shadowRoot,
    $: (s) => W.R()?.querySelector(s), $$: (s) => [...(W.R()?.querySelectorAll(s) || [])],
    until: async (f, ms = 5000, every = 10) => { const t = Date.now(); for (;;) { const v = await f(); if (v) return v; if (Date.now() - t > ms) throw new Error('timeout: ' + f); await new Promise((r) => setTimeout(r, every)); } },
    type: (el, v) => { el.value = v; el.dispatchEvent(new Event('input', { bubbles: true })); },
    btn: (label, r = W.R()) => r && [...r.querySelectorAll('button')].find((b) => b.textContent.trim() == label),
    art: (text) => W.$$('article').find((a) => a.firstChild.querySelector('.text')?.textContent.includes(text)),
    shown: (e) => !!e && e.getClientRects().length > 0,
    sign: () => W.$('.sign')?.textContent.replace(/\\s+/g, ' ').trim(),
    st: () => W.$('.status').textContent,
    ready: () => W.until(() => W.$('textarea[name=text]')),
  };`;
const AUTHENTICATOR = { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true };
const devices = [];
// Each copy of a passkey starts above every signature count the server has seen: a counter that goes
// back is how a cloned authenticator shows (and each popup's authenticator is a new one).
let signCount = 0;

/**
 * A browser with its own profile, one tab, and a virtual authenticator in every popup it opens
 * (holding `credentials`, copies of passkeys made elsewhere). Records the tab's requests, console
 * errors and dialogs; each popup records its own requests and the passkeys made in it (`made`).
 */
async function device(name) {
  const browser = await launch();
  const tab = await browser.newPage();
  const d = { name, browser, tab, requests: [], problems: [], allowed: [], dialogs: [], credentials: [], waiting: [], popups: [] };
  devices.push(d);
  await tab.send('Log.enable');
  await tab.send('Network.enable');
  await tab.send('Page.addScriptToEvaluateOnNewDocument', { source: HELPERS });
  tab.on('Network.requestWillBeSent', ({ request }) => d.requests.push({ method: request.method, url: request.url, body: request.postData, headers: request.headers }));
  tab.on('Runtime.consoleAPICalled', (p) => ['error', 'warning', 'assert'].includes(p.type) &&
    d.problems.push(`console.${p.type}: ${p.args.map((a) => a.value ?? a.description).join(' ')}`));
  tab.on('Runtime.exceptionThrown', (p) => d.problems.push('exception: ' + (p.exceptionDetails.exception?.description || p.exceptionDetails.text)));
  tab.on('Log.entryAdded', ({ entry }) => ['error', 'warning'].includes(entry.level) && d.problems.push(`log ${entry.source}: ${entry.text} ${entry.url || ''}`));
  tab.on('Page.javascriptDialogOpening', (p) => {
    d.dialogs.push(`${p.type}: ${p.message}`);
    tab.send('Page.handleJavaScriptDialog', { accept: false }).catch(() => {});
  });
  await browser.onPopup(async (popup, info) => {
    Object.assign(popup, { info, requests: [], sent: {}, made: [] });
    popup.on('Network.requestWillBeSent', ({ requestId, request }) =>
      popup.requests.push({ requestId, method: request.method, url: request.url, body: request.postData, hasBody: request.hasPostData, headers: request.headers }));
    // the headers as they went out (the Cookie header among them), which the network stack adds later
    popup.on('Network.requestWillBeSentExtraInfo', ({ requestId, headers }) => (popup.sent[requestId] = headers));
    popup.on('WebAuthn.credentialAdded', ({ credential }) => popup.made.push(credential));
    await popup.send('Network.enable');
    await popup.send('WebAuthn.enable', { enableUI: false });
    const { authenticatorId } = await popup.send('WebAuthn.addVirtualAuthenticator', { options: AUTHENTICATOR });
    for (const credential of d.credentials) {
      await popup.send('WebAuthn.addCredential', { authenticatorId, credential: { ...credential, isResidentCredential: true, signCount: (signCount += 1000) } });
    }
    popup.closed.then(() => (popup.gone = true));
    d.popups.push(popup);
    popup.authenticatorId = authenticatorId;
    (d.waiting.shift() || (() => {}))(popup);
  });
  return d;
}
/** Opens a blog page in this device's tab (its storage kept: a reload, as a reader comes back). */
async function open(d, path, query = {}) {
  const qs = new URLSearchParams(query).toString();
  await d.tab.goto(blog.origin + path + (qs ? '?' + qs : ''));
  // (drawn, or failed: "Loading comments…" is neither)
  await d.tab.eval(`await W.until(() => W.$('h2') || W.$('.status.error'), 10000)`);
}
const run = (d, body, options) => d.tab.eval(body, options);
/** The requests this device's tab sent to natter since `from`, as "METHOD /path" (CORS preflights left out). */
const sent = (d, from = 0) => d.requests.slice(from).filter((r) => r.url.startsWith(natter.base + '/') && r.method != 'OPTIONS');
function within(promise, ms, what) {
  let timer;
  return Promise.race([promise, new Promise((_, fail) => (timer = setTimeout(() => fail(new Error('timed out waiting for ' + what)), ms)))])
    .finally(() => clearTimeout(timer));
}
/** The console errors of the tab, less those the test provokes on purpose (a 401 of a revoked session, say). */
function noProblems(d) {
  const left = d.problems.filter((p) => !d.allowed.some((a) => a.test(p)));
  d.problems = [];
  assert.deepEqual(left, [], `${d.name}: no console errors`);
  assert.deepEqual(d.dialogs, [], `${d.name}: no browser dialog`);
}
// Chromium logs every failed fetch; a test names the error answers it provokes on purpose.
const expectHttp = (d, status, path) => d.allowed.push(new RegExp(
  `^log network: Failed to load resource: the server responded with a status of ${status} .* ${natter.base.replace(/\./g, '\\.')}${path.replace(/[?.*+()[\]]/g, '\\$&')}`));

// A popup's document changes under it (it navigates, then closes): its helpers retry until an answer.
async function inPopup(popup, body, { ms = 10000, gesture = false } = {}) {
  for (const end = Date.now() + ms; ;) {
    try {
      return await popup.eval(body, { userGesture: gesture });
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
async function untilInPopup(popup, expression, ms = 10000) {
  for (const end = Date.now() + ms; ;) {
    if (popup.gone) throw new Error(`the popup closed while waiting in it for ${expression}`);
    const v = await popup.eval(`return ${expression}`).catch(() => null);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting in the popup for ${expression}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
/** What the popup says when something went wrong (p#auth-error), for a failure message. */
const popupError = (popup) => popup.eval(`return location.href + ': ' + (document.querySelector('#auth-error')?.textContent || document.body?.innerText.slice(0, 400))`).catch((e) => String(e));
/** Waits for the popup to close itself, which it does once it handed the session over (else closes it, saying what it shows). */
async function closes(popup, ms = 15000) {
  let shows = '';
  const timer = setTimeout(async () => (shows = await popupError(popup)), ms - 1000);
  try {
    await within(popup.closed, ms, 'the popup to close');
  } catch (e) {
    await popup.close().catch(() => {}); // (a popup left open would be reused by the next window.open of that name)
    throw new Error(`${e.message}; it showed ${shows}`);
  } finally {
    clearTimeout(timer);
  }
}

/** Clicks the widget's "Sign in" (a user's click, so that the popup opens) → the popup, once it is on its page. */
async function openSignIn(d) {
  // (a popup a failed test left open would be reused by window.open of that name, and never be seen here)
  for (const left of d.popups) if (!left.gone) await left.close().catch(() => {});
  await run(d, `await W.until(() => W.shown(W.btn('Sign in', W.$('.sign'))))`);
  const next = new Promise((r) => d.waiting.push(r));
  await run(d, `W.btn('Sign in', W.$('.sign')).click()`, { userGesture: true });
  const popup = await within(next, 5000, 'the sign-in popup');
  if (popup.setupError) throw popup.setupError;
  await untilInPopup(popup, `document.readyState == 'complete' && location.pathname == '/auth/signin' && !!document.querySelector('#passkey-signin')`);
  return popup;
}
/** In the popup: a new passkey, named `name`, on this device's authenticator. → the passkey (with its private key). */
async function createPasskey(popup, name) {
  await inPopup(popup, `const input = document.querySelector('#passkey-name');
    input.value = ${JSON.stringify(name)}; input.dispatchEvent(new Event('input', { bubbles: true }));
    document.querySelector('#passkey-create').click()`, { gesture: true });
  await closes(popup);
  assert.equal(popup.made.length, 1, 'one passkey was made');
  return popup.made[0];
}
async function passkeySignIn(popup) {
  await inPopup(popup, `document.querySelector('#passkey-signin').click()`, { gesture: true });
  await closes(popup);
}
/** In the popup: the provider's button, then its sign-in page as alice (unless the provider remembers her). */
async function oidcSignIn(popup) {
  const link = await inPopup(popup, `const a = document.querySelector('a.oidc[data-provider="oidc:peer"]');
    return a && { text: a.textContent.trim(), href: a.href }`);
  assert.ok(link, 'the popup offers the provider');
  await inPopup(popup, `document.querySelector('a.oidc[data-provider="oidc:peer"]').click()`, { gesture: true });
  const login = untilInPopup(popup, `location.origin == ${JSON.stringify(provider.issuer)} && !!document.querySelector('#login') && 'login'`, 15000);
  const where = await Promise.race([popup.closed.then(() => 'closed'), login.catch(() => 'no login page')]);
  if (where == 'login') await inPopup(popup, `document.querySelector('#login').value = 'alice'; document.querySelector('#sign-in').click()`, { gesture: true });
  await closes(popup);
  return link;
}
/** The session this device's widget keeps for a site (the widget's storage, on the blog's origin). */
const stored = (d, site = 'blog') => run(d, `return JSON.parse(localStorage.getItem('natter:session:${site}') || 'null')`);
/** Writes and posts a comment from the widget's form; → the comment's article has appeared. */
const write = (d, text) => run(d, `await W.ready(); W.type(W.$('textarea[name=text]'), ${JSON.stringify(text)});
  W.btn('Post comment').click(); await W.until(() => W.art(${JSON.stringify(text)}), 8000)`);

let snaps; // made when the tests start
/** A picture of the tab, to look at (a temporary folder, printed once; none of these is in the README). */
async function snap(d, name) {
  const { data } = await d.tab.send('Page.captureScreenshot', { format: 'png' });
  writeFileSync(join(snaps, name + '.png'), Buffer.from(data, 'base64'));
}

/* ---------- set-up ---------- */
const PROVIDERS_SIGN_IN = () => (provider ? ['passkey', 'oidc:peer'] : ['passkey']);
before(async () => {
  if (skip) return;
  const port = await freePort(); // natter's, known first: the provider's redirect URI names it
  if (!oidcMissing) provider = await startProvider(port);
  blog = await serve(blogPage);
  other = await serve(otherPage);
  const sites = {
    blog: { origins: [blog.origin], sign_in: PROVIDERS_SIGN_IN(), min_form_seconds: 0 },
    members: { origins: [blog.origin], sign_in: PROVIDERS_SIGN_IN(), require_sign_in: true, min_form_seconds: 0 },
    plain: { origins: [blog.origin], min_form_seconds: 0 },
  };
  const oidc = provider && { peer: { issuer: provider.issuer, client_id: 'natter', client_secret: SECRET, label: 'Example ID' } };
  natter = await startNatter(port, sites, oidc);
  // The widget and the desk are compiled into the binary: one built before their sign-in code can't pass here.
  const [embed, desk] = await Promise.all(['/embed.js', '/admin.js'].map(async (p) => (await call('GET', p)).text));
  assert.ok(embed.includes('natter-signin') && desk.includes('/api/admin/sessions'),
    `${BIN} serves a widget or desk without sign-in: it was built before widget/ changed (rebuild it)`);
  snaps = mkdtempSync(join(tmpdir(), 'natter-signin-shots-'));
  console.log(`screenshots of the sign-in go to ${snaps}`);
});
after(async () => {
  for (const d of devices) await d.browser.close();
  await Promise.all([...children].map(stop));
  blog?.server.close();
  other?.server.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});
const stest = (name, fn) => test(name, { skip, timeout: 90000 }, fn);

/* ---------- the tests (in order: each goes on from where the one before left) ---------- */
let first, second; // the two devices
let passkey; // the passkey made on the first device
let pat; // { token } of the first device's session
let patComment;

stest('config lists the sign-in options; a site without any offers no sign-in and asks nothing about sessions', async () => {
  const config = (await call('GET', '/api/config?site=blog')).body;
  assert.deepEqual(config.sign_in, provider
    ? [{ id: 'passkey', label: 'Passkey' }, { id: 'oidc:peer', label: 'Example ID' }] : [{ id: 'passkey', label: 'Passkey' }]);
  assert.equal(config.require_sign_in, false);
  assert.equal((await call('GET', '/api/config?site=members')).body.require_sign_in, true);
  assert.deepEqual((await call('GET', '/api/config?site=plain')).body.sign_in, []);

  first = await device('first device');
  await open(first, '/posts/plain/', { site: 'plain' });
  const plain = await run(first, `await W.ready(); return { box: W.$('.sign').hidden, buttons: W.$('.sign').children.length,
    name: W.shown(W.$('input[name=author]')), text: W.shown(W.$('textarea[name=text]')) }`);
  assert.deepEqual(plain, { box: true, buttons: 0, name: true, text: true });
  assert.deepEqual(sent(first).filter((q) => q.url.includes('/auth')), [], 'no request about sessions');
  noProblems(first);
});

stest('passkey: created in the popup, handed over to the blog\'s origin; the comment is marked as signed in', async () => {
  const page = '/posts/passkeys/';
  await open(first, page);
  const before = await run(first, `await W.ready(); return { sign: W.sign(), name: W.shown(W.$('input[name=author]')) }`);
  assert.deepEqual(before, { sign: 'Sign in', name: true }, 'a small Sign in button; the name field is there');
  const popup = await openSignIn(first);
  const href = await popup.eval(`return location.href`);
  assert.equal(href, `${natter.base}/auth/signin?site=blog&origin=${encodeURIComponent(blog.origin)}`);
  const asked = await popup.eval(`return { create: document.querySelector('#passkey-create').textContent.trim(),
    inForm: !!document.querySelector('form#passkey-new #passkey-name'), opener: !!window.opener, name: window.name }`);
  assert.deepEqual(asked, { create: 'Create a passkey', inForm: true, opener: true, name: 'natter-signin' });
  const from = first.requests.length;
  passkey = await createPasskey(popup, 'Pat Passkey');
  assert.equal(passkey.rpId, 'localhost');
  assert.equal(passkey.isResidentCredential, true);

  const signed = await run(first, `await W.until(() => /Signed in as/.test(W.sign()));
    return { sign: W.sign(), name: W.shown(W.$('input[name=author]')), email: W.shown(W.$('input[name=email]')),
      buttons: W.$$('.sign button').map((b) => b.textContent), focus: W.R().activeElement === W.$('textarea[name=text]') }`);
  assert.deepEqual(signed, { sign: 'Signed in as Pat Passkey · My data · Sign out', name: false, email: true, buttons: ['My data', 'Sign out'], focus: true });
  pat = await stored(first);
  assert.match(pat.token, /^ns1\./);
  assert.deepEqual(pat.identity, { provider: 'passkey', name: 'Pat Passkey' });
  assert.ok(Date.parse(pat.expires_at) > Date.now());
  // the widget learnt its identity's comments (none yet)
  assert.deepEqual(sent(first, from).map((r) => `${r.method} ${r.url.slice(natter.base.length)} ${r.headers.Authorization}`).sort(),
    [`GET /api/auth/me Bearer ${pat.token}`, `GET /api/auth/session Bearer ${pat.token}`]);
  await snap(first, 'signed-in');

  const posting = first.requests.length;
  await write(first, 'Written on the first device, signed in with a passkey');
  const post = sent(first, posting).find((r) => r.method == 'POST' && r.url == natter.base + '/api/comments');
  assert.equal(post.headers.Authorization, 'Bearer ' + pat.token, 'the post carries the session');
  const mark = await run(first, `const a = W.art('Written on the first device'); const v = a.querySelector('.meta .verified');
    return v && { text: v.textContent, title: v.title, label: v.getAttribute('aria-label'), role: v.getAttribute('role'),
      after: v.previousElementSibling.className, author: a.querySelector('.author').textContent, colour: getComputedStyle(v).color }`);
  assert.deepEqual(mark, { text: '✓', title: 'Signed in with a passkey', label: 'Signed in with a passkey', role: 'img', after: 'author',
    author: 'Pat Passkey', colour: 'rgb(9, 105, 218)' });
  const listed = (await thread('blog', page)).comments;
  assert.deepEqual(listed.map((c) => [c.author, c.signed_in, c.status]), [['Pat Passkey', 'passkey', 'approved']]);
  patComment = listed[0];
  noProblems(first);
});

stest('the stored session is checked on every visit, and the form stays signed in', async () => {
  const from = first.requests.length;
  await open(first, '/posts/passkeys/');
  const r = await run(first, `await W.ready(); await W.until(() => /Signed in as/.test(W.sign()));
    return { sign: W.sign(), edit: !!W.btn('Edit', W.art('Written on the first device')) }`);
  assert.deepEqual(r, { sign: 'Signed in as Pat Passkey · My data · Sign out', edit: true });
  const auth = sent(first, from).filter((q) => q.url.includes('/api/auth/')).map((q) => `${q.method} ${q.url.slice(natter.base.length)} ${q.headers.Authorization}`);
  assert.deepEqual(auth.sort(), [`GET /api/auth/me Bearer ${pat.token}`, `GET /api/auth/session Bearer ${pat.token}`]);
  noProblems(first);
});

stest('a second device signs in with the same passkey and edits the comment written on the first (no edit token there), then signs out', async () => {
  second = await device('second device');
  second.credentials.push(passkey);
  const page = '/posts/passkeys/';
  await open(second, page);
  const stranger = await run(second, `await W.ready(); await W.until(() => W.art('Written on the first device'));
    return { edit: !!W.btn('Edit', W.art('Written on the first device')), own: JSON.parse(localStorage.getItem('natter:own')) }`);
  assert.deepEqual(stranger, { edit: false, own: {} }, 'this browser holds no edit token');
  const popup = await openSignIn(second);
  await passkeySignIn(popup);
  assert.equal(popup.made.length, 0, 'no new passkey on the second device');
  const r = await run(second, `await W.until(() => /Signed in as/.test(W.sign()));
    await W.until(() => W.btn('Edit', W.art('Written on the first device')));
    return { sign: W.sign(), left: W.art('Written on the first device').querySelector('[data-until]').lastChild.textContent }`);
  assert.equal(r.sign, 'Signed in as Pat Passkey · My data · Sign out');
  assert.match(r.left, /^editable for 1[45] min$/, 'within the site\'s edit window, from the comment\'s time');
  const session = await stored(second);
  assert.notEqual(session.token, pat.token, 'a session of its own');

  // The replay of the assertion the popup sent is refused, and makes no session.
  const finish = popup.requests.find((q) => q.method == 'POST' && /\/api\/auth\/passkey\/login\/finish$/.test(q.url));
  assert.ok(finish, 'the popup finished its sign-in at /api/auth/passkey/login/finish: ' + popup.requests.map((q) => q.url).join(' '));
  const body = finish.body ?? (await popup.send('Network.getRequestPostData', { requestId: finish.requestId }).catch(() => ({}))).postData;
  assert.ok(body, 'the assertion body was captured');
  const cookie = popup.sent[finish.requestId]?.cookie || popup.sent[finish.requestId]?.Cookie;
  const replay = await call('POST', '/api/auth/passkey/login/finish', {
    body, headers: { Origin: natter.base, ...(cookie ? { Cookie: cookie } : {}) },
  });
  assert.ok(replay.status >= 400 && replay.status < 500, `a replayed assertion is refused (${replay.status} ${replay.text})`);
  assert.equal(typeof replay.body?.error?.code, 'string', 'with the error shape: ' + replay.text);
  assert.ok(!/ns1\./.test(replay.text), 'and no session');

  // Edit, with the session: the server decides it is the identity's comment.
  const from = second.requests.length;
  const edited = await run(second, `const a = W.art('Written on the first device'); W.btn('Edit', a).click();
    const area = a.querySelector('textarea'); const start = area.value;
    W.type(area, 'Edited on the second device'); W.btn('Save', a).click();
    await W.until(() => W.art('Edited on the second device'));
    return { start, edited: /edited/.test(W.art('Edited on the second device').querySelector('.meta').textContent) }`);
  assert.deepEqual(edited, { start: 'Written on the first device, signed in with a passkey', edited: true });
  const patch = sent(second, from).find((q) => q.method == 'PATCH');
  assert.equal(patch.url, `${natter.base}/api/comments/${patComment.id}`);
  assert.equal(patch.headers.Authorization, 'Bearer ' + session.token, 'the session, as this browser has no edit token');
  assert.deepEqual(JSON.parse(patch.body), { text: 'Edited on the second device' });
  const now = (await thread('blog', page)).comments;
  assert.deepEqual(now.map((c) => [c.id, c.author, c.signed_in, /Edited on the second device/.test(c.html)]), [[patComment.id, 'Pat Passkey', 'passkey', true]]);

  // Sign out: the server revokes the session, the widget forgets it.
  const out = second.requests.length;
  const r2 = await run(second, `W.btn('Sign out', W.$('.sign')).click(); await W.until(() => W.sign() == 'Sign in');
    return { name: W.shown(W.$('input[name=author]')), edit: !!W.btn('Edit', W.art('Edited on the second device')),
      stored: localStorage.getItem('natter:session:blog') }`);
  assert.deepEqual(r2, { name: true, edit: false, stored: 'null' });
  const del = sent(second, out).find((q) => q.method == 'DELETE');
  assert.deepEqual([del.url, del.headers.Authorization], [`${natter.base}/api/auth/session`, 'Bearer ' + session.token]);
  assert.equal((await call('GET', '/api/auth/session', { bearer: session.token })).status, 401, 'the token is refused afterwards');
  assert.equal((await call('GET', '/api/auth/session', { bearer: pat.token })).status, 200, 'the first device\'s session lives on');
  noProblems(second);
});

stest('the sign-in page refuses an origin the site does not list, and hands a session only to the origin it was asked for', async () => {
  // Asked for an origin the site does not list: a 400 page, not a sign-in.
  const evil = await call('GET', `/auth/signin?site=blog&origin=${encodeURIComponent('http://evil.example')}`);
  assert.equal(evil.status, 400, evil.text.slice(0, 300));
  assert.match(evil.type, /^text\/html/);
  assert.ok(!evil.text.includes('passkey-create'), 'no sign-in form');
  const unlisted = await call('GET', `/auth/signin?site=blog&origin=${encodeURIComponent(other.origin)}`);
  assert.equal(unlisted.status, 400, 'the page of another origin of this machine is not listed either');

  // A page of an unlisted origin opens the popup for the blog's origin: the session goes to the blog's
  // origin only, so this opener never sees it.
  await second.tab.goto(other.origin + '/');
  const next = new Promise((r) => second.waiting.push(r));
  await run(second, `window.open(${JSON.stringify(`${natter.base}/auth/signin?site=blog&origin=${encodeURIComponent(blog.origin)}`)}, 'natter-signin', 'popup,width=480,height=640')`, { userGesture: true });
  const popup = await within(next, 5000, 'the popup');
  await untilInPopup(popup, `document.readyState == 'complete' && !!document.querySelector('#passkey-signin')`);
  await passkeySignIn(popup);
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(await run(second, `return window.got`), [], 'the unlisted opener got no message');
});

stest('a hand-over that is not from the widget\'s own popup, on Natter\'s origin, for its site, is ignored', async () => {
  const page = '/posts/forged/';
  await open(second, page);
  const popup = await openSignIn(second);
  const forged = (token, site = 'blog') => JSON.stringify({ natter: 'session', site, token, expires_at: new Date(Date.now() + 864e5).toISOString(), identity: { provider: 'passkey', name: 'Mallory' } });
  // from the popup on Natter's origin, but for another site
  await popup.eval(`window.opener.postMessage(${forged('ns1.forged-site', 'members')}, '*')`);
  // from the blog page itself (the right site, but neither the popup nor Natter's origin)
  await run(second, `window.postMessage(${forged('ns1.forged-self')}, '*')`);
  // from the popup, once it is on another origin (navigated by its own page, so that it keeps its opener)
  await popup.eval(`location.href = ${JSON.stringify(blog.origin + '/plain')}`);
  await untilInPopup(popup, `location.origin == ${JSON.stringify(blog.origin)} && document.readyState == 'complete'`);
  await popup.eval(`window.opener.postMessage(${forged('ns1.forged-origin')}, '*')`);
  await new Promise((r) => setTimeout(r, 300));
  const r = await run(second, `return { sign: W.sign(), stored: ['blog', 'members'].map((site) => JSON.parse(localStorage.getItem('natter:session:' + site))),
    name: W.shown(W.$('input[name=author]')) }`);
  assert.deepEqual(r, { sign: 'Sign in', stored: [null, null], name: true });
  assert.ok(!second.requests.some((q) => /forged/.test(q.headers.Authorization || '')), 'no forged token was ever sent');
  await popup.close();
  noProblems(second);
});

test('OpenID Connect: signed in at the provider in the popup, back as "Alice Example"; her comment is marked oidc:peer', { skip: skipOidc, timeout: 90000 }, async () => {
  const page = '/posts/oidc/';
  await open(second, page);
  const popup = await openSignIn(second);
  const link = await oidcSignIn(popup);
  assert.match(link.text, /Example ID/);
  const r = await run(second, `await W.until(() => /Signed in as/.test(W.sign()), 8000); return W.sign()`);
  assert.equal(r, 'Signed in as Alice Example · My data · Sign out');
  const alice = await stored(second);
  assert.deepEqual(alice.identity, { provider: 'oidc:peer', name: 'Alice Example' });
  await write(second, 'Alice writes, signed in with her provider');
  const mark = await run(second, `const v = W.art('Alice writes').querySelector('.verified'); return [v.title, v.getAttribute('aria-label')]`);
  assert.deepEqual(mark, ['Signed in with Example ID', 'Signed in with Example ID']);
  assert.deepEqual((await thread('blog', page)).comments.map((c) => [c.author, c.signed_in]), [['Alice Example', 'oidc:peer']]);
  noProblems(second);
});

test('require_sign_in: the form is only the sign-in button until then; the server refuses a post without a session', { skip: skipOidc, timeout: 90000 }, async () => {
  const page = '/posts/members-only/';
  await open(second, page, { site: 'members' });
  const gated = await run(second, `await W.until(() => W.$('.sign')); await new Promise((r) => setTimeout(r, 50));
    return { sign: W.sign(), text: W.shown(W.$('textarea[name=text]')), name: W.shown(W.$('input[name=author]')),
      post: W.shown(W.btn('Post comment')), button: W.shown(W.btn('Sign in', W.$('.sign'))) }`);
  assert.deepEqual(gated, { sign: 'Sign in', text: false, name: false, post: false, button: true });
  const anonymous = await call('POST', '/api/comments', { body: { site: 'members', page, text: 'no session' } });
  assert.deepEqual([anonymous.status, anonymous.body?.error?.code], [401, 'unauthorized']);
  await snap(second, 'members-gated');
  const popup = await openSignIn(second);
  await oidcSignIn(popup); // the provider remembers alice: maybe no page at all this time
  const open_ = await run(second, `await W.until(() => /Signed in as/.test(W.sign()), 8000);
    return { text: W.shown(W.$('textarea[name=text]')), name: W.shown(W.$('input[name=author]')), post: W.shown(W.btn('Post comment')) }`);
  assert.deepEqual(open_, { text: true, name: false, post: true });
  await write(second, 'A member speaks');
  assert.deepEqual((await thread('members', page)).comments.map((c) => [c.author, c.signed_in]), [['Alice Example', 'oidc:peer']]);
  noProblems(second);
});

stest('the desk lists live sessions, revokes one (the widget\'s token then fails), and shows who wrote a signed-in comment', async () => {
  const tab = first.tab;
  const answer = await admin('GET', '/sessions');
  assert.equal(answer.status, 200, answer.text);
  const live = answer.body.sessions;
  // the first device's session: the current one of its token, as GET /api/auth/me names it
  const mine = (await call('GET', '/api/auth/me', { bearer: pat.token })).body.sessions.find((s) => s.current);
  const patSession = live.find((s) => s.id == mine.id);
  assert.ok(patSession, 'the first device\'s session is live: ' + JSON.stringify(live));
  assert.deepEqual([patSession.site, patSession.identity.name, patSession.identity.provider], ['blog', 'Pat Passkey', 'passkey']);
  await tab.goto(natter.base + '/admin');
  await tab.eval(`const $ = (s) => document.querySelector(s);
    await new Promise((r) => { const t = setInterval(() => (!$('#login').hidden || !$('#app').hidden) && (clearInterval(t), r()), 20); });
    if (!$('#login').hidden) { $('#token').value = ${JSON.stringify(TOKEN)}; [...document.querySelectorAll('button')].find((b) => b.textContent == 'Log in').click(); }
    await new Promise((r) => { const t = setInterval(() => !$('#app').hidden && $('#sites li') && (clearInterval(t), r()), 20); });`);
  const view = await tab.eval(`const $ = (s) => document.querySelector(s);
    [...document.querySelectorAll('.view-btn')].find((b) => b.textContent == 'Sessions').click();
    await new Promise((r) => { const t = setInterval(() => $('#sessions-summary').textContent && (clearInterval(t), r()), 20); });
    return { current: $('[aria-current=page]').textContent, focus: document.activeElement.id, summary: $('#sessions-summary').textContent,
      rows: [...document.querySelectorAll('#sessions > li')].map((li) => ({ id: li.dataset.id, text: li.textContent.replace(/\\s+/g, ' '),
        button: li.querySelector('button').textContent, label: li.querySelector('button').getAttribute('aria-label') })) }`);
  assert.equal(view.current, 'Sessions');
  assert.equal(view.focus, 'sessions-h');
  assert.equal(view.summary, `${live.length} live session${live.length == 1 ? '' : 's'}.`);
  assert.deepEqual(view.rows.map((r) => r.id).sort(), live.map((s) => String(s.id)).sort(), 'the live sessions, as the API lists them');
  const row = view.rows.find((r) => r.id == String(patSession.id));
  for (const part of ['Pat Passkey', 'passkey', patSession.identity.subject, 'blog', 'signed in', 'expires', 'last seen']) assert.ok(row.text.includes(part), `${part} in ${row.text}`);
  assert.deepEqual([row.button, row.label], ['Revoke', 'Revoke the session of Pat Passkey (passkey) on blog']);

  // the site filter
  const filtered = await tab.eval(`const s = document.querySelector('#s-site'); s.value = 'members'; s.dispatchEvent(new Event('change'));
    await new Promise((r) => setTimeout(r, 300)); return [...document.querySelectorAll('#sessions > li')].map((li) => li.dataset.id)`);
  assert.deepEqual(filtered.sort(), live.filter((s) => s.site == 'members').map((s) => String(s.id)).sort());
  await tab.eval(`const s = document.querySelector('#s-site'); s.value = ''; s.dispatchEvent(new Event('change')); await new Promise((r) => setTimeout(r, 300))`);

  // Revoke: gone from the list, and the token no longer works
  const revoked = await tab.eval(`const li = document.querySelector('#sessions > li[data-id="${patSession.id}"]'); li.querySelector('button').click();
    await new Promise((r) => { const t = setInterval(() => !li.isConnected && (clearInterval(t), r()), 20); });
    return { status: document.querySelector('#status').textContent, left: document.querySelectorAll('#sessions > li').length }`);
  assert.deepEqual(revoked, { status: 'Revoked the session of Pat Passkey (passkey) on blog.', left: live.length - 1 });
  assert.equal((await call('GET', '/api/auth/session', { bearer: pat.token })).status, 401, 'the revoked token fails');
  assert.ok(!(await admin('GET', '/sessions')).body.sessions.some((s) => s.id == patSession.id));

  // the queue: a signed-in comment's card names its identity
  const card = await tab.eval(`const $ = (s) => document.querySelector(s);
    [...document.querySelectorAll('.view-btn')].find((b) => b.textContent == 'Comments').click();
    $('#f-status').value = 'all'; $('#f-page').value = '/posts/passkeys/'; $('#summary').textContent = '';
    [...document.querySelectorAll('button')].find((b) => b.textContent == 'Apply').click();
    await new Promise((r) => { const t = setInterval(() => $('#summary').textContent && !$('#list').hasAttribute('aria-busy') && (clearInterval(t), r()), 20); });
    const li = document.querySelector('#list > li[data-id="${patComment.id}"]');
    return { identity: li.querySelector('.identity').textContent, shown: !li.querySelector('.identity').hidden,
      others: [...document.querySelectorAll('#list > li:not([data-id="${patComment.id}"]) .identity')].filter((e) => !e.hidden).length }`);
  assert.deepEqual(card, { identity: `Signed in: passkey · Pat Passkey · ${patSession.identity.subject}`, shown: true, others: 0 });
  const adminComment = (await admin('GET', '/comments?status=all&page=/posts/passkeys/')).body.comments.find((c) => c.id == patComment.id);
  assert.deepEqual(adminComment.identity, patSession.identity);

  // The widget on the first device: its stored session is refused on the next visit, and forgotten.
  expectHttp(first, 401, '/api/auth/session');
  expectHttp(first, 401, '/api/auth/me');
  await open(first, '/posts/passkeys/');
  const after = await run(first, `await W.ready(); await W.until(() => W.sign() == 'Sign in');
    return { stored: localStorage.getItem('natter:session:blog'), name: W.shown(W.$('input[name=author]')) }`);
  assert.deepEqual(after, { stored: 'null', name: true });
  noProblems(first);
});

stest('"My data": the identity and its comments, a download of them, and "Erase everything" (asked inline) signs out and empties the thread', async () => {
  // The first device signs in again with its passkey (its session was revoked from the desk).
  const page = '/posts/passkeys/';
  await open(first, page);
  first.credentials.push(passkey); // (the popup's authenticator is a new one)
  const popup = await openSignIn(first);
  await passkeySignIn(popup);
  await run(first, `await W.until(() => /Signed in as Pat Passkey/.test(W.sign()))`);
  const token = (await stored(first)).token;
  await write(first, 'A second comment by Pat');
  const me = (await call('GET', '/api/auth/me', { bearer: token })).body;
  assert.equal(me.identity.name, 'Pat Passkey');
  assert.equal(me.comments.length, 2);

  const panel = await run(first, `W.btn('My data', W.$('.sign')).click(); await W.until(() => W.$('a[download]'));
    const a = W.$('a[download]');
    return { text: W.$('.sign + .erase p').textContent, link: a.textContent, blob: a.href.startsWith('blob:'), name: a.getAttribute('download'),
      data: await (await fetch(a.href)).json(), buttons: W.$$('.sign + .erase button').filter(W.shown).map((b) => b.textContent) }`);
  assert.equal(panel.text, 'Pat Passkey · Signed in with a passkey · 2 comments');
  assert.deepEqual([panel.link, panel.blob, panel.name], ['Download', true, 'natter-data.json']);
  assert.deepEqual(panel.data.identity, me.identity);
  assert.deepEqual(panel.data.comments.map((c) => c.id).sort(), me.comments.map((c) => c.id).sort());
  assert.deepEqual(panel.buttons, ['Erase everything']);
  await snap(first, 'my-data');

  // asked inline, the safe answer focused; Cancel erases nothing
  const asked = await run(first, `W.btn('Erase everything', W.$('.sign + .erase')).click();
    const group = W.$('.sign + .erase [role=group]');
    const out = { label: group.getAttribute('aria-label'), text: group.textContent, focus: W.R().activeElement.textContent };
    out.erase = W.shown(W.btn('Erase everything', W.$('.sign + .erase')));
    W.btn('Cancel', group).click(); out.after = [W.shown(group), W.R().activeElement === W.btn('Erase everything', W.$('.sign + .erase'))]; return out`);
  assert.deepEqual(asked, { label: 'Erase all your comments and your sign-in here? This cannot be undone.',
    text: 'Erase all your comments and your sign-in here? This cannot be undone.Erase everythingCancel', focus: 'Cancel', erase: false,
    after: [false, true] });
  assert.ok(!sent(first).some((q) => q.method == 'DELETE' && q.url.endsWith('/api/auth/me')), 'Cancel erased nothing');

  const from = first.requests.length;
  const erased = await run(first, `W.btn('Erase everything', W.$('.sign + .erase')).click();
    W.btn('Erase everything', W.$('.sign + .erase [role=group]')).click();
    await W.until(() => W.sign() == 'Sign in' && !W.art('A second comment by Pat'));
    return { status: W.st(), stored: localStorage.getItem('natter:session:blog'), articles: W.$$('article').length }`);
  assert.deepEqual(erased, { status: 'Everything stored about you here was erased.', stored: 'null', articles: 0 });
  const del = sent(first, from).find((q) => q.method == 'DELETE');
  assert.deepEqual([del.url, del.headers.Authorization], [`${natter.base}/api/auth/me`, 'Bearer ' + token]);
  assert.ok(sent(first, from).some((q) => q.method == 'GET' && q.url.startsWith(`${natter.base}/api/comments?`)), 'the thread was loaded again');
  assert.deepEqual((await thread('blog', page)).comments, []);
  assert.equal((await call('GET', '/api/auth/session', { bearer: token })).status, 401);
  noProblems(first);
});
