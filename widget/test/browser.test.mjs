// The widget in a real headless Chromium against a small in-process mock of the public API.
// Skipped when no Chromium is installed (set CHROMIUM=/path to choose one). Talks CDP over
// --remote-debugging-pipe, so it needs no npm package.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = new URL('..', import.meta.url);
const file = (p) => readFileSync(new URL(p, dir));
const CHROME = [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']
  .find((p) => p && existsSync(p));
const SHOTS = process.env.NATTER_SHOTS; // a folder: save screenshots there

/* ---------- mock API ---------- */
let db, log, nextId, conf, lockedPages, rateLimitNext;
function reset() {
  const t = (m) => new Date(Date.now() - m * 60000).toISOString().replace(/\.\d+Z$/, 'Z');
  const mk = (id, parent, author, extra = {}) => ({
    id, parent, author, website: null, avatar: `/api/avatar/${id}.svg`, html: `<p>comment <em>${id}</em></p>`,
    status: 'approved', created_at: t(600 - id), edited_at: null, likes: 0, dislikes: 0, page: '/post/', ...extra,
  });
  db = [
    mk(1, null, 'Alice', { website: 'https://alice.example' }),
    mk(2, 1, 'Bob', { website: 'javascript:alert(1)' }),
    mk(3, 2, '<img src=x onerror="window.pwned=1">'),
    mk(4, 3, 'Dora'),
    mk(5, null, null, { status: 'deleted', html: '', avatar: null }),
    mk(6, 5, 'Eve', { likes: 2 }),
    mk(7, null, 'Fay', { page: '/other/' }),
  ];
  nextId = 100;
  log = [];
  conf = { moderation: 'none', edit_window: 900, max_depth: 2, require_name: false, require_email: false, images: false, form_token: 'ft-123' };
  lockedPages = new Set(['/locked/']);
  rateLimitNext = 0;
}

function threadOrder(page) {
  const rows = db.filter((c) => c.page == page && (c.status == 'approved' || c.status == 'deleted'));
  const kids = new Map();
  for (const c of rows) kids.set(c.parent, [...(kids.get(c.parent) || []), c]);
  const out = [];
  const stack = [...(kids.get(null) || [])].reverse();
  while (stack.length) {
    const c = stack.pop();
    out.push(c);
    stack.push(...[...(kids.get(c.id) || [])].reverse());
  }
  return out;
}
const pub = ({ page, text, token, ...c }) => c;

function api(req, url, body) {
  const json = (status, obj, headers = {}) => ({ status, obj, headers });
  const err = (status, code, field = null, extra = {}) => json(status, { error: { code, message: code, field, ...extra } });
  const site = url.searchParams.get('site') || (body && body.site);
  if (req.method != 'GET' && body !== undefined && req.headers['content-type'] != 'application/json') return err(415, 'unsupported_media_type');
  if (site && site != 'blog') return err(404, 'unknown_site');
  const p = url.pathname;
  let m;
  if (p == '/api/config') return json(200, { site, ...conf });
  if (p == '/api/comments' && req.method == 'GET') {
    const page = url.searchParams.get('page');
    const list = threadOrder(page);
    const limit = 3;
    const tops = list.filter((c) => c.parent == null);
    const start = +(url.searchParams.get('after') || 0);
    const chosen = new Set(tops.slice(start, start + limit).map((c) => c.id));
    const out = [];
    let top = null;
    for (const c of list) {
      if (c.parent == null) top = c.id;
      if (chosen.has(top)) out.push(pub(c));
    }
    return json(200, {
      site, page, total: list.filter((c) => c.status == 'approved').length, locked: lockedPages.has(page),
      comments: out, next: start + limit < tops.length ? String(start + limit) : null,
    });
  }
  if (p == '/api/comments' && req.method == 'POST') {
    if (rateLimitNext) return json(429, { error: { code: 'rate_limited', message: 'slow down', field: null, retry_after: rateLimitNext } }, { 'Retry-After': String(rateLimitNext) });
    if (lockedPages.has(body.page)) return err(403, 'thread_locked');
    if (body.author == 'Bad Name') return err(422, 'validation_failed', 'author');
    const c = {
      id: nextId++, parent: body.parent ?? null, author: body.author ?? null, website: body.website ?? null,
      avatar: '/api/avatar/new.svg', html: `<p>${body.text.replace(/[<>&]/g, '')}</p>`, page: body.page,
      status: /hold/.test(body.text) || body.hp ? 'pending' : 'approved', created_at: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      edited_at: null, likes: 0, dislikes: 0, token: 'tok' + nextId,
    };
    db.push(c);
    return json(201, { comment: pub(c), edit_token: c.token, edit_until: new Date(Date.now() + 900e3).toISOString() });
  }
  if ((m = p.match(/^\/api\/comments\/(\d+)$/))) {
    const c = db.find((x) => x.id == m[1]);
    if (!c) return err(404, 'not_found');
    if (req.headers.authorization != 'Bearer ' + c.token) return err(401, 'unauthorized');
    if (req.method == 'PATCH') {
      c.html = `<p>${body.text.replace(/[<>&]/g, '')}</p>`;
      c.edited_at = new Date().toISOString();
      return json(200, pub(c));
    }
    if (req.method == 'DELETE') {
      if (db.some((x) => x.parent == c.id)) Object.assign(c, { status: 'deleted', html: '', author: null, website: null, avatar: null });
      else db.splice(db.indexOf(c), 1);
      return json(204, null);
    }
  }
  if ((m = p.match(/^\/api\/comments\/(\d+)\/vote$/))) {
    const c = db.find((x) => x.id == m[1]);
    c.votes = c.votes || 0;
    c.likes += (body.value == 1) - (c.votes == 1);
    c.dislikes += (body.value == -1) - (c.votes == -1);
    c.votes = body.value;
    return json(200, { likes: c.likes, dislikes: c.dislikes });
  }
  if (p == '/api/counts' && req.method == 'POST') {
    if (body.pages.length > 100) return err(422, 'validation_failed', 'pages');
    const counts = {};
    for (const pg of body.pages) counts[pg] = db.filter((c) => c.page == pg && c.status == 'approved').length;
    return json(200, { counts });
  }
  if (p == '/api/preview') return json(200, { html: `<p><strong>${body.text.replace(/[<>&]/g, '')}</strong></p>` });
  return err(404, 'not_found');
}

function page(q) {
  const a = (k) => (q.get(k) ? ` data-${k}="${q.get(k)}"` : '');
  const stat = q.get('static') ? '<div class="natter-static"><article data-natter-id="1">static Alice</article></div>' : '';
  const tag = q.get('tag') || 'div';
  const target = q.get('notarget') ? '' : `<${tag} id="natter">${stat}</${tag}>`;
  const counts = (q.get('counts') || '').split(',').filter(Boolean).map((p) => `<span data-natter-count="${p}">?</span>`).join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
${q.get('csp') ? `<meta http-equiv="Content-Security-Policy" content="style-src 'self'">` : ''}<title>Post title</title><style>body{margin:0 8px} * { color: red !important; font-family: serif !important }</style></head>
<body><h1>A post</h1>${counts}${target}
<script src="/embed.js" data-site="${q.get('site') || 'blog'}"${a('page')}${a('lang')}${a('theme')}${a('sort')} async></script></body></html>`;
}

let server, base;
function startServer() {
  server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      const send = (status, type, body, headers = {}) => {
        res.writeHead(status, { 'Content-Type': type, ...headers });
        res.end(body);
      };
      if (url.pathname == '/embed.js') return send(200, 'application/javascript', file('embed.js'));
      if (url.pathname == '/favicon.ico') return send(404, 'text/plain', '');
      if (url.pathname.startsWith('/i18n/')) {
        const f = url.pathname.slice(6);
        return /^[a-z]{2}\.json$/.test(f) && existsSync(new URL('i18n/' + f, dir))
          ? send(200, 'application/json', file('i18n/' + f)) : send(404, 'text/plain', 'no');
      }
      if (url.pathname.startsWith('/api/avatar/')) return send(200, 'image/svg+xml', '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><rect width="40" height="40" fill="#7a9"/></svg>');
      if (url.pathname.startsWith('/api/')) {
        let body;
        try { body = raw ? JSON.parse(raw) : undefined; } catch { return send(400, 'application/json', '{"error":{"code":"malformed_request"}}'); }
        log.push({ method: req.method, path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body });
        const r = api(req, url, body);
        return send(r.status, 'application/json', r.status == 204 ? '' : JSON.stringify(r.obj), r.headers);
      }
      if (url.pathname == '/demo') return send(200, 'text/html', String(file('demo.html')).replaceAll('{{SITE}}', 'blog'));
      return send(200, 'text/html', page(url.searchParams));
    });
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r((base = `http://127.0.0.1:${server.address().port}`))));
}

/* ---------- Chromium over CDP pipe ---------- */
let chrome, profile, msgId = 0, session;
const waiting = new Map();
function cdp(method, params = {}, sessionId = session) {
  const id = ++msgId;
  chrome.stdio[3].write(JSON.stringify({ id, method, params, sessionId }) + '\0');
  return new Promise((ok, fail) => waiting.set(id, { ok, fail, method }));
}
async function startChrome() {
  profile = mkdtempSync(join(tmpdir(), 'natter-chrome-'));
  chrome = spawn(CHROME, ['--headless=new', '--no-sandbox', '--disable-gpu', '--remote-debugging-pipe', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic',
    `--user-data-dir=${profile}`, '--lang=en-US', 'about:blank'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
  let buf = '';
  chrome.stdio[4].on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\0')) >= 0) {
      const m = JSON.parse(buf.slice(0, i));
      buf = buf.slice(i + 1);
      const w = waiting.get(m.id);
      if (w) {
        waiting.delete(m.id);
        m.error ? w.fail(new Error(w.method + ': ' + m.error.message)) : w.ok(m.result);
      }
    }
  });
  const { targetId } = await cdp('Target.createTarget', { url: 'about:blank' }, undefined);
  ({ sessionId: session } = await cdp('Target.attachToTarget', { targetId, flatten: true }, undefined));
  await cdp('Page.enable');
  await cdp('Runtime.enable');
}

