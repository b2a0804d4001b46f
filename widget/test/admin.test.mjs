// The /admin page in real headless Chromium against the real natter binary on a temporary database.
// Needs the binary ($NATTER_BIN, default $CARGO_TARGET_DIR/debug/natter, else target/debug/natter)
// and Chromium ($CHROMIUM or /usr/bin/chromium): without them the tests are skipped, or fail when NATTER_REQUIRE_BROWSER=1.
import { test, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findChrome, launch } from '../support/cdp.mjs';

// the binary cargo builds: a relative CARGO_TARGET_DIR is taken from the repository root
const BIN = process.env.NATTER_BIN ||
  join(resolve(fileURLToPath(new URL('../..', import.meta.url)), process.env.CARGO_TARGET_DIR || 'target'), 'debug', 'natter');
const CHROME = findChrome();
const missing = !existsSync(BIN)
  ? `the natter binary is missing at ${BIN} (run \`cargo build\`, or set NATTER_BIN)`
  : !CHROME ? 'no Chromium installed (set CHROMIUM=/path/to/chromium)' : null;
if (missing && process.env.NATTER_REQUIRE_BROWSER === '1') {
  test('admin page prerequisites', () => assert.fail(`NATTER_REQUIRE_BROWSER=1 but ${missing}`));
}
const TOKEN = 'natter-test-' + randomBytes(16).toString('hex');

/* ---------- the real server ---------- */
let server, dataDir, base;
async function startNatter() {
  dataDir = mkdtempSync(join(tmpdir(), 'natter-admin-'));
  const config = join(dataDir, 'natter.toml');
  writeFileSync(config, '[sites.blog]\norigins = ["*"]\nmoderation = "all"\nwebmention = true\n\n[sites.notes]\norigins = ["*"]\n');
  server = spawn(BIN, [], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env, NATTER_DATABASE: join(dataDir, 'natter.db'), NATTER_BIND: '127.0.0.1:0', NATTER_CONFIG: config,
      // Webmention sources are served by the test on loopback.
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
let browser, tab, problems, urls, navigations, opened;
// In-page helpers (namespaced so they can't touch the page's own code).
const HELPERS = `
  window.T = {
    $: (s, r = document) => r.querySelector(s), $$: (s, r = document) => [...r.querySelectorAll(s)],
    until: async (f, ms = 5000) => { const t = Date.now(); for (;;) { const v = await f(); if (v) return v; if (Date.now() - t > ms) throw new Error('timeout: ' + f); await new Promise((r) => setTimeout(r, 15)); } },
    type: (el, v) => { el.value = v; el.dispatchEvent(new Event('input', { bubbles: true })); },
    choose: (el, v) => { el.value = v; el.dispatchEvent(new Event('change', { bubbles: true })); },
    item: (text) => T.$$('#list > li').find((li) => li.textContent.includes(text)),
    btn: (label, r = document) => T.$$('button', r).find((b) => b.textContent.trim() == label),
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
  browser = await launch();
  tab = await browser.newPage();
  await tab.send('Log.enable');
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
  if (server && server.exitCode === null) await new Promise((r) => (server.once('exit', r), server.kill('SIGTERM')));
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});
// Chromium logs every failed fetch; a test names the error answers it provokes on purpose.
let allowed;
const expectHttp = (status, path) => allowed.push(new RegExp(`^log network: Failed to load resource: the server responded with a status of ${status} .* ${base}${path}$`));
beforeEach(() => ((problems = []), (urls = []), (allowed = []), (navigations = []), (opened = 0)));
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
  const ask = await run(`T.choose(T.$('#e-site'), 'blog'); T.type(T.$('#e-email'), 'gone@example.com'); T.btn('Erase…').click();
    await T.until(() => !T.$('#erase-confirm').hidden);
    return { q: T.$('#erase-question').textContent, focus: document.activeElement.id }`);
  assert.match(ask.q, /^Erase everything stored about gone@example\.com on blog\? They have 2 comments\. .*cannot be undone\.$/);
  assert.equal(ask.focus, 'erase-question');
  await run(`T.btn('Cancel', T.$('#erase-confirm')).click(); await T.until(() => T.$('#erase-confirm').hidden)`);
  assert.equal((await adminList({ status: 'all', page: '/erase/' })).total, 3, 'cancel erases nothing');

  const done = await run(`T.btn('Erase…').click(); await T.until(() => !T.$('#erase-confirm').hidden);
    T.btn('Yes, erase').click(); await T.until(() => /^Erased/.test(T.$('#status').textContent));
    return { status: T.$('#status').textContent, hidden: T.$('#erase-confirm').hidden, email: T.$('#e-email').value }`);
  assert.deepEqual(done, { status: 'Erased 2 comments of gone@example.com on blog.', hidden: true, email: '' });
  const left = (await adminList({ status: 'all', page: '/erase/' })).comments;
  assert.deepEqual(left.map((c) => c.author), ['Stays']);

  // a bad address is the server's 422, shown inline
  expectHttp(422, '/api/admin/erase');
  const bad = await run(`T.$('#e-email').type = 'text'; T.type(T.$('#e-email'), 'not-an-email'); T.btn('Erase…').click();
    await T.until(() => !T.$('#erase-confirm').hidden); T.btn('Yes, erase').click();
    await T.until(() => T.$('#erase-error').textContent); return [T.$('#erase-error').textContent, T.$('#e-email').getAttribute('aria-invalid')]`);
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
