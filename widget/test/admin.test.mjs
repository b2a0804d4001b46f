// The /admin page in real headless Chromium against the real natter binary on a temporary database.
// Needs the binary ($NATTER_BIN, default $CARGO_TARGET_DIR/debug/natter, else target/debug/natter)
// and Chromium ($CHROMIUM or /usr/bin/chromium): without them the tests are skipped, or fail when NATTER_REQUIRE_BROWSER=1.
// Screenshots go to a new temporary folder (its path is printed), so a run leaves the tree as it was;
// NATTER_SHOTS=docs/screenshots puts them there instead (to refresh the committed ones).
import { test, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findChrome, launch } from '../support/cdp.mjs';
import { fediReply, peerMissing, startPeer, stopPeers, until } from '../support/fedipeer.mjs';

// the binary cargo builds: a relative CARGO_TARGET_DIR is taken from the repository root
const BIN = process.env.NATTER_BIN ||
  join(resolve(fileURLToPath(new URL('../..', import.meta.url)), process.env.CARGO_TARGET_DIR || 'target'), 'debug', 'natter');
const CHROME = findChrome();
let SHOTS = process.env.NATTER_SHOTS; // else a temporary folder, made when the browser starts
const missing = !existsSync(BIN)
  ? `the natter binary is missing at ${BIN} (run \`cargo build\`, or set NATTER_BIN)`
  : !CHROME ? 'no Chromium installed (set CHROMIUM=/path/to/chromium)' : null;
if (missing && process.env.NATTER_REQUIRE_BROWSER === '1') {
  test('admin page prerequisites', () => assert.fail(`NATTER_REQUIRE_BROWSER=1 but ${missing}`));
}
// The Fediverse tests' peer (tests/peers/fedify): skipped without its packages, or failed when NATTER_REQUIRE_PEERS=1.
if (peerMissing && process.env.NATTER_REQUIRE_PEERS === '1') {
  test('Fedify peer prerequisites', () => assert.fail(`NATTER_REQUIRE_PEERS=1 but ${peerMissing}`));
}
const TOKEN = 'natter-test-' + randomBytes(16).toString('hex');

/* ---------- the real server ---------- */
let server, dataDir, base;
const freePort = () => new Promise((ok, fail) => {
  const s = createNetServer().once('error', fail).listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => ok(port));
  });
});
async function startNatter() {
  dataDir = mkdtempSync(join(tmpdir(), 'natter-admin-'));
  const config = join(dataDir, 'natter.toml');
  // blog is also a Fediverse account, @blog@127.0.0.1:<port>: public_url is the server's own address, where the peer finds it
  writeFileSync(config, '[sites.blog]\norigins = ["*"]\nmoderation = "all"\nwebmention = true\nowners = ["Blog Owner"]\n' +
    'fediverse = true\nfediverse_handle = "blog"\n\n[sites.notes]\norigins = ["*"]\n');
  const free = await freePort();
  server = spawn(BIN, [], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env, NATTER_DATABASE: join(dataDir, 'natter.db'), NATTER_BIND: `127.0.0.1:${free}`, NATTER_CONFIG: config,
      NATTER_PUBLIC_URL: `http://127.0.0.1:${free}`,
      // Webmention sources and the Fediverse peer are served by the test on loopback.
      NATTER_FETCH_ALLOW: '["127.0.0.1"]',
      NATTER_ADMIN_TOKEN: TOKEN, NATTER_LIMITS__COMMENTS_PER_MINUTE: '0', NATTER_LIMITS__READS_PER_MINUTE: '0', NATTER_LIMITS__ASSETS_PER_MINUTE: '0',
    },
  });
  let log = '';
  const port = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('natter did not start within 10 s:\n' + log)), 10000);
    server.stderr.on('data', (d) => {
      log += d;
      const m = log.replace(/\x1b\[[0-9;]*m/g, '').match(/port\W{1,3}(\d+)/);
      if (m) (clearTimeout(timer), ok(m[1]));
    });
    server.once('exit', (code) => (clearTimeout(timer), fail(new Error(`natter exited (${code}) at start:\n${log}`))));
  });
  server.stderr.resume();
  base = `http://127.0.0.1:${port}`;
}

async function call(method, path, body, auth) {
  const headers = {};
  if (body) headers['Content-Type'] = 'application/json';
  if (auth) headers.Authorization = 'Bearer ' + TOKEN;
  const res = await fetch(base + path, { method, headers, body: body && JSON.stringify(body) });
  return { status: res.status, body: res.status == 204 ? null : await res.json() };
}
let seq = 0;
async function comment(page, extra = {}) {
  const body = { site: 'blog', page, text: `comment ${++seq} on ${page}`, ...extra };
  const r = await call('POST', '/api/comments', body);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return { ...r.body.comment, text: body.text };
}
const publicIds = async (page) =>
  (await call('GET', `/api/comments?site=blog&page=${encodeURIComponent(page)}`)).body.comments.map((c) => c.id);
const adminList = async (query) => (await call('GET', '/api/admin/comments?' + new URLSearchParams(query), undefined, true)).body;

/* ---------- the browser ---------- */
let browser, tab, problems, urls, navigations, opened, requests;
const wire = {};
// In-page helpers (namespaced so they can't touch the page's own code).
const HELPERS = `
  window.T = {
    $: (s, r = document) => r.querySelector(s), $$: (s, r = document) => [...r.querySelectorAll(s)],
    until: async (f, ms = 5000) => { const t = Date.now(); for (;;) { const v = await f(); if (v) return v; if (Date.now() - t > ms) throw new Error('timeout: ' + f); await new Promise((r) => setTimeout(r, 15)); } },
    type: (el, v) => { el.value = v; el.dispatchEvent(new Event('input', { bubbles: true })); },
    choose: (el, v) => { el.value = v; el.dispatchEvent(new Event('change', { bubbles: true })); },
    item: (text) => T.$$('#list > li').find((li) => li.textContent.includes(text)),
    btn: (label, r = document) => T.$$('button', r).find((b) => b.textContent.trim() == label),
    li: (id) => T.$(\`#list > li[data-id="\${id}"]\`),
    // The focused comment's id ("li 12" on the comment itself, "in 12" inside it), else the focused element's id.
    focused: () => { const a = document.activeElement, li = a.closest('#list > li'); return li ? (a === li ? 'li ' : 'in ') + li.dataset.id : a.id || a.tagName; },
    idle: () => T.until(() => !T.$('#list').hasAttribute('aria-busy')),
  };`;
const run = (body) => tab.eval(body);
async function open() {
  await tab.goto(base + '/admin');
  opened = navigations.length; // the checks after each test expect this document
  await run(HELPERS);
}
async function login() {
  await open();
  await run(`
    await T.until(() => !T.$('#login').hidden || !T.$('#app').hidden);
    if (!T.$('#login').hidden) { T.$('#token').value = ${JSON.stringify(TOKEN)}; T.btn('Log in').click(); }
    await T.until(() => !T.$('#app').hidden && T.$('#summary').textContent && T.$('#sites li'));`);
}
// Loads the queue with these filters (through the form, as a user would).
const filter = ({ status = 'pending', page = '', q = '' } = {}) => run(`
  T.$('#f-status').value = ${JSON.stringify(status)}; T.$('#f-page').value = ${JSON.stringify(page)}; T.$('#f-q').value = ${JSON.stringify(q)};
  T.$('#summary').textContent = '';
  T.btn('Apply').click(); await T.until(() => T.$('#summary').textContent); await T.idle();`);

