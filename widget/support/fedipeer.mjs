// The Fedify peer of tests/peers/fedify/ (a real ActivityPub server, someone else's code on the
// wire) for the browser tests: start it, make it follow a site, reply to an announced post.
//   const peer = await startPeer();      // { base, actor, handle, call(method, path, body), stop() }
//   const { note, url } = await fediReply(peer, { base, token, site, page, url, title, content });
//   await peer.stop();                   // also stopPeers() in an after(): every peer still running
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const PEERS = new URL('../../tests/peers/', import.meta.url);
const PEER = fileURLToPath(new URL('fedify/peer.mjs', PEERS));
/** Why the peer can't run (its npm packages are not installed), else null. */
export const peerMissing = existsSync(fileURLToPath(new URL('node_modules/@fedify/fedify/package.json', PEERS))) ? null
  : 'the Fedify peer\'s packages are missing (run `npm ci --prefix tests/peers`)';

const running = new Set();
/** Stops every peer started here that is still running. */
export const stopPeers = () => Promise.all([...running].map((p) => p.stop()));

/** Starts the peer (actor `alice`, "Alice Peer") on a free loopback port. */
export async function startPeer() {
  const proc = spawn(process.execPath, [PEER], { env: { ...process.env, PORT: '0', HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = ''; // its last lines, for failure messages
  proc.stderr.on('data', (d) => (log = (log + d).slice(-8000)));
  const stop = () => (proc.exitCode !== null || proc.signalCode ? Promise.resolve()
    : new Promise((r) => (proc.once('exit', r), proc.kill('SIGTERM')))).then(() => running.delete(peer));
  const peer = { stop, log: () => log };
  running.add(peer);
  try {
    Object.assign(peer, await new Promise((ok, fail) => {
      const timer = setTimeout(() => fail(new Error('the Fedify peer did not start within 20 s:\n' + log)), 20000);
      proc.once('exit', (code) => (clearTimeout(timer), fail(new Error(`the Fedify peer exited (${code}) at start:\n${log}`))));
      createInterface({ input: proc.stdout }).once('line', (line) => (clearTimeout(timer), ok(JSON.parse(line))));
    }));
  } catch (e) {
    await stop();
    throw e;
  }
  peer.handle = `@${new URL(peer.actor).pathname.split('/').pop()}@${new URL(peer.base).host}`;
  /** A control call (tests/peers/fedify/README.md); a failed one throws with the peer's answer. */
  peer.call = async (method, path, body) => {
    const res = await fetch(peer.base + path, {
      method, headers: body ? { 'Content-Type': 'application/json' } : {}, body: body && JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`Fedify peer: ${method} ${path} answered ${res.status} ${text}\n${log}`);
    return JSON.parse(text);
  };
  return peer;
}

/** natter's admin API at `base` with the admin `token`; throws unless it answers `ok`. */
async function admin(base, token, path, body, ok = [200, 201]) {
  const res = await fetch(base + '/api/admin' + path, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + token }, body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!ok.includes(res.status)) throw new Error(`POST /api/admin${path} answered ${res.status} ${text}`);
  return JSON.parse(text);
}

/**
 * The peer follows the site's actor (`<base>/ap/sites/<site>`, once per peer and site: it waits for
 * the Accept), the page is announced through the admin API, and the peer replies to the post with
 * `content` at `visibility`. → { note: the reply's id, url: its page (the note's own `url`), object_id }.
 */
export async function fediReply(peer, { base, token, site, page, url, title = 'A post', content, visibility = 'public' }) {
  const target = `${base}/ap/sites/${site}`;
  peer.following = peer.following || new Set();
  if (!peer.following.has(target)) {
    await peer.call('POST', '/control/follow', { target });
    const { accepted, follows } = await peer.call('GET', '/control/following?' + new URLSearchParams({ target, wait_ms: '5000' }));
    if (!accepted) throw new Error(`${target} did not accept the peer's Follow: ${JSON.stringify(follows)}\n${peer.log()}`);
    peer.following.add(target);
  }
  const { object_id } = await admin(base, token, '/fediverse/announce', { site, page, url, title });
  const { note_id } = await peer.call('POST', '/control/reply', { in_reply_to: object_id, content, visibility });
  // The note as the peer serves it to anyone: its `url` is the reply's page.
  const res = await fetch(note_id, { headers: { Accept: 'application/activity+json' } });
  if (!res.ok) throw new Error(`GET ${note_id} answered ${res.status}`);
  const doc = await res.json();
  return { note: note_id, url: typeof doc.url == 'string' ? doc.url : doc.url?.href, object_id };
}

/** Polls `f` every 50 ms until it returns something truthy (then that), for at most `ms`. */
export async function until(f, ms = 5000, what = String(f)) {
  for (const end = Date.now() + ms; ;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await new Promise((r) => setTimeout(r, 50));
  }
}