async function js(expr) {
  const r = await cdp('Runtime.evaluate', { expression: `(async () => { ${expr} })()`, awaitPromise: true, returnByValue: true });
  if (r.exceptionDetails) throw new Error('in page: ' + (r.exceptionDetails.exception?.description || r.exceptionDetails.text));
  return r.result.value;
}
// Helpers defined in the page: R = the widget's shadow root, $/$$ query it, until() polls.
const HELPERS = `
  window.R = () => (document.querySelector('#natter') || document.querySelector('[data-natter-theme]')).shadowRoot;
  window.$ = (s) => R().querySelector(s); window.$$ = (s) => [...R().querySelectorAll(s)];
  window.until = async (f, ms = 4000) => { const t = Date.now(); for (;;) { const v = f(); if (v) return v; if (Date.now() - t > ms) throw new Error('timeout: ' + f); await new Promise((r) => setTimeout(r, 20)); } };
  window.type = (el, v) => { el.value = v; el.dispatchEvent(new Event('input', { bubbles: true })); };
  window.btn = (text, scope = R()) => [...scope.querySelectorAll('button')].find((b) => b.textContent.trim() == text);
`;
async function open(query, { keepStorage = false } = {}) {
  if (!keepStorage) await cdp('Storage.clearDataForOrigin', { origin: base, storageTypes: 'local_storage' }).catch(() => {});
  await go(`${base}/t?${query}`);
}
// Navigates and waits until the new document has loaded (the old one is marked so it can't be mistaken for it).
async function go(url) {
  await js(`window.__old = 1`).catch(() => {});
  await cdp('Page.navigate', { url });
  for (let i = 0; i < 200; i++) {
    if (await js(`return !window.__old && document.readyState == 'complete'`).catch(() => false)) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  await js(HELPERS);
}
async function shot(name, width = 800, dark = false) {
  if (!SHOTS) return;
  await cdp('Emulation.setDeviceMetricsOverride', { width, height: 900, deviceScaleFactor: 1, mobile: width < 500 });
  await cdp('Emulation.setEmulatedMedia', { features: [{ name: 'prefers-color-scheme', value: dark ? 'dark' : 'light' }] });
  await new Promise((r) => setTimeout(r, 150));
  const { data } = await cdp('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true });
  writeFileSync(join(SHOTS, name + '.png'), Buffer.from(data, 'base64'));
  await cdp('Emulation.clearDeviceMetricsOverride');
}

const skip = !CHROME && !process.env.NATTER_REQUIRE_BROWSER && 'no Chromium installed';
before(async () => {
  if (skip) return;
  await startServer();
  await startChrome();
});
after(async () => {
  if (chrome) await new Promise((r) => (chrome.once('exit', r), chrome.kill()));
  server?.close();
  try { if (profile) rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }); } catch {} // Chromium's helpers may still be writing
});
const btest = (name, fn) => test(name, { skip, timeout: 30000 }, async () => { reset(); await fn(); });

