// The widget in real headless Chromium against the real natter binary on a temporary database.
// The blog pages come from a small node server on another origin and embed
// <script src="http://127.0.0.1:<api-port>/embed.js" data-site="blog" async>, as a real blog would.
// Needs the binary ($NATTER_BIN, default $CARGO_TARGET_DIR/debug/natter, else target/debug/natter)
// and Chromium ($CHROMIUM or /usr/bin/chromium): without them the tests are skipped, or fail when NATTER_REQUIRE_BROWSER=1.
// Screenshots go to a new temporary folder (its path is printed), so a run leaves the tree as it was;
// NATTER_SHOTS=docs/screenshots puts them there instead, to refresh the ones the README shows.
import { test, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  test('widget browser test prerequisites', () => assert.fail(`NATTER_REQUIRE_BROWSER=1 but ${missing}`));
}
// The Fediverse test's peer (tests/peers/fedify): skipped without its packages, or failed when NATTER_REQUIRE_PEERS=1.
if (peerMissing && process.env.NATTER_REQUIRE_PEERS === '1') {
  test('Fedify peer prerequisites', () => assert.fail(`NATTER_REQUIRE_PEERS=1 but ${peerMissing}`));
}
const TOKEN = 'natter-test-' + randomBytes(16).toString('hex');

/* ---------- the real server ---------- */
const freePort = () => new Promise((ok, fail) => {
  const s = createNetServer().once('error', fail).listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => ok(port));
  });
});
const toml = (sites) => Object.entries(sites).map(([id, s]) =>
  `[sites.${id}]\n` + Object.entries(s).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join('\n')).join('\n\n') + '\n';

const tempDirs = [];
const running = new Set();
/** Starts natter on `port` (a free one by default) with these sites; `dir` keeps the database across restarts. */
async function startNatter({ sites, env = {}, port, dir }) {
  if (!dir) tempDirs.push((dir = mkdtempSync(join(tmpdir(), 'natter-widget-'))));
  const config = join(dir, 'natter.toml');
  writeFileSync(config, toml(sites));
  port = port || (await freePort());
  const base = `http://127.0.0.1:${port}`;
  const proc = spawn(BIN, [], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env, NATTER_DATABASE: join(dir, 'natter.db'), NATTER_BIND: `127.0.0.1:${port}`, NATTER_CONFIG: config,
      // the static fragment links avatars through public_url
      NATTER_PUBLIC_URL: base, NATTER_ADMIN_TOKEN: TOKEN, NATTER_LIMITS__COMMENTS_PER_MINUTE: '0',
      NATTER_LIMITS__READS_PER_MINUTE: '0', NATTER_LIMITS__VOTES_PER_MINUTE: '0', NATTER_LIMITS__EDITS_PER_MINUTE: '0',
      NATTER_LIMITS__ASSETS_PER_MINUTE: '0',
      ...env,
    },
  });
  running.add(proc);
  let log = '';
  await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('natter did not start within 10 s:\n' + log)), 10000);
    proc.stderr.on('data', (d) => {
      log += d;
      const m = log.replace(/\x1b\[[0-9;]*m/g, '').match(/port\W{1,3}(\d+)/);
      if (m) (clearTimeout(timer), ok(m[1]));
    });
    proc.once('exit', (code) => (clearTimeout(timer), fail(new Error(`natter exited (${code}) at start:\n${log}`))));
  });
  proc.stderr.resume();
  const stop = () => (proc.exitCode !== null || proc.signalCode ? Promise.resolve()
    : new Promise((r) => (proc.once('exit', r), proc.kill('SIGTERM')))).then(() => running.delete(proc));
  return { base, port, dir, stop };
}

let api; // the main server
async function call(method, path, body, { auth, server = api } = {}) {
  const headers = {};
  if (body) headers['Content-Type'] = 'application/json';
  if (auth) headers.Authorization = 'Bearer ' + TOKEN;
  const res = await fetch(server.base + path, { method, headers, body: body && JSON.stringify(body) });
  return { status: res.status, body: res.status == 204 ? null : await res.json() };
}
let seq = 0;
/** Posts a comment through the API (no Origin header, as a script would) and returns it with its text and token. */
async function post(site, page, extra = {}, server = api) {
  const body = { site, page, text: `comment ${++seq} on ${page}`, ...extra };
  const r = await call('POST', '/api/comments', body, { server });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return { ...r.body.comment, text: body.text, token: r.body.edit_token };
}
const admin = (method, path, body) => call(method, '/api/admin' + path, body, { auth: true });
const list = async (site, page, q = '') =>
  (await call('GET', `/api/comments?site=${site}&page=${encodeURIComponent(page)}${q}`)).body;

/* ---------- the blog, on another origin ---------- */
let blogServer, blog;
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
async function blogPage(url) {
  const q = url.searchParams;
  const apiBase = q.get('api') ? `http://127.0.0.1:${q.get('api')}` : api.base;
  const site = q.get('site') || 'blog';
  // (`title` is the document's own <title>; `data-title` the script's attribute)
  const attrs = ['page', 'lang', 'theme', 'sort', 'target'].filter((k) => q.get(k)).map((k) => ` data-${k}="${esc(q.get(k))}"`).join('') +
    (q.get('data-title') ? ` data-title="${esc(q.get('data-title'))}"` : '');
  // a static-site build inlines the server's no-JS fragment inside the target
  const stat = q.get('static')
    ? await (await fetch(`${apiBase}/api/comments.html?site=${q.get('static')}&page=${encodeURIComponent(q.get('page') || url.pathname)}`)).text() : '';
  const tag = q.get('tag') || 'div';
  const target = q.get('notarget') ? '' : `<${tag} id="natter">${stat}</${tag}>`;
  const counts = (q.get('counts') || '').split(',').filter(Boolean)
    .map((p) => `<li><a href="${esc(p)}">${esc(p)}</a> <span data-natter-count="${esc(p)}">…</span></li>`).join('\n');
  const style = q.get('csp') ? '' : `<style>:root{color-scheme:light dark}body{margin:0 auto;max-width:46rem;padding:0 12px;font:17px/1.6 Georgia,serif}
    ${q.get('theme') == 'dark' ? 'body{background:#010409;color:#e6edf3}' : ''}${q.get('hostile') ? 'body :not(#natter){color:red!important;font-family:fantasy!important}' : ''}${q.get('css') || ''}</style>`;
  const csp = q.get('csp') ? `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' ${apiBase}; connect-src ${apiBase}; img-src ${apiBase}; style-src 'self'">` : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">${style}${csp}<title>${esc(q.get('title') || 'A post about things')}</title></head>
<body>${q.get('box') ? `<aside class="${esc(q.get('box'))}"></aside>` : ''}<h1>A post about things</h1><p>Some text of the post, which readers comment on below.</p>
${counts ? `<ul>${counts}</ul>` : ''}${target}
<script>window.__staticAtStart = document.querySelectorAll('.natter-static [data-natter-id]').length;</script>
<script src="${apiBase}/embed.js" data-site="${esc(site)}"${attrs} async></script></body></html>`;
}
// Pages of other blogs that reply to (or like) a post here: the sources of Webmentions.
const sources = new Map();
function startBlog() {
  blogServer = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (sources.has(url.pathname)) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      return res.end(sources.get(url.pathname));
    }
    blogPage(url).then((html) => {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(html);
    }, (e) => (res.writeHead(500), res.end(String(e))));
  });
  return new Promise((r) => blogServer.listen(0, '127.0.0.1', () => r((blog = `http://127.0.0.1:${blogServer.address().port}`))));
}

/* ---------- the browser ---------- */
let browser, tab, problems, allowed, requests, dialogs;
// Main-frame navigations since the start; `opened` of them came from open()/goto() (the rest are unexpected).
let navigations = [], opened = 0;
// In-page helpers, on every document (namespaced so they can't touch the page's own code).
const HELPERS = `
  window.__pwned = 0;
  document.addEventListener('securitypolicyviolation', (e) => (window.__csp = window.__csp || []).push(e.violatedDirective + ' ' + e.blockedURI));
  window.W = {
    R: () => document.querySelector('[data-natter-theme]')?.shadowRoot,
    $: (s) => W.R()?.querySelector(s), $$: (s) => [...(W.R()?.querySelectorAll(s) || [])],
    until: async (f, ms = 5000, every = 10) => { const t = Date.now(); for (;;) { const v = await f(); if (v) return v; if (Date.now() - t > ms) throw new Error('timeout: ' + f); await new Promise((r) => setTimeout(r, every)); } },
    type: (el, v) => { el.value = v; el.dispatchEvent(new Event('input', { bubbles: true })); },
    btn: (label, r = W.R()) => [...r.querySelectorAll('button')].find((b) => b.textContent.trim() == label),
    // the comment whose own text contains this (articles nest, so not an ancestor's)
    art: (text) => W.$$('article').find((a) => a.firstChild.querySelector('.text')?.textContent.includes(text)),
    tops: () => W.$$('.widget > div > article'),
    depth: (a) => { let d = 0; while ((a = a.parentElement.closest('article'))) d++; return d; },
    st: () => W.$('.status').textContent,
    // the same markup as this html string, once parsed (innerHTML serializes text its own way)
    same: (el, html) => { const t = document.createElement('template'); t.innerHTML = html; return el.innerHTML == t.innerHTML; },
    // the comment form (the one with the comment's textarea)
    form: () => W.$('textarea[name=text]')?.form,
    ready: () => W.until(() => W.form() || W.$('.locked-note:not([hidden])')),
  };`;
const run = (body) => tab.eval(body);
/** Loads a document on purpose: the one afterEach's safety checks then expect to find. */
async function goto(url) {
  await tab.goto(url);
  opened = navigations.length;
}
/** Opens a blog page (path = the thread key) with a fresh localStorage unless keep. */
async function open(path, query = {}, { keep = false } = {}) {
  if (!keep) await tab.send('Storage.clearDataForOrigin', { origin: blog, storageTypes: 'local_storage' });
  const qs = new URLSearchParams(query).toString();
  await goto(blog + path + (qs ? '?' + qs : ''));
}
// (CORS preflights left out)
const apiRequests = (server = api) => requests.filter((r) => r.url.startsWith(server.base + '/') && r.method != 'OPTIONS');

const skip = missing || false;
before(async () => {
  if (skip) return;
  await startBlog();
  api = await startNatter({
    sites: {
      blog: { origins: [blog], max_depth: 2, min_form_seconds: 0 },
      closed: { origins: ['https://elsewhere.example'] },
      held: { origins: [blog], moderation: 'all', min_form_seconds: 0 },
      web: { origins: [blog], webmention: true, min_form_seconds: 0 },
      // an account people follow on the Fediverse: @blog@127.0.0.1:<port> (public_url is the server's own address)
      fedi: { origins: [blog], fediverse: true, fediverse_handle: 'blog', min_form_seconds: 0 },
    },
    // the Webmention sources are the blog server's own pages, and the Fediverse peer, on loopback
    env: { NATTER_FETCH_ALLOW: '["127.0.0.1"]' },
  });
  assert.notEqual(new URL(api.base).origin, blog, 'the blog is on another origin than the API');
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
  else SHOTS = mkdtempSync(join(tmpdir(), 'natter-shots-'));
  console.log(`screenshots go to ${SHOTS}`);
  browser = await launch();
  tab = await browser.newPage();
  await tab.send('Log.enable');
  await tab.send('Network.enable');
  await tab.send('Page.addScriptToEvaluateOnNewDocument', { source: HELPERS });
  tab.on('Runtime.consoleAPICalled', (p) => ['error', 'warning', 'assert'].includes(p.type) &&
    problems.push(`console.${p.type}: ${p.args.map((a) => a.value ?? a.description).join(' ')}`));
  tab.on('Runtime.exceptionThrown', (p) => problems.push('exception: ' + (p.exceptionDetails.exception?.description || p.exceptionDetails.text)));
  tab.on('Log.entryAdded', ({ entry }) => ['error', 'warning'].includes(entry.level) && problems.push(`log ${entry.source}: ${entry.text} ${entry.url || ''}`));
  tab.on('Page.frameNavigated', ({ frame }) => !frame.parentId && navigations.push(frame.url));
  tab.on('Network.requestWillBeSent', ({ request, timestamp }) => requests.push({ method: request.method, url: request.url, body: request.postData, headers: request.headers, timestamp }));
  // Every dialog is recorded; confirm() is answered yes.
  tab.on('Page.javascriptDialogOpening', (p) => {
    dialogs.push(`${p.type}: ${p.message}`);
    tab.send('Page.handleJavaScriptDialog', { accept: true }).catch(() => {});
  });
});
after(async () => {
  await browser?.close();
  await stopPeers();
  await Promise.all([...running].map((p) => new Promise((r) => (p.exitCode !== null ? r() : (p.once('exit', r), p.kill('SIGTERM'))))));
  blogServer?.close();
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});
// Chromium logs every failed fetch; a test names the error answers it provokes on purpose.
const expectHttp = (status, path, server = api) => allowed.push(new RegExp(
  `^log network: Failed to load resource: the server responded with a status of ${status} .* ${server.base.replace(/\./g, '\\.')}${path.replace(/[?.*+()[\]]/g, '\\$&')}`));