const skip = missing || false;
before(async () => {
  if (skip) return;
  await startNatter();
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
  else SHOTS = mkdtempSync(join(tmpdir(), 'natter-shots-'));
  console.log(`screenshots go to ${SHOTS}`);
  browser = await launch();
  tab = await browser.newPage();
  await tab.send('Log.enable');
  await tab.send('Network.enable');
  tab.on('Network.requestWillBeSent', ({ request, requestId }) => requests.push({ requestId, method: request.method, url: request.url, headers: request.headers, body: request.postData }));
  // The headers as sent (Origin among them), which the network stack adds after requestWillBeSent.
  tab.on('Network.requestWillBeSentExtraInfo', ({ requestId, headers }) => (wire[requestId] = headers));
  // Belt and braces: CSP violations are also logged to the console, but record them in the page too;
  // and a counter that injected code would bump.
  await tab.send('Page.addScriptToEvaluateOnNewDocument', {
    source: `window.__pwned = 0;
      document.addEventListener('securitypolicyviolation', (e) => (window.__csp = window.__csp || []).push(e.violatedDirective + ' ' + e.blockedURI));`,
  });
  tab.on('Runtime.consoleAPICalled', (p) => ['error', 'warning', 'assert'].includes(p.type) &&
    problems.push(`console.${p.type}: ${p.args.map((a) => a.value ?? a.description).join(' ')}`));
  tab.on('Runtime.exceptionThrown', (p) => problems.push('exception: ' + (p.exceptionDetails.exception?.description || p.exceptionDetails.text)));
  tab.on('Log.entryAdded', ({ entry }) => ['error', 'warning'].includes(entry.level) && problems.push(`log ${entry.source}: ${entry.text} ${entry.url || ''}`));
  tab.on('Page.frameNavigated', ({ frame }) => (urls.push(frame.url), frame.parentId || navigations.push(frame.url)));
});
after(async () => {
  await browser?.close();
  await stopPeers();
  if (server && server.exitCode === null) await new Promise((r) => (server.once('exit', r), server.kill('SIGTERM')));
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});
// Chromium logs every failed fetch; a test names the error answers it provokes on purpose.
let allowed;
const expectHttp = (status, path) => allowed.push(new RegExp(`^log network: Failed to load resource: the server responded with a status of ${status} .* ${base}${path}$`));
beforeEach(() => ((problems = []), (urls = []), (allowed = []), (navigations = []), (opened = 0), (requests = [])));
afterEach(async () => {
  if (skip || !tab) return;
  // A fresh document would pass every check below, so the page must still be the one the test opened;
  // and a page that can't be evaluated fails the test here rather than passing it. (Evaluated first, so a
  // navigation that commits meanwhile is on the list by the time it answers.)
  const page = await run('return { helpers: typeof T, csp: window.__csp || [], pwned: window.__pwned, href: location.href }');
  assert.deepEqual(navigations.slice(opened), [], 'the page did not navigate away from the one the test opened');
  assert.equal(page.helpers, 'object', 'the checks run in a page with the test helpers');
  assert.deepEqual(page.csp, [], 'no CSP violations');
  assert.deepEqual(problems.filter((p) => !allowed.some((a) => a.test(p))), [], 'no console errors');
  assert.equal(page.pwned, 0, 'no injected code ran');
  for (const u of [...urls, page.href]) assert.ok(!u.includes(TOKEN), 'the token never appears in a URL');
});
const atest = (name, fn) => test(name, { skip, timeout: 30000 }, fn);