btest('renders the thread nested and capped, replacing the static fragment, with safe author fields', async () => {
  await open('page=/post/&static=1&counts=/post/,/other/');
  await js(`await until(() => R() && $('article'))`);
  const r = await js(`
    const arts = $$('article.c');
    const meta = (id) => arts[id].querySelector('.m').textContent;
    return {
      staticGone: !document.querySelector('.natter-static'), slot: !!$('slot'),
      n: arts.length, heading: $('h2').textContent,
      depthOf4: (() => { let d = 0, e = arts[3]; while ((e = e.parentElement.closest('article'))) d++; return d; })(),
      marker4: meta(3), tomb: arts[4].textContent, eveInTomb: arts[4].contains(arts[5]),
      aliceHref: arts[0].querySelector('a.au').getAttribute('href'), aliceRel: arts[0].querySelector('a.au').rel,
      bobLink: !!arts[1].querySelector('a.au'), xssText: arts[2].querySelector('.au').textContent, pwned: !!window.pwned,
      imgs: arts[2].querySelectorAll('img').length, avatar: arts[0].querySelector('img.av').src, tombImg: !!arts[4].firstElementChild.querySelector('img'),
      time: arts[0].querySelector('time').textContent, timeAttr: arts[0].querySelector('time').getAttribute('datetime'),
      html: arts[0].querySelector('.tx').innerHTML,
      counts: [...document.querySelectorAll('[data-natter-count]')].map((e) => e.textContent),
      color: getComputedStyle($('.n')).color,
    };`);
  assert.equal(r.staticGone, true);
  assert.equal(r.slot, false);
  assert.equal(r.n, 6);
  assert.equal(r.heading, '5 comments');
  assert.equal(r.depthOf4, 2, 'reply past max_depth 2 stays at depth 2');
  assert.match(r.marker4, /reply to <img src=x/);
  assert.match(r.tomb, /This comment was deleted\./);
  assert.equal(r.eveInTomb, true);
  assert.equal(r.aliceHref, 'https://alice.example/');
  assert.equal(r.aliceRel, 'nofollow ugc');
  assert.equal(r.bobLink, false, 'javascript: website is not a link');
  assert.equal(r.xssText, '<img src=x onerror="window.pwned=1">');
  assert.equal(r.pwned, false);
  assert.equal(r.imgs, 1, 'only the avatar image');
  assert.equal(r.avatar, `${base}/api/avatar/1.svg`);
  assert.equal(r.tombImg, false);
  assert.match(r.time, /ago$/);
  assert.match(r.timeAttr, /Z$/);
  assert.equal(r.html, '<p>comment <em>1</em></p>');
  assert.deepEqual(r.counts, ['5 comments', '1 comment']);
  assert.notEqual(r.color, 'rgb(255, 0, 0)', 'host page CSS does not leak in');
  await shot('thread-light');
  await shot('thread-dark', 800, true);
  await shot('thread-320', 320);
});

