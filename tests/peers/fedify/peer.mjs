// A real Fediverse peer for Natter's tests: a small ActivityPub server built on
// Fedify (@fedify/fedify 1.5.9, MIT, https://fedify.dev/), with one actor and a
// JSON control API under /control/ that the test driver uses to make the actor
// follow, reply, like, edit, delete ... and to read what it received.
//
//   PORT=0 node tests/peers/fedify/peer.mjs
//   -> prints one line on stdout: {"base":"http://127.0.0.1:<port>","actor":"<base>/users/alice"}
//
// Everything on the wire (WebFinger, actor/object documents, inboxes, HTTP
// Signatures, JSON-LD) is Fedify's own code; this file only wires it up and
// records what happens.  See README.md beside it for the control API.

import http from "node:http";
import process from "node:process";
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import { inspect } from "node:util";
import {
  Accept,
  Activity,
  Announce,
  Create,
  CryptographicKey,
  Delete,
  Endpoints,
  Follow,
  Like,
  MemoryKvStore,
  Mention,
  Note,
  Person,
  PUBLIC_COLLECTION,
  Reject,
  Tombstone,
  Undo,
  Update,
  createFederation,
  getDocumentLoader,
  getTypeId,
  isActor,
  lookupWebFinger,
  signRequest,
  verifyRequest,
} from "@fedify/fedify";
import { configure } from "@logtape/logtape";
import { Temporal } from "@js-temporal/polyfill";

// ---------------------------------------------------------------- settings ---

const HOST = process.env.HOST || "127.0.0.1";
const PORT = Number.parseInt(process.env.PORT || "0", 10) || 0;
const ACTOR = process.env.ACTOR || "alice";
const ACTOR_NAME = process.env.ACTOR_NAME ||
  `${ACTOR.charAt(0).toUpperCase()}${ACTOR.slice(1)} Peer`;
const CONTROL_TIMEOUT_MS = Number.parseInt(process.env.CONTROL_TIMEOUT_MS || "10000", 10);
const AUTO_ACCEPT = (process.env.AUTO_ACCEPT ?? "1") !== "0";
const LOG_LEVEL = process.env.LOG_LEVEL || "info"; // this file's own lines
const FEDIFY_LOG_LEVEL = process.env.FEDIFY_LOG_LEVEL || "warning"; // Fedify's lines on stderr
const AS = "https://www.w3.org/ns/activitystreams#";

// ----------------------------------------------------------------- logging ---
// Fedify logs through LogTape.  Every Fedify record (down to debug) goes to
// one sink, which prints it on stderr when it is at least FEDIFY_LOG_LEVEL, and
// also keeps it in the current request's scope (AsyncLocalStorage) so that a
// refused inbox POST or a failed control call can say *why* (e.g. "Failed to
// verify; no Digest header found.").  stdout carries only the ready line.

const LEVELS = ["trace", "debug", "info", "warning", "error", "fatal"];
const levelAtLeast = (level, min) => LEVELS.indexOf(level) >= LEVELS.indexOf(min);
const scope = new AsyncLocalStorage();