// A real key press (trusted events: a native <dialog> closes on Escape only for those).
const KEYS = { Escape: ['Escape', 27], Enter: ['Enter', 13, '\r'], '?': ['Slash', 191, '?', 8] };
async function press(key) {
  const [code, keyCode, text, modifiers = 0] = KEYS[key] || ['Key' + key.toUpperCase(), key.toUpperCase().charCodeAt(0), key];
  const ev = { key, code, windowsVirtualKeyCode: keyCode, modifiers };
  await tab.send('Input.dispatchKeyEvent', { ...ev, type: text ? 'keyDown' : 'rawKeyDown', text });
  await tab.send('Input.dispatchKeyEvent', { ...ev, type: 'keyUp' });
}
// The requests the page sent to the API since the test began, as "METHOD /path".
const sent = (prefix = '/api/') => requests.filter((r) => r.url.startsWith(base + prefix)).map((r) => `${r.method} ${r.url.slice(base.length)}`);
// Contrast ratio (WCAG) of two computed colours "rgb(r, g, b)".
function contrast(a, b) {
  const lum = (c) => {
    const [r, g, bl] = c.match(/[\d.]+/g).slice(0, 3).map((v) => {
      const x = v / 255;
      return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}
async function screenshot(name, width) {
  await tab.send('Emulation.setDeviceMetricsOverride', { width, height: 900, deviceScaleFactor: 1, mobile: width < 500 });
  await run(`await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))`);
  const { cssContentSize: s } = await tab.send('Page.getLayoutMetrics');
  const { data } = await tab.send('Page.captureScreenshot', {
    format: 'png', captureBeyondViewport: true, clip: { x: 0, y: 0, width, height: Math.min(Math.ceil(s.height), 2400), scale: 1 },
  });
  writeFileSync(join(SHOTS, name + '.png'), Buffer.from(data, 'base64'));
}

atest('logs in, approves and rejects from the pending queue, and the public API agrees', async () => {
  const a = await comment('/p1/', { author: 'Ann' });
  const b = await comment('/p1/', { author: 'Ben' });
  assert.equal(a.status, 'pending');
  await open();
  const first = await run(`await T.until(() => !T.$('#login').hidden);
    return { app: T.$('#app').hidden, focus: document.activeElement.id, label: T.$('#token').labels[0].textContent }`);
  assert.deepEqual(first, { app: true, focus: 'token', label: 'Admin token' });
  await login();
  const queue = await run(`return { n: T.$$('#list > li').length, authors: T.$$('#list .author').map((e) => e.textContent),
    status: T.$('#f-status').value, summary: T.$('#summary').textContent, stored: sessionStorage.getItem('natter:admin-token') == ${JSON.stringify(TOKEN)},
    sites: T.$$('#sites li').map((li) => li.textContent) }`);
  assert.equal(queue.n, 2);
  assert.deepEqual(queue.authors, ['Ben', 'Ann'], 'newest first');
  assert.equal(queue.status, 'pending');
  assert.equal(queue.summary, 'Showing 1–2 of 2 pending comments.');
  assert.equal(queue.stored, true);
  assert.match(queue.sites[0], /^blog moderation: all2 pending0 approved0 rejected0 deleted$/);
  assert.equal(queue.sites.length, 2);

  const approved = await run(`
    const b = T.btn('Approve', T.item('Ann')); b.focus(); b.click();
    await T.until(() => !T.item('Ann'));
    return { status: T.$('#status').textContent, live: T.$('#status').getAttribute('aria-live'), left: T.$$('#list > li').length,
      focus: document.activeElement.closest('li')?.textContent.includes('Ben'), summary: T.$('#summary').textContent }`);
  assert.deepEqual(approved, { status: `Comment ${a.id} approved.`, live: 'polite', left: 1, focus: true, summary: 'Showing 1–1 of 1 pending comments.' });
  assert.deepEqual(await publicIds('/p1/'), [a.id]);

  await run(`T.btn('Reject', T.item('Ben')).click(); await T.until(() => !T.item('Ben'));
    await T.until(() => /1 rejected/.test(T.$('#sites li').textContent))`);
  assert.deepEqual(await publicIds('/p1/'), [a.id], 'a rejected comment is not public');
  const rejected = await run(`T.choose(T.$('#f-status'), 'rejected'); await T.until(() => T.item('Ben')); await T.idle();
    return { n: T.$$('#list > li').length, badge: T.$('.badge', T.item('Ben')).textContent, reject: T.btn('Reject', T.item('Ben')).disabled,
      sites: T.$('#sites li').textContent }`);
  assert.deepEqual(rejected, { n: 1, badge: 'rejected', reject: true, sites: 'blog moderation: all0 pending1 approved1 rejected0 deleted' });
});

atest('edits a comment, and shows the server validation error inline', async () => {
  const c = await comment('/edit/', { author: 'Eda', website: 'https://eda.example/' });
  expectHttp(422, `/api/admin/comments/${c.id}`);
  await login();
  await filter({ page: '/edit/' });
  const form = await run(`T.btn('Edit', T.item('Eda')).click(); const f = T.$('form.edit', T.item('Eda'));
    return { text: f.elements.text.value, author: f.elements.author.value, website: f.elements.website.value, focus: document.activeElement === f.elements.text }`);
  assert.deepEqual(form, { text: c.text, author: 'Eda', website: 'https://eda.example/', focus: true });

  const bad = await run(`const f = T.$('form.edit', T.item('Eda'));
    f.elements.website.type = 'text'; T.type(f.elements.website, 'ftp://nope'); T.btn('Save', f).click();
    await T.until(() => T.$(':scope > .error', T.item('Eda')).textContent);
    return { error: T.$(':scope > .error', T.item('Eda')).textContent, invalid: f.elements.website.getAttribute('aria-invalid'), focus: document.activeElement === f.elements.website }`);
  assert.deepEqual(bad, { error: 'website must be an http:// or https:// URL', invalid: 'true', focus: true });

  const saved = await run(`const f = T.$('form.edit', T.item('Eda'));
    T.type(f.elements.website, 'https://eda.example/'); T.type(f.elements.text, 'Now **edited**'); T.btn('Save', f).click();
    await T.until(() => !T.$('form.edit'));
    const li = T.item('Eda');
    return { html: T.$('.body', li).innerHTML, edited: T.$('.edited', li).textContent, status: T.$('#status').textContent,
      focus: document.activeElement === T.btn('Edit', li), error: T.$(':scope > .error', li).textContent }`);
  // the moderator sees the markdown rendered, as the server stored it, never the source
  assert.equal(saved.html, '<p>Now <strong>edited</strong></p>\n');
  delete saved.html;
  assert.deepEqual(saved, { edited: '(edited)', status: `Comment ${c.id} saved.`, focus: true, error: '' });
  const row = (await adminList({ status: 'all', page: '/edit/' })).comments[0];
  assert.equal(row.text, 'Now **edited**');
  assert.equal(row.html, '<p>Now <strong>edited</strong></p>\n');
  assert.equal(row.status, 'pending', 'an edit by a moderator keeps the status');
  assert.equal(row.website, 'https://eda.example/');
});

atest('Edit then Cancel closes the form without a script error, and nothing is saved', async () => {
  const c = await comment('/cancel/', { author: 'Cal' });
  await login();
  await filter({ page: '/cancel/' });
  const r = await run(`T.btn('Edit', T.item('Cal')).click(); const f = T.$('form.edit', T.item('Cal'));
    T.type(f.elements.text, 'never saved'); T.btn('Cancel', f).click(); await new Promise((r) => setTimeout(r, 50));
    return { form: !!T.$('form.edit'), actions: T.$('.actions', T.item('Cal')).hidden, focus: document.activeElement === T.btn('Edit', T.item('Cal')) }`);
  assert.deepEqual(r, { form: false, actions: false, focus: true });
  assert.equal((await adminList({ status: 'all', page: '/cancel/' })).comments[0].text, c.text);
});

atest('locks and unlocks a thread', async () => {
  await login();
  const locked = await run(`T.choose(T.$('#t-site'), 'blog'); T.type(T.$('#t-page'), '/locked/');
    T.btn('Lock').click(); await T.until(() => /locked\\.$/.test(T.$('#status').textContent));
    return [T.$('#status').textContent, T.$('#t-state').textContent]`);
  assert.deepEqual(locked, ['Thread /locked/ on blog locked.', 'This thread is locked.']);
  const r = await call('POST', '/api/comments', { site: 'blog', page: '/locked/', text: 'too late' });
  assert.equal(r.status, 403);
  assert.equal(r.body.error.code, 'thread_locked');

  await run(`T.btn('Unlock').click(); await T.until(() => /unlocked\\.$/.test(T.$('#status').textContent))`);
  assert.equal((await call('POST', '/api/comments', { site: 'blog', page: '/locked/', text: 'open again' })).status, 201);
  // the state line reads the thread's current state when the fields change
  const state = await run(`T.type(T.$('#t-page'), '/nowhere/'); T.$('#t-page').dispatchEvent(new Event('change'));
    await T.until(() => T.$('#t-state').textContent); return T.$('#t-state').textContent`);
  assert.equal(state, 'This thread is open.');
});

atest('erases by email only after confirming', async () => {
  await comment('/erase/', { author: 'Gone', email: 'gone@example.com' });
  await comment('/erase/', { author: 'Gone', email: 'Gone@Example.com' });
  await comment('/erase/', { author: 'Stays', email: 'stays@example.com' });
  await login();
  const ask = await run(`T.choose(T.$('#e-site'), 'blog'); T.type(T.$('#e-who'), 'gone@example.com'); T.btn('Erase…').click();
    await T.until(() => !T.$('#erase-confirm').hidden);
    return { q: T.$('#erase-question').textContent, focus: document.activeElement.id }`);
  assert.match(ask.q, /^Erase everything stored about gone@example\.com on blog\? They have 2 comments\. .*cannot be undone\.$/);
  assert.equal(ask.focus, 'erase-question');
  await run(`T.btn('Cancel', T.$('#erase-confirm')).click(); await T.until(() => T.$('#erase-confirm').hidden)`);
  assert.equal((await adminList({ status: 'all', page: '/erase/' })).total, 3, 'cancel erases nothing');

  const done = await run(`T.btn('Erase…').click(); await T.until(() => !T.$('#erase-confirm').hidden);
    T.btn('Yes, erase').click(); await T.until(() => /^Erased/.test(T.$('#status').textContent));
    return { status: T.$('#status').textContent, hidden: T.$('#erase-confirm').hidden, who: T.$('#e-who').value }`);
  assert.deepEqual(done, { status: 'Erased 2 comments of gone@example.com on blog.', hidden: true, who: '' });
  const left = (await adminList({ status: 'all', page: '/erase/' })).comments;
  assert.deepEqual(left.map((c) => c.author), ['Stays']);

  // a bad address is the server's 422, shown inline
  expectHttp(422, '/api/admin/erase');
  const bad = await run(`T.type(T.$('#e-who'), 'not-an-email'); T.btn('Erase…').click();
    await T.until(() => !T.$('#erase-confirm').hidden); T.btn('Yes, erase').click();
    await T.until(() => T.$('#erase-error').textContent); return [T.$('#erase-error').textContent, T.$('#e-who').getAttribute('aria-invalid')]`);
  assert.deepEqual(bad, ['email is not a valid address', 'true']);
});

atest('bulk-approves the selected comments', async () => {
  const [c1, c2, c3] = [await comment('/bulk/'), await comment('/bulk/'), await comment('/bulk/')];
  await login();
  await filter({ page: '/bulk/' });
  const sel = await run(`const all = T.$('#select-all'); const n0 = T.btn('Approve selected').disabled;
    all.click(); const checked = T.$$('#list .sel').filter((b) => b.checked).length;
    T.$('#list .sel').click(); // unselect the newest
    return { n0, checked, indeterminate: all.indeterminate, label: T.$('#bulk-approve').textContent,
      names: T.$$('#list .sel').map((b) => b.labels[0].textContent) }`);
  assert.deepEqual(sel, { n0: true, checked: 3, indeterminate: true, label: 'Approve selected (2)',
    names: [c3, c2, c1].map((c) => `Select comment ${c.id} by Anonymous`) });
  const after = await run(`T.$('#bulk-approve').click(); await T.until(() => T.$$('#list > li').length == 1);
    await T.until(() => /^2 comments approved\\.$/.test(T.$('#status').textContent));
    return { left: T.$('#list > li').dataset.id, disabled: T.$('#bulk-approve').disabled, all: T.$('#select-all').checked }`);
  assert.deepEqual(after, { left: String(c3.id), disabled: true, all: false });
  assert.deepEqual((await publicIds('/bulk/')).sort(), [c1.id, c2.id].sort());
  assert.deepEqual(sent('/api/admin/comments').filter((r) => !r.startsWith('GET ')), ['POST /api/admin/comments/bulk'],
    'one request for both comments');
  assert.deepEqual(JSON.parse(requests.find((r) => r.url.endsWith('/bulk')).body), { ids: [c2.id, c1.id], action: 'approve' });
});

atest('bulk spam and bulk delete: one request each, the delete only after an inline confirmation', async () => {
  const cs = [];
  for (let i = 0; i < 4; i++) cs.push(await comment('/bulk2/'));
  await login();
  await filter({ page: '/bulk2/' });
  // Spam the two newest.
  await run(`T.$$('#list .sel').slice(0, 2).forEach((b) => b.click()); T.btn('Spam selected (2)').click();
    await T.until(() => /^2 comments marked as spam\.$/.test(T.$('#status').textContent)); await T.until(() => T.$$('#list > li').length == 2)`);
  const spam = (await adminList({ status: 'spam', page: '/bulk2/' })).comments.map((c) => c.id).sort();
  assert.deepEqual(spam, [cs[2].id, cs[3].id].sort());
  // Delete the other two: nothing happens until "Yes, delete"; Cancel (or Escape) keeps them.
  const ask = await run(`T.$('#select-all').click(); T.btn('Delete selected (2)…').click();
    const q = { text: T.$('#bulk-question').textContent, shown: !T.$('#bulk-confirm').hidden, focus: document.activeElement.id };
    T.btn('Cancel', T.$('#bulk-confirm')).click(); q.after = T.$('#bulk-confirm').hidden; q.focusAfter = document.activeElement.id; return q`);
  assert.deepEqual(ask, { text: 'Delete 2 selected comments? This cannot be undone.', shown: true, focus: 'bulk-yes', after: true, focusAfter: 'bulk-delete' });
  assert.equal((await adminList({ status: 'pending', page: '/bulk2/' })).total, 2);
  const gone = await run(`T.$('#bulk-delete').click(); T.btn('Yes, delete').click();
    await T.until(() => /^2 comments deleted\.$/.test(T.$('#status').textContent));
    return { left: T.$$('#list > li').length, summary: T.$('#summary').textContent }`);
  assert.deepEqual(gone, { left: 0, summary: 'No pending comments.' });
  assert.equal((await adminList({ status: 'all', page: '/bulk2/' })).total, 2, 'only the two spam comments are left');
  assert.deepEqual(sent('/api/admin/comments/').filter((r) => r.startsWith('POST') || r.startsWith('DELETE')),
    ['POST /api/admin/comments/bulk', 'POST /api/admin/comments/bulk']);
  assert.deepEqual(requests.filter((r) => r.url.endsWith('/bulk')).map((r) => JSON.parse(r.body).action), ['spam', 'delete']);
});

atest('pages through the queue with limit and offset', async () => {
  for (let i = 0; i < 23; i++) await comment('/many/');
  await login();
  await filter({ page: '/many/' });
  const r = await run(`T.choose(T.$('#f-limit'), '20'); await T.until(() => T.$$('#list > li').length == 20); await T.idle();
    const one = [T.$('#summary').textContent, T.$('#prev').disabled, T.$('#next').disabled];
    T.$('#next').click(); await T.until(() => T.$$('#list > li').length == 3);
    const two = [T.$('#summary').textContent, T.$('#prev').disabled, T.$('#next').disabled];
    T.$('#prev').click(); await T.until(() => T.$$('#list > li').length == 20);
    return [one, two]`);
  assert.deepEqual(r, [['Showing 1–20 of 23 pending comments.', true, false], ['Showing 21–23 of 23 pending comments.', false, true]]);
  await run(`T.choose(T.$('#f-limit'), '50'); await T.until(() => T.$$('#list > li').length == 23)`);
});

atest('hostile author and text render as inert text', async () => {
  const c = await comment('/xss/', { author: '<img src=x onerror="window.__pwned=1">', text: 'hi <script>window.__pwned=1</script> **there** <img src=x onerror="window.__pwned=1">' });
  await login();
  await filter({ page: '/xss/' });
  const r = await run(`const li = T.item('onerror'); await new Promise((r) => setTimeout(r, 50));
    T.btn('Edit', li).click();
    return { author: T.$('.author', li).textContent, imgs: T.$$('img', li).filter((i) => !i.classList.contains('av')).length,
      scripts: T.$$('script', T.$('#list')).length, body: T.$('.body', li).textContent, pwned: window.__pwned,
      handlers: T.$$('*', li).flatMap((e) => e.getAttributeNames()).filter((a) => /^on/i.test(a)),
      text: T.$('textarea', li).value, label: T.$('.sel', li).labels[0].textContent }`);
  assert.equal(r.author, '<img src=x onerror="window.__pwned=1">');
  assert.equal(r.imgs, 0);
  assert.equal(r.scripts, 0);
  assert.deepEqual(r.handlers, []);
  assert.match(r.body, /there/);
  assert.equal(r.pwned, 0);
  assert.match(r.text, /^hi <script>window.__pwned=1<\/script>/);
  assert.equal(r.label, `Select comment ${c.id} by <img src=x onerror="window.__pwned=1">`);
});

atest('a wrong token shows an error and stays on the login form; a revoked session returns to it', async () => {
  expectHttp(401, '/api/admin/sites');
  await open();
  await run(`sessionStorage.clear()`);
  await open();
  const r = await run(`await T.until(() => !T.$('#login').hidden);
    T.$('#token').value = 'wrong-token'; T.btn('Log in').click(); await T.until(() => T.$('#login-error').textContent);
    return { error: T.$('#login-error').textContent, login: T.$('#login').hidden, app: T.$('#app').hidden, invalid: T.$('#token').getAttribute('aria-invalid'),
      stored: sessionStorage.length, logout: T.$('#logout').hidden }`);
  assert.deepEqual(r, { error: 'That token was not accepted. Check it and try again.', login: false, app: true, invalid: 'true', stored: 0, logout: true });

  await run(`sessionStorage.setItem('natter:admin-token', 'revoked')`);
  await open();
  const back = await run(`await T.until(() => T.$('#login-error').textContent);
    return { error: T.$('#login-error').textContent, app: T.$('#app').hidden, stored: sessionStorage.length, list: T.$$('#list > li').length }`);
  assert.deepEqual(back, { error: 'Your session has ended or the token was revoked. Please log in again.', app: true, stored: 0, list: 0 });
  assert.ok(problems.length > 0, 'the 401s were seen (so the console listener works)');
});

atest('logs out, clearing the token and the data on screen', async () => {
  await comment('/out/');
  await login();
  const r = await run(`T.btn('Log out').click(); await T.until(() => !T.$('#login').hidden);
    return { stored: sessionStorage.length, list: T.$$('#list > li').length, sites: T.$$('#sites li').length, app: T.$('#app').hidden,
      focus: document.activeElement.id, status: T.$('#status').textContent, href: location.href }`);
  assert.deepEqual(r, { stored: 0, list: 0, sites: 0, app: true, focus: 'token', status: 'Logged out.', href: base + '/admin' });
  await open();
  assert.equal(await run(`await T.until(() => !T.$('#login').hidden); return T.$('#app').hidden`), true, 'a reload stays logged out');
});

atest('fits a 320 px phone, follows the dark scheme, labels every control', async () => {
  await comment('/phone/', { author: 'A rather long author name that must wrap', website: 'https://example.com/a/very/long/path/that/should/wrap/nicely' });
  await tab.send('Emulation.setDeviceMetricsOverride', { width: 320, height: 640, deviceScaleFactor: 1, mobile: true });
  try {
    await tab.send('Emulation.setEmulatedMedia', { features: [{ name: 'prefers-color-scheme', value: 'light' }] });
    await login();
    const light = await run(`return getComputedStyle(document.body).backgroundColor`);
    await tab.send('Emulation.setEmulatedMedia', { features: [{ name: 'prefers-color-scheme', value: 'dark' }] });
    const r = await run(`await new Promise((r) => requestAnimationFrame(r));
      return { width: document.documentElement.scrollWidth, dark: getComputedStyle(document.body).backgroundColor,
        unlabeled: T.$$('input, select, textarea').filter((i) => !i.labels.length && !i.getAttribute('aria-label')).map((i) => i.outerHTML),
        nameless: T.$$('button').filter((b) => !b.textContent.trim() && !b.getAttribute('aria-label')).length,
        nonNative: T.$$('[onclick], [tabindex]:not([tabindex="-1"])').length, inlineStyles: T.$$('[style]').length }`);
    assert.ok(r.width <= 320, `no horizontal scrolling at 320 px (scrollWidth ${r.width})`);
    assert.notEqual(r.dark, light);
    assert.deepEqual(r.unlabeled, []);
    assert.equal(r.nameless, 0);
    assert.equal(r.nonNative, 0);
    assert.equal(r.inlineStyles, 0);
  } finally {
    await tab.send('Emulation.clearDeviceMetricsOverride');
    await tab.send('Emulation.setEmulatedMedia', { features: [] });
  }
});

atest('a comment that came as a Webmention links its source in the queue', async () => {
  const page = `<div class="h-entry"><a class="p-author h-card" href="https://wren.example/">Wren</a>
    <a class="u-in-reply-to" href="https://blog.example/posts/wm/">re</a><div class="e-content">From my own blog</div></div>`;
  const source = createServer((req, res) => (res.writeHead(200, { 'Content-Type': 'text/html' }), res.end(page)));
  await new Promise((r) => source.listen(0, '127.0.0.1', r));
  try {
    const src = `http://127.0.0.1:${source.address().port}/reply`;
    const res = await fetch(base + '/webmention', { method: 'POST', body: new URLSearchParams({ source: src, target: 'https://blog.example/posts/wm/' }) });
    assert.equal(res.status, 202);
    const status = new URL(res.headers.get('location')).pathname;
    let state;
    for (let i = 0; i < 200 && (state = (await call('GET', status)).body).status == 'queued'; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(state.status, 'accepted', JSON.stringify(state));
    await login();
    await filter({ q: 'From my own blog' });
    const r = await run(`const li = T.item('From my own blog'); const a = li && T.$('.via', li);
      return a && [a.href, a.textContent, a.rel]`);
    assert.deepEqual(r, [src, 'via webmention: ' + src, 'nofollow noopener noreferrer']);
    // A comment written here has no such link.
    await comment('/posts/plain/', { text: 'written here' });
    await filter({ q: 'written here' });
    assert.equal(await run(`return T.$('.via', T.item('written here'))`), null);
  } finally {
    source.close();
  }
});

// With the real Fedify peer of tests/peers/fedify, as a Fediverse server would send them.
const ftest = (name, fn) => test(name, { skip: skip || peerMissing || false, timeout: 30000 }, fn);
const fediPost = (page) => ({ base, token: TOKEN, site: 'blog', page, url: 'https://blog.example' + page, title: 'A post' });
const byText = async (page, text) => (await adminList({ status: 'all', page })).comments.find((c) => c.text.includes(text));

ftest('a reply from the Fediverse shows its author\'s handle in the queue; a followers-only one says why and is never approved', async () => {
  const peer = await startPeer();
  try {
    const page = '/fedi/';
    const pub = await fediReply(peer, { ...fediPost(page), content: '<p>Hello, desk</p>' });
    const priv = await fediReply(peer, { ...fediPost(page), content: '<p>Only for followers</p>', visibility: 'followers' });
    const handle = `@alice@127.0.0.1:${new URL(peer.base).port}`;
    const [a, b] = await until(async () => Promise.all([byText(page, 'Hello, desk'), byText(page, 'Only for followers')])
      .then((both) => both.every(Boolean) && both), 5000, 'both replies in the queue');
    assert.deepEqual([a.status, a.held_reason, b.status, b.held_reason], ['pending', 'moderation_all', 'rejected', 'not_public']);
    await login();
    await filter({ status: 'all', page });
    const r = await run(`const show = (li) => { const a = T.$('.via', li);
        return { via: a && [a.href, a.textContent, a.rel, a.target], website: T.$('.website', li)?.href, badge: T.$('.badge', li).textContent,
          held: T.$('.held', li).textContent, approve: !!T.$('[data-act=approve]', li), reply: !!T.$('[data-act=reply]', li) } };
      return [show(T.li(${a.id})), show(T.li(${b.id}))]`);
    const via = (url) => [url, 'via Fediverse: ' + handle, 'nofollow noopener noreferrer', '_blank'];
    assert.deepEqual(r[0], { via: via(pub.url), website: peer.base + '/@alice', badge: 'pending',
      held: 'Why held: this site holds every comment for approval.', approve: true, reply: true });
    assert.deepEqual(r[1], { via: via(priv.url), website: peer.base + '/@alice', badge: 'rejected',
      held: 'Why held: a Fediverse reply to followers only or a direct message, which is never shown.', approve: false, reply: false });

    // Neither the a key nor a bulk approve publishes the followers-only one; the other is approved.
    await run(`T.li(${b.id}).focus()`);
    await press('a');
    assert.equal(await run(`await T.until(() => /not public/.test(T.$('#status').textContent)); return T.$('#status').textContent`),
      `Comment ${b.id} is not public: it can't be approved.`);
    const bulk = await run(`T.$('#select-all').click(); T.$('#bulk-approve').click();
      await T.until(() => /^\\d+ comments? approved/.test(T.$('#status').textContent)); await T.idle(); return T.$('#status').textContent`);
    assert.equal(bulk, '1 comment approved. 1 comment not approved: not public.');
    assert.deepEqual(JSON.parse(requests.find((q) => q.url.endsWith('/bulk')).body), { ids: [a.id], action: 'approve' });
    assert.deepEqual(await publicIds(page), [a.id]);
    assert.equal((await byText(page, 'Only for followers')).status, 'rejected');
  } finally {
    await peer.stop();
  }
});

ftest('erases a Fediverse account by its actor URL, after confirming: its comments, like and follow go, an email\'s comment stays', async () => {
  const peer = await startPeer();
  try {
    const page = '/fedi-erase/';
    const { object_id } = await fediReply(peer, { ...fediPost(page), content: '<p>First from alice</p>' });
    await fediReply(peer, { ...fediPost(page), content: '<p>Second from alice</p>', visibility: 'unlisted' });
    await peer.call('POST', '/control/like', { object: object_id });
    await comment(page, { author: 'Local', email: 'local@example.com', text: 'written here' });
    await until(async () => (await adminList({ status: 'all', page })).total == 3, 5000, 'three comments');
    // what else the account left: a like of the post, and its follow (the followers collection counts them)
    const likes = async () => (await call('GET', `/api/comments?site=blog&page=${encodeURIComponent(page)}`)).body.reactions.likes;
    const followers = async () => (await (await fetch(base + '/ap/sites/blog/followers', { headers: { Accept: 'application/activity+json' } })).json()).totalItems;
    assert.equal(await likes(), 1);
    const following = await followers();
    assert.ok(following >= 1);
    await login();
    const ask = await run(`T.choose(T.$('#e-site'), 'blog'); T.type(T.$('#e-who'), ${JSON.stringify(' ' + peer.actor + ' ')}); T.btn('Erase…').click();
      await T.until(() => !T.$('#erase-confirm').hidden);
      return { q: T.$('#erase-question').textContent, focus: document.activeElement.id, label: T.$('#e-who').labels[0].textContent,
        hint: T.$('#' + T.$('#e-who').getAttribute('aria-describedby')).textContent }`);
    assert.equal(ask.q, `Erase everything stored about the Fediverse account ${peer.actor} on blog? Their comments are removed ` +
      '(kept as “deleted” placeholders where others replied), and their likes, boosts and follow with them. This cannot be undone.');
    assert.equal(ask.focus, 'erase-question');
    assert.equal(ask.label, 'Email or Fediverse account');
    assert.match(ask.hint, /account's id/);
    assert.deepEqual(sent().filter((r) => /erase|[?&]q=/.test(r)), [], 'nothing is looked up (an actor\'s comments are not counted) nor erased before the answer');
    const done = await run(`T.btn('Yes, erase').click(); await T.until(() => /^Erased/.test(T.$('#status').textContent));
      return { status: T.$('#status').textContent, hidden: T.$('#erase-confirm').hidden, who: T.$('#e-who').value }`);
    assert.deepEqual(done, { status: `Erased 2 comments of ${peer.actor} on blog.`, hidden: true, who: '' });
    assert.deepEqual(JSON.parse(requests.find((q) => q.url === base + '/api/admin/erase').body), { site: 'blog', actor: peer.actor });
    const left = (await adminList({ status: 'all', page })).comments;
    assert.deepEqual(left.map((c) => c.author), ['Local']);
    assert.equal(await likes(), 0, 'its like is gone');
    assert.equal(await followers(), following - 1, 'and its follow');
  } finally {
    await peer.stop();
  }
});

atest('each held comment says why; the spam folder keeps spam apart from rejected comments', async () => {
  const held = await comment('/why/', { author: 'Hal' });
  const links = await comment('/why/', { site: 'notes', author: 'Lin', text: '<https://a.example> <https://b.example> <https://c.example> <https://d.example>' });
  assert.equal(links.status, 'pending');
  const bot = await comment('/why/', { author: 'Bot', hp: 'filled' });
  await login();
  await filter({ page: '/why/' });
  const why = await run(`return T.$$('#list > li').map((li) => [T.$('.author', li).textContent, T.$('.held', li).textContent, T.$('.held', li).dataset.reason])`);
  assert.deepEqual(why, [
    ['Lin', 'Why held: more than 3 links.', 'too_many_links'],
    ['Hal', 'Why held: this site holds every comment for approval.', 'moderation_all'],
  ]);
  await filter({ status: 'rejected', page: '/why/' });
  assert.equal(await run(`return T.$('.held', T.item('Bot')).textContent`), 'Why held: a bot filled in the hidden honeypot field.');

  // Spam is its own action and folder.
  await filter({ page: '/why/' });
  const spammed = await run(`T.btn('Spam', T.item('Hal')).click(); await T.until(() => !T.item('Hal'));
    return T.$('#status').textContent`);
  assert.equal(spammed, `Comment ${held.id} marked as spam.`);
  assert.deepEqual(await publicIds('/why/'), []);
  await filter({ status: 'rejected', page: '/why/' });
  assert.equal(await run(`return !!T.item('Hal')`), false, 'not among the rejected');
  assert.ok(await run(`return !!T.item('Bot')`));
  const folder = await run(`T.choose(T.$('#f-status'), 'spam'); await T.until(() => T.item('Hal')); await T.idle();
    const li = T.item('Hal');
    return { n: T.$$('#list > li').length, badge: T.$('.badge', li).textContent, spam: T.btn('Spam', li).disabled, approve: T.btn('Approve', li).disabled,
      reply: !!T.$('[data-act=reply]', li), summary: T.$('#summary').textContent, option: T.$('#f-status').selectedOptions[0].textContent }`);
  assert.deepEqual(folder, { n: 1, badge: 'spam', spam: true, approve: false, reply: false, summary: 'Showing 1–1 of 1 spam comments.', option: 'Spam' });
  // Not spam after all: approving takes it out of the folder and publishes it.
  await run(`T.btn('Approve', T.item('Hal')).click(); await T.until(() => !T.item('Hal'))`);
  assert.deepEqual(await publicIds('/why/'), [held.id]);
  assert.equal(bot.status, 'pending', 'a bot is told nothing');
});

atest('keyboard: j/k move between comments, a/r/s/d act on the focused one, ? opens the help, Esc closes it', async () => {
  const [c1, c2, c3, c4] = [await comment('/keys/'), await comment('/keys/'), await comment('/keys/'), await comment('/keys/')];
  await login();
  await filter({ page: '/keys/' });
  const focus = () => run('return T.focused()');
  await press('j');
  assert.equal(await focus(), `li ${c4.id}`, 'j starts at the first (newest) comment');
  await press('j');
  assert.equal(await focus(), `li ${c3.id}`);
  await press('k');
  assert.equal(await focus(), `li ${c4.id}`);
  await press('k');
  assert.equal(await focus(), `li ${c4.id}`, 'k stops at the first');

  const step = async (key, text) => {
    await press(key);
    return run(`await T.until(() => T.$('#status').textContent == ${JSON.stringify(text)}); return T.focused()`);
  };
  assert.equal(await step('a', `Comment ${c4.id} approved.`), `li ${c3.id}`, 'the next comment takes the focus');
  assert.equal(await step('r', `Comment ${c3.id} rejected.`), `li ${c2.id}`);
  assert.equal(await step('s', `Comment ${c2.id} marked as spam.`), `li ${c1.id}`);

  // d asks first, inline; Escape keeps the comment.
  await press('d');
  const ask = await run(`const li = T.li(${c1.id}); return { q: T.$('.confirm .question', li)?.textContent, focus: document.activeElement.textContent,
    actions: T.$('.actions', li).hidden }`);
  assert.deepEqual(ask, { q: `Delete comment ${c1.id} by Anonymous? This cannot be undone (a comment with replies stays as a “deleted” placeholder).`,
    focus: 'Yes, delete', actions: true });
  await press('Escape');
  assert.deepEqual(await run(`const li = T.li(${c1.id}); return [!!T.$('.confirm', li), document.activeElement === T.btn('Delete', li)]`), [false, true]);
  await press('d');
  assert.equal(await step('Enter', `Comment ${c1.id} deleted.`), 'queue-h', 'no comment left: the heading');

  const byId = Object.fromEntries((await adminList({ status: 'all', page: '/keys/' })).comments.map((c) => [c.id, c.status]));
  assert.deepEqual(byId, { [c4.id]: 'approved', [c3.id]: 'rejected', [c2.id]: 'spam' }, 'c1 was removed (no replies)');

  // ? opens the help (a modal dialog) listing every shortcut; other keys do nothing meanwhile; Esc closes it.
  const c5 = await comment('/keys/', { author: 'Kay' });
  await filter({ page: '/keys/' });
  await press('j');
  await press('?');
  const help = await run(`return { open: T.$('#help').open, modal: T.$('#help').matches(':modal'), focus: document.activeElement.id,
    keys: T.$$('#help tr').map((tr) => [...tr.cells].map((c) => c.textContent).join(' ')) }`);
  assert.deepEqual(help, { open: true, modal: true, focus: 'help-close', keys: ['j Next comment', 'k Previous comment', 'a Approve the comment',
    'r Reject it', 's Mark it as spam', 'd Delete it (asks first)', '? Show these shortcuts', 'Esc Close this help, a form or a question'] });
  await press('a');
  await press('Escape');
  assert.deepEqual(await run(`return [T.$('#help').open, T.focused()]`), [false, `li ${c5.id}`], 'the focus goes back to the comment');
  assert.equal((await adminList({ status: 'pending', page: '/keys/' })).total, 1, 'a pressed under the help did nothing');
  // The Shortcuts button opens it too.
  assert.equal(await run(`T.btn('Shortcuts').click(); const o = T.$('#help').open; T.btn('Close', T.$('#help')).click(); return [o, T.$('#help').open]`) + '', 'true,false');

  // Typing in a field is left alone: letters go into it, ? too.
  await run(`T.btn('Edit', T.item('Kay')).click()`);
  for (const k of ['a', 'j', 's', '?', 'd']) await press(k);
  const typed = await run(`const f = T.$('form.edit', T.item('Kay')); return { value: f.elements.text.value, help: T.$('#help').open, focus: document.activeElement === f.elements.text }`);
  assert.deepEqual(typed, { value: c5.text + 'ajs?d', help: false, focus: true });
  await press('Escape');
  assert.deepEqual(await run(`return [!!T.$('form.edit'), document.activeElement === T.btn('Edit', T.item('Kay'))]`), [false, true]);
  const kay = (await adminList({ status: 'pending', page: '/keys/' })).comments[0];
  assert.deepEqual([kay.id, kay.status, kay.text], [c5.id, 'pending', c5.text]);
});

atest('blocks an author from a comment; their next comment is held as blocked; unblocked from the block list', async () => {
  const key = 'an-author-key-of-spammy';
  const c = await comment('/block/', { site: 'notes', author: 'Spammy', email: 'spammy@example.com', author_key: key });
  assert.equal(c.status, 'approved');
  await login();
  await filter({ status: 'approved', page: '/block/' });
  const form = await run(`T.btn('Block…', T.item('Spammy')).click(); const f = T.$('form.block', T.item('Spammy'));
    return { kinds: T.$$('input[name=kind]', f).map((r) => [r.value, r.checked, r.disabled, r.labels[0].textContent.trim()]),
      expiry: [...f.elements.expiry.options].map((o) => o.textContent), focus: document.activeElement.value }`);
  assert.deepEqual(form, {
    kinds: [['email', true, false, 'Email spammy@example.com'], ['network', false, false, 'Network 127.0.0.0'], ['author_key', false, false, 'Browser (author key)']],
    expiry: ['1 day', '7 days', '30 days', 'Never (until unblocked)'], focus: 'email',
  });
  const t0 = Date.now();
  const done = await run(`const f = T.$('form.block', T.item('Spammy')); T.choose(f.elements.expiry, '86400'); T.btn('Block', f).click();
    await T.until(() => /^Blocked/.test(T.$('#status').textContent)); return [T.$('#status').textContent, !!T.$('form.block'), document.activeElement.textContent]`);
  assert.match(done[0], /^Blocked on notes: email spammy@example\.com, until .+\. New comments from them will wait in the queue\.$/);
  assert.deepEqual(done.slice(1), [false, 'Block…']);
  // ... and by the browser's author key, for ever.
  await run(`T.btn('Block…', T.item('Spammy')).click(); const f = T.$('form.block', T.item('Spammy'));
    T.$('input[value=author_key]', f).click(); T.choose(f.elements.expiry, ''); T.btn('Block', f).click();
    await T.until(() => /author key/.test(T.$('#status').textContent))`);
  const blocks = (await call('GET', '/api/admin/blocks?site=notes', undefined, true)).body.blocks;
  assert.deepEqual(blocks.map((b) => [b.kind, b.value, b.expires_at === null]), [['author_key', `the key of comment ${c.id}`, true], ['email', 'spammy@example.com', false]]);
  const expiry = Date.parse(blocks[1].expires_at) - t0;
  assert.ok(expiry > 86390e3 && expiry < 86410e3, `expires in a day (${expiry} ms)`);

  // Their next comments (by email, by key) are held, saying why.
  const again = await comment('/block/', { site: 'notes', author: 'Spammy', email: 'SPAMMY@example.com', text: 'me again' });
  const keyed = await comment('/block/', { site: 'notes', author: 'Other name', author_key: key, text: 'new name, same browser' });
  assert.deepEqual([again.status, keyed.status], ['pending', 'pending']);
  await filter({ page: '/block/' });
  const reasons = await run(`return T.$$('#list > li').map((li) => T.$('.held', li).textContent)`);
  assert.deepEqual(reasons, ['Why held: the author is blocked.', 'Why held: the author is blocked.']);

  // The block list, and Unblock.
  const list = await run(`T.btn('Blocks').click(); await T.until(() => T.$('#blocks-summary').textContent);
    return { current: T.$('[aria-current=page]').textContent, queue: T.$('#view-queue').hidden, focus: document.activeElement.id,
      rows: T.$$('#blocks > li').map((li) => [li.firstElementChild.textContent, /^notes · (until unblocked|until .+) · by NATTER_ADMIN_TOKEN, /.test(T.$('.muted', li).textContent)]),
      summary: T.$('#blocks-summary').textContent }`);
  assert.deepEqual(list, { current: 'Blocks', queue: true, focus: 'blocks-h', summary: '2 blocks, newest first.',
    rows: [[`Author key the key of comment ${c.id}`, true], ['Email spammy@example.com', true]] });
  const lifted = await run(`for (const b of T.$$('#blocks button')) { b.click(); await T.until(() => !b.isConnected); }
    return { summary: T.$('#blocks-summary').textContent, status: T.$('#status').textContent, focus: document.activeElement.id }`);
  assert.deepEqual(lifted, { summary: 'No one is blocked.', status: 'Unblocked email spammy@example.com on notes.', focus: 'blocks-h' });
  assert.deepEqual((await call('GET', '/api/admin/blocks', undefined, true)).body.blocks, []);
  assert.equal((await comment('/block/', { site: 'notes', email: 'spammy@example.com', author_key: key, text: 'free again' })).status, 'approved');

  // Blocking by value, from the list's own form; a bad value is the server's 422, inline.
  expectHttp(422, '/api/admin/blocks');
  const bad = await run(`T.choose(T.$('#b-site'), 'notes'); T.choose(T.$('#b-kind'), 'network'); T.type(T.$('#b-value'), 'not an address');
    T.btn('Block', T.$('#block-new')).click(); await T.until(() => T.$('#blocks-error').textContent);
    return [T.$('#blocks-error').textContent, T.$('#b-value').getAttribute('aria-invalid')]`);
  assert.deepEqual(bad, ['an IPv4 or IPv6 address is required', 'true']);
  const byValue = await run(`T.choose(T.$('#b-kind'), 'email'); T.type(T.$('#b-value'), 'troll@example.org'); T.btn('Block', T.$('#block-new')).click();
    await T.until(() => T.$$('#blocks > li').length == 1); const row = T.$('#blocks > li').firstElementChild.textContent;
    T.btn('Unblock', T.$('#blocks')).click(); await T.until(() => !T.$$('#blocks > li').length); return row`);
  assert.equal(byValue, 'Email troll@example.org');
  assert.deepEqual((await call('GET', '/api/admin/blocks', undefined, true)).body.blocks, []);
});

atest('replies as the owner from the queue: the held comment is approved and the reply published with the owner badge', async () => {
  const c = await comment('/reply/', { author: 'Rae', text: 'a question for the author' });
  assert.equal(c.status, 'pending');
  await login();
  await run(`localStorage.removeItem('natter:owner-name')`);
  await filter({ page: '/reply/' });
  const form = await run(`T.btn('Reply', T.item('Rae')).click(); const f = T.$('form.reply', T.item('Rae'));
    return { submit: T.$('button[type=submit]', f).textContent, focus: document.activeElement === f.elements.text, name: f.elements.author.value }`);
  assert.deepEqual(form, { submit: 'Approve and reply', focus: true, name: '' });
  const r = await run(`const f = T.$('form.reply', T.item('Rae')); T.type(f.elements.text, 'Thanks, **Rae**!'); T.type(f.elements.author, 'Blog Owner');
    T.btn('Approve and reply', f).click(); await T.until(() => /^Replied/.test(T.$('#status').textContent));
    return { status: T.$('#status').textContent, left: T.$$('#list > li').length, focus: document.activeElement.id }`);
  const pub = (await call('GET', '/api/comments?site=blog&page=/reply/')).body.comments;
  assert.equal(pub.length, 2);
  const [parent, reply] = pub;
  assert.deepEqual(r, { status: `Replied to comment ${c.id} as the owner (comment ${reply.id}).`, left: 0, focus: 'queue-h' });
  assert.deepEqual([parent.id, parent.status], [c.id, 'approved']);
  assert.deepEqual([reply.parent, reply.author, reply.badge, reply.status, reply.html], [c.id, 'Blog Owner', 'owner', 'approved', '<p>Thanks, <strong>Rae</strong>!</p>\n']);
  // The page's own origin and the admin bearer: that is what makes it the owner's.
  const post = requests.find((q) => q.method === 'POST' && q.url === base + '/api/comments');
  const headers = await run('await new Promise((r) => setTimeout(r, 20)); return 1').then(() => wire[post.requestId] || {});
  assert.equal(headers.origin ?? headers.Origin, base);
  assert.match(post.headers.Authorization, /^Bearer natter-test-/);
  assert.deepEqual(JSON.parse(post.body), { site: 'blog', page: '/reply/', parent: c.id, text: 'Thanks, **Rae**!', author: 'Blog Owner' });

  // In the approved list: the badge, and the name remembered for the next reply (to an approved comment: no approving).
  await filter({ status: 'approved', page: '/reply/' });
  const seen = await run(`const owner = T.$('.owner', T.li(${reply.id}));
    const rae = T.li(${c.id}); T.btn('Reply', rae).click(); const f = T.$('form.reply', rae);
    const out = { badge: owner.hidden ? null : owner.textContent, raeBadge: T.$('.owner', rae).hidden, name: f.elements.author.value,
      submit: T.$('button[type=submit]', f).textContent };
    T.btn('Cancel', f).click(); return out`);
  assert.deepEqual(seen, { badge: 'Owner', raeBadge: true, name: 'Blog Owner', submit: 'Post reply' });
});

atest('the audit log lists every action with who did it, page by page and by site', async () => {
  const cs = [];
  for (let i = 0; i < 51; i++) cs.push(await comment('/audit/'));
  const ids = cs.map((c) => c.id);
  assert.equal((await call('POST', '/api/admin/comments/bulk', { ids, action: 'approve' }, true)).status, 200);
  await login();
  await filter({ status: 'approved', page: '/audit/' });
  await run(`T.btn('Reject', T.$('#list > li')).click(); await T.until(() => /rejected\\.$/.test(T.$('#status').textContent))`);
  const first = await run(`T.btn('Audit log').click(); await T.until(() => T.$('#audit-summary').textContent); await T.until(() => !T.$('#audit').hasAttribute('aria-busy'));
    const rows = T.$$('#audit > li');
    return { focus: document.activeElement.id, n: rows.length, top: rows[0].firstElementChild.textContent, second: rows[1].firstElementChild.textContent,
      time: T.$('time', rows[0]).dateTime.endsWith('Z'), summary: T.$('#audit-summary').textContent, newer: T.$('#audit-prev').disabled, older: T.$('#audit-next').disabled }`);
  const newest = ids[ids.length - 1];
  assert.equal(first.focus, 'audit-h');
  assert.equal(first.n, 50);
  assert.equal(first.top, `NATTER_ADMIN_TOKEN rejected comment ${newest} on blog`);
  assert.equal(first.second, `NATTER_ADMIN_TOKEN approved comment ${newest} on blog`);
  assert.match(first.summary, /^Showing 1–50 of \d+ entries, newest first\.$/);
  assert.deepEqual([first.time, first.newer, first.older], [true, true, false]);
  const total = +first.summary.match(/of (\d+)/)[1];
  const second = await run(`const top = T.$('#audit > li').firstElementChild.textContent; T.$('#audit-next').click();
    await T.until(() => T.$('#audit > li').firstElementChild.textContent != top);
    return { summary: T.$('#audit-summary').textContent, top: T.$('#audit > li').firstElementChild.textContent, newer: T.$('#audit-prev').disabled }`);
  assert.equal(second.summary, `Showing 51–${Math.min(100, total)} of ${total} entries, newest first.`);
  assert.equal(second.top, `NATTER_ADMIN_TOKEN approved comment ${ids[ids.length - 50]} on blog`);
  assert.equal(second.newer, false);
  // One site only: the blocks and approvals of `notes` (earlier tests), none of blog's.
  const notes = await run(`T.choose(T.$('#a-site'), 'notes'); await T.until(() => T.$$('#audit > li').every((li) => / on notes$/.test(li.firstElementChild.textContent)));
    return T.$('#audit-prev').disabled`);
  assert.equal(notes, true, 'a new filter starts at the newest');
  assert.deepEqual(sent('/api/admin/audit').slice(-1), ['GET /api/admin/audit?site=notes&limit=50&offset=0']);
});

atest('at 375 px: no horizontal scrolling and every control at least 44 px tall, in every view', async () => {
  await comment('/narrow/', { author: 'Nia', email: 'nia@example.com', text: 'A comment to check on a phone' });
  await tab.send('Emulation.setDeviceMetricsOverride', { width: 375, height: 740, deviceScaleFactor: 2, mobile: true });
  try {
    await login();
    await filter({ page: '/narrow/' });
    const measure = `await new Promise((r) => requestAnimationFrame(r));
      const shown = (e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility != 'hidden';
      const small = T.$$('button, select, textarea, input:not([type=checkbox]):not([type=radio]), label.check').filter(shown)
        .map((e) => [e.textContent.trim().slice(0, 30) || e.id || e.name || e.tagName, Math.round(e.getBoundingClientRect().height)]).filter(([, h]) => h < 44);
      return { width: document.documentElement.scrollWidth, small, count: T.$$('button').filter(shown).length }`;
    const views = {};
    views.queue = await run(`T.btn('Reply', T.item('Nia')).click(); ${measure}`);
    views.block = await run(`T.btn('Cancel', T.item('Nia')).click(); T.btn('Block…', T.item('Nia')).click(); ${measure}`);
    views.confirm = await run(`T.btn('Cancel', T.item('Nia')).click(); T.btn('Delete', T.item('Nia')).click(); ${measure}`);
    await run(`T.btn('Cancel', T.item('Nia')).click()`);
    views.help = await run(`T.btn('Shortcuts').click(); ${measure}`);
    await press('Escape');
    views.blocks = await run(`T.btn('Blocks').click(); await T.until(() => T.$('#blocks-summary').textContent); ${measure}`);
    views.audit = await run(`T.btn('Audit log').click(); await T.until(() => T.$('#audit-summary').textContent); ${measure}`);
    views.sessions = await run(`T.btn('Sessions').click(); await T.until(() => T.$('#sessions-summary').textContent); ${measure}`);
    for (const [name, v] of Object.entries(views)) {
      assert.ok(v.width <= 375, `${name}: no horizontal scrolling at 375 px (scrollWidth ${v.width})`);
      assert.deepEqual(v.small, [], `${name}: controls under 44 px`);
      assert.ok(v.count >= 3, `${name}: measured ${v.count} buttons`);
    }
  } finally {
    await tab.send('Emulation.clearDeviceMetricsOverride');
  }
});

atest('dark mode: dark colours, and readable contrast in both schemes', async () => {
  await comment('/colours/', { author: 'Dee', email: 'dee@example.com' });
  await login();
  await filter({ page: '/colours/' });
  const colours = `await new Promise((r) => requestAnimationFrame(r));
    const c = (e, p = 'color') => getComputedStyle(e)[p];
    const li = T.item('Dee'), card = c(li, 'backgroundColor');
    return { page: c(document.body, 'backgroundColor'), text: c(document.body), card, cardText: c(li),
      pairs: [['text', c(document.body), c(document.body, 'backgroundColor')], ['comment', c(li), card], ['muted', c(T.$('.muted', li)), card],
        ['held', c(T.$('.held', li)), card], ['badge', c(T.$('.badge', li)), card],
        ['button', c(T.btn('Approve', li)), c(T.btn('Approve', li), 'backgroundColor')], ['secondary', c(T.btn('Reject', li)), card],
        ['danger', c(T.btn('Delete', li)), card], ['link', c(T.$('.thread-btn', li)), card]] }`;
  const measure = async (scheme) => {
    await tab.send('Emulation.setEmulatedMedia', { features: [{ name: 'prefers-color-scheme', value: scheme }] });
    return run(colours);
  };
  try {
    const light = await measure('light');
    const dark = await measure('dark');
    const lum = (rgb) => rgb.match(/\d+/g).slice(0, 3).reduce((a, v) => a + +v, 0) / 3;
    assert.ok(lum(dark.page) < 40 && lum(dark.card) < 50, `dark backgrounds (${dark.page}, ${dark.card})`);
    assert.ok(lum(dark.text) > 200 && lum(dark.cardText) > 200, `light text (${dark.text})`);
    assert.ok(lum(light.page) > 230 && lum(light.text) < 60, 'and the other way round in light mode');
    for (const [scheme, m] of [['light', light], ['dark', dark]]) {
      for (const [what, fg, bg] of m.pairs) assert.ok(contrast(fg, bg) >= 4.5, `${scheme} ${what}: ${fg} on ${bg} is ${contrast(fg, bg).toFixed(2)}:1`);
    }
    // The solid danger button of a confirmation, too.
    const solid = await run(`T.btn('Delete', T.item('Dee')).click(); const b = T.btn('Yes, delete', T.item('Dee'));
      const out = [getComputedStyle(b).color, getComputedStyle(b).backgroundColor]; T.btn('Cancel', T.item('Dee')).click(); return out`);
    assert.ok(contrast(...solid) >= 4.5, `dark "Yes, delete": ${solid}`);
  } finally {
    await tab.send('Emulation.setEmulatedMedia', { features: [] });
  }
});

atest('screenshots of the desk: light at 1280 px, dark at 375 px', async () => {
  await comment('/posts/hello/', { author: 'Ada', email: 'ada@example.com', text: 'Lovely post! Is there a **follow-up** planned?' });
  await comment('/posts/hello/', { site: 'notes', author: 'Link Farmer', text: 'Great <https://a.example> <https://b.example> <https://c.example> <https://d.example>' });
  await login();
  await filter({ page: '/posts/hello/' });
  try {
    await tab.send('Emulation.setEmulatedMedia', { features: [{ name: 'prefers-color-scheme', value: 'light' }] });
    await run(`T.btn('Reply', T.item('Ada')).click(); T.type(T.$('form.reply textarea'), 'Yes, next week!'); T.type(T.$('form.reply input'), 'Blog Owner'); T.$('#sites').scrollIntoView()`);
    await screenshot('admin-light', 1280);
    await tab.send('Emulation.setEmulatedMedia', { features: [{ name: 'prefers-color-scheme', value: 'dark' }] });
    await run(`T.btn('Cancel', T.item('Ada')).click(); T.btn('Block…', T.item('Link Farmer')).click()`);
    await screenshot('admin-dark-375', 375);
  } finally {
    await tab.send('Emulation.clearDeviceMetricsOverride');
    await tab.send('Emulation.setEmulatedMedia', { features: [] });
  }
  for (const name of ['admin-light', 'admin-dark-375']) {
    const png = readFileSync(join(SHOTS, name + '.png'));
    assert.equal(png.subarray(1, 4).toString(), 'PNG');
    assert.equal(png.readUInt32BE(16), name.endsWith('375') ? 375 : 1280, 'width');
  }
});