beforeEach(() => ((problems = []), (allowed = []), (requests = []), (dialogs = [])));
afterEach(async () => {
  if (skip || !tab) return;
  // A fresh document would pass every check below, so the page must still be the one the test opened;
  // and a page that can't be evaluated fails the test here rather than passing it. (Evaluated first, so a
  // navigation that commits meanwhile is on the list by the time it answers.)
  const page = await run('return { helpers: typeof W, csp: window.__csp || [], pwned: window.__pwned }');
  assert.deepEqual(navigations.slice(opened), [], 'the page did not navigate away from the one the test opened');
  assert.equal(page.helpers, 'object', 'the checks run in a page with the test helpers');
  assert.deepEqual(page.csp, [], 'no CSP violations');
  assert.deepEqual(problems.filter((p) => !allowed.some((a) => a.test(p))), [], 'no console errors');
  assert.equal(page.pwned, 0, 'no injected code ran');
});
const btest = (name, fn) => test(name, { skip, timeout: 30000 }, fn);

async function shot(name, width) {
  await tab.send('Emulation.setDeviceMetricsOverride', { width, height: 800, deviceScaleFactor: 1, mobile: width < 500 });
  await run(`await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))`);
  const { cssContentSize: s } = await tab.send('Page.getLayoutMetrics');
  const { data } = await tab.send('Page.captureScreenshot', {
    format: 'png', captureBeyondViewport: true, clip: { x: 0, y: 0, width, height: Math.min(Math.ceil(s.height), 4000), scale: 1 },
  });
  writeFileSync(join(SHOTS, name + '.png'), Buffer.from(data, 'base64'));
}
async function withViewport(width, dark, fn) {
  await tab.send('Emulation.setDeviceMetricsOverride', { width, height: 800, deviceScaleFactor: 1, mobile: width < 500 });
  await tab.send('Emulation.setEmulatedMedia', { features: [{ name: 'prefers-color-scheme', value: dark ? 'dark' : 'light' }] });
  try {
    return await fn();
  } finally {
    await tab.send('Emulation.clearDeviceMetricsOverride');
    await tab.send('Emulation.setEmulatedMedia', { features: [] });
  }
}

/* ---------- reading ---------- */

btest('loads a thread from the API origin: nesting, tombstone, avatars, counts, isolated styles', async () => {
  const page = '/posts/load/';
  const a = await post('blog', page, { author: 'Alice', website: 'https://alice.example', text: 'first *comment*\n\nsecond paragraph' });
  const b = await post('blog', page, { parent: a.id, author: 'Bob', text: 'reply to Alice' });
  const c = await post('blog', page, { parent: b.id, author: 'Cy', text: 'reply to Bob' });
  await post('blog', page, { parent: c.id, text: 'reply past the depth cap' });
  const gone = await post('blog', page, { author: 'Dee', text: 'soon deleted' });
  await post('blog', page, { parent: gone.id, author: 'Eve', text: 'reply to a deleted comment' });
  assert.equal((await admin('DELETE', `/comments/${gone.id}`)).status, 204);
  await post('blog', '/posts/load-other/', { text: 'elsewhere' });

  await open(page, { counts: `${page},/posts/load-other/,/posts/never/`, hostile: 1 });
  const r = await run(`await W.until(() => W.$('article') && document.querySelector('[data-natter-count]').textContent != '…');
    const A = W.art('first');
    const tomb = W.tops()[1];
    return {
      heading: W.$('h2').textContent, tops: W.tops().length, articles: W.$$('article').length,
      depths: ['reply to Alice', 'reply to Bob', 'past the depth'].map((t) => W.depth(W.art(t))),
      marker: W.art('past the depth').querySelector('.meta').textContent,
      anon: W.art('past the depth').querySelector('.author').textContent,
      tomb: tomb.firstChild.textContent, tombImg: !!tomb.firstChild.querySelector('.avatar'), eveInTomb: tomb.contains(W.art('deleted comment')),
      href: A.querySelector('a.author').href, rel: A.querySelector('a.author').rel, avatar: A.querySelector('.avatar').tagName,
      html: W.same(A.querySelector('.text'), ${JSON.stringify(a.html)}), time: A.querySelector('time').textContent, datetime: A.querySelector('time').dateTime,
      counts: [...document.querySelectorAll('[data-natter-count]')].map((e) => e.textContent),
      color: getComputedStyle(W.$('.widget')).color, static: !!document.querySelector('.natter-static'),
    }`);
  assert.equal(r.heading, '5 comments');
  assert.equal(r.tops, 2);
  assert.equal(r.articles, 6);
  assert.deepEqual(r.depths, [1, 2, 2], 'max_depth 2: a deeper reply stays at depth 2');
  assert.match(r.marker, /↪ reply to Cy/);
  assert.equal(r.anon, 'Anonymous');
  assert.equal(r.tomb, 'This comment was deleted.');
  assert.equal(r.tombImg, false);
  assert.equal(r.eveInTomb, true);
  assert.equal(r.href, 'https://alice.example/');
  assert.equal(r.rel, 'nofollow ugc');
  assert.equal(r.avatar, 'svg', 'the identicon is drawn in the page');
  assert.equal(r.html, true, 'the server-rendered html as is');
  assert.equal(r.datetime, a.created_at);
  assert.match(r.time, /^(now|\d+ seconds? ago)$/);
  assert.deepEqual(r.counts, ['5 comments', '1 comment', '0 comments']);
  assert.equal(r.color, 'rgb(0, 0, 0)', 'host page CSS does not leak in: the widget has the host element\'s colour');
  assert.equal(r.static, false);
  // one request each for the script, the config, the thread and the counts (and none for avatars)
  const calls = apiRequests().map((q) => q.method + ' ' + q.url.slice(api.base.length).split('?')[0]);
  assert.deepEqual(calls.sort(), ['GET /api/comments', 'GET /api/config', 'GET /embed.js', 'POST /api/counts']);
});

btest('the server-rendered fragment is taken over: no duplicate, static copy gone', async () => {
  const page = '/posts/static/';
  const a = await post('blog', page, { author: 'Sam', text: 'static one' });
  const b = await post('blog', page, { parent: a.id, text: 'static two' });
  const gone = await post('blog', page, { text: 'static gone' });
  const c = await post('blog', page, { parent: gone.id, text: 'static three' });
  await admin('DELETE', `/comments/${gone.id}`);
  const fragment = await (await fetch(`${api.base}/api/comments.html?site=blog&page=${page}`)).text();
  assert.match(fragment, /^<div class="natter-static"/);
  for (const x of [a, b, gone, c]) assert.match(fragment, new RegExp(`data-natter-id="${x.id}"`));

  await open(page, { static: 'blog' });
  const r = await run(`await W.until(() => W.$('article'));
    const host = document.querySelector('#natter');
    const texts = ${JSON.stringify([a, b, c].map((x) => x.text))};
    return { atStart: window.__staticAtStart, left: document.querySelectorAll('.natter-static, [data-natter-id]').length,
      slot: !!W.$('slot'), light: host.textContent.trim(),
      shown: texts.map((t) => W.$$('article .text').filter((e) => e.textContent.includes(t)).length),
      tombs: W.$$('.deleted').length, heading: W.$('h2').textContent }`);
  assert.equal(r.atStart, 4, 'the page had the static copy before the script ran');
  assert.equal(r.left, 0, 'the static copy is gone');
  assert.equal(r.slot, false);
  assert.equal(r.light, '');
  assert.deepEqual(r.shown, [1, 1, 1], 'each comment shows once');
  assert.equal(r.tombs, 1);
  assert.equal(r.heading, '3 comments');
});

btest('an unknown site shows a message and keeps the static fragment', async () => {
  const page = '/posts/static-kept/';
  await post('blog', page, { text: 'kept static' });
  expectHttp(404, '/api/config?site=nope');
  expectHttp(404, '/api/comments?site=nope');
  await open(page, { static: 'blog', site: 'nope' });
  const r = await run(`await W.until(() => W.$('.status')?.textContent);
    return [W.st(), !!document.querySelector('.natter-static'), !!W.$('slot'), !!W.form()]`);
  assert.deepEqual(r, ['Comments are not set up for this site.', true, true, false]);
});

btest('a page with 200 comments renders from one request for the thread', async () => {
  const page = '/posts/busy/';
  // 50 top-level comments (the server's default page size) with 3 replies each = 200, by 10 people
  for (let i = 0; i < 50; i++) {
    const top = await post('blog', page, { author: `Reader ${i % 10}`, text: `busy ${i}` });
    let parent = top.id;
    for (let j = 0; j < 3; j++) parent = (await post('blog', page, { parent: j == 2 ? top.id : parent, author: `Reader ${(i + j + 1) % 10}`, text: `busy ${i}.${j}` })).id;
  }
  await open(page);
  const t = await run(`await W.until(() => W.$$('article').length == 200, 15000, 1);
    const done = performance.now();
    const res = performance.getEntriesByType('resource').find((e) => e.name.includes('/api/comments?'));
    return { done: Math.round(done), listEnd: Math.round(res.responseEnd), listStart: Math.round(res.startTime),
      heading: W.$('h2').textContent, more: W.btn('Load more comments').hidden }`);
  assert.equal(t.heading, '200 comments');
  assert.equal(t.more, true);
  const reqs = apiRequests();
  const thread = reqs.filter((q) => q.url.includes('/api/comments'));
  assert.equal(thread.length, 1, 'one request for the thread: ' + thread.map((q) => q.url).join(' '));
  assert.equal(reqs.filter((q) => /\/api\/comments\/\d+/.test(q.url)).length, 0, 'no request per comment');
  assert.equal(reqs.filter((q) => q.url.includes('/api/avatar/')).length, 0, 'identicons are drawn, not fetched');
  assert.ok(reqs.length <= 4, reqs.map((q) => q.url).join('\n'));
  console.log(`# 200 comments: thread answer ${t.listEnd - t.listStart} ms, rendered ${t.done - t.listEnd} ms after it arrived, ` +
    `${t.done} ms after navigation`);
});

/* ---------- writing ---------- */

btest('posts a comment with the contract body, focuses it and keeps its edit controls', async () => {
  const page = '/posts/write/';
  await open(page, { title: 'Writing things' });
  const r = await run(`await W.ready();
    W.type(W.$('textarea'), 'Hello **world**'); W.type(W.$('input[name=author]'), 'Zed'); W.type(W.$('input[name=email]'), 'z@example.com');
    const notifyShown = !W.$('input[name=notify]').closest('label').hidden; W.$('input[name=notify]').click();
    W.btn('Post comment').click();
    await W.until(() => W.art('Hello'));
    const a = W.R().activeElement;
    return { notifyShown, focused: a === W.art('Hello'), html: W.art('Hello').querySelector('.text').innerHTML, status: W.st(),
      heading: W.$('h2').textContent, edit: !!W.btn('Edit', a), left: a.querySelector('[data-until]').lastChild.textContent,
      me: JSON.parse(localStorage['natter:me']), ta: W.$('textarea').value }`);
  assert.equal(r.notifyShown, true);
  assert.equal(r.focused, true);
  assert.equal(r.status, 'Your comment was posted.');
  assert.equal(r.heading, '1 comment');
  assert.equal(r.edit, true);
  assert.match(r.left, /^editable for 1[45] min$/);
  assert.deepEqual(r.me, { author: 'Zed', email: 'z@example.com', website: '', notify: true });
  assert.equal(r.ta, '');
  const sent = apiRequests().find((q) => q.method == 'POST' && q.url == api.base + '/api/comments');
  const b = JSON.parse(sent.body);
  assert.deepEqual(Object.keys(b).sort(), ['author', 'author_key', 'email', 'form_token', 'hp', 'notify', 'site', 'page', 'text', 'title', 'url'].sort());
  assert.deepEqual([b.site, b.page, b.title, b.text, b.author, b.email, b.notify, b.hp], ['blog', page, 'Writing things', 'Hello **world**', 'Zed', 'z@example.com', true, '']);
  assert.match(b.url, new RegExp(`^${blog}/posts/write/\\?`));
  assert.match(b.author_key, /^[0-9a-f]{48}$/);
  assert.match(b.form_token, /^\d+\.[0-9a-f]{32}$/);
  const stored = (await list('blog', page)).comments;
  assert.deepEqual(stored.map((c) => [c.author, c.status]), [['Zed', 'approved']]);
  assert.equal(await run(`return W.same(W.art('Hello').querySelector('.text'), ${JSON.stringify(stored[0].html)})`), true, 'shows the html the server rendered');

  // after a reload, the same browser still may edit, and keeps its name and author_key
  await open(page, {}, { keep: true });
  const again = await run(`await W.ready(); const a = W.art('Hello');
    const r = { edit: !!W.btn('Edit', a), author: W.$('input[name=author]').value };
    W.type(W.$('textarea'), 'second one'); W.btn('Post comment').click(); await W.until(() => W.art('second one')); return r`);
  assert.deepEqual(again, { edit: true, author: 'Zed' });
  const posts = apiRequests().filter((q) => q.method == 'POST' && q.url == api.base + '/api/comments');
  assert.equal(JSON.parse(posts[0].body).author_key, b.author_key);
});