btest('init() again re-mounts without duplicating anything', async () => {
  await open('page=/post/');
  await js(`await until(() => R() && $('article'))`);
  const r = await js(`
    Natter.init(); Natter.init({ page: '/other/' });
    await until(() => $$('article').length == 1 && $('h2').textContent == '1 comment');
    return { boxes: R().querySelectorAll('.n').length, styles: R().querySelectorAll('style').length + R().adoptedStyleSheets.length, forms: $$('form').length,
      hosts: document.querySelectorAll('#natter').length, divs: document.body.querySelectorAll(':scope > div').length };`);
  assert.deepEqual(r, { boxes: 1, styles: 1, forms: 1, hosts: 1, divs: 1 });
});

btest('posting sends the contract body and focuses the new comment with edit controls', async () => {
  await open('page=/post/');
  await js(`await until(() => $('form'))`);
  const r = await js(`
    type($('textarea'), 'Hello **world**'); type($('input[name=author]'), 'Zed'); type($('input[name=email]'), 'z@example.com');
    const notifyShown = !$('input[name=notify]').closest('label').hidden; $('input[name=notify]').click();
    btn('Post comment').click();
    await until(() => $$('article').length == 7);
    const a = R().activeElement;
    return { notifyShown, focused: a && a.tagName, focusedText: a && a.textContent, status: $('.st').textContent, heading: $('h2').textContent,
      hasEdit: !!btn('Edit', a), left: a.querySelector('[data-until]').lastChild.textContent, me: JSON.parse(localStorage['natter:me']),
      hp: (() => { const i = $('input[name=hp]'); return [i.tabIndex, i.autocomplete, i.closest('[aria-hidden=true]') != null]; })() };`);
  const post = log.find((l) => l.method == 'POST' && l.path == '/api/comments');
  assert.equal(post.headers['content-type'], 'application/json');
  const b = post.body;
  assert.equal(b.site, 'blog');
  assert.equal(b.page, '/post/');
  assert.equal(b.title, 'Post title');
  assert.match(b.url, /^http:\/\/127\.0\.0\.1:\d+\/t\?/);
  assert.equal(b.text, 'Hello **world**');
  assert.equal(b.author, 'Zed');
  assert.equal(b.email, 'z@example.com');
  assert.equal(b.notify, true);
  assert.equal(b.hp, '');
  assert.equal(b.form_token, 'ft-123');
  assert.match(b.author_key, /^[0-9a-f]{48}$/);
  assert.equal(b.parent, undefined);
  assert.equal(r.notifyShown, true);
  assert.equal(r.focused, 'ARTICLE');
  assert.match(r.focusedText, /Hello \*\*world\*\*/);
  assert.equal(r.status, 'Your comment was posted.');
  assert.equal(r.heading, '6 comments');
  assert.equal(r.hasEdit, true);
  assert.equal(r.left, 'editable for 15 min');
  assert.equal(r.me.author, 'Zed');
  assert.deepEqual(r.hp, [-1, 'off', true]);
  await shot('posted', 420);

  // the same browser keeps its author_key
  await open('page=/post/', { keepStorage: true });
  await js(`await until(() => $('form')); type($('textarea'), 'again'); btn('Post comment').click(); await until(() => $$('article').length == 8)`);
  const posts = log.filter((l) => l.method == 'POST' && l.path == '/api/comments');
  assert.equal(posts[1].body.author_key, b.author_key);
  assert.equal(posts[1].body.author, 'Zed', 'name remembered');

  // edit then delete with the bearer token
  await js(`
    const a = $$('article').find((x) => /again/.test(x.textContent)); btn('Edit', a).click();
    const ta = a.querySelector('.tx, textarea'); type(a.querySelector('textarea'), 'changed'); btn('Save', a).click();
    await until(() => $$('article').some((x) => /changed/.test(x.textContent)));`);
  const patch = log.find((l) => l.method == 'PATCH');
  assert.match(patch.headers.authorization, /^Bearer tok\d+$/);
  assert.deepEqual(patch.body, { text: 'changed' });
  const del = await js(`
    window.confirm = () => true; const a = $$('article').find((x) => /changed/.test(x.textContent)); btn('Delete', a).click();
    await until(() => !$$('article').some((x) => /changed/.test(x.textContent)));
    return { status: $('.st').textContent, focus: R().activeElement === $('.st') };`);
  assert.deepEqual(del, { status: 'Your comment was deleted.', focus: true });
  assert.equal(log.find((l) => l.method == 'DELETE').headers['content-type'], undefined);
});

