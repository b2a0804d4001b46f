// Pure logic of widget/embed.js, run with `node --test widget/test/`.
// embed.js (the readable source; the server sends it minified, with the same logic) is a classic
// script: without `document` it only exposes its pure functions on globalThis.__natterTest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import vm from 'node:vm';

const dir = new URL('..', import.meta.url);
const src = readFileSync(new URL('embed.js', dir), 'utf8');
vm.runInThisContext(src, { filename: 'embed.js' });
const N = globalThis.__natterTest;

// The gzip budget applies to the bytes served, which build.rs minifies from this readable
// source: tests/api/meta.rs measures GET /embed.js.

test('the source keeps the widget\'s security rules', () => {
  assert.match(src, /document\.currentScript/);
  assert.equal(src.match(/\.innerHTML\s*=/g).length, 1, 'one innerHTML assignment');
  assert.match(src, /attachShadow\(/);
});

test('page key keeps WordPress ?p=N and ?page_id=N and drops other queries', () => {
  assert.equal(N.pageKey('/', '?p=4'), '/?p=4');
  assert.equal(N.pageKey('/', '?page_id=17'), '/?page_id=17');
  assert.equal(N.pageKey('/blog/', '?utm_source=x&p=12'), '/blog/?p=12');
  assert.equal(N.pageKey('/posts/hello/', '?utm_source=feed'), '/posts/hello/');
  assert.equal(N.pageKey('/posts/hello/', ''), '/posts/hello/');
  assert.equal(N.pageKey('/', '?p=abc'), '/');
  assert.equal(N.pageKey('/', '?page=2'), '/');
});

const c = (id, parent = null, author = 'u' + id) => ({ id, parent, author });

test('nesting follows parents and caps depth, marking who a flattened reply answers', () => {
  // 1 ─ 2 ─ 3 ─ 4, and 5 replying to 3 after 4; 6 top level
  const list = [c(1), c(2, 1), c(3, 2), c(4, 3), c(5, 3), c(6)];
  const out = N.nest(list, 2);
  const by = Object.fromEntries(out.map((n) => [n.c.id, n]));
  assert.deepEqual(out.map((n) => n.c.id), [1, 2, 3, 4, 5, 6]);
  assert.equal(by[1].holder, null);
  assert.equal(by[2].holder, 1);
  assert.equal(by[3].holder, 2);
  assert.equal(by[3].depth, 2);
  assert.equal(by[3].replyTo, null);
  // deeper than max_depth: shown beside its parent, at max depth, with a marker
  assert.equal(by[4].holder, 2);
  assert.equal(by[4].depth, 2);
  assert.equal(by[4].replyTo.author, 'u3');
  assert.equal(by[5].holder, 2);
  assert.equal(by[5].replyTo.id, 3);
  assert.equal(by[6].holder, null);
});

test('max_depth 0 shows everything flat', () => {
  const out = N.nest([c(1), c(2, 1), c(3, 2)], 0);
  assert.ok(out.every((n) => n.holder === null && n.depth === 0));
  assert.equal(out[2].replyTo.id, 2);
});

test('a reply whose parent is missing is shown at the top level', () => {
  const out = N.nest([c(7, 99)], 5);
  assert.equal(out[0].holder, null);
  assert.equal(out[0].replyTo, null);
});

test('a 10,000-deep chain does not overflow the stack', () => {
  const list = [c(1)];
  for (let i = 2; i <= 10000; i++) list.push(c(i, i - 1));
  const out = N.nest(list, 5);
  assert.equal(out.length, 10000);
  assert.equal(Math.max(...out.map((n) => n.depth)), 5);
  assert.equal(out[9999].holder, 5);
  assert.equal(out[9999].replyTo.id, 9999);
});

test('plural forms follow each language', () => {
  const ru = { one: 'one', few: 'few', many: 'many', other: 'other' };
  assert.deepEqual([1, 2, 5, 11, 21, 22, 25, 111].map((n) => N.plural('ru', ru, n)),
    ['one', 'few', 'many', 'many', 'one', 'few', 'many', 'many']);
  const en = N.EN.count;
  assert.equal(N.fmt(N.plural('en', en, 1), { n: 1 }), '1 comment');
  assert.equal(N.fmt(N.plural('en', en, 0), { n: 0 }), '0 comments');
  assert.equal(N.fmt(N.plural('en', en, 3), { n: 3 }), '3 comments');
  assert.equal(N.plural('fr', { one: 'one', other: 'other' }, 0), 'one'); // French: 0 is singular
  assert.equal(N.plural('ja', { other: 'other' }, 1), 'other');
  assert.equal(N.plural('de', 'plain', 2), 'plain');
  assert.equal(N.plural('xx-invalid-tag-!!', { one: 'one', other: 'other' }, 1), 'one');
});

test('every translation has the English keys, each plural form its language has, and a writing direction', () => {
  const files = readdirSync(new URL('i18n/', dir)).filter((f) => f.endsWith('.json'));
  assert.deepEqual(files.map((f) => f.slice(0, -5)).sort(), [...N.LANGS].sort());
  assert.ok(files.length >= 19, 'English and at least 19 more');
  const rtl = [];
  for (const f of files) {
    const lang = f.slice(0, -5);
    const t = JSON.parse(readFileSync(new URL('i18n/' + f, dir), 'utf8'));
    assert.deepEqual(Object.keys(t).sort(), Object.keys(N.EN).sort(), f);
    const rules = new Intl.PluralRules(lang);
    // a form for exactly one number (Arabic "تعليقان", two comments) may leave the number out
    const single = (cat) => Array.from({ length: 1001 }, (_, i) => i).filter((i) => rules.select(i) == cat).length == 1;
    for (const [k, v] of Object.entries(t)) {
      if (typeof N.EN[k] == 'object') {
        assert.deepEqual(Object.keys(v).sort(), [...rules.resolvedOptions().pluralCategories].sort(), `${f} ${k}`);
        for (const [cat, s] of Object.entries(v)) {
          assert.equal(typeof s, 'string', `${f} ${k}.${cat}`);
          assert.ok(/\{n\}/.test(s) || single(cat), `${f} ${k}.${cat} lacks {n}`);
        }
      } else {
        assert.equal(typeof v, 'string', `${f} ${k}`);
        assert.ok(v.trim(), `${f} ${k} is empty`);
        for (const ph of N.EN[k].match(/\{\w+\}/g) || []) assert.ok(v.includes(ph), `${f} ${k} lacks ${ph}`);
      }
    }
    assert.match(t.dir, /^(ltr|rtl)$/, f);
    if (t.dir == 'rtl') rtl.push(lang);
  }
  assert.deepEqual(rtl, ['ar'], 'Arabic reads right to left');
});

test('relative time buckets', () => {
  assert.deepEqual(N.bucket(0), [0, 'second']);
  assert.deepEqual(N.bucket(-0.4), [0, 'second']);
  assert.deepEqual(N.bucket(-59), [-59, 'second']);
  assert.deepEqual(N.bucket(-60), [-1, 'minute']);
  assert.deepEqual(N.bucket(-3 * 60 - 20), [-3, 'minute']);
  assert.deepEqual(N.bucket(-3600), [-1, 'hour']);
  assert.deepEqual(N.bucket(-86400 * 2), [-2, 'day']);
  assert.deepEqual(N.bucket(-86400 * 15), [-2, 'week']);
  assert.deepEqual(N.bucket(-86400 * 45), [-1, 'month']);
  assert.deepEqual(N.bucket(-86400 * 400), [-1, 'year']);
  const now = Date.parse('2026-11-22T10:00:00Z');
  assert.equal(N.ago('2026-11-22T09:57:00Z', now, 'en'), '3 minutes ago');
  assert.equal(N.ago('2026-11-21T10:00:00Z', now, 'en'), 'yesterday');
  assert.equal(N.ago('2026-11-22T10:00:05Z', now, 'en'), 'now'); // clock skew: never "in 5 seconds"
  assert.equal(N.ago('2026-11-22T07:00:00Z', now, 'de'), 'vor 3 Stunden');
});

test('only http(s) websites become links', () => {
  assert.equal(N.safeUrl('https://example.com/a?b=1'), 'https://example.com/a?b=1');
  assert.equal(N.safeUrl('HTTP://Example.com'), 'http://example.com/');
  for (const bad of ['javascript:alert(1)', ' javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'java\tscript:alert(1)',
    'data:text/html,<b>', 'vbscript:x', 'ftp://x.org', '//evil.example', '/relative', 'example.com', '', null, undefined])
    assert.equal(N.safeUrl(bad), null, String(bad));
  assert.equal(N.safeUrl('/api/avatar/ab.svg', 'https://c.example'), 'https://c.example/api/avatar/ab.svg');
  assert.equal(N.safeUrl('javascript:x', 'https://c.example'), null);
});

test('reader language picks a table and an Intl tag', () => {
  assert.deepEqual(N.langOf('pt-BR'), ['pt', 'pt-BR']);
  assert.deepEqual(N.langOf('zh-CN'), ['zh', 'zh-CN']);
  assert.deepEqual(N.langOf('zh_TW'), ['zh', 'zh-TW']);
  assert.deepEqual(N.langOf('RU'), ['ru', 'ru']);
  assert.deepEqual(N.langOf('en-GB'), ['en', 'en-GB']);
  assert.deepEqual(N.langOf('tlh'), ['en', 'en']);
  assert.deepEqual(N.langOf(''), ['en', 'en']);
  assert.deepEqual(N.langOf('../../etc'), ['en', 'en']);
});

test('a #natter-<id> fragment names a comment; anything else names none', () => {
  assert.equal(N.anchorId('#natter-12'), 12);
  assert.equal(N.anchorId('#natter-999999'), 999999);
  for (const other of ['', '#', '#natter-', '#natter-12x', '#natter-1.5', '#natter--3', '#top', '#comments-12', '#xnatter-12', 'natter-12', '#natter-12 '])
    assert.ok(!N.anchorId(other), JSON.stringify(other));
});

test('an /api/avatar/<hash>.svg path is drawn as src/render/avatar.rs draws it; any other avatar is not', () => {
  const cells = (d) => [...new Set(d.match(/M\d+ \d+/g))].sort();
  // bytes 0-1 = 0x0123: hue 291; 0x45 sets bits 0, 2, 6 and 0x67 bits 8, 9, 10, 13, 14 (row = bit / 3, column = bit % 3, mirrored)
  const [colour, d] = N.identicon('/api/avatar/0123456789abcdef0123456789abcdef.svg');
  assert.equal(colour, 'hsl(291,55%,50%)');
  assert.deepEqual(cells(d), ['M1 1', 'M9 1', 'M5 1', 'M1 5', 'M9 5', 'M5 5', 'M1 7', 'M9 7', 'M3 7', 'M7 7', 'M3 9', 'M7 9', 'M5 9'].sort());
  // no cell set: the centre column
  assert.deepEqual(cells(N.identicon(`/api/avatar/${'0'.repeat(32)}.svg`)[1]), ['M5 1', 'M5 3', 'M5 5', 'M5 7', 'M5 9']);
  for (const other of ['/api/avatar/0123.svg', `/api/avatar/${'g'.repeat(32)}.svg`, `https://x.example/api/avatar/${'0'.repeat(32)}.svg`,
    `/api/avatar/${'0'.repeat(32)}.png`, '/avatars/me.jpg', ''])
    assert.equal(N.identicon(other), null, other);
});