btest('replies under a comment, sending parent', async () => {
  const page = '/posts/reply/';
  const a = await post('blog', page, { author: 'Ann', text: 'the original' });
  await open(page);
  const r = await run(`await W.ready(); const a = W.art('the original');
    W.btn('Reply', a).click();
    const inside = a.contains(W.form()), focus = W.R().activeElement === W.$('textarea'), cancel = !W.btn('Cancel').hidden;
    W.type(W.$('textarea'), 'my reply'); W.btn('Post comment').click();
    await W.until(() => W.art('my reply'));
    const n = W.art('my reply'), p = W.art('the original');
    return { inside, focus, cancel, nested: n.parentElement.closest('article') === p, formBack: !p.contains(W.form()),
      focused: W.R().activeElement === n, cancelAfter: W.btn('Cancel').hidden }`);
  assert.deepEqual(r, { inside: true, focus: true, cancel: true, nested: true, formBack: true, focused: true, cancelAfter: true });
  const stored = (await list('blog', page)).comments;
  assert.deepEqual(stored.map((c) => [c.parent, c.status]), [[null, 'approved'], [a.id, 'approved']]);
});

btest('preview shows the server rendering and switches back to writing', async () => {
  const text = '# Title\n\n**bold** <script>window.__pwned++</script> [x](javascript:alert(1))';
  const rendered = (await call('POST', '/api/preview', { text })).body.html;
  await open('/posts/preview/');
  const r = await run(`await W.ready();
    W.type(W.$('textarea'), ${JSON.stringify(text)}); W.btn('Preview').click();
    await W.until(() => !W.$('.preview').hidden);
    const pv = W.$('.preview');
    const r = { same: pv.innerHTML == ${JSON.stringify(rendered)}, scripts: pv.querySelectorAll('script').length,
      hrefs: [...pv.querySelectorAll('a')].map((a) => a.getAttribute('href')), ta: W.$('textarea').hidden, write: !!W.btn('Write') };
    W.btn('Write').click();
    return { ...r, back: !W.$('textarea').hidden && W.$('.preview').hidden && W.R().activeElement === W.$('textarea') }`);
  assert.ok(r.hrefs.every((h) => h == null), 'no javascript: link: ' + r.hrefs);
  delete r.hrefs;
  assert.deepEqual(r, { same: true, scripts: 0, ta: true, write: true, back: true });
  const sent = apiRequests().find((q) => q.url == api.base + '/api/preview');
  assert.deepEqual(JSON.parse(sent.body), { text, site: 'blog' });
  assert.deepEqual((await list('blog', '/posts/preview/')).comments, [], 'a preview stores nothing');
});

btest('edits and deletes its own comment with the edit token', async () => {
  const page = '/posts/edit/';
  await open(page);
  await run(`await W.ready(); for (const t of ['keep me', 'change me']) { W.type(W.$('textarea'), t); W.btn('Post comment').click(); await W.until(() => W.art(t)); }`);
  const [keep, change] = (await list('blog', page)).comments;
  await post('blog', page, { parent: keep.id, text: 'someone answered' });
  await open(page, {}, { keep: true });
  const edited = await run(`await W.ready(); const a = W.art('change me');
    W.btn('Edit', a).click(); const area = a.querySelector('textarea');
    const start = [area.value, W.R().activeElement === area];
    W.type(area, 'changed *now*'); W.btn('Save', a).click();
    await W.until(() => W.art('changed'));
    const n = W.art('changed');
    return { start, html: n.querySelector('.text').innerHTML, edited: /edited/.test(n.querySelector('.meta').textContent), focus: W.R().activeElement === n }`);
  assert.deepEqual(edited.start, ['change me', true]);
  assert.equal(edited.edited, true);
  assert.equal(edited.focus, true);
  const patch = apiRequests().find((q) => q.method == 'PATCH');
  assert.equal(patch.url, `${api.base}/api/comments/${change.id}`);
  assert.deepEqual(JSON.parse(patch.body), { text: 'changed *now*' });
  const after = (await list('blog', page)).comments.find((c) => c.id == change.id);
  assert.equal(await run(`return W.same(W.art('changed').querySelector('.text'), ${JSON.stringify(after.html)})`), true);
  assert.ok(after.edited_at);

  // Delete asks first, inline and in the danger colour; Cancel keeps the comment and gives the focus back to Delete
  const ask = await run(`const a = W.art('changed'), own = () => a.querySelector('[data-until]');
    const colour = (label) => getComputedStyle(W.btn(label, a)).color;
    const before = { edit: colour('Edit'), del: colour('Delete'), border: getComputedStyle(W.btn('Delete', a)).borderColor };
    W.btn('Delete', a).click();
    const asked = { text: own().textContent, buttons: [...own().querySelectorAll('button')].map((b) => b.textContent),
      group: own().querySelector('[role=group]').getAttribute('aria-label'), focus: W.R().activeElement.textContent,
      confirm: [colour('Delete'), getComputedStyle(W.btn('Delete', a)).backgroundColor] };
    W.btn('Cancel', a).click();
    return { before, asked, back: [...own().querySelectorAll('button')].map((b) => b.textContent), focus: W.R().activeElement === W.btn('Delete', a) }`);
  assert.equal(ask.before.del, 'rgb(209, 36, 47)', 'Delete is in the danger colour');
  assert.equal(ask.before.border, 'rgb(209, 36, 47)');
  assert.notEqual(ask.before.edit, ask.before.del, 'Edit is not');
  assert.match(ask.asked.text, /^Delete this comment\?DeleteCancel/);
  assert.deepEqual(ask.asked.buttons, ['Delete', 'Cancel']);
  assert.equal(ask.asked.group, 'Delete this comment?');
  assert.equal(ask.asked.focus, 'Cancel', 'the safe answer has the focus');
  assert.deepEqual(ask.asked.confirm, ['rgb(255, 255, 255)', 'rgb(209, 36, 47)']);
  assert.deepEqual([ask.back, ask.focus], [['Edit', 'Delete'], true]);
  assert.equal(apiRequests().filter((q) => q.method == 'DELETE').length, 0, 'Cancel deleted nothing');
  // one without replies vanishes, one with replies leaves a tombstone
  const del = await run(`W.btn('Delete', W.art('changed')).click(); W.btn('Delete', W.art('changed')).click();
    await W.until(() => !W.art('changed'));
    const one = [W.st(), W.R().activeElement === W.$('.status'), W.$('h2').textContent];
    W.btn('Delete', W.art('keep me')).click(); W.btn('Delete', W.art('keep me')).click();
    await W.until(() => !W.art('keep me'));
    return { one, tomb: W.tops()[0].firstChild.textContent, reply: W.tops()[0].contains(W.art('someone answered')), heading: W.$('h2').textContent }`);
  assert.deepEqual(del, { one: ['Your comment was deleted.', true, '2 comments'], tomb: 'This comment was deleted.', reply: true, heading: '1 comment' });
  assert.deepEqual(dialogs, [], 'no browser dialog');
  const dels = apiRequests().filter((q) => q.method == 'DELETE');
  assert.deepEqual(dels.map((q) => q.url), [`${api.base}/api/comments/${change.id}`, `${api.base}/api/comments/${keep.id}`]);
  const left = (await list('blog', page)).comments;
  assert.deepEqual(left.map((c) => [c.id, c.status]), [[keep.id, 'deleted'], [left[1].id, 'approved']]);
  assert.equal(left.length, 2);
});

btest('votes toggle, match the server and are remembered', async () => {
  const page = '/posts/vote/';
  const a = await post('blog', page, { text: 'vote on me' });
  await open(page);
  const r = await run(`await W.ready();
    const b = () => [...W.art('vote on me').querySelectorAll('.vote')];
    const state = () => b().map((x) => x.textContent + ' ' + x.getAttribute('aria-pressed'));
    b()[0].click(); await W.until(() => b()[0].getAttribute('aria-pressed') == 'true');
    const liked = [...state(), b()[0].getAttribute('aria-label')];
    b()[1].click(); await W.until(() => b()[1].getAttribute('aria-pressed') == 'true');
    const disliked = state();
    return { liked, disliked }`);
  assert.deepEqual(r.liked, ['▲ 1 true', '▼ 0 false', 'Like: 1']);
  assert.deepEqual(r.disliked, ['▲ 0 false', '▼ 1 true']);
  let s = (await call('GET', `/api/comments/${a.id}`)).body;
  assert.deepEqual([s.likes, s.dislikes], [0, 1]);

  await open(page, {}, { keep: true });
  const back = await run(`await W.ready(); const b = () => [...W.art('vote on me').querySelectorAll('.vote')];
    const remembered = b().map((x) => x.textContent + ' ' + x.getAttribute('aria-pressed'));
    b()[1].click(); await W.until(() => b()[1].getAttribute('aria-pressed') == 'false');
    return { remembered, withdrawn: b().map((x) => x.textContent) }`);
  assert.deepEqual(back, { remembered: ['▲ 0 false', '▼ 1 true'], withdrawn: ['▲ 0', '▼ 0'] });
  s = (await call('GET', `/api/comments/${a.id}`)).body;
  assert.deepEqual([s.likes, s.dislikes], [0, 0]);
  assert.deepEqual(apiRequests().filter((q) => q.url.endsWith('/vote')).map((q) => JSON.parse(q.body).value), [1, -1, 0]);
});

btest('sort follows data-sort and the selector, in the server order', async () => {
  const page = '/posts/sort/';
  const [c1, c2, c3] = [await post('blog', page, { text: 'sort one' }), await post('blog', page, { text: 'sort two' }), await post('blog', page, { text: 'sort three' })];
  await post('blog', page, { parent: c1.id, text: 'sort reply' });
  await call('POST', `/api/comments/${c2.id}/vote`, { value: 1 });
  const order = async (sort) => (await list('blog', page, '&sort=' + sort)).comments.filter((c) => !c.parent).map((c) => c.html.replace(/<[^>]+>/g, '').trim());
  await open(page, { sort: 'newest' });
  const shown = () => run(`return W.tops().map((a) => a.firstChild.querySelector('.text').textContent.trim())`);
  await run(`await W.ready()`);
  const newest = await shown();
  assert.deepEqual(newest, ['sort three', 'sort two', 'sort one']);
  assert.deepEqual(newest, await order('newest'));
  assert.equal(await run(`return W.$('select').value`), 'newest');
  await run(`const s = W.$('select'); s.value = 'top'; s.dispatchEvent(new Event('change'));
    await W.until(() => W.tops()[0].textContent.includes('sort two') && W.tops()[1].textContent.includes('sort one'))`);
  const top = await shown();
  assert.deepEqual(top, ['sort two', 'sort one', 'sort three']);
  assert.deepEqual(top, await order('top'));
  assert.equal(await run(`return W.art('sort reply').parentElement.closest('article') === W.art('sort one')`), true);
  const sorts = apiRequests().filter((q) => q.url.includes('/api/comments?')).map((q) => new URL(q.url).searchParams.get('sort'));
  assert.deepEqual(sorts, ['newest', 'top']);
  assert.ok(c3.id > c2.id);
});