function short(value, max = 600) {
  let s;
  if (typeof value === "string") s = value;
  else if (value instanceof URL) s = value.href;
  else if (value instanceof Error) s = `${value.name}: ${value.message}`;
  else {
    try {
      s = JSON.stringify(value);
    } catch {
      s = undefined;
    }
    if (s === undefined) s = inspect(value, { depth: 3, breakLength: Infinity });
  }
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

function renderRecord(record) {
  return record.message.map((part, i) => (i % 2 === 0 ? String(part) : short(part))).join("");
}

function log(level, message) {
  if (!levelAtLeast(level, LOG_LEVEL)) return;
  process.stderr.write(`[${new Date().toISOString()}] peer ${ACTOR} ${level}: ${message}\n`);
}

function fedifySink(record) {
  const store = scope.getStore();
  const wantStderr = levelAtLeast(record.level, FEDIFY_LOG_LEVEL) &&
    // Emitted for every send because the actor has no Ed25519 key (on purpose:
    // Natter verifies HTTP Signatures, so only an RSA key is used).
    !(typeof record.rawMessage === "string" &&
      record.rawMessage.startsWith("No supported key found to create a proof"));
  if (store == null && !wantStderr) return;
  const line = `${record.category.join(".")} ${record.level}: ${renderRecord(record)}`;
  if (
    store != null && store.logs.length < 200 &&
    !(typeof record.rawMessage === "string" && record.rawMessage.startsWith("Using preloaded context"))
  ) store.logs.push(line);
  if (wantStderr) process.stderr.write(`[${new Date().toISOString()}] ${line}\n`);
}

await configure({
  sinks: { fedify: fedifySink },
  loggers: [
    { category: "fedify", sinks: ["fedify"], lowestLevel: "debug" },
    { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
  ],
});

// ------------------------------------------------------------------- state ---

let base = ""; // http://127.0.0.1:<port>, known once listening
let federation = null;
const kv = new MemoryKvStore();
const keyPairs = []; // [{ privateKey, publicKey }]

const received = []; // activities Fedify handed to the inbox listeners
const inboxRequests = []; // every POST to an inbox, with Fedify's answer
const outgoing = []; // every request Fedify (or resend) made: lookups and deliveries
const follows = new Map(); // followed actor id -> { follow, follow_id, target, state, ... }
const followers = new Map(); // follower actor id -> { id, inboxId, endpoints, follow_id }
const notes = new Map(); // note local id -> { note, visibility, recipients, create_id, deleted }
const sentActivities = new Map(); // activity id -> { activity, recipients, kind, note_local_id }
let seq = 0;

// --------------------------------------------------- outgoing request log ---
// Fedify calls the global fetch() for WebFinger, documents and deliveries; this
// wrapper only records what went out and what came back (and keeps each
// delivered body, so that /control/resend can deliver the very same bytes).

const realFetch = globalThis.fetch;
globalThis.fetch = async function recordingFetch(input, init) {
  const req = input instanceof Request ? input : null;
  const method = (req?.method ?? init?.method ?? "GET").toUpperCase();
  const url = req?.url ?? String(input);
  const headerOf = (name) =>
    req?.headers.get(name) ?? (init?.headers ? new Headers(init.headers).get(name) : null);
  const entry = {
    seq: ++seq,
    at: new Date().toISOString(),
    method,
    url,
    accept: headerOf("accept"),
    signed: headerOf("signature") != null,
  };
  if (method === "POST") {
    let body = null;
    try {
      body = req ? await req.clone().text() : typeof init?.body === "string" ? init.body : null;
    } catch {
      body = null;
    }
    entry.body = body;
    entry.content_type = headerOf("content-type");
    entry.signature = headerOf("signature");
    entry.digest = headerOf("digest");
    entry.date = headerOf("date");
    try {
      const json = JSON.parse(body);
      entry.activity_id = typeof json?.id === "string" ? json.id : null;
      entry.activity_type = json?.type ?? null;
    } catch {
      entry.activity_id = null;
    }
  }
  outgoing.push(entry);
  try {
    const res = await realFetch(input, init);
    entry.status = res.status;
    if (method === "POST") {
      try {
        entry.response = short(await res.clone().text(), 2000);
      } catch {
        entry.response = null;
      }
    }
    return res;
  } catch (error) {
    entry.error = short(error);
    throw error;
  }
};

// ------------------------------------------------------------- federation ---

function plainUrl(u) {
  return u == null ? null : u instanceof URL ? u.href : String(u);
}

function typeName(obj) {
  if (obj == null) return null;
  const id = getTypeId(obj).href;
  return id.startsWith(AS) ? id.slice(AS.length) : id;
}

// A document loader for parsing what was received without fetching anything:
// embedded objects are summarised, bare URLs stay URLs.
const noFetch = async (url) => {
  throw new Error(`not fetched: ${url}`);
};

async function summarize(obj, ctx) {
  if (obj == null) return null;
  const opts = { documentLoader: noFetch, contextLoader: ctx.contextLoader, suppressError: true };
  const out = {
    id: plainUrl(obj.id),
    type: typeName(obj),
  };
  if (obj instanceof Activity) {
    out.actor = plainUrl(obj.actorId);
    out.object = plainUrl(obj.objectId);
  }
  out.attributedTo = plainUrl(obj.attributionId ?? null);
  out.inReplyTo = plainUrl(obj.replyTargetId ?? null);
  out.content = obj.content == null ? null : String(obj.content);
  out.name = obj.name == null ? null : String(obj.name);
  out.summary = obj.summary == null ? null : String(obj.summary);
  out.to = obj.toIds.map(plainUrl);
  out.cc = obj.ccIds.map(plainUrl);
  out.url = obj.url == null ? null : plainUrl(obj.url instanceof URL ? obj.url : obj.url.href);
  out.published = obj.published?.toString() ?? null;
  out.updated = obj.updated?.toString() ?? null;
  out.sensitive = obj.sensitive ?? null;
  const tags = [];
  try {
    for await (const tag of obj.getTags(opts)) {
      if (tag instanceof URL) tags.push({ type: null, href: tag.href, name: null });
      else {
        tags.push({
          type: typeName(tag),
          href: plainUrl(tag.href ?? tag.id ?? null),
          name: tag.name == null ? null : String(tag.name),
        });
      }
    }
  } catch (error) {
    tags.push({ error: short(error) });
  }
  out.tag = tags;
  return out;
}

function parseSignatureHeader(value) {
  if (value == null) return null;
  const params = {};
  for (const part of value.split(",")) {
    const m = part.match(/^\s*([A-Za-z]+)=(?:"([^"]*)"|(\d+))\s*$/);
    if (m) params[m[1]] = m[2] ?? m[3];
  }
  return {
    key_id: params.keyId ?? null,
    algorithm: params.algorithm ?? null,
    headers: params.headers == null ? null : params.headers.split(/\s+/),
    created: params.created ?? null,
    expires: params.expires ?? null,
  };
}

// Reads the public keys Fedify has just fetched and kept in its KV store (the
// same entries as its own KvKeyCache), so checking a signature again costs no
// second fetch of the sender's actor document.
function fedifyKeyCache(ctx) {
  return {
    async get(keyId) {
      const serialized = await kv.get(["_fedify", "publicKey", keyId.href]);
      if (serialized == null) return undefined;
      try {
        return await CryptographicKey.fromJsonLd(serialized, { contextLoader: ctx.contextLoader, documentLoader: ctx.documentLoader });
      } catch {
        return undefined;
      }
    },
    async set() {},
  };
}

async function record(ctx, activity) {
  const store = scope.getStore();
  let raw = null;
  try {
    raw = store?.body == null ? null : JSON.parse(store.body);
  } catch {
    raw = null;
  }
  const opts = { documentLoader: noFetch, contextLoader: ctx.contextLoader, suppressError: true };
  // Only an embedded object is summarised; a bare URL is not fetched.
  const rawObject = Array.isArray(raw?.object) ? raw.object[0] : raw?.object;
  let object = null;
  if (rawObject != null && typeof rawObject === "object") {
    try {
      object = await summarize(await activity.getObject(opts), ctx);
    } catch (error) {
      object = { error: short(error) };
    }
  }
  const headers = store?.headers ?? {};
  // Fedify called this listener, so it has verified the activity (its order:
  // Linked Data Signature in the body, then an Object Integrity Proof, then the
  // HTTP Signature).  Check the HTTP Signature on its own too, with Fedify's
  // verifyRequest, to tell a test that the HTTP Signature alone is good.
  let httpSignatureVerified = false;
  let httpSignatureError = null;
  if (headers.signature != null && store?.body != null) {
    try {
      const again = new Request(store.url, {
        method: "POST",
        headers: store.headerList,
        body: store.body,
      });
      const key = await verifyRequest(again, {
        documentLoader: ctx.documentLoader,
        contextLoader: ctx.contextLoader,
        keyCache: fedifyKeyCache(ctx),
      });
      httpSignatureVerified = key != null;
      if (key == null) httpSignatureError = "Fedify's verifyRequest returned no key";
    } catch (error) {
      httpSignatureError = short(error);
    }
  }
  const entry = {
    seq: ++seq,
    received_at: new Date().toISOString(),
    inbox: store?.path ?? null,
    shared_inbox: store?.path === "/inbox",
    type: raw?.type ?? typeName(activity),
    id: plainUrl(activity.id),
    actor: plainUrl(activity.actorId),
    object_id: plainUrl(activity.objectId),
    object,
    to: activity.toIds.map(plainUrl),
    cc: activity.ccIds.map(plainUrl),
    verified: true,
    http_signature: {
      present: headers.signature != null,
      verified: httpSignatureVerified,
      error: httpSignatureError,
      ...(parseSignatureHeader(headers.signature) ?? {}),
    },
    digest: headers.digest ?? null,
    date: headers.date ?? null,
    content_type: headers["content-type"] ?? null,
    user_agent: headers["user-agent"] ?? null,
    ld_signature: raw != null && typeof raw === "object" && "signature" in raw,
    proof: raw != null && typeof raw === "object" && "proof" in raw,
    raw,
  };
  received.push(entry);
  if (store != null) store.recorded = entry.seq;
  log("info", `received ${entry.type} ${entry.id} from ${entry.actor} at ${entry.inbox}`);
  return entry;
}

function actorUri() {
  return new URL(`/users/${ACTOR}`, base);
}

function newActivityId(ctx) {
  return ctx.getObjectUri(Activity, { identifier: ACTOR, id: randomUUID() });
}

function setupFederation() {
  const fed = createFederation({
    kv,
    origin: base,
    allowPrivateAddress: true,
    // No cache of remote documents: a test peer must see the current state.
    documentLoaderFactory: (opts) =>
      getDocumentLoader({ allowPrivateAddress: true, userAgent: opts?.userAgent }),
    // No `queue`: every sendActivity() delivers in-process before it resolves.
  });

  fed
    .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
      if (identifier !== ACTOR) return null;
      const keys = await ctx.getActorKeyPairs(identifier);
      return new Person({
        id: ctx.getActorUri(identifier),
        preferredUsername: identifier,
        name: ACTOR_NAME,
        summary: `A Fedify test peer (${ACTOR}).`,
        url: new URL(`/@${identifier}`, ctx.origin),
        inbox: ctx.getInboxUri(identifier),
        endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
        followers: ctx.getFollowersUri(identifier),
        following: ctx.getFollowingUri(identifier),
        manuallyApprovesFollowers: !AUTO_ACCEPT,
        publicKey: keys[0]?.cryptographicKey,
        assertionMethods: keys.map((k) => k.multikey),
      });
    })
    .setKeyPairsDispatcher((_ctx, identifier) => (identifier === ACTOR ? keyPairs : []))
    .mapHandle((_ctx, username) => (username === ACTOR ? ACTOR : null));

  fed.setFollowersDispatcher("/users/{identifier}/followers", (_ctx, identifier) => {
    if (identifier !== ACTOR) return null;
    return { items: [...followers.values()].map((f) => ({ id: f.id, inboxId: f.inboxId, endpoints: f.endpoints })) };
  });
  fed.setFollowingDispatcher("/users/{identifier}/following", (_ctx, identifier) => {
    if (identifier !== ACTOR) return null;
    return {
      items: [...follows.values()].filter((f) => f.state === "accepted").map((f) => new URL(f.actor)),
    };
  });

  fed.setObjectDispatcher(Note, "/users/{identifier}/notes/{id}", (_ctx, values) => {
    if (values.identifier !== ACTOR) return null;
    const n = notes.get(values.id);
    if (n == null || n.deleted) return null; // a deleted note answers 410 (see serveHttp)
    return n.note;
  });
  fed.setObjectDispatcher(Activity, "/users/{identifier}/activities/{id}", (ctx, values) => {
    if (values.identifier !== ACTOR) return null;
    const id = ctx.getObjectUri(Activity, values).href;
    return sentActivities.get(id)?.activity ?? null;
  });

  fed
    .setInboxListeners("/users/{identifier}/inbox", "/inbox")
    .on(Follow, async (ctx, follow) => {
      const entry = await record(ctx, follow);
      if (follow.objectId?.href !== actorUri().href || follow.actorId == null) return;
      if (!AUTO_ACCEPT) return;
      const follower = await follow.getActor(ctx);
      if (follower == null || follower.id == null) {
        log("warning", `Follow ${entry.id}: could not fetch the follower ${entry.actor}`);
        return;
      }
      followers.set(follower.id.href, {
        id: follower.id,
        inboxId: follower.inboxId,
        endpoints: follower.endpoints,
        follow_id: plainUrl(follow.id),
      });
      const accept = new Accept({
        id: newActivityId(ctx),
        actor: ctx.getActorUri(ACTOR),
        object: follow,
        to: follower.id,
      });
      sentActivities.set(accept.id.href, { activity: accept, recipients: [follower], kind: "Accept" });
      // Answer the Follow after this inbox request has been answered, as
      // Mastodon does, so a server that awaits its delivery is not re-entered.
      setTimeout(() => {
        ctx.sendActivity({ identifier: ACTOR }, follower, accept).then(
          () => log("info", `sent Accept of ${entry.id} to ${follower.id.href}`),
          (error) => log("error", `could not deliver Accept of ${entry.id}: ${short(error)}`),
        );
      }, 50);
    })
    .on(Accept, async (ctx, accept) => {
      const entry = await record(ctx, accept);
      markFollow(accept, entry, "accepted");
    })
    .on(Reject, async (ctx, reject) => {
      const entry = await record(ctx, reject);
      markFollow(reject, entry, "rejected");
    })
    .on(Undo, async (ctx, undo) => {
      const entry = await record(ctx, undo);
      if (entry.object?.type === "Follow" && entry.actor != null) {
        followers.delete(entry.actor);
      }
    })
    .on(Activity, async (ctx, activity) => {
      await record(ctx, activity);
    })
    .onError((_ctx, error) => {
      log("error", `inbox listener failed: ${short(error)}`);
    });

  return fed;
}