btest('replies move the form under the comment and send parent', async () => {
  await open('page=/post/');
  await js(`await until(() => $('form'))`);
  const r = await js(`
    const a = $$('article')[0]; btn('Reply', a).click();
    const inside = a.contains($('form')) && R().activeElement === $('textarea');
    type($('textarea'), 'a reply'); btn('Post comment').click();
    await until(() => $$('article').length == 7);
    const n = R().activeElement;
    return { inside, parentArticle: n.parentElement.closest('article') === $$('article')[0], formBack: !a.contains($('form')) };`);
  assert.deepEqual(r, { inside: true, parentArticle: true, formBack: true });
  assert.equal(log.find((l) => l.method == 'POST' && l.path == '/api/comments').body.parent, 1);
});

btest('a held comment stays visible to its author until it shows up approved', async () => {
  await open('page=/post/');
  await js(`await until(() => $('form')); type($('textarea'), 'please hold'); btn('Post comment').click(); await until(() => $('.pend'))`);
  assert.match(await js(`return $('.st').textContent + '|' + $('.pend').textContent`), /awaiting moderation\.\|.*Awaiting moderation/);
  await shot('pending', 420);
  await open('page=/post/', { keepStorage: true });
  assert.equal(await js(`await until(() => $('article')); return $$('.pend').length`), 1);
  db.find((c) => c.status == 'pending').status = 'approved';
  await open('page=/post/', { keepStorage: true });
  const r = await js(`await until(() => $('article')); return { pend: $$('.pend').length, shown: $$('article').filter((a) => /please hold/.test(a.textContent)).length,
    stored: JSON.parse(localStorage['natter:pending:blog:/post/']).length }`);
  assert.deepEqual(r, { pend: 0, shown: 1, stored: 0 });
});