btest('load more continues with the next cursor', async () => {
  const page = '/posts/many/';
  // embed.js has no page-size attribute: the server's default of 50 top-level comments applies
  const tops = [];
  for (let i = 0; i < 53; i++) tops.push(await post('blog', page, { text: `many ${i}.` }));
  await post('blog', page, { parent: tops[52].id, text: 'many reply.' });
  await open(page);
  const r = await run(`await W.ready(); await W.until(() => W.tops().length);
    const first = [W.tops().length, W.btn('Load more comments').hidden, W.$('h2').textContent];
    W.btn('Load more comments').click();
    await W.until(() => W.tops().length > 50);
    return { first, after: W.tops().length, all: W.$$('article').length, more: W.btn('Load more comments').hidden,
      focus: W.R().activeElement === W.art('many 50.'), reply: W.art('many reply.').parentElement.closest('article') === W.art('many 52.'),
      texts: W.$$('article .text').map((e) => e.textContent.trim()) }`);
  assert.deepEqual(r.first, [50, false, '54 comments']);
  assert.equal(r.after, 53);
  assert.equal(r.all, 54);
  assert.equal(r.more, true);
  assert.equal(r.focus, true, 'focus moves to the first newly loaded comment');
  assert.equal(r.reply, true);
  assert.equal(new Set(r.texts).size, 54, 'no duplicates');
  const q = apiRequests().filter((x) => x.url.includes('/api/comments?')).map((x) => new URL(x.url).searchParams);
  assert.equal(q.length, 2);
  assert.equal(q[0].get('after'), null);
  const { next } = await list('blog', page);
  assert.equal(q[1].get('after'), next);
});

btest('a held comment shows as awaiting moderation until approved, then as normal', async () => {
  const page = '/posts/held/';
  await open(page, { site: 'held' });
  const r = await run(`await W.ready(); W.type(W.$('textarea'), 'please hold me'); W.btn('Post comment').click();
    await W.until(() => W.$('.pending'));
    return { status: W.st(), marker: W.$('.pending .pending-note').textContent, heading: W.$('h2').textContent, votes: W.$$('.pending .vote').length,
      reply: !!W.btn('Reply', W.$('.pending')), edit: !!W.btn('Edit', W.$('.pending')) }`);
  assert.deepEqual(r, { status: 'Thanks! Your comment is awaiting moderation.', marker: 'Awaiting moderation', heading: '0 comments', votes: 0, reply: false, edit: true });
  assert.deepEqual((await list('held', page)).comments, [], 'not public yet');
  const [held] = (await admin('GET', `/comments?site=held&page=${encodeURIComponent(page)}`)).body.comments;
  assert.equal(held.status, 'pending');

  await open(page, { site: 'held' }, { keep: true });
  const reloaded = await run(`await W.ready(); await W.until(() => W.$('article'));
    return { held: W.$$('.pending').map((a) => [a.querySelector('.text').textContent.trim(), a.querySelector('.pending-note')?.textContent]),
      heading: W.$('h2').textContent, requests: performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/comments/')).length }`);
  assert.deepEqual(reloaded, { held: [['please hold me', 'Awaiting moderation']], heading: '0 comments', requests: 0 },
    'still shown to its author after a reload, marked, from what this browser kept');

  assert.equal((await admin('POST', `/comments/${held.id}/approve`)).status, 200);
  await open(page, { site: 'held' }, { keep: true });
  const approved = await run(`await W.ready(); await W.until(() => W.$('article'));
    return { pend: W.$$('.pending').length, shown: W.$$('article').length, heading: W.$('h2').textContent,
      stored: JSON.parse(localStorage['natter:pending:held:${page}']) }`);
  assert.deepEqual(approved, { pend: 0, shown: 1, heading: '1 comment', stored: [] });

  // an edit on an "all" site sends it back to moderation: still shown to its author, also after a reload
  const edited = await run(`const a = W.art('please hold me'); W.btn('Edit', a).click();
    W.type(a.querySelector('textarea'), 'please hold me again'); W.btn('Save', a).click();
    await W.until(() => W.$('.pending')); return [W.st(), W.$('h2').textContent]`);
  assert.deepEqual(edited, ['Thanks! Your comment is awaiting moderation.', '0 comments']);
  await open(page, { site: 'held' }, { keep: true });
  assert.deepEqual(await run(`await W.ready(); await W.until(() => W.$('article'));
    return [W.$$('.pending').length, W.art('please hold me again') != null, W.$('h2').textContent]`), [1, true, '0 comments']);
});

/* ---------- errors ---------- */

btest('errors go when they no longer apply: a field\'s once the reader changes it, the status line\'s with the next success', async () => {
  const page = '/posts/errors-go/';
  await post('blog', page, { text: 'vote on me' });
  await open(page);
  const fields = await run(`await W.ready(); const ta = W.$('textarea'), email = W.$('input[name=email]');
    const state = (input, name) => [W.$('#natter-e-' + name).textContent, input.getAttribute('aria-invalid')];
    W.btn('Post comment').click();
    const empty = state(ta, 'text');
    W.type(ta, 'now there is text');
    const typed = state(ta, 'text');
    W.type(email, 'not an address'); W.btn('Post comment').click();
    const bad = [state(email, 'email'), W.R().activeElement === email];
    W.type(email, 'fixed@example.com');
    return { empty, typed, bad, fixed: state(email, 'email') }`);
  assert.deepEqual(fields, {
    empty: ['Please write a comment (up to 10,000 characters).', 'true'], typed: ['', 'false'],
    bad: [['Please enter a valid email address.', 'true'], true], fixed: ['', 'false'],
  });
  assert.equal(apiRequests().filter((q) => q.method == 'POST' && q.url == api.base + '/api/comments').length, 0);
  // the first vote's answer is lost: the status line says so until the next vote goes through
  expectHttp(503, '/api/comments/');
  await tab.send('Fetch.enable', { patterns: [{ urlPattern: `${api.base}/api/comments/*/vote`, requestStage: 'Request' }] });
  let lost = 0;
  const unlisten = tab.on('Fetch.requestPaused', ({ requestId, request }) => {
    if (request.method != 'POST' || lost++) return tab.send('Fetch.continueRequest', { requestId });
    tab.send('Fetch.fulfillRequest', { requestId, responseCode: 503, body: Buffer.from('{"error":{"code":"unavailable","message":"down","field":null}}').toString('base64'),
      responseHeaders: [{ name: 'Content-Type', value: 'application/json' }, { name: 'Access-Control-Allow-Origin', value: blog }] });
  });
  try {
    const status = await run(`const up = () => W.art('vote on me').querySelector('.vote');
      up().click(); await W.until(() => W.$('.status.error'));
      const failed = W.st();
      up().click(); await W.until(() => up().getAttribute('aria-pressed') == 'true');
      return { failed, after: W.st(), error: !!W.$('.status.error') }`);
    assert.deepEqual(status, { failed: 'Comments are unavailable right now. Please try again later.', after: '', error: false });
  } finally {
    unlisten();
    await tab.send('Fetch.disable');
  }
  // an emptied edit says so, until the reader writes again
  const edit = await run(`W.type(W.$('textarea'), 'mine to edit'); W.btn('Post comment').click(); await W.until(() => W.art('mine to edit'));
    const a = W.art('mine to edit'); W.btn('Edit', a).click(); const area = a.querySelector('textarea');
    W.type(area, ' '); W.btn('Save', a).click();
    const shown = [a.querySelector('.field-error').textContent, area.getAttribute('aria-invalid')];
    W.type(area, 'edited');
    return { shown, typed: [a.querySelector('.field-error').textContent, area.getAttribute('aria-invalid')] }`);
  assert.deepEqual(edit, { shown: ['Please write a comment (up to 10,000 characters).', 'true'], typed: ['', 'false'] });
});

btest('"Delete my data" asks the server to email an erase link: the right request, the neutral answer, a bad address refused until fixed', async () => {
  const page = '/posts/erase/';
  await post('blog', page, { email: 'eraser@example.com', text: 'mine to erase' });
  expectHttp(422, '/api/privacy/erase');
  await open(page);
  const r = await run(`await W.ready(); const opener = W.btn('Delete my data');
    const closed = [!!W.$('input[name=erase]').getClientRects().length, opener.tagName];
    opener.click();
    const email = W.$('input[name=erase]'), error = () => [W.$('#natter-e-erase').textContent, email.getAttribute('aria-invalid')];
    const open = { focus: W.R().activeElement === email, opener: opener.hidden, help: email.closest('form').querySelector('p').textContent };
    W.type(email, 'not an address'); W.btn('Send the link').click();
    const bad = error();
    W.type(email, 'eraser@example');
    const typed = error();
    W.btn('Send the link').click(); // valid in the browser, refused by the server (422)
    await W.until(() => W.$('#natter-e-erase').textContent);
    const refused = [...error(), W.R().activeElement === email];
    W.type(email, 'eraser@example.com'); W.btn('Send the link').click();
    const note = await W.until(() => W.$('.erase [role=status]:not([hidden])'));
    return { closed, open, bad, typed, refused, note: note.textContent, focus: W.R().activeElement === note, form: email.closest('form').hidden, opener: opener.hidden }`);
  assert.deepEqual(r.closed, [false, 'BUTTON'], 'a button that shows the form');
  assert.deepEqual(r.open, { focus: true, opener: true, help: 'We will email you a link that deletes your comments and everything else stored about this address here.' });
  assert.deepEqual(r.bad, ['Please enter a valid email address.', 'true']);
  assert.deepEqual(r.typed, ['', 'false'], 'the error goes once the reader changes the address');
  assert.deepEqual(r.refused, ['Please enter a valid email address.', 'true', true]);
  assert.deepEqual([r.note, r.focus, r.form, r.opener], ['If this address has comments here, a link to delete them is on its way.', true, true, false]);
  const sent = apiRequests().filter((q) => q.url == api.base + '/api/privacy/erase');
  assert.deepEqual(sent.map((q) => [q.method, q.headers['Content-Type'], JSON.parse(q.body)]), [
    ['POST', 'application/json', { site: 'blog', email: 'eraser@example' }],
    ['POST', 'application/json', { site: 'blog', email: 'eraser@example.com' }],
  ]);
  // the address is the one this browser posted with, when it has one
  await open(page, {}, { keep: true });
  await run(`await W.ready(); localStorage['natter:me'] = JSON.stringify({ email: 'kept@example.com' })`);
  await open(page, {}, { keep: true });
  assert.equal(await run(`await W.ready(); W.btn('Delete my data').click(); return W.$('input[name=erase]').value`), 'kept@example.com');
});

btest('server validation errors are shown at their field', async () => {
  const page = '/posts/invalid/';
  expectHttp(422, '/api/comments');
  await open(page);
  const r = await run(`await W.ready();
    W.btn('Post comment').click();
    const empty = [W.$('#natter-e-text').textContent, W.R().activeElement === W.$('textarea')];
    W.type(W.$('textarea'), 'x'.repeat(10001)); W.btn('Post comment').click();
    await W.until(() => W.$('#natter-e-text').textContent);
    const long = [W.$('#natter-e-text').textContent, W.$('textarea').getAttribute('aria-invalid'), W.R().activeElement === W.$('textarea'), W.st()];
    W.type(W.$('textarea'), 'fine'); W.type(W.$('input[name=author]'), 'n'.repeat(101)); W.btn('Post comment').click();
    await W.until(() => W.$('#natter-e-author').textContent);
    const author = [W.$('#natter-e-author').textContent, W.$('input[name=author]').getAttribute('aria-invalid'),
      W.$('input[name=author]').getAttribute('aria-describedby'), W.R().activeElement === W.$('input[name=author]'), W.$('#natter-e-text').textContent];
    return { empty, long, author }`);
  assert.deepEqual(r.empty, ['Please write a comment (up to 10,000 characters).', true]);
  assert.deepEqual(r.long, ['Please write a comment (up to 10,000 characters).', 'true', true, '']);
  assert.deepEqual(r.author, ['Please enter your name (up to 100 characters).', 'true', 'natter-e-author', true, '']);
  const posts = apiRequests().filter((q) => q.method == 'POST' && q.url == api.base + '/api/comments');
  assert.equal(posts.length, 2, 'the empty comment was refused without a request');
  assert.deepEqual((await list('blog', page)).comments, []);
});

btest('a thread locked by a moderator refuses the post with a notice (403 thread_locked)', async () => {
  const page = '/posts/locked/';
  await post('blog', page, { text: 'before the lock' });
  await open(page);
  await run(`await W.ready()`);
  assert.equal((await admin('POST', '/threads/lock', { site: 'blog', page, locked: true })).status, 200);
  expectHttp(403, '/api/comments');
  const r = await run(`W.type(W.$('textarea'), 'too late'); W.btn('Post comment').click();
    await W.until(() => !W.$('.locked-note').hidden);
    return { status: W.st(), err: W.$('.status').classList.contains('error'), form: !!W.form(), reply: !!W.btn('Reply'), note: W.$('.locked-note').textContent }`);
  assert.deepEqual(r, { status: 'This thread is closed for new comments.', err: true, form: false, reply: false, note: 'This thread is closed for new comments.' });
  await open(page);
  const again = await run(`await W.ready(); await W.until(() => W.$('article'));
    return { form: !!W.form(), note: W.$('.locked-note').hidden ? null : W.$('.locked-note').textContent, reply: !!W.btn('Reply'), votes: W.$$('.vote').length }`);
  assert.deepEqual(again, { form: false, note: 'This thread is closed for new comments.', reply: false, votes: 2 });
});