function markFollow(response, entry, state) {
  // Which Follow is accepted or rejected: by the Follow's id (the object's id,
  // embedded or not), or failing that by the actor who answers.
  let f = [...follows.values()].find((x) => x.follow_id === entry.object_id);
  let matchedBy = "follow_id";
  if (f == null) {
    f = follows.get(entry.actor);
    matchedBy = "actor";
  }
  if (f == null) {
    log("warning", `${state} ${entry.id} matches no Follow sent by ${ACTOR}`);
    return;
  }
  if (f.state !== "undone") f.state = state;
  f.answer_id = entry.id;
  f.answered_at = entry.received_at;
  f.matched_by = matchedBy;
  log("info", `Follow ${f.follow_id} ${state} by ${entry.actor}`);
}

// ------------------------------------------------------------ control API ---

class HttpError extends Error {
  constructor(status, message, extra = {}) {
    super(message);
    this.status = status;
    this.extra = extra;
  }
}

function requireUrl(body, field) {
  const v = body?.[field];
  if (typeof v !== "string" || v === "") throw new HttpError(400, `missing "${field}"`);
  try {
    return new URL(v);
  } catch {
    throw new HttpError(400, `"${field}" is not a URL: ${v}`);
  }
}

function ctxNow() {
  return federation.createContext(new URL(base), undefined);
}