btest('errors are shown inline and localized', async () => {
  await open('page=/post/');
  await js(`await until(() => $('form'))`);
  const v = await js(`
    btn('Post comment').click();
    const empty = $('#natter-e-text').textContent, focusedTa = R().activeElement === $('textarea');
    type($('textarea'), 'x'); type($('input[name=author]'), 'Bad Name'); btn('Post comment').click();
    await until(() => $('#natter-e-author').textContent);
    return { empty, focusedTa, author: $('#natter-e-author').textContent, invalid: $('input[name=author]').getAttribute('aria-invalid'),
      described: $('input[name=author]').getAttribute('aria-describedby') };`);
  assert.deepEqual(v, { empty: 'Please write a comment (up to 10,000 characters).', focusedTa: true,
    author: 'Please enter your name (up to 100 characters).', invalid: 'true', described: 'natter-e-author' });
  rateLimitNext = 7;
  const rl = await js(`type($('input[name=author]'), 'Ok'); btn('Post comment').click(); await until(() => /Try again/.test($('.st').textContent));
    return [$('.st').textContent, $('.st').getAttribute('aria-live'), R().activeElement === $('.st')]`);
  assert.deepEqual(rl, ['Too many requests. Try again in 7 seconds.', 'polite', true]);
  await shot('errors', 420);
});

btest('a locked thread shows a notice instead of the form', async () => {
  db.push({ ...db[0], id: 50, page: '/locked/' });
  await open('page=/locked/');
  const r = await js(`await until(() => $('article')); return { form: !!$('form'), notice: $('.lk').textContent, hidden: $('.lk').hidden, reply: !!btn('Reply') }`);
  assert.deepEqual(r, { form: false, notice: 'This thread is closed for new comments.', hidden: false, reply: false });
});

btest('unknown site shows a message and keeps the static fragment', async () => {
  await open('site=nope&page=/post/&static=1');
  const r = await js(`await until(() => R() && $('.st').textContent); return [$('.st').textContent, !!document.querySelector('.natter-static')]`);
  assert.deepEqual(r, ['Comments are not set up for this site.', true]);
});

btest('votes toggle and are remembered', async () => {
  await open('page=/post/');
  await js(`await until(() => $('article'))`);
  const r = await js(`
    const like = () => $$('article')[0].querySelector('.v');
    like().click(); await until(() => like().getAttribute('aria-pressed') == 'true');
    const after1 = like().textContent;
    like().click(); await until(() => like().getAttribute('aria-pressed') == 'false');
    return [after1, like().textContent, like().getAttribute('aria-label')];`);
  assert.deepEqual(r, ['▲ 1', '▲ 0', 'Like: 0']);
  assert.deepEqual(log.filter((l) => l.path == '/api/comments/1/vote').map((l) => l.body.value), [1, 0]);
});

btest('Russian plural forms, translations loaded on demand, dark theme', async () => {
  for (let i = 0; i < 4; i++) db.push({ ...db[0], id: 60 + i, parent: null });
  db.push({ ...db[6], id: 70, page: '/two/' }, { ...db[6], id: 71, page: '/two/' });
  await open('page=/post/&lang=ru-RU&theme=dark&counts=/post/,/other/,/two/');
  const r = await js(`await until(() => $('article') && document.querySelector('[data-natter-count]').textContent != '?');
    return { heading: $('h2').textContent, counts: [...document.querySelectorAll('[data-natter-count]')].map((e) => e.textContent),
      reply: btn('Ответить') != null, theme: document.querySelector('#natter').dataset.natterTheme, bg: getComputedStyle($('.n')).backgroundColor }`);
  assert.deepEqual(r.counts, ['9 комментариев', '1 комментарий', '2 комментария']);
  assert.equal(r.heading, '9 комментариев');
  assert.equal(r.reply, true);
  assert.equal(r.theme, 'dark');
  assert.equal(r.bg, 'rgb(13, 17, 23)');
  assert.ok(log.length, 'api used');
  await shot('thread-ru-dark');
});