btest('sending again after a lost answer gets the comment the first send made, not a second one', async () => {
  const page = '/posts/lost-answer/';
  expectHttp(503, '/api/comments');
  await open(page);
  // The first POST reaches the server, which stores the comment; the browser is then told 503.
  await tab.send('Fetch.enable', { patterns: [{ urlPattern: `${api.base}/api/comments*`, requestStage: 'Response' }] });
  let lost = 0;
  const onPaused = ({ requestId, request }) => {
    if (request.method == 'POST' && lost == 0) {
      lost++;
      const body = Buffer.from(JSON.stringify({ error: { code: 'unavailable', message: 'the answer was lost', field: null } })).toString('base64');
      tab.send('Fetch.fulfillRequest', { requestId, responseCode: 503, body, responseHeaders: [
        { name: 'Content-Type', value: 'application/json' }, { name: 'Access-Control-Allow-Origin', value: blog }] });
    } else tab.send('Fetch.continueRequest', { requestId });
  };
  const unlisten = tab.on('Fetch.requestPaused', onPaused);
  try {
    const r = await run(`await W.ready();
      W.type(W.$('textarea'), 'said once'); W.btn('Post comment').click();
      await W.until(() => W.st() && !W.btn('Post comment').disabled);
      const first = W.st();
      W.btn('Post comment').click(); await W.until(() => W.art('said once'));
      return { first, then: W.st(), shown: W.R().querySelectorAll('article').length, edit: !!W.btn('Edit', W.art('said once')) }`);
    assert.equal(lost, 1, 'one answer was replaced');
    assert.notEqual(r.first, 'Your comment was posted.');
    assert.deepEqual([r.then, r.shown, r.edit], ['Your comment was posted.', 1, true]);
  } finally {
    unlisten();
    await tab.send('Fetch.disable');
  }
  const posts = apiRequests().filter((q) => q.method == 'POST' && q.url == api.base + '/api/comments');
  assert.equal(posts.length, 2);
  const keys = posts.map((q) => q.headers['Idempotency-Key']);
  assert.match(keys[0], /^[0-9a-f]{48}$/);
  assert.equal(keys[1], keys[0], 'the second send carries the first one\'s key');
  const stored = (await list('blog', page)).comments;
  assert.deepEqual(stored.map((c) => c.html), ['<p>said once</p>\n'], 'one comment, not two');
  // A new text is a new submission, with a key of its own.
  await run(`W.type(W.$('textarea'), 'said twice'); W.btn('Post comment').click(); await W.until(() => W.art('said twice'))`);
  const third = apiRequests().filter((q) => q.method == 'POST' && q.url == api.base + '/api/comments')[2];
  assert.notEqual(third.headers['Idempotency-Key'], keys[0]);
});

btest('a rate-limited post says when to try again (429)', async () => {
  const aux = await startNatter({ sites: { shop: { origins: [blog], min_form_seconds: 0 } }, env: { NATTER_LIMITS__COMMENTS_PER_MINUTE: '1' } });
  try {
    expectHttp(429, '/api/comments', aux);
    await open('/posts/fast/', { site: 'shop', api: aux.port });
    const r = await run(`await W.ready();
      W.type(W.$('textarea'), 'first'); W.btn('Post comment').click(); await W.until(() => W.art('first'));
      W.type(W.$('textarea'), 'second'); W.btn('Post comment').click(); await W.until(() => /Try again/.test(W.st()));
      return { status: W.st(), live: W.$('.status').getAttribute('aria-live'), focus: W.R().activeElement === W.$('.status'),
        kept: W.$('textarea').value, sendable: !W.btn('Post comment').disabled }`);
    const n = +r.status.match(/in (\d+) seconds?\./)[1];
    assert.ok(n >= 1 && n <= 60, r.status);
    assert.equal(r.status, `Too many requests. Try again in ${n} second${n == 1 ? '' : 's'}.`);
    assert.deepEqual([r.live, r.focus, r.kept, r.sendable], ['polite', true, 'second', true]);
  } finally {
    await aux.stop();
  }
});

btest('a site that does not list the blog origin: nothing loads, and its writes are refused (403 origin_not_allowed)', async () => {
  // a fresh page: the server shares the thread with allowed origins only, so the browser blocks the read
  allowed.push(/blocked by CORS policy/, /Failed to load resource: net::ERR_FAILED/);
  expectHttp(403, '/api/comments');
  await open('/posts/closed/', { site: 'closed' });
  const fresh = await run(`await W.until(() => W.$('.status')?.classList.contains('error')); return [W.st(), !!W.form()]`);
  assert.deepEqual(fresh, ['This website may not post comments here.', false]);
  const raw = await run(`const r = await fetch(${JSON.stringify(api.base)} + '/api/comments', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ site: 'closed', page: '/posts/closed/', text: 'from the blog' }) }); return [r.status, (await r.json()).error.code]`);
  assert.deepEqual(raw, [403, 'origin_not_allowed'], 'a write from the blog origin is refused');

  // a reader with the page open when the operator removes the blog's origin: the write's 403 is shown inline
  const port = await freePort();
  const sites = (origins) => ({ shop: { origins, min_form_seconds: 0 }, other: { origins: [blog] } });
  let aux = await startNatter({ sites: sites([blog]), port });
  try {
    await open('/posts/shop/', { site: 'shop', api: port });
    await run(`await W.ready()`);
    await aux.stop();
    aux = await startNatter({ sites: sites(['https://elsewhere.example']), port, dir: aux.dir });
    expectHttp(403, '/api/comments', aux);
    const r = await run(`W.type(W.$('textarea'), 'refused'); W.btn('Post comment').click();
      await W.until(() => W.st() && W.st() != 'Sending…');
      return { status: W.st(), err: W.$('.status').classList.contains('error'), focus: W.R().activeElement === W.$('.status'), kept: W.$('textarea').value }`);
    assert.deepEqual(r, { status: 'This website may not post comments here.', err: true, focus: true, kept: 'refused' });
    assert.equal((await call('GET', '/api/comments?site=shop&page=/posts/shop/', null, { server: aux })).body.total, 0);
  } finally {
    await aux.stop();
  }
});

/* ---------- safety ---------- */

btest('hostile text, author and website render inert (nothing runs, no dialog)', async () => {
  const page = '/posts/xss/';
  const run1 = 'window.__pwned++;alert(1)';
  const bad = await call('POST', '/api/comments', { site: 'blog', page, text: 'x', website: `javascript:${run1}` });
  assert.deepEqual([bad.status, bad.body.error.field], [422, 'website'], 'the server refuses a javascript: website');
  assert.equal((await call('POST', '/api/comments', { site: 'blog', page, text: 'x', website: 'data:text/html,<script>alert(1)</script>' })).status, 422);
  const a = await post('blog', page, {
    author: `<img src=x onerror="${run1}">`, website: `https://x.example/"onmouseover="${run1}`,
    text: `<img src=x onerror="${run1}"> <script>${run1}</script> [click](javascript:${run1}) <svg onload="${run1}"></svg> <a href="javascript:${run1}">a</a> <iframe src="javascript:${run1}"></iframe> **bold**`,
  });
  await post('blog', page, { parent: a.id, author: `"><script>${run1}</script>`, website: `https://y.example/'><script>${run1}</script>`, text: 'reply' });
  // first as the static fragment, then rendered by the widget
  await open(page, { static: 'blog' });
  const r = await run(`await W.until(() => W.art('bold') && W.art('reply'));
    const A = W.art('bold'), B = W.art('reply');
    const all = W.$$('*');
    for (const e of all) for (const t of ['mouseover', 'mouseenter', 'focus', 'click']) if (e.tagName != 'A' && e.tagName != 'BUTTON') e.dispatchEvent(new Event(t));
    const link = A.querySelector('a.author'), box = link.getBoundingClientRect();
    return { authors: [A, B].map((x) => x.querySelector('.author').textContent), hrefs: [A, B].map((x) => x.querySelector('a.author')?.getAttribute('href')),
      attrs: all.flatMap((e) => e.getAttributeNames()).filter((n) => /^on/i.test(n)),
      tags: all.filter((e) => /^(SCRIPT|IFRAME|SVG|OBJECT|EMBED)$/i.test(e.tagName) && !e.matches('svg.avatar')).length,
      imgs: W.$$('img').filter((i) => !i.classList.contains('avatar')).length,
      links: W.$$('.text a').map((x) => x.getAttribute('href')), bold: A.querySelector('.text').textContent.includes('bold'), html: W.same(A.querySelector('.text'), ${JSON.stringify(a.html)}),
      center: [box.x + box.width / 2, box.y + box.height / 2] }`);
  assert.deepEqual(r.authors, [`<img src=x onerror="${run1}">`, `"><script>${run1}</script>`]);
  assert.deepEqual(r.hrefs, [new URL(`https://x.example/"onmouseover="${run1}`).href, new URL(`https://y.example/'><script>${run1}</script>`).href]);
  assert.deepEqual(r.attrs, []);
  assert.equal(r.tags, 0);
  assert.equal(r.imgs, 0);
  assert.ok(r.links.every((h) => h == null || /^https?:/.test(h)), r.links.join());
  assert.equal(r.bold, true);
  assert.equal(r.html, true, 'the server-rendered html as is');
  // a real pointer over the author link and a click on the markdown link
  await tab.send('Input.dispatchMouseEvent', { type: 'mouseMoved', x: r.center[0], y: r.center[1] });
  await run(`for (const a of W.$$('.text a')) if (!a.getAttribute('href')) a.click();
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50)))`);
  assert.equal(await run(`return window.__pwned`), 0);
  assert.deepEqual(dialogs, []);
});

/* ---------- rendering ---------- */

btest('init() again re-mounts without duplicating anything', async () => {
  await post('blog', '/posts/init/', { text: 'init one' });
  await post('blog', '/posts/init-other/', { text: 'init other' });
  await post('blog', '/posts/init-other/', { text: 'init other 2' });
  await open('/posts/init/');
  await run(`await W.ready(); await W.until(() => W.art('init one'))`);
  const r = await run(`Natter.init(); Natter.init({ page: '/posts/init-other/' });
    await W.until(() => W.$$('article').length == 2 && W.$('h2').textContent == '2 comments');
    await new Promise((r) => setTimeout(r, 100));
    return { boxes: W.R().querySelectorAll('.widget').length, styles: W.R().querySelectorAll('style').length + W.R().adoptedStyleSheets.length,
      forms: W.$$('textarea[name=text]').length, heads: W.$$('h2').length, hosts: document.querySelectorAll('[data-natter-theme]').length,
      articles: W.$$('article').length, textareas: W.$$('textarea').length, status: W.$$('.status').length }`);
  assert.deepEqual(r, { boxes: 1, styles: 1, forms: 1, heads: 1, hosts: 1, articles: 2, textareas: 1, status: 1 });
});

/* ---------- themes, small screens ---------- */

// A thread to look at (and to take the README's screenshots of): Markdown, a reply from the owner, code, a vote.
let showcase;
async function showcaseThread() {
  if (showcase) return showcase;
  const page = '/posts/showcase/';
  const a = await post('blog', page, { author: 'Ada Lovelace', email: 'ada@example.com', website: 'https://ada.example/notes',
    text: 'The comments take on this page\'s **font and colours**.\n\n> A quoted line\n\n`code` and a [link](https://example.com/notes)' });
  const owner = await call('POST', '/api/comments', { site: 'blog', page, parent: a.id, author: 'The Author', text: 'Thanks! Replies nest under the comment they answer.' }, { auth: true });
  assert.equal(owner.status, 201);
  await post('blog', page, { author: 'Grace', email: 'grace@example.com', text: '```\nfn main() { println!("code scrolls in its box"); }\n```' });
  await call('POST', `/api/comments/${a.id}/vote`, { value: 1 });
  return (showcase = page);
}
// Host pages: a cream one with a serif font, and a dark one whose colour is on <html> only.
const CREAM = 'body{background:#f4ecd8;color:#433422;font-family:"Liberation Serif",serif}';
const DARK_PAGE = 'html{background:#1b1d23}body{color:#d8dee9;font-family:"Liberation Sans",sans-serif}';
// What the widget took from the page, computed inside its shadow root.
const LOOK = `await W.ready(); await W.until(() => W.$$('article').length == 3);
  const host = document.querySelector('#natter'), page = getComputedStyle(document.body), s = (e) => getComputedStyle(e);
  const inherits = [W.$('.widget'), W.$('.author'), W.$('textarea'), W.$('input[name=author]'), W.btn('Preview')];
  return { theme: host.dataset.natterTheme, scheme: host.dataset.natterScheme,
    font: inherits.filter((e) => s(e).fontFamily != page.fontFamily).map((e) => e.className || e.tagName),
    colour: inherits.filter((e) => s(e).color != page.color).map((e) => e.className || e.tagName),
    backgrounds: [...new Set([W.$('.widget'), W.$('textarea'), W.btn('Preview')].map((e) => s(e).backgroundColor))],
    accent: s(W.btn('Post comment')).backgroundColor, identicon: s(W.$('.avatar')).backgroundColor }`;