async function loaderFor(ctx, body) {
  return body?.signed_fetch === true ? await ctx.getDocumentLoader({ identifier: ACTOR }) : undefined;
}

// Looks an actor up by WebFinger: an http(s) URL goes to Fedify's
// lookupWebFinger (which asks <scheme>://<host>/.well-known/webfinger?resource=<URL>);
// a handle (user@host or acct:user@host) is asked over WEBFINGER_SCHEME (http by
// default, because Fedify itself always uses https for acct: resources).  Then
// the JRD's rel="self" ActivityPub link is fetched with Fedify's lookupObject.
async function lookupActorViaWebFinger(ctx, target, body) {
  let resource;
  let jrd;
  const handle = /^(?:acct:)?@?([^@/\s]+)@([^@/\s]+)$/.exec(target);
  if (handle) {
    resource = `acct:${handle[1]}@${handle[2]}`;
    const scheme = process.env.WEBFINGER_SCHEME || "http";
    const url = new URL(`${scheme}://${handle[2]}/.well-known/webfinger`);
    url.searchParams.set("resource", resource);
    const res = await fetch(url, { headers: { Accept: "application/jrd+json" } });
    if (!res.ok) throw new HttpError(502, `WebFinger ${url.href} answered ${res.status}`);
    jrd = await res.json();
  } else {
    let url;
    try {
      url = new URL(target);
    } catch {
      throw new HttpError(400, `"target" is neither a URL nor user@host: ${target}`);
    }
    resource = url.href;
    jrd = await lookupWebFinger(url, { allowPrivateAddress: true });
    if (jrd == null) {
      throw new HttpError(
        502,
        `WebFinger lookup of ${url.href} failed (GET ${url.protocol}//${url.host}/.well-known/webfinger?resource=${encodeURIComponent(url.href)})`,
      );
    }
  }
  // The same choice of link as Fedify's lookupObject().
  const self = (jrd.links ?? []).find((l) =>
    l.rel === "self" &&
    (l.type === "application/activity+json" ||
      /application\/ld\+json;\s*profile="https:\/\/www.w3.org\/ns\/activitystreams"/.test(l.type ?? ""))
  );
  if (self?.href == null) {
    throw new HttpError(502, `the WebFinger answer for ${resource} has no rel="self" ActivityPub link`, { jrd });
  }
  const actor = await ctx.lookupObject(self.href, { documentLoader: await loaderFor(ctx, body) });
  if (actor == null) throw new HttpError(502, `could not fetch or parse the actor document ${self.href}`);
  if (!isActor(actor)) throw new HttpError(502, `${self.href} is a ${typeName(actor)}, not an actor`);
  if (actor.id == null || actor.inboxId == null) throw new HttpError(502, `actor ${self.href} has no id or no inbox`);
  return { actor, webfinger: { resource, subject: jrd.subject ?? null, self: self.href } };
}

