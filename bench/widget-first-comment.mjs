// How soon a reader sees the first comment: each natter binary named on the command line serves
// its demo page `/` (site `default`, holding a few comments) and headless Chromium loads it
// --runs times per binary, the binaries taking turns. Each load reports, from inside the page,
// performance.now() when the first comment element ([data-natter-id]) appears in the widget's
// shadow root: milliseconds from navigation start, watched by a MutationObserver. The HTTP cache
// is off, so every load downloads the widget as a first-time reader does.
//
//   node bench/widget-first-comment.mjs [--runs 30] OLD_BINARY NEW_BINARY
//
// Prints each binary's median (and quartiles) and the ratio of each median to the first one's.
// Everything runs on 127.0.0.1 and stops by itself. Needs Chromium ($CHROMIUM or /usr/bin/chromium).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch } from '../widget/support/cdp.mjs';

const args = process.argv.slice(2);
const at = args.indexOf('--runs');
const runs = at >= 0 ? +args.splice(at, 2)[1] : 30;
if (!args.length || !(runs > 0)) {
  console.error('usage: node bench/widget-first-comment.mjs [--runs N] NATTER_BINARY...');
  process.exit(2);
}

const freePort = () => new Promise((ok, fail) => {
  const s = createServer().once('error', fail).listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => ok(port));
  });
});

/** Starts `bin` on a fresh database with site `default` and a few comments on `/`. */
async function serve(bin) {
  const dir = mkdtempSync(join(tmpdir(), 'natter-first-comment-'));
  writeFileSync(join(dir, 'natter.toml'), '[sites.default]\norigins = ["*"]\nmin_form_seconds = 0\n');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const limits = ['COMMENTS', 'READS', 'VOTES', 'EDITS', 'ASSETS'].map((k) => [`NATTER_LIMITS__${k}_PER_MINUTE`, '0']);
  const proc = spawn(bin, [], {
    stdio: 'ignore',
    env: { ...process.env, ...Object.fromEntries(limits), NATTER_DATABASE: join(dir, 'natter.db'), NATTER_BIND: `127.0.0.1:${port}`,
      NATTER_CONFIG: join(dir, 'natter.toml'), NATTER_PUBLIC_URL: base },
  });
  const stop = () => new Promise((r) => (proc.exitCode !== null ? r() : (proc.once('exit', r), proc.kill('SIGTERM'))))
    .then(() => rmSync(dir, { recursive: true, force: true }));
  for (let t = Date.now(); !(await fetch(base + '/healthz').then((r) => r.ok, () => false));) {
    if (Date.now() - t > 10000 || proc.exitCode !== null) throw (await stop(), new Error(`${bin} did not start`));
    await new Promise((r) => setTimeout(r, 20));
  }
  let parent;
  for (let i = 1; i <= 6; i++) {
    const body = { site: 'default', page: '/', author: `Reader ${i}`, email: `reader${i}@example.com`, parent: i % 3 == 0 ? parent : undefined,
      text: `Comment ${i}: some **Markdown**, a [link](https://example.com/${i}) and \`code\`.` };
    const res = await fetch(base + '/api/comments', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    if (res.status != 201) throw (await stop(), new Error(`${bin}: POST /api/comments answered ${res.status}`));
    if (i % 3 == 1) parent = (await res.json()).comment.id;
  }
  return { bin, base, stop, times: [] };
}

// In every document: watch each shadow root the page attaches for the first comment element.
const WATCH = `window.__firstComment = new Promise((found) => {
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    const root = attach.call(this, init);
    const observer = new MutationObserver(() => {
      if (root.querySelector('[data-natter-id]')) (observer.disconnect(), found(performance.now()));
    });
    observer.observe(root, { childList: true, subtree: true });
    return root;
  };
});`;

const servers = [];
const browser = await launch();
try {
  for (const bin of args) servers.push(await serve(bin));
  const tab = await browser.newPage();
  await tab.send('Network.enable');
  await tab.send('Network.setCacheDisabled', { cacheDisabled: true });
  await tab.send('Page.addScriptToEvaluateOnNewDocument', { source: WATCH });
  // round 0 warms the binaries and the browser up and is not counted; the order alternates
  for (let round = 0; round <= runs; round++) {
    for (const server of round % 2 ? servers : [...servers].reverse()) {
      await tab.goto(server.base + '/healthz'); // so that no load pays for unloading a widget before it
      await tab.goto(server.base + '/', 15000);
      const ms = await tab.eval(`return Promise.race([window.__firstComment, new Promise((r) => setTimeout(() => r(null), 10000))])`);
      if (ms == null) throw new Error(`${server.bin}: no comment appeared within 10 s`);
      if (round) server.times.push(ms);
    }
  }
} finally {
  await browser.close();
  await Promise.all(servers.map((s) => s.stop()));
}

const quantile = (sorted, q) => {
  const i = (sorted.length - 1) * q;
  return sorted[Math.floor(i)] + (sorted[Math.ceil(i)] - sorted[Math.floor(i)]) * (i - Math.floor(i));
};
const medians = servers.map((s) => quantile(s.times.sort((a, b) => a - b), 0.5));
console.log(`navigation start → first comment element, ${runs} loads each, HTTP cache off:`);
for (const [i, s] of servers.entries()) {
  console.log(`  ${s.bin}\n    median ${medians[i].toFixed(1)} ms (quartiles ${quantile(s.times, 0.25).toFixed(1)}–${quantile(s.times, 0.75).toFixed(1)} ms)` +
    (i ? `, ${(medians[i] / medians[0]).toFixed(2)}× the first` : ''));
}
