// A tiny Chrome DevTools Protocol driver over --remote-debugging-pipe (no npm packages).
//   const b = await launch();            // headless Chromium with a fresh profile
//   const p = await b.newPage();         // a tab: p.send(method, params), p.on(event, fn), p.eval(js), p.goto(url)
//   b.onPopup(async (popup) => { … });   // each page opened later (window.open), before its first script runs
//   await b.close();
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const FLAGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-quic', '--lang=en-US'];

/** The Chromium to use: $CHROMIUM, else the usual install paths; undefined when none is installed. */
export const findChrome = () =>
  [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => p && existsSync(p));

export async function launch({ chrome = findChrome(), args = [] } = {}) {
  if (!chrome) throw new Error('no Chromium found (set CHROMIUM=/path/to/chromium)');
  const profile = mkdtempSync(join(tmpdir(), 'natter-chrome-'));
  const proc = spawn(chrome, [...FLAGS, '--remote-debugging-pipe', `--user-data-dir=${profile}`, ...args, 'about:blank'],
    { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
  const waiting = new Map();
  const listeners = new Set();
  let msgId = 0;
  let exited = false;
  const exit = new Promise((r) => proc.once('exit', () => {
    exited = true;
    for (const w of waiting.values()) w.fail(new Error(`Chromium exited while waiting for ${w.method}`));
    waiting.clear();
    r();
  }));
  proc.once('error', (e) => { for (const w of waiting.values()) w.fail(e); waiting.clear(); });

  let buf = '';
  proc.stdio[4].on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\0')) >= 0) {
      const m = JSON.parse(buf.slice(0, i));
      buf = buf.slice(i + 1);
      if (m.id === undefined) {
        for (const fn of listeners) fn(m);
        continue;
      }
      const w = waiting.get(m.id);
      if (!w) continue;
      waiting.delete(m.id);
      m.error ? w.fail(new Error(`${w.method}: ${m.error.message}`)) : w.ok(m.result);
    }
  });

  /** Sends one CDP command (to the browser, or to a page when sessionId is given). */
  function send(method, params = {}, sessionId) {
    if (exited) return Promise.reject(new Error('Chromium is not running'));
    const id = ++msgId;
    proc.stdio[3].write(JSON.stringify({ id, method, params, sessionId }) + '\0');
    return new Promise((ok, fail) => waiting.set(id, { ok, fail, method }));
  }

  const detached = new Map(); // sessionId → resolves when that target is gone (closed)
  listeners.add((m) => m.method == 'Target.detachedFromTarget' && detached.get(m.params.sessionId)?.());

  /** The page object of an attached session: send, on, eval, goto, close, and `closed` (a promise). */
  function pageOf(targetId, sessionId) {
    const page = {
      sessionId,
      targetId,
      closed: new Promise((r) => detached.set(sessionId, r)),
      send: (method, params) => send(method, params, sessionId),
      /** Calls fn(params) for each event of that name from this page. Returns an unsubscribe function. */
      on(event, fn) {
        const l = (m) => m.sessionId === sessionId && m.method === event && fn(m.params);
        listeners.add(l);
        return () => listeners.delete(l);
      },
      /** Runs `body` as an async function in the page and returns its (JSON) value; page exceptions throw here.
       *  With userGesture, it runs as if the user had just clicked (so that window.open makes a popup). */
      async eval(body, { userGesture = false } = {}) {
        const r = await page.send('Runtime.evaluate', { expression: `(async () => { ${body} })()`, awaitPromise: true, returnByValue: true, userGesture });
        if (r.exceptionDetails) throw new Error('in page: ' + (r.exceptionDetails.exception?.description || r.exceptionDetails.text));
        return r.result.value;
      },
      /** Navigates and waits until the new document has loaded (the old one is marked so it can't be mistaken for it). */
      async goto(url, timeout = 5000) {
        await page.eval('window.__cdpOld = 1').catch(() => {});
        const nav = await page.send('Page.navigate', { url });
        if (nav.errorText) throw new Error(`navigating to ${url}: ${nav.errorText}`);
        const t = Date.now();
        while (!(await page.eval(`return !window.__cdpOld && document.readyState == 'complete'`).catch(() => false))) {
          if (Date.now() - t > timeout) throw new Error(`timeout loading ${url}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      },
      close: () => send('Target.closeTarget', { targetId }),
    };
    return page;
  }

  async function newPage(url = 'about:blank') {
    const { targetId } = await send('Target.createTarget', { url });
    const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
    const page = pageOf(targetId, sessionId);
    await page.send('Page.enable');
    await page.send('Runtime.enable');
    return page;
  }

  /**
   * Calls `setup(page, targetInfo)` for every page opened by another from now on (a window.open popup), while
   * it waits before running anything (so a virtual authenticator, say, is there before its first
   * script); the page then runs. Pages that exist already are left alone.
   */
  async function onPopup(setup) {
    listeners.add(async (m) => {
      if (m.method != 'Target.attachedToTarget' || m.sessionId || !m.params.waitingForDebugger) return;
      const { sessionId, targetInfo } = m.params;
      const page = pageOf(targetInfo.targetId, sessionId);
      try {
        // (a tab made with newPage() has no opener: it just runs)
        if (targetInfo.type == 'page' && targetInfo.openerId) {
          await page.send('Page.enable');
          await page.send('Runtime.enable');
          await setup(page, targetInfo);
        }
      } catch (e) {
        page.setupError = e; // (the test finds it on the page it was handed)
      } finally {
        await page.send('Runtime.runIfWaitingForDebugger').catch(() => {});
      }
    });
    await send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: true, flatten: true });
  }

  async function close() {
    if (!exited) {
      proc.kill();
      await exit;
    }
    try { rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }); } catch {} // helpers may still be writing
  }

  return { send, newPage, onPopup, close, process: proc };
}