async function lookupActor(ctx, url, body) {
  const actor = await ctx.lookupObject(url, { documentLoader: await loaderFor(ctx, body) });
  if (actor == null) throw new HttpError(502, `could not fetch or parse the actor document ${url}`);
  if (!isActor(actor)) throw new HttpError(502, `${url} is a ${typeName(actor)}, not an actor`);
  if (actor.id == null || actor.inboxId == null) throw new HttpError(502, `actor ${url} has no id or no inbox`);
  return actor;
}

// The recipient of an activity about `objectUrl`: `to_actor` if given, else
// the object's attributedTo (the object is fetched); `to_inbox` replaces the
// actor's inbox if given.
async function resolveRecipient(ctx, objectUrl, body) {
  let actorId = body?.to_actor != null ? requireUrl(body, "to_actor") : null;
  let object = null;
  let objectError = null;
  if (actorId == null && objectUrl != null) {
    try {
      object = await ctx.lookupObject(objectUrl.href, { documentLoader: await loaderFor(ctx, body) });
    } catch (error) {
      objectError = short(error);
    }
    if (object == null) objectError ??= `could not fetch or parse ${objectUrl.href}`;
    else actorId = object.attributionId ?? (object instanceof Activity ? object.actorId : null);
    if (object != null && actorId == null) objectError = `${objectUrl.href} has no attributedTo`;
  }
  const toInbox = body?.to_inbox != null ? requireUrl(body, "to_inbox") : null;
  let actor = null;
  if (actorId != null) {
    try {
      actor = await lookupActor(ctx, actorId.href, body);
    } catch (error) {
      if (toInbox == null) throw error;
    }
  }
  if (actor == null && toInbox == null) {
    throw new HttpError(502, `no recipient: ${objectError ?? "no actor"}; pass "to_actor" or "to_inbox"`);
  }
  const id = actor?.id ?? actorId ?? toInbox;
  const recipient = toInbox == null
    ? actor
    : { id, inboxId: toInbox, endpoints: null };
  return {
    recipient,
    actorId: actor?.id ?? actorId,
    handle: actor?.preferredUsername == null ? null : `@${actor.preferredUsername}@${actor.id.host}`,
    object,
  };
}

async function deliver(ctx, recipients, activity, body) {
  try {
    await ctx.sendActivity({ identifier: ACTOR }, recipients, activity, {
      preferSharedInbox: body?.shared_inbox === true,
      immediate: true,
    });
  } catch (error) {
    const cause = error?.cause == null ? "" : ` (${error.cause.code ?? ""} ${error.cause.message ?? error.cause})`.replace("( ", "(");
    throw new HttpError(502, `delivery of ${activity.id.href} failed: ${error?.message ?? error}${cause}`);
  }
  const inboxes = recipients.map((r) =>
    (body?.shared_inbox === true && r.endpoints?.sharedInbox) ? r.endpoints.sharedInbox.href : r.inboxId?.href
  );
  log("info", `sent ${typeName(activity)} ${activity.id.href} to ${inboxes.join(", ")}`);
  return inboxes;
}

function remember(activity, recipients, kind, extra = {}) {
  sentActivities.set(activity.id.href, { activity, recipients, kind, ...extra });
}

function addressing(visibility, followersUri, mentioned) {
  const m = mentioned == null ? [] : [mentioned];
  switch (visibility) {
    case "public":
      return { tos: [PUBLIC_COLLECTION], ccs: [followersUri, ...m] };
    case "unlisted":
      return { tos: [followersUri], ccs: [PUBLIC_COLLECTION, ...m] };
    case "followers":
      return { tos: [followersUri], ccs: [...m] };
    case "direct":
      if (mentioned == null) throw new HttpError(400, "a direct note needs a mentioned actor");
      return { tos: [mentioned], ccs: [] };
    default:
      throw new HttpError(400, `unknown visibility "${visibility}" (public, unlisted, followers, direct)`);
  }
}