btest('data-theme="auto" blends in: the page\'s font and text colour, no background, light or dark after the page\'s own background (screenshots)', async () => {
  const page = await showcaseThread();
  const expected = (scheme, accent) => ({ theme: 'auto', scheme, font: [], colour: [], backgrounds: ['rgba(0, 0, 0, 0)'], accent, identicon: 'rgba(128, 128, 128, 0.1)' });
  await withViewport(800, false, async () => {
    await open(page, { css: CREAM });
    assert.deepEqual(await run(LOOK), expected('light', 'rgb(9, 105, 218)'), 'a cream page is light');
    // the page sets a property on the target: the widget's accent follows
    await open(page, { css: CREAM + '#natter{--natter-accent:#8a3b12}' });
    assert.deepEqual(await run(LOOK), expected('light', 'rgb(138, 59, 18)'));
    await shot('widget-cream', 800);
    await shot('widget-375', 375);
    await open(page);
    assert.deepEqual(await run(LOOK), expected('light', 'rgb(9, 105, 218)'), 'a white page is light');
    await shot('widget-light', 800);
  });
  // the page is dark although the reader prefers light: the page's own background decides
  await withViewport(800, false, async () => {
    await open(page, { css: DARK_PAGE });
    assert.deepEqual(await run(LOOK), expected('dark', 'rgb(68, 147, 248)'), 'a page dark on <html> is dark');
    await shot('widget-dark', 800);
  });
  await withViewport(800, true, async () => {
    await open(page, { css: CREAM });
    assert.equal(await run(`await W.ready(); return document.querySelector('#natter').dataset.natterScheme`), 'light',
      'and a light page stays light when the reader prefers dark');
  });
});

btest('auto on a page with no background of its own follows its color-scheme and the reader; a theme switch of the page switches the widget', async () => {
  const scheme = `await W.ready(); return document.querySelector('#natter').dataset.natterScheme`;
  for (const [css, dark, expected] of [
    ['', true, 'dark'], ['', false, 'light'], // the test blog's `color-scheme: light dark`: the reader's preference
    [':root{color-scheme:normal}', true, 'light'], // a page that allows no dark scheme shows a white canvas
  ]) {
    await withViewport(800, dark, async () => {
      await open('/posts/canvas/', { css });
      assert.equal(await run(scheme), expected, JSON.stringify([css, dark]));
    });
  }
  // the page's own switch: a class on <body>
  await open('/posts/canvas/', { css: 'body.night{background:#111;color:#eee}' });
  assert.equal(await run(scheme), 'light');
  const switched = await run(`await W.ready(); const host = document.querySelector('#natter');
    document.body.classList.add('night'); await W.until(() => host.dataset.natterScheme == 'dark');
    const dark = getComputedStyle(W.$('.widget')).color;
    document.body.classList.remove('night'); await W.until(() => host.dataset.natterScheme == 'light');
    return dark`);
  assert.equal(switched, 'rgb(238, 238, 238)');
  // the reader's switch, on a page that follows it
  await open('/posts/canvas/');
  assert.equal(await run(scheme), 'light');
  await tab.send('Emulation.setEmulatedMedia', { features: [{ name: 'prefers-color-scheme', value: 'dark' }] });
  try {
    assert.equal(await run(`await W.until(() => document.querySelector('#natter').dataset.natterScheme == 'dark'); return 'dark'`), 'dark');
  } finally {
    await tab.send('Emulation.setEmulatedMedia', { features: [] });
  }
});

btest('data-theme="light" and "dark" have their own background and text colour whatever the page, and nothing overflows at 320 or 1280 px', async () => {
  const page = '/posts/dark/';
  const a = await post('blog', page, { author: 'Ada Lovelace', email: 'ada@example.com', website: 'https://ada.example/notes', text: 'Dark mode looks **good**.\n\n> quoted text\n\n`code` and a [link](https://example.com/a/very/long/path/that/must/wrap/somewhere/on/a/phone/screen)' });
  const b = await post('blog', page, { parent: a.id, author: 'A rather long author name that must wrap on small screens', text: 'A reply with a longwordwithoutanyspacesthatmustbreaksomewhereinsteadofoverflowingthescreen.' });
  await post('blog', page, { parent: b.id, author: 'Grace', text: '```\nfn main() { println!("a fairly long line of code that scrolls inside its box"); }\n```' });
  await post('blog', page, { author: 'Linus', text: '- a list\n- of items\n\n| a | table |\n|---|---|\n| 1 | 2 |' });
  for (const [theme, css, bg, fg] of [['dark', CREAM, 'rgb(13, 17, 23)', 'rgb(230, 237, 243)'], ['light', DARK_PAGE, 'rgb(255, 255, 255)', 'rgb(31, 35, 40)']]) {
    for (const width of [320, 1280]) {
      await withViewport(width, false, async () => {
        await open(page, { theme, css });
        const r = await run(`await W.ready(); await W.until(() => W.$$('article').length == 4);
          const host = document.querySelector('#natter'), s = getComputedStyle(W.$('.widget'));
          return { theme: [host.dataset.natterTheme, host.dataset.natterScheme], bg: s.backgroundColor, fg: s.color, input: getComputedStyle(W.$('textarea')).backgroundColor,
            width: document.documentElement.scrollWidth, boxOver: W.$('.widget').scrollWidth - W.$('.widget').clientWidth }`);
        assert.deepEqual([r.theme, r.bg, r.fg, r.input], [[theme, theme], bg, fg, bg], `${theme} at ${width} px`);
        assert.ok(r.width <= width, `no horizontal scrolling at ${width} px (scrollWidth ${r.width})`);
        assert.ok(r.boxOver <= 0, `nothing overflows the widget at ${width} px (${r.boxOver})`);
      });
    }
  }
});

btest('identicons are the server\'s drawing, on the theme\'s background instead of a grey disc', async () => {
  const page = '/posts/identicons/';
  const made = [];
  for (const email of ['a@example.com', 'b@example.com', 'c@example.com', 'd@example.com']) made.push(await post('blog', page, { email, text: 'face of ' + email }));
  await open(page, { css: DARK_PAGE });
  const drawn = await run(`await W.ready(); await W.until(() => W.$$('article').length == 4);
    return W.$$('article').map((a) => { const svg = a.querySelector('svg.avatar'), path = svg.querySelector('path');
      return { d: path.getAttribute('d'), fill: getComputedStyle(path).fill, bg: getComputedStyle(svg).backgroundColor, box: svg.getAttribute('viewBox') } })`);
  const rgb = (hex) => `rgb(${hex.match(/\w\w/g).map((h) => parseInt(h, 16)).join(', ')})`;
  for (const [i, c] of made.entries()) {
    const svg = await (await fetch(api.base + c.avatar)).text();
    const rects = [...svg.matchAll(/<rect x="(\d+)" y="(\d+)" width="2" height="2" fill="#(\w+)"\/>/g)];
    const cells = (d) => [...new Set(d.match(/M\d+ \d+/g))].sort();
    assert.deepEqual(cells(drawn[i].d), rects.map((m) => `M${m[1]} ${m[2]}`).sort(), `the cells of ${c.avatar}`);
    const [r, g, b] = drawn[i].fill.match(/\d+/g).map(Number);
    const [R, G, B] = rgb(rects[0][3]).match(/\d+/g).map(Number);
    assert.ok(Math.max(Math.abs(r - R), Math.abs(g - G), Math.abs(b - B)) <= 1, `the colour of ${c.avatar}: ${drawn[i].fill} vs #${rects[0][3]}`);
    assert.equal(drawn[i].box, '0 0 12 12');
    assert.equal(drawn[i].bg, 'rgba(128, 128, 128, 0.1)', 'a tint of whatever is behind, not #f0f0f0');
  }
});

btest('at 375 px every control is at least 44 px tall (and each button as wide), and long words and URLs wrap', async () => {
  const page = '/posts/small/';
  await post('blog', page, { author: 'x'.repeat(100), website: `https://example.com/${'long/'.repeat(40)}`,
    text: `${'a'.repeat(300)}\n\nhttps://example.com/${'path/'.repeat(60)}end and [a link](https://example.com/${'q'.repeat(200)})` });
  await withViewport(375, false, async () => {
    await open(page);
    const r = await run(`await W.ready(); W.type(W.$('textarea'), 'mine'); W.btn('Post comment').click(); await W.until(() => W.art('mine'));
      W.type(W.$('input[name=email]'), 'pat@example.com'); // shows "Email me replies"
      W.btn('Delete my data').click(); // its field and buttons too
      W.btn('Delete', W.art('mine')).click(); // and the question's buttons
      const measure = (e) => { const b = e.getBoundingClientRect(); return [(e.name || e.textContent || e.type).slice(0, 30), Math.round(b.height), Math.round(b.width)] };
      const shown = (sel) => W.$$(sel).filter((e) => e.getClientRects().length && e.name != 'hp');
      return { controls: shown('button, input:not([type=checkbox]), select, textarea, .checkbox').map(measure), buttons: shown('button').map(measure),
        over: W.$('.widget').scrollWidth - W.$('.widget').clientWidth, page: document.documentElement.scrollWidth }`);
    assert.ok(r.controls.length >= 15, JSON.stringify(r.controls));
    assert.deepEqual(r.controls.filter(([, h]) => h < 44), [], 'every control is at least 44 px tall');
    assert.deepEqual(r.buttons.filter(([, , w]) => w < 44), [], 'every button is at least 44 px wide');
    assert.ok(r.over <= 0, `the widget does not scroll sideways (${r.over} px more)`);
    assert.ok(r.page <= 375, `nor does the page (${r.page} px)`);
  });
});

btest('the demo page at / embeds the widget', async () => {
  await post('blog', '/', { author: 'Maintainer', text: 'Welcome to the **demo**. Try a comment below.' });
  await post('blog', '/', { author: 'Visitor', text: 'Works nicely.' });
  await withViewport(1280, false, async () => {
    await goto(api.base + '/');
    const r = await run(`await W.ready(); await W.until(() => W.$$('article').length == 2 && document.querySelector('[data-natter-count="/"]').textContent != '…');
      return { count: document.querySelector('[data-natter-count="/"]').textContent, site: document.querySelector('script[data-site]').dataset.site,
        width: document.documentElement.scrollWidth }`);
    assert.ok(r.width <= 1280, 'no horizontal scrolling');
    delete r.width;
    assert.deepEqual(r, { count: '2 comments', site: 'blog' });
  });
  // posting from the server's own page works too (its address is not on the site's origins: sent again without url)
  expectHttp(422, '/api/comments');
  const posted = await run(`W.type(W.$('textarea'), 'from the demo page'); W.btn('Post comment').click();
    await W.until(() => W.art('from the demo page') || /check/.test(W.st())); return W.st()`);
  assert.equal(posted, 'Your comment was posted.');
});

btest('Russian plural forms, with the translation fetched from the API origin', async () => {
  for (let i = 0; i < 5; i++) await post('blog', '/posts/ru/', { text: `ru ${i}` });
  await post('blog', '/posts/ru1/', { text: 'ru1' });
  for (let i = 0; i < 2; i++) await post('blog', '/posts/ru2/', { text: `ru2 ${i}` });
  await open('/posts/ru/', { lang: 'ru-RU', counts: '/posts/ru/,/posts/ru1/,/posts/ru2/' });
  const r = await run(`await W.ready(); await W.until(() => [...document.querySelectorAll('[data-natter-count]')].every((e) => e.textContent != '…'));
    return { heading: W.$('h2').textContent, counts: [...document.querySelectorAll('[data-natter-count]')].map((e) => e.textContent), reply: !!W.btn('Ответить'), submit: !!W.btn('Отправить') }`);
  assert.deepEqual(r, { heading: '5 комментариев', counts: ['5 комментариев', '1 комментарий', '2 комментария'], reply: true, submit: true });
  assert.deepEqual(apiRequests().filter((q) => q.url.includes('/i18n/')).map((q) => q.url), [api.base + '/i18n/ru.json']);
});