btest('an unknown language falls back to English without fetching a table', async () => {
  await open('page=/post/&lang=tlh');
  assert.equal(await js(`await until(() => $('h2')); return $('h2').textContent`), '5 comments');
});

btest('an index page with only count elements gets counts, one request per 100 pages, and no thread', async () => {
  const pages = Array.from({ length: 150 }, (_, i) => `/p${i}/`).concat(['/post/']).join(',');
  await open(`notarget=1&counts=${pages}`);
  const r = await js(`await until(() => document.querySelector('[data-natter-count="/post/"]').textContent != '?');
    return { last: document.querySelector('[data-natter-count="/post/"]').textContent, first: document.querySelector('[data-natter-count="/p0/"]').textContent,
      thread: !!document.querySelector('[data-natter-theme]') }`);
  assert.deepEqual(r, { last: '5 comments', first: '0 comments', thread: false });
  assert.deepEqual(log.filter((l) => l.path == '/api/counts').map((l) => l.body.pages.length).sort(), [100, 51]);
  assert.equal(log.filter((l) => l.path == '/api/comments').length, 0);
});

btest('without a #natter target on a post, the thread goes right after the script', async () => {
  await open('notarget=1&page=/post/');
  const r = await js(`await until(() => document.querySelector('[data-natter-theme]')?.shadowRoot?.querySelector('article'));
    const s = document.querySelector('script[data-site]'); return s.nextElementSibling?.dataset.natterTheme`);
  assert.equal(r, 'auto');
});

btest('preview shows the server html and keyboard reaches every control', async () => {
  await open('page=/post/');
  const r = await js(`await until(() => $('form')); type($('textarea'), 'look'); btn('Preview').click();
    await until(() => !$('.pv').hidden);
    return { pv: $('.pv').innerHTML, ta: $('textarea').hidden, label: btn('Write') != null,
      unlabeled: $$('input:not([name=hp]),textarea,select').filter((i) => !i.closest('label') && !i.getAttribute('aria-label')).length,
      nonButtons: $$('[onclick],div[tabindex="0"]').length }`);
  assert.deepEqual(r, { pv: '<p><strong>look</strong></p>', ta: true, label: true, unlabeled: 0, nonButtons: 0 });
  const pv = log.find((l) => l.path == '/api/preview');
  assert.deepEqual(pv.body, { text: 'look', site: 'blog' });
  assert.equal(pv.headers['content-type'], 'application/json');
});

btest('the demo page embeds the widget', async () => {
  await go(`${base}/demo`);
  const r = await js(`await until(() => R() && $('form')); return document.querySelector('[data-natter-count="/"]').textContent`);
  assert.equal(r, '0 comments');
  await shot('demo', 800);
});

btest('sort re-fetches and load more continues with the cursor', async () => {
  for (let i = 0; i < 4; i++) db.push({ ...db[0], id: 60 + i, parent: null, author: 'T' + i });
  await open('page=/post/&sort=newest');
  const r = await js(`await until(() => $('article'));
    const sel = $('select'); const first = sel.value; sel.value = 'top'; sel.dispatchEvent(new Event('change'));
    await until(() => !btn('Load more comments').hidden);
    const before = $$('article').length; btn('Load more comments').click();
    await until(() => $$('article').length > before);
    return { first, before, after: $$('article').length, more: btn('Load more comments').hidden, focus: R().activeElement.tagName }`);
  assert.deepEqual(r, { first: 'newest', before: 7, after: 10, more: true, focus: 'ARTICLE' });
  const q = log.filter((l) => l.path == '/api/comments').map((l) => [l.query.sort, l.query.after]);
  assert.deepEqual(q, [['newest', undefined], ['top', undefined], ['top', '3']]);
});

btest('a target that cannot host a shadow root still gets the widget', async () => {
  await open('page=/post/&tag=ul');
  assert.equal(await js(`await until(() => document.querySelector('.natter-host')?.shadowRoot?.querySelector('article')); return 1`), 1);
});

btest('styles apply under a host page CSP without unsafe-inline', async () => {
  await open('page=/post/&csp=1');
  assert.equal(await js(`await until(() => $('article')); return getComputedStyle($('.n')).backgroundColor + ' ' + getComputedStyle($('.av')).borderRadius`), 'rgb(255, 255, 255) 50%');
});