const control = {
  "GET /control/info": () => ({
    base,
    actor: actorUri().href,
    inbox: new URL(`/users/${ACTOR}/inbox`, base).href,
    shared_inbox: new URL("/inbox", base).href,
    followers: new URL(`/users/${ACTOR}/followers`, base).href,
    handle: `${ACTOR}@${new URL(base).host}`,
    key_id: `${actorUri().href}#main-key`,
  }),

  async "POST /control/follow"(body) {
    if (typeof body?.target !== "string") throw new HttpError(400, 'missing "target"');
    const ctx = ctxNow();
    const { actor, webfinger } = await lookupActorViaWebFinger(ctx, body.target, body);
    const follow = new Follow({
      id: newActivityId(ctx),
      actor: ctx.getActorUri(ACTOR),
      object: actor.id,
      to: actor.id,
    });
    const entry = {
      target: body.target,
      actor: actor.id.href,
      inbox: actor.inboxId.href,
      follow,
      follow_id: follow.id.href,
      state: "pending",
      sent_at: new Date().toISOString(),
    };
    const inboxes = await deliver(ctx, [actor], follow, body);
    const previous = follows.get(actor.id.href);
    follows.set(actor.id.href, entry);
    remember(follow, [actor], "Follow");
    if (previous != null) log("info", `re-followed ${actor.id.href} (previous Follow ${previous.follow_id})`);
    return { follow_id: follow.id.href, actor: actor.id.href, inbox: inboxes[0], webfinger };
  },

  async "POST /control/unfollow"(body) {
    if (typeof body?.target !== "string") throw new HttpError(400, 'missing "target"');
    const f = follows.get(body.target) ??
      [...follows.values()].find((x) => x.target === body.target && x.state !== "undone");
    if (f == null) throw new HttpError(404, `${ACTOR} has not followed ${body.target}`);
    const ctx = ctxNow();
    const actor = await lookupActor(ctx, f.actor, body);
    const undo = new Undo({
      id: newActivityId(ctx),
      actor: ctx.getActorUri(ACTOR),
      object: f.follow,
      to: actor.id,
    });
    await deliver(ctx, [actor], undo, body);
    remember(undo, [actor], "Undo");
    f.state = "undone";
    return { activity_id: undo.id.href, follow_id: f.follow_id };
  },

  async "POST /control/reply"(body) {
    // Without "in_reply_to" this is a note of its own, sent to "to_actor"/"to_inbox".
    const inReplyTo = body.in_reply_to == null ? null : requireUrl(body, "in_reply_to");
    if (inReplyTo == null && body.to_actor == null && body.to_inbox == null) {
      throw new HttpError(400, 'missing "in_reply_to" (or, for a note that answers nothing, "to_actor")');
    }
    if (typeof body.content !== "string") throw new HttpError(400, 'missing "content"');
    const visibility = body.visibility ?? "public";
    const ctx = ctxNow();
    const { recipient, actorId, handle } = await resolveRecipient(ctx, inReplyTo, body);
    const mention = body.mention === false ? null : actorId;
    const followersUri = ctx.getFollowersUri(ACTOR);
    const { tos, ccs } = addressing(visibility, followersUri, mention);
    const localId = randomUUID();
    const noteId = ctx.getObjectUri(Note, { identifier: ACTOR, id: localId });
    const published = Temporal.Now.instant();
    const note = new Note({
      id: noteId,
      attribution: ctx.getActorUri(ACTOR),
      content: body.content,
      summary: typeof body.summary === "string" ? body.summary : null,
      sensitive: body.summary != null ? true : null,
      replyTarget: inReplyTo,
      url: new URL(`/@${ACTOR}/${localId}`, base),
      published,
      tos,
      ccs,
      tags: mention == null ? [] : [new Mention({ href: mention, name: handle ?? mention.href })],
    });
    const create = new Create({
      id: newActivityId(ctx),
      actor: ctx.getActorUri(ACTOR),
      object: note,
      published,
      tos,
      ccs,
    });
    const inboxes = await deliver(ctx, [recipient], create, body);
    notes.set(localId, { note, visibility, recipients: [recipient], create_id: create.id.href, deleted: false });
    remember(create, [recipient], "Create", { note_local_id: localId });
    return { note_id: noteId.href, activity_id: create.id.href, inbox: inboxes[0], to: tos.map(plainUrl), cc: ccs.map(plainUrl) };
  },

  async "POST /control/resend"(body) {
    const activityId = requireUrl(body, "activity_id").href;
    const sent = outgoing.filter((e) => e.method === "POST" && e.activity_id === activityId && e.body != null);
    if (sent.length === 0) throw new HttpError(404, `${ACTOR} never delivered ${activityId}`);
    const byInbox = new Map(sent.map((e) => [e.url, e]));
    const ctx = ctxNow();
    const [key] = await ctx.getActorKeyPairs(ACTOR);
    const deliveries = [];
    for (const [inbox, e] of byInbox) {
      // The body delivered the first time, byte for byte; a fresh Date and
      // HTTP Signature (Fedify's signRequest, as Fedify's own delivery does).
      let request = new Request(inbox, {
        method: "POST",
        headers: { "Content-Type": e.content_type ?? "application/activity+json" },
        body: e.body,
      });
      request = await signRequest(request, key.privateKey, key.keyId);
      const res = await fetch(request);
      const text = await res.text().catch(() => "");
      deliveries.push({ inbox, status: res.status });
      if (!res.ok) {
        throw new HttpError(502, `resending ${activityId} to ${inbox} failed (${res.status} ${res.statusText}): ${short(text, 1000)}`, { deliveries });
      }
    }
    log("info", `resent ${activityId} to ${[...byInbox.keys()].join(", ")}`);
    return { activity_id: activityId, deliveries };
  },

  async "POST /control/edit"(body) {
    const noteId = requireUrl(body, "note_id");
    if (typeof body.content !== "string") throw new HttpError(400, 'missing "content"');
    const n = findNote(noteId);
    const ctx = ctxNow();
    const updated = n.note.clone({ content: body.content, updated: Temporal.Now.instant() });
    const update = new Update({
      id: newActivityId(ctx),
      actor: ctx.getActorUri(ACTOR),
      object: updated,
      tos: n.note.toIds,
      ccs: n.note.ccIds,
    });
    await deliver(ctx, n.recipients, update, body);
    n.note = updated;
    remember(update, n.recipients, "Update");
    return { note_id: noteId.href, activity_id: update.id.href };
  },

  async "POST /control/delete"(body) {
    const noteId = requireUrl(body, "note_id");
    const n = findNote(noteId);
    const ctx = ctxNow();
    const del = new Delete({
      id: newActivityId(ctx),
      actor: ctx.getActorUri(ACTOR),
      object: new Tombstone({ id: noteId }),
      tos: n.note.toIds,
      ccs: n.note.ccIds,
    });
    await deliver(ctx, n.recipients, del, body);
    n.deleted = true;
    remember(del, n.recipients, "Delete");
    return { note_id: noteId.href, activity_id: del.id.href };
  },

  async "POST /control/like"(body) {
    const object = requireUrl(body, "object");
    const ctx = ctxNow();
    const { recipient, actorId } = await resolveRecipient(ctx, object, body);
    const like = new Like({
      id: newActivityId(ctx),
      actor: ctx.getActorUri(ACTOR),
      object,
      to: actorId ?? undefined,
    });
    const inboxes = await deliver(ctx, [recipient], like, body);
    remember(like, [recipient], "Like");
    return { activity_id: like.id.href, inbox: inboxes[0] };
  },

  async "POST /control/announce"(body) {
    const object = requireUrl(body, "object");
    const ctx = ctxNow();
    const { recipient, actorId } = await resolveRecipient(ctx, object, body);
    const announce = new Announce({
      id: newActivityId(ctx),
      actor: ctx.getActorUri(ACTOR),
      object,
      published: Temporal.Now.instant(),
      tos: [PUBLIC_COLLECTION],
      ccs: [ctx.getFollowersUri(ACTOR), ...(actorId == null ? [] : [actorId])],
    });
    const inboxes = await deliver(ctx, [recipient], announce, body);
    remember(announce, [recipient], "Announce");
    return { activity_id: announce.id.href, inbox: inboxes[0] };
  },

  async "POST /control/undo"(body) {
    const activityId = requireUrl(body, "activity_id").href;
    const s = sentActivities.get(activityId);
    if (s == null) throw new HttpError(404, `${ACTOR} never sent ${activityId}`);
    const ctx = ctxNow();
    const undo = new Undo({
      id: newActivityId(ctx),
      actor: ctx.getActorUri(ACTOR),
      object: s.activity,
      tos: s.activity.toIds,
      ccs: s.activity.ccIds,
    });
    await deliver(ctx, s.recipients, undo, body);
    remember(undo, s.recipients, "Undo");
    if (s.kind === "Follow") {
      for (const f of follows.values()) if (f.follow_id === activityId) f.state = "undone";
    }
    return { activity_id: undo.id.href, undone: activityId };
  },

  async "GET /control/received"(_body, query) {
    const type = query.get("type");
    const since = Number.parseInt(query.get("since") ?? "0", 10) || 0;
    const min = Number.parseInt(query.get("min") ?? "0", 10) || 0;
    const waitMs = Math.min(Number.parseInt(query.get("wait_ms") ?? "0", 10) || 0, CONTROL_TIMEOUT_MS - 500);
    const pick = () => received.filter((r) => r.seq > since && (type == null || r.type === type));
    const until = Date.now() + waitMs;
    let list = pick();
    while (list.length < Math.max(min, waitMs > 0 ? 1 : 0) && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
      list = pick();
    }
    return list;
  },

  async "GET /control/following"(_body, query) {
    const target = query.get("target");
    const waitMs = Math.min(Number.parseInt(query.get("wait_ms") ?? "0", 10) || 0, CONTROL_TIMEOUT_MS - 500);
    const pick = () =>
      [...follows.values()]
        .filter((f) => target == null || f.target === target || f.actor === target)
        .map(({ follow: _f, ...rest }) => rest);
    const until = Date.now() + waitMs;
    let list = pick();
    while (!list.some((f) => f.state === "accepted") && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
      list = pick();
    }
    return { accepted: list.some((f) => f.state === "accepted"), follows: list };
  },

  "GET /control/followers": () =>
    [...followers.values()].map((f) => ({ id: f.id.href, inbox: f.inboxId?.href ?? null, follow_id: f.follow_id })),

  "GET /control/inbox_requests": () => inboxRequests,

  "GET /control/sent"() {
    return outgoing.map(({ body: _b, ...rest }) => rest);
  },

  "POST /control/clear"() {
    received.length = 0;
    inboxRequests.length = 0;
    outgoing.length = 0;
    return { cleared: true };
  },
};