btest('Arabic: its one table fetched, the widget right to left with the avatar on the right, Arabic plural forms', async () => {
  const page = '/posts/ar/';
  const a = await post('blog', page, { author: 'ليلى', text: 'مرحبا' });
  await post('blog', page, { parent: a.id, text: 'رد' });
  await post('blog', page, { text: 'تعليق ثالث' });
  await open(page, { lang: 'ar', counts: `${page},/posts/ar-none/` });
  const r = await run(`await W.ready(); await W.until(() => W.$$('article').length == 3 && document.querySelector('[data-natter-count="/posts/ar-none/"]').textContent != '…');
    const box = W.$('.widget'), row = W.art('مرحبا').firstChild, avatar = row.querySelector('.avatar').getBoundingClientRect(), main = row.querySelector('.main').getBoundingClientRect();
    const replies = getComputedStyle(W.art('مرحبا').querySelector('.replies'));
    return { dir: box.getAttribute('dir'), lang: box.lang, direction: getComputedStyle(box).direction, avatarRight: avatar.left >= main.right,
      indent: [replies.borderRightWidth, replies.borderLeftWidth], heading: W.$('h2').textContent == (3).toLocaleString('ar') + ' تعليقات',
      none: document.querySelector('[data-natter-count="/posts/ar-none/"]').textContent, reply: !!W.btn('رد'), submit: !!W.btn('نشر التعليق') }`);
  assert.deepEqual(r, { dir: 'rtl', lang: 'ar', direction: 'rtl', avatarRight: true, indent: ['2px', '0px'], heading: true,
    none: 'لا توجد تعليقات', reply: true, submit: true });
  assert.deepEqual(apiRequests().filter((q) => q.url.includes('/i18n/')).map((q) => q.url), [api.base + '/i18n/ar.json'], 'only the reader\'s table');
  // English, with no table to fetch, reads left to right
  await open(page);
  assert.deepEqual(await run(`await W.ready(); const box = W.$('.widget'); return [box.dir, box.lang, getComputedStyle(box).direction]`), ['ltr', 'en-US', 'ltr']);
});

btest('an unknown language falls back to English without fetching a table', async () => {
  await open('/posts/tlh/', { lang: 'tlh' });
  assert.equal(await run(`await W.ready(); return W.$('h2').textContent + ' / ' + W.btn('Post comment').textContent`), '0 comments / Post comment');
  assert.equal(apiRequests().filter((q) => q.url.includes('/i18n/')).length, 0);
});

btest('an index page with only count elements: one counts request per 100 pages, no thread', async () => {
  const pages = Array.from({ length: 150 }, (_, i) => `/posts/idx${i}/`).concat(['/posts/idx-last/']);
  await post('blog', '/posts/idx3/', { text: 'idx' });
  for (let i = 0; i < 5; i++) await post('blog', '/posts/idx-last/', { text: `idx ${i}` });
  await open('/', { notarget: 1, counts: pages.join(',') });
  const r = await run(`await W.until(() => [...document.querySelectorAll('[data-natter-count]')].every((e) => e.textContent != '…'));
    const c = (p) => document.querySelector('[data-natter-count="' + p + '"]').textContent;
    return { last: c('/posts/idx-last/'), zero: c('/posts/idx0/'), one: c('/posts/idx3/'), thread: !!document.querySelector('[data-natter-theme]') }`);
  assert.deepEqual(r, { last: '5 comments', zero: '0 comments', one: '1 comment', thread: false });
  const counts = apiRequests().filter((q) => q.url.includes('/api/counts'));
  assert.deepEqual(counts.map((q) => JSON.parse(q.body).pages.length).sort(), [100, 51]);
  assert.equal(apiRequests().filter((q) => q.url.includes('/api/comments')).length, 0);
});

btest('without a #natter target the thread goes right after the script', async () => {
  await open('/posts/notarget/', { notarget: 1 });
  assert.equal(await run(`await W.ready(); return document.querySelector('script[data-site]').nextElementSibling.dataset.natterTheme`), 'auto');
});

btest('a target that cannot host a shadow root (<ul>) still gets the widget', async () => {
  await post('blog', '/posts/ul/', { text: 'in a list' });
  await open('/posts/ul/', { tag: 'ul' });
  assert.equal(await run(`await W.until(() => W.art('in a list')); return document.querySelector('ul#natter > .natter-host') != null`), true);
});

/* ---------- script attributes ---------- */

btest('data-page names the thread instead of the URL path: it is read and posted there', async () => {
  const key = '/2019/old-slug/'; // the post moved, its comments kept their old key
  const path = '/posts/new-slug/';
  const texts = async (page) => (await list('blog', page)).comments.map((c) => c.html.replace(/<[^>]+>/g, '').trim());
  await post('blog', key, { text: 'under the old key' });
  await post('blog', path, { text: 'under the URL path' });
  await open(path, { page: key });
  const r = await run(`await W.ready(); await W.until(() => W.art('under the old key'));
    W.type(W.$('textarea'), 'posted from the new URL'); W.btn('Post comment').click(); await W.until(() => W.art('posted from the new URL'));
    return { shown: W.$$('article .text').map((e) => e.textContent.trim()), heading: W.$('h2').textContent }`);
  assert.deepEqual(r, { shown: ['under the old key', 'posted from the new URL'], heading: '2 comments' });
  assert.deepEqual(await texts(key), ['under the old key', 'posted from the new URL'], 'the comment landed on the data-page key');
  assert.deepEqual(await texts(path), ['under the URL path'], 'nothing landed on the URL path');
  const reads = apiRequests().filter((q) => q.url.includes('/api/comments?')).map((q) => new URL(q.url).searchParams.get('page'));
  assert.deepEqual(reads, [key]);
  const sent = JSON.parse(apiRequests().find((q) => q.method == 'POST' && q.url == api.base + '/api/comments').body);
  assert.equal(sent.page, key);
  assert.match(sent.url, new RegExp(`^${blog}${path}\\?`), 'the url is still the page the reader is on');
});

btest('data-title is sent as the page title with the first comment, and the Atom feed names the page by it', async () => {
  const page = '/posts/titled/';
  await open(page, { title: 'Document title | A blog', 'data-title': 'The attribute title' });
  await run(`await W.ready(); W.type(W.$('textarea'), 'a titled comment'); W.type(W.$('input[name=author]'), 'Tia');
    W.btn('Post comment').click(); await W.until(() => W.art('a titled comment'))`);
  const sent = JSON.parse(apiRequests().find((q) => q.method == 'POST' && q.url == api.base + '/api/comments').body);
  assert.equal(sent.title, 'The attribute title');
  // the feed is where the server shows a page's remembered title ("AUTHOR on TITLE", else the page key)
  const res = await fetch(`${api.base}/feed/blog.atom?page=${encodeURIComponent(page)}`);
  assert.equal(res.status, 200);
  const entries = (await res.text()).split('<entry>').slice(1).map((e) => e.match(/<title[^>]*>([^<]*)<\/title>/)[1]);
  assert.deepEqual(entries, ['Tia on The attribute title']);
});

btest('data-target mounts the thread in the element it names, not in #natter nor after the script', async () => {
  await post('blog', '/posts/target/', { text: 'in the named box' });
  for (const query of [{}, { notarget: 1 }]) {
    await open('/posts/target/', { ...query, box: 'reader-comments', target: 'aside.reader-comments' });
    const r = await run(`await W.until(() => W.art('in the named box'));
      const natter = document.querySelector('#natter');
      return { hosts: document.querySelectorAll('[data-natter-theme]').length, named: W.R()?.host === document.querySelector('aside.reader-comments'),
        natter: natter && [!!natter.shadowRoot, natter.childElementCount], afterScript: document.querySelector('script[data-site]').nextElementSibling?.outerHTML ?? null }`);
    assert.deepEqual(r, { hosts: 1, named: true, natter: query.notarget ? null : [false, 0], afterScript: null }, JSON.stringify(query));
  }
});

btest('works under a strict host CSP without unsafe-inline styles', async () => {
  await post('blog', '/posts/csp/', { text: 'under csp' });
  await open('/posts/csp/', { csp: 1, lang: 'de', theme: 'light' });
  const r = await run(`await W.ready(); await W.until(() => W.art('under csp'));
    return [getComputedStyle(W.$('.widget')).backgroundColor, getComputedStyle(W.$('.avatar')).borderRadius, W.btn('Antworten') != null]`);
  assert.deepEqual(r, ['rgb(255, 255, 255)', '50%', true]);
});