function findNote(noteId) {
  const prefix = new URL(`/users/${ACTOR}/notes/`, base).href;
  if (!noteId.href.startsWith(prefix)) throw new HttpError(400, `${noteId.href} is not a note of ${ACTOR}`);
  const n = notes.get(decodeURIComponent(noteId.href.slice(prefix.length)));
  if (n == null) throw new HttpError(404, `no note ${noteId.href}`);
  if (n.deleted) throw new HttpError(410, `note ${noteId.href} is deleted`);
  return n;
}

// ------------------------------------------------------------ HTTP server ---

function sendJson(res, status, value) {
  const text = JSON.stringify(value, null, 0);
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req, limit = 4 * 1024 * 1024) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, "request body too large");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function serveControl(req, res, url) {
  const handler = control[`${req.method} ${url.pathname}`];
  if (handler == null) {
    const known = Object.keys(control).join(", ");
    return sendJson(res, 404, { error: `no control endpoint ${req.method} ${url.pathname}; known: ${known}` });
  }
  const store = { logs: [] };
  await scope.run(store, async () => {
    let timer;
    try {
      const raw = await readBody(req);
      let body = {};
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw.toString("utf8"));
        } catch {
          throw new HttpError(400, "the request body is not JSON");
        }
        if (body == null || typeof body !== "object" || Array.isArray(body)) {
          throw new HttpError(400, "the request body must be a JSON object");
        }
      }
      const deadline = new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new HttpError(504, `${req.method} ${url.pathname} did not finish within ${CONTROL_TIMEOUT_MS} ms`)),
          CONTROL_TIMEOUT_MS,
        );
      });
      const result = await Promise.race([Promise.resolve(handler(body, url.searchParams)), deadline]);
      sendJson(res, 200, result);
    } catch (error) {
      const status = error instanceof HttpError ? error.status : 500;
      const message = error?.message ?? String(error);
      log(status >= 500 ? "error" : "warning", `${req.method} ${url.pathname}: ${status} ${message}`);
      if (!res.headersSent) {
        sendJson(res, status, { error: message, ...(error?.extra ?? {}), fedify_log: store.logs.slice(-40) });
      }
    } finally {
      clearTimeout(timer);
    }
  });
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function serveHtml(res, title, html) {
  const text = `<!doctype html><meta charset="utf-8"><title>${escapeHtml(title)}</title>\n${html}\n`;
  res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
  res.end(text);
}

async function serveHttp(req, res) {
  const url = new URL(req.url, base);
  if (url.pathname.startsWith("/control/")) return await serveControl(req, res, url);

  // Profile and note pages for people (the actor's and notes' `url`).
  if (req.method === "GET" && url.pathname === `/@${ACTOR}`) {
    return serveHtml(res, ACTOR_NAME, `<h1>${escapeHtml(ACTOR_NAME)}</h1><p>@${ACTOR}@${escapeHtml(url.host)}</p>`);
  }
  const notePage = url.pathname.match(new RegExp(`^/@${ACTOR}/([^/]+)$`));
  if (req.method === "GET" && notePage && notes.has(notePage[1]) && !notes.get(notePage[1]).deleted) {
    return serveHtml(res, `${ACTOR_NAME}: note`, String(notes.get(notePage[1]).note.content));
  }
  // A deleted note is gone: 410 with a Tombstone, as Mastodon answers.
  const noteDoc = url.pathname.match(new RegExp(`^/users/${ACTOR}/notes/([^/]+)$`));
  if (req.method === "GET" && noteDoc && notes.get(decodeURIComponent(noteDoc[1]))?.deleted) {
    const text = JSON.stringify({
      "@context": "https://www.w3.org/ns/activitystreams",
      id: url.href,
      type: "Tombstone",
    });
    res.writeHead(410, { "Content-Type": "application/activity+json" });
    return res.end(text);
  }

  if (federation == null) return sendJson(res, 503, { error: "starting" });
  const body = req.method === "GET" || req.method === "HEAD" ? null : await readBody(req);
  const headerList = [];
  const headers = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i];
    const value = req.rawHeaders[i + 1];
    headerList.push([name, value]);
    const lower = name.toLowerCase();
    headers[lower] = headers[lower] == null ? value : `${headers[lower]}, ${value}`;
  }
  const request = new Request(url, {
    method: req.method,
    headers: headerList,
    body: body == null || body.length === 0 ? undefined : body,
  });
  const isInboxPost = req.method === "POST" &&
    (url.pathname === "/inbox" || /^\/users\/[^/]+\/inbox$/.test(url.pathname));
  const store = {
    logs: [],
    path: url.pathname,
    url: url.href,
    headers,
    headerList,
    body: body == null ? null : body.toString("utf8"),
    recorded: null,
  };
  const response = await scope.run(store, () =>
    federation.fetch(request, {
      contextData: undefined,
      onNotFound: () => new Response("Not found.", { status: 404, headers: { "Content-Type": "text/plain" } }),
      onNotAcceptable: () =>
        new Response("Not acceptable: ask for application/activity+json or application/ld+json.", {
          status: 406,
          headers: { "Content-Type": "text/plain", Vary: "Accept" },
        }),
    })
  );
  const out = Buffer.from(await response.arrayBuffer());
  if (isInboxPost) {
    let activity = null;
    try {
      activity = JSON.parse(store.body);
    } catch {
      activity = null;
    }
    const entry = {
      seq: ++seq,
      at: new Date().toISOString(),
      path: url.pathname,
      status: response.status,
      response: short(out.toString("utf8"), 2000),
      activity_id: typeof activity?.id === "string" ? activity.id : null,
      activity_type: activity?.type ?? null,
      actor: typeof activity?.actor === "string" ? activity.actor : activity?.actor?.id ?? null,
      recorded: store.recorded,
      signature: headers.signature ?? null,
      digest: headers.digest ?? null,
      date: headers.date ?? null,
      content_type: headers["content-type"] ?? null,
      fedify_log: store.logs.slice(-40),
    };
    inboxRequests.push(entry);
    if (response.status >= 400) {
      log("warning", `refused ${entry.activity_type} ${entry.activity_id} at ${url.pathname}: ${response.status} ${entry.response}`);
      const why = entry.fedify_log.filter((l) => /^fedify\.(sig|federation\.inbox)\S* debug:/.test(l));
      for (const line of why.slice(-4)) {
        log("warning", `  ${short(line, 400)}`);
      }
    }
  }
  const outHeaders = {};
  response.headers.forEach((value, name) => {
    outHeaders[name] = value;
  });
  res.writeHead(response.status, outHeaders);
  res.end(out);
}

// ------------------------------------------------------------------- start ---

process.on("uncaughtException", (error) => log("error", `uncaught: ${error?.stack ?? error}`));
process.on("unhandledRejection", (error) => log("error", `unhandled rejection: ${error?.stack ?? error}`));
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => process.exit(0));

// RSASSA-PKCS1-v1_5 with SHA-256, 2048 bits.  (Fedify 1.5's
// generateCryptoKeyPair("RSASSA-PKCS1-v1_5") makes the same kind of key with
// 4096 bits, which is slower to make and to use; Fedify accepts either.)
keyPairs.push(
  await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  ),
);

const server = http.createServer((req, res) => {
  serveHttp(req, res).catch((error) => {
    log("error", `${req.method} ${req.url}: ${error?.stack ?? error}`);
    if (!res.headersSent) sendJson(res, 500, { error: String(error?.message ?? error) });
    else res.end();
  });
});
server.keepAliveTimeout = 1000;
server.listen(PORT, HOST, () => {
  const { port } = server.address();
  base = `http://${HOST.includes(":") ? `[${HOST}]` : HOST}:${port}`;
  federation = setupFederation();
  process.stdout.write(`${JSON.stringify({ base, actor: actorUri().href })}\n`);
  log("info", `listening on ${base}, actor ${actorUri().href}`);
});
server.on("error", (error) => {
  log("error", `cannot listen on ${HOST}:${PORT}: ${error?.message ?? error}`);
  process.exit(1);
});