btest('a reply from another blog links its source, and likes and reposts show as one line with their authors', async () => {
  const postUrl = `${blog}/posts/web/`;
  const card = (name) => `<a class="p-author h-card" href="https://${name.toLowerCase()}.example/">${name}</a>`;
  sources.set('/wm/reply', `<div class="h-entry">${card('Alice')} <a class="u-in-reply-to" href="${postUrl}">re</a>
    <div class="e-content"><p>Hello from <em>my</em> blog</p><script>window.__pwned++</script></div></div>`);
  sources.set('/wm/like-bo', `<div class="h-entry">${card('Bo')} <a class="u-like-of" href="${postUrl}">like</a></div>`);
  sources.set('/wm/like-cy', `<div class="h-entry">${card('Cy')} <a class="u-like-of" href="${postUrl}">like</a></div>`);
  sources.set('/wm/repost-di', `<div class="h-entry">${card('Di')} <a class="u-repost-of" href="${postUrl}">repost</a></div>`);
  for (const path of sources.keys()) {
    const res = await fetch(api.base + '/webmention', { method: 'POST', body: new URLSearchParams({ source: blog + path, target: postUrl }) });
    assert.equal(res.status, 202);
    const status = new URL(res.headers.get('location')).pathname;
    let state;
    for (let i = 0; i < 200 && (state = (await call('GET', status)).body).status == 'queued'; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(state.status, 'accepted', `${path}: ${JSON.stringify(state)}`);
  }
  await open('/posts/web/', { site: 'web' });
  const r = await run(`await W.ready(); const a = await W.until(() => W.art('Hello from my blog'));
    const via = a.querySelector('.via');
    const line = W.$('.reactions');
    return { via: via && [via.href, via.textContent, via.rel], html: a.querySelector('.text').innerHTML,
      line: !line.hidden && line.textContent, people: [...line.querySelectorAll('a')].map((l) => [l.textContent, l.href]).sort() }`);
  assert.deepEqual(r.via, [blog + '/wm/reply', 'from ' + new URL(blog).host, 'nofollow ugc']);
  assert.equal(r.html, '<p>Hello from <em>my</em> blog</p>');
  assert.match(r.line, /^2 likes, 1 repost from the web: /);
  assert.deepEqual(r.people, [['Bo', 'https://bo.example/'], ['Cy', 'https://cy.example/'], ['Di', 'https://di.example/']]);
  // A page without reactions shows no line.
  await post('web', '/posts/quiet/', { text: 'nothing from the web' });
  await open('/posts/quiet/', { site: 'web' });
  assert.equal(await run(`await W.ready(); await W.until(() => W.art('nothing from the web')); return W.$('.reactions').hidden`), true);
});

test('a reply from the Fediverse (the real Fedify peer) shows its author\'s handle, linking the reply', { skip: skip || peerMissing || false, timeout: 30000 }, async () => {
  const peer = await startPeer();
  try {
    const page = '/posts/fedi/';
    const { note, url } = await fediReply(peer, {
      base: api.base, token: TOKEN, site: 'fedi', page, url: blog + page, title: 'A post about things',
      content: '<p>Hello from the <strong>Fediverse</strong>!<script>window.__pwned++</script><img src="' + peer.base + '/tracker.png"></p>',
    });
    const handle = `@alice@127.0.0.1:${new URL(peer.base).port}`;
    assert.ok(url.startsWith(peer.base + '/') && url != note, `the reply's page is not its id: ${url}`);
    const listed = await until(async () => (await list('fedi', page)).comments.find((c) => c.via), 5000, 'the reply to be listed');
    assert.deepEqual(listed.via, { kind: 'fediverse', url, handle });

    await open(page, { site: 'fedi' });
    const r = await run(`await W.ready(); const a = await W.until(() => W.art('Hello from the'));
      const via = a.querySelector('.via'), author = a.querySelector('.author');
      return { via: via && [via.href, via.textContent, via.rel], author: [author.textContent, author.href],
        html: a.querySelector('.text').innerHTML, avatar: a.querySelector('.avatar')?.tagName, imgs: W.$$('img').length }`);
    assert.deepEqual(r.via, [url, handle, 'nofollow ugc'], 'the handle, linking the reply\'s page');
    assert.deepEqual(r.author, ['Alice Peer', peer.base + '/@alice']);
    assert.equal(r.html, '<p>Hello from the <strong>Fediverse</strong>!</p>', 'sanitized: no script, no image');
    assert.equal(r.avatar, 'svg', 'an identicon drawn in the page');
    assert.equal(r.imgs, 0);
    assert.deepEqual(requests.filter((q) => q.url.startsWith(peer.base)).map((q) => q.url), [], 'the reader\'s browser asks the author\'s server for nothing');
  } finally {
    await peer.stop();
  }
});

/* ---------- ids, deep links, owner badge ---------- */

btest('every comment article carries data-natter-id, tombstones and replies too', async () => {
  const page = '/posts/ids/';
  const a = await post('blog', page, { text: 'ids one' });
  await post('blog', page, { parent: a.id, text: 'ids reply' });
  const gone = await post('blog', page, { text: 'ids gone' });
  await post('blog', page, { parent: gone.id, text: 'ids orphan' });
  assert.equal((await admin('DELETE', `/comments/${gone.id}`)).status, 204);
  const ids = (await list('blog', page)).comments.map((c) => String(c.id));
  assert.equal(ids.length, 4);
  await open(page);
  const r = await run(`await W.ready(); await W.until(() => W.$$('article').length == 4);
    return { ids: W.$$('article').map((a) => a.getAttribute('data-natter-id')), tomb: W.$('.deleted').closest('article').dataset.natterId,
      reply: W.art('ids reply').dataset.natterId }`);
  assert.deepEqual(r.ids, ids, 'in thread order, each its own id');
  assert.equal(r.tomb, String(gone.id));
  assert.equal(r.reply, ids[1]);
});

// 65 top-level comments: the server's default page is 50, so the 60th is on the second page.
let deep;
async function deepThread() {
  if (deep) return deep;
  const page = '/posts/deep/';
  const tops = [];
  for (let i = 1; i <= 65; i++) tops.push(await post('blog', page, { text: `deep ${i}.` }));
  const first = await list('blog', page);
  assert.equal(first.comments.length, 50, 'the first page holds 50');
  assert.ok(first.next);
  return (deep = { page, tops, next: first.next });
}
const inView = (text) => `(() => { const a = W.art(${JSON.stringify(text)}), r = a.getBoundingClientRect();
  return r.top >= 0 && r.top < innerHeight && r.bottom > 0 })()`;

btest('a #natter-<id> link beyond the first page loads the next page, scrolls to the comment, marks and focuses it', async () => {
  const { page, tops, next } = await deepThread();
  const target = tops[59];
  await open(`${page}#natter-${target.id}`);
  const r = await run(`await W.ready(); const a = await W.until(() => W.$('.target'));
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const row = getComputedStyle(a.firstChild);
    return { text: a.querySelector('.text').textContent.trim(), id: a.dataset.natterId, marked: W.$$('.target').length,
      focused: W.R().activeElement === a, inView: ${inView('deep 60.')}, scrolled: scrollY > 0, tops: W.tops().length,
      border: row.borderLeftColor + ' ' + row.borderLeftStyle, background: row.backgroundColor,
      plain: getComputedStyle(W.art('deep 59.').firstChild).backgroundColor }`);
  assert.equal(r.text, 'deep 60.');
  assert.equal(r.id, String(target.id));
  assert.equal(r.marked, 1, 'only that comment is marked');
  assert.equal(r.focused, true, 'focus is on it, for screen readers');
  assert.equal(r.inView, true, 'it is in the viewport');
  assert.equal(r.scrolled, true, 'the page scrolled down to it');
  assert.equal(r.tops, 65, 'the second page was loaded');
  assert.equal(r.border, 'rgb(9, 105, 218) solid', 'marked with the accent colour');
  assert.notEqual(r.background, r.plain, 'and a background of its own');
  const reads = apiRequests().filter((q) => q.url.includes('/api/comments?')).map((q) => new URL(q.url).searchParams.get('after'));
  assert.deepEqual(reads, [null, next], 'the first page, then the next one by its cursor');

  // the host page's hash changes: that comment is marked instead, and shown
  const other = tops[2];
  const h = await run(`location.hash = '#natter-${other.id}';
    const a = await W.until(() => W.art('deep 3.').classList.contains('target') && W.art('deep 3.'));
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    return { marked: W.$$('.target').map((x) => x.dataset.natterId), focused: W.R().activeElement === a, inView: ${inView('deep 3.')} }`);
  assert.deepEqual(h, { marked: [String(other.id)], focused: true, inView: true });
  assert.equal(apiRequests().filter((q) => q.url.includes('/api/comments?')).length, 2, 'nothing more to load for it');

  // an id that is not in the thread changes nothing
  const u = await run(`const y = scrollY; location.hash = '#natter-999999';
    await new Promise((r) => setTimeout(r, 300));
    return { marked: W.$$('.target').map((x) => x.dataset.natterId), still: scrollY == y, status: W.st() }`);
  assert.deepEqual(u, { marked: [String(other.id)], still: true, status: '' });
});

btest('the mark stays on the comment when the list is drawn again', async () => {
  const page = '/posts/deep-redraw/';
  const a = await post('blog', page, { text: 'redraw target' });
  await post('blog', page, { text: 'redraw other' });
  await open(`${page}#natter-${a.id}`);
  const r = await run(`await W.ready(); await W.until(() => W.$('.target'));
    W.type(W.$('textarea'), 'redraw new'); W.btn('Post comment').click(); await W.until(() => W.art('redraw new'));
    return W.$$('.target').map((x) => x.dataset.natterId)`);
  assert.deepEqual(r, [String(a.id)]);
});

btest('an unknown #natter-<id> loads the rest of the thread, marks nothing and says nothing', async () => {
  const { page, next } = await deepThread();
  await open(`${page}#natter-999999`);
  const r = await run(`await W.ready(); await W.until(() => W.tops().length == 65);
    await new Promise((r) => setTimeout(r, 300));
    return { marked: W.$$('.target').length, status: W.st(), scrolled: scrollY, focus: W.R().activeElement, more: W.btn('Load more comments').hidden }`);
  assert.deepEqual(r, { marked: 0, status: '', scrolled: 0, focus: null, more: true });
  const reads = apiRequests().filter((q) => q.url.includes('/api/comments?')).map((q) => new URL(q.url).searchParams.get('after'));
  assert.deepEqual(reads, [null, next]);
});

btest('looking for a #natter-<id> stops after 20 more pages', async () => {
  const page = '/posts/deep-endless/';
  const only = await post('blog', page, { text: 'endless one' });
  // every answer claims one more page
  await tab.send('Fetch.enable', { patterns: [{ urlPattern: `${api.base}/api/comments?*`, requestStage: 'Request' }] });
  let answered = 0;
  const unlisten = tab.on('Fetch.requestPaused', ({ requestId }) => {
    const body = { comments: answered++ ? [] : [only], next: 'more' + answered, total: 1, locked: false, reactions: null };
    tab.send('Fetch.fulfillRequest', { requestId, responseCode: 200, body: Buffer.from(JSON.stringify(body)).toString('base64'),
      responseHeaders: [{ name: 'Content-Type', value: 'application/json' }, { name: 'Access-Control-Allow-Origin', value: blog }] });
  });
  try {
    await open(`${page}#natter-999999`);
    await run(`await W.ready(); await W.until(() => W.art('endless one'))`);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(answered, 21, 'the first page and 20 more');
    assert.equal(await run(`return [W.$$('.target').length, W.st(), W.btn('Load more comments').hidden].join()`), '0,,false');
  } finally {
    unlisten();
    await tab.send('Fetch.disable');
  }
});

btest('a comment with badge "owner" shows an Owner badge beside its author, no other comment does', async () => {
  const page = '/posts/owner/';
  // a comment posted with the admin token is the owner's (SPEC, Owners)
  const mine = await call('POST', '/api/comments', { site: 'blog', page, author: 'The Author', text: 'owner speaking' }, { auth: true });
  assert.equal(mine.status, 201, JSON.stringify(mine.body));
  await post('blog', page, { author: 'Reader', text: 'reader speaking' });
  const listed = (await list('blog', page)).comments;
  assert.deepEqual(listed.map((c) => c.badge), ['owner', null], 'the server marks the owner\'s comment');
  const check = async (query = {}) => {
    await open(page, query);
    return run(`await W.ready(); await W.until(() => W.$$('article').length == 2);
      const b = W.art('owner speaking').querySelector('.meta .badge');
      return { owner: b && [b.textContent, b.previousElementSibling.className, getComputedStyle(b).color],
        badges: W.$$('.badge').length, reader: !!W.art('reader speaking').querySelector('.badge') }`);
  };
  const expected = (text) => ({ owner: [text, 'author', 'rgb(9, 105, 218)'], badges: 1, reader: false });
  assert.deepEqual(await check(), expected('Owner'));
  assert.deepEqual(await check({ lang: 'de' }), expected('Autor'));
});

btest('the owner signs in on the blog with an admin token (#natter-owner): a wrong token is refused, then posts are approved and badged; signing out ends it', async () => {
  const page = '/posts/owner-signs-in/';
  expectHttp(401, '/api/admin/sites');
  await open(page);
  // readers are offered nothing
  assert.equal(await run(`await W.ready(); return !!W.$('input[name=owner]') || W.$$('.badge').length`), 0);
  await goto(`${blog}${page}?from=desk#natter-owner`); // (a new document: a fragment alone would not load one)
  const r = await run(`await W.ready(); const token = W.$('input[name=owner]');
    W.type(token, 'not-the-token'); W.btn('Sign in').click();
    await W.until(() => W.$('#natter-e-owner').textContent);
    const wrong = [W.$('#natter-e-owner').textContent, localStorage['natter:owner:blog'] || null];
    W.type(token, ${JSON.stringify(TOKEN)});
    const cleared = W.$('#natter-e-owner').textContent;
    W.btn('Sign in').click();
    await W.until(() => W.btn('Sign out'));
    W.type(W.$('textarea'), 'the owner writes'); W.type(W.$('input[name=author]'), 'The Author');
    W.btn('Post comment').click();
    const badge = await W.until(() => W.art('the owner writes')?.querySelector('.meta .badge'));
    return { wrong, cleared, stored: localStorage['natter:owner:blog'] == JSON.stringify(${JSON.stringify(TOKEN)}),
      field: !!W.$('input[name=owner]'), badge: badge.textContent, status: W.$('.status').textContent }`);
  assert.deepEqual(r.wrong, ['Please check what you entered.', null], 'a wrong token is refused and not kept');
  assert.equal(r.cleared, '', 'the error goes once the token is changed');
  assert.deepEqual([r.stored, r.field, r.badge, r.status], [true, false, 'Owner', 'Your comment was posted.']);
  const created = apiRequests().filter((q) => q.method == 'POST' && q.url == api.base + '/api/comments').at(-1);
  assert.equal(created.headers.Authorization, 'Bearer ' + TOKEN, 'the post carries the admin token');
  const stored = (await list('blog', page)).comments;
  assert.deepEqual(stored.map((c) => [c.author, c.status, c.badge]), [['The Author', 'approved', 'owner']]);
  // kept across pages without the fragment, until signed out
  await open(page, {}, { keep: true });
  const out = await run(`await W.ready(); const kept = !!W.btn('Sign out'); W.btn('Sign out').click();
    return { kept, gone: !W.btn('Sign out') && !W.$('input[name=owner]'), stored: localStorage['natter:owner:blog'] }`);
  assert.deepEqual(out, { kept: true, gone: true, stored: 'null' });
});

/* ---------- the README's screenshots ---------- */

// The README's screenshots are ones the browser tests take, by a literal name (this file's shot(), the
// admin page's screenshot()), and docs/screenshots holds no other: a screenshot that no test takes
// any more can't linger there. (Checked without a browser too; last, so that a run with
// NATTER_SHOTS=docs/screenshots has taken them.)
test('every screenshot the README shows, and every one in docs/screenshots, is one the browser tests take', () => {
  const root = new URL('../../', import.meta.url);
  const names = (text, pattern) => [...new Set([...text.matchAll(pattern)].map((m) => m[1]))].sort();
  const tests = readdirSync(new URL('widget/test/', root)).map((f) => readFileSync(new URL('widget/test/' + f, root), 'utf8')).join('\n');
  const taken = names(tests, /\b(?:shot|screenshot)\('([\w-]+)'/g);
  const shown = names(readFileSync(new URL('README.md', root), 'utf8'), /\(docs\/screenshots\/([\w-]+)\.png\)/g);
  const committed = readdirSync(new URL('docs/screenshots/', root)).map((f) => f.replace(/\.png$/, '')).sort();
  assert.ok(shown.length >= 4, 'the README shows the widget: ' + shown);
  assert.deepEqual(shown.filter((n) => !taken.includes(n)), [], 'shown but taken by no test');
  assert.deepEqual(shown.filter((n) => !committed.includes(n)), [], 'shown but not in docs/screenshots');
  assert.deepEqual(committed.filter((n) => !taken.includes(n)), [], 'in docs/screenshots but taken by no test');
});
