// Self-test of peer.mjs: starts two peers (alice and bob) on loopback over http
// and drives them through the control API against each other: WebFinger +
// follow/accept, notes and replies with each visibility, like, announce, undo,
// edit, delete, resend (duplicate), unfollow, and refused unsigned or badly
// signed inbox POSTs.  Exits non-zero if any check fails.
//
//   node tests/peers/fedify/selftest.mjs

import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { signRequest } from "@fedify/fedify";

const PEER = fileURLToPath(new URL("./peer.mjs", import.meta.url));
const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";
const children = [];
let passed = 0;
let failed = 0;

function check(ok, what, detail) {
  if (ok) {
    passed++;
    process.stdout.write(`ok   ${what}\n`);
  } else {
    failed++;
    process.stdout.write(`FAIL ${what}${detail === undefined ? "" : `\n     ${JSON.stringify(detail)}`}\n`);
  }
  return ok;
}

function startPeer(actor) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PEER], {
      env: { ...process.env, PORT: "0", ACTOR: actor, LOG_LEVEL: process.env.LOG_LEVEL ?? "warning" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(child);
    const timer = setTimeout(() => reject(new Error(`peer ${actor} did not start within 20 s`)), 20000);
    child.on("exit", (code) => reject(new Error(`peer ${actor} exited with ${code}`)));
    createInterface({ input: child.stdout }).once("line", (line) => {
      clearTimeout(timer);
      resolve({ name: actor, ...JSON.parse(line) });
    });
  });
}

async function call(peer, method, path, body) {
  const res = await fetch(`${peer.base}${path}`, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

async function ok(peer, method, path, body) {
  const r = await call(peer, method, path, body);
  if (r.status !== 200) throw new Error(`${peer.name} ${method} ${path} -> ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

// Waits for `peer` to have received an activity matching `pred`.
async function waitReceived(peer, pred, what, ms = 8000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const list = await ok(peer, "GET", "/control/received");
    const hit = list.find(pred);
    if (hit) return hit;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${peer.name} did not receive ${what} within ${ms} ms`);
}

async function getAs(url) {
  const res = await fetch(url, { headers: { Accept: "application/activity+json" } });
  return { status: res.status, json: await res.json().catch(() => null) };
}

async function main() {
  const [alice, bob] = await Promise.all([startPeer("alice"), startPeer("bob")]);
  check(alice.actor === `${alice.base}/users/alice` && bob.actor === `${bob.base}/users/bob`, "both peers print their base and actor");

  // --- follow through WebFinger (http URL as the resource) -----------------
  const follow = await ok(alice, "POST", "/control/follow", { target: bob.actor });
  check(typeof follow.follow_id === "string" && follow.actor === bob.actor, "alice follows bob", follow);
  check(follow.webfinger?.resource === bob.actor && follow.webfinger?.self === bob.actor, "the follow went through WebFinger", follow.webfinger);
  const sent = await ok(alice, "GET", "/control/sent");
  const wf = sent.find((e) => e.method === "GET" && e.url.startsWith(`${bob.base}/.well-known/webfinger?`));
  check(
    wf != null && new URL(wf.url).searchParams.get("resource") === bob.actor && wf.accept === "application/jrd+json" && wf.status === 200,
    "alice asked bob's /.well-known/webfinger?resource=<actor URL> with Accept: application/jrd+json",
    wf,
  );
  const post = sent.find((e) => e.method === "POST" && e.activity_id === follow.follow_id);
  check(
    post != null && post.url === `${bob.base}/users/bob/inbox` && post.signed && post.digest?.startsWith("SHA-256=") &&
      post.content_type === "application/activity+json" && post.status === 202,
    "the Follow was POSTed to bob's inbox, signed, with a Digest, and got 202",
    post,
  );
  const gotFollow = await waitReceived(bob, (r) => r.type === "Follow" && r.id === follow.follow_id, "the Follow");
  check(gotFollow.actor === alice.actor && gotFollow.object_id === bob.actor, "bob received alice's Follow", gotFollow);
  check(
    gotFollow.verified && gotFollow.http_signature.present && gotFollow.http_signature.verified &&
      gotFollow.http_signature.key_id === `${alice.actor}#main-key` &&
      ["(request-target)", "date", "digest", "host"].every((h) => gotFollow.http_signature.headers.includes(h)),
    "bob verified alice's draft-cavage HTTP Signature (keyId #main-key; (request-target), date, digest, host signed)",
    gotFollow.http_signature,
  );
  const following = await ok(alice, "GET", `/control/following?target=${encodeURIComponent(bob.actor)}&wait_ms=5000`);
  check(following.accepted && following.follows[0].follow_id === follow.follow_id, "bob accepted alice's Follow", following);
  const bobFollowers = await ok(bob, "GET", "/control/followers");
  check(bobFollowers.length === 1 && bobFollowers[0].id === alice.actor, "alice is bob's follower", bobFollowers);

  // --- follow by handle (acct: over http) ---------------------------------
  const aliceHandle = `alice@${new URL(alice.base).host}`;
  const follow2 = await ok(bob, "POST", "/control/follow", { target: aliceHandle });
  check(follow2.webfinger?.resource === `acct:${aliceHandle}` && follow2.actor === alice.actor, "bob follows alice by her handle", follow2);

  // --- a note of bob's, and alice's reply to it ------------------------------
  const bobNote = await ok(bob, "POST", "/control/reply", {
    content: "<p>Hello from bob</p>",
    visibility: "public",
    to_actor: alice.actor,
  });
  const gotNote = await waitReceived(alice, (r) => r.type === "Create" && r.id === bobNote.activity_id, "bob's note");
  check(gotNote.object?.id === bobNote.note_id && gotNote.object?.content === "<p>Hello from bob</p>", "alice received bob's note", gotNote.object);
  const served = await getAs(bobNote.note_id);
  check(served.status === 200 && served.json?.type === "Note" && served.json?.attributedTo === bob.actor, "bob serves his note at its id", served);

  const reply = await ok(alice, "POST", "/control/reply", {
    in_reply_to: bobNote.note_id,
    content: "<p>Hi <span class=\"h-card\"><a href=\"#\">@bob</a></span>!</p>",
    visibility: "public",
  });
  check(typeof reply.note_id === "string" && typeof reply.activity_id === "string", "alice replies to bob's note", reply);
  const gotReply = await waitReceived(bob, (r) => r.type === "Create" && r.id === reply.activity_id, "alice's reply");
  check(
    gotReply.object?.inReplyTo === bobNote.note_id && gotReply.object?.attributedTo === alice.actor &&
      gotReply.object?.content.includes("Hi") && gotReply.http_signature.verified,
    "bob received the reply with inReplyTo, attributedTo, content",
    gotReply.object,
  );
  check(
    gotReply.to.includes(PUBLIC) && gotReply.cc.includes(`${alice.actor}/followers`) && gotReply.cc.includes(bob.actor) &&
      gotReply.object.tag.some((t) => t.type === "Mention" && t.href === bob.actor && t.name === `@bob@${new URL(bob.base).host}`),
    "public: to Public, cc followers + the mentioned author, with a Mention tag",
    { to: gotReply.to, cc: gotReply.cc, tag: gotReply.object.tag },
  );
  check(gotReply.ld_signature === true, "Fedify also put a Linked Data Signature in the body", gotReply.raw?.signature?.type);
  const servedReply = await getAs(reply.note_id);
  check(servedReply.status === 200 && servedReply.json?.inReplyTo === bobNote.note_id, "alice serves her reply at its id", servedReply);

  for (const [visibility, test] of [
    ["unlisted", (r) => r.to.includes(`${alice.actor}/followers`) && r.cc.includes(PUBLIC) && !r.to.includes(PUBLIC)],
    ["followers", (r) => r.to.includes(`${alice.actor}/followers`) && !r.to.includes(PUBLIC) && !r.cc.includes(PUBLIC)],
    ["direct", (r) => r.to.length === 1 && r.to[0] === bob.actor && r.cc.length === 0],
  ]) {
    const v = await ok(alice, "POST", "/control/reply", { in_reply_to: bobNote.note_id, content: `<p>${visibility}</p>`, visibility });
    const got = await waitReceived(bob, (r) => r.id === v.activity_id, `the ${visibility} reply`);
    check(test(got) && test(got.object), `${visibility}: addressed as it should be`, { to: got.to, cc: got.cc });
  }

  // --- like, announce, undo ---------------------------------------------------
  const like = await ok(alice, "POST", "/control/like", { object: bobNote.note_id });
  const gotLike = await waitReceived(bob, (r) => r.type === "Like" && r.id === like.activity_id, "the Like");
  check(gotLike.object_id === bobNote.note_id && gotLike.actor === alice.actor, "bob received the Like", gotLike);
  const shared = await ok(alice, "POST", "/control/like", { object: bobNote.note_id, shared_inbox: true });
  check(shared.inbox === `${bob.base}/inbox`, "a delivery can go to the shared inbox", shared);
  const polled = await ok(bob, "GET", `/control/received?type=Like&since=${gotLike.seq}&wait_ms=5000`);
  check(polled.length === 1 && polled[0].id === shared.activity_id && polled[0].shared_inbox, "bob got it at /inbox (long-polled /control/received)", polled);
  const announce = await ok(alice, "POST", "/control/announce", { object: bobNote.note_id });
  const gotAnnounce = await waitReceived(bob, (r) => r.type === "Announce" && r.id === announce.activity_id, "the Announce");
  check(gotAnnounce.object_id === bobNote.note_id && gotAnnounce.to.includes(PUBLIC), "bob received the Announce", gotAnnounce);
  const undoLike = await ok(alice, "POST", "/control/undo", { activity_id: like.activity_id });
  const gotUndo = await waitReceived(bob, (r) => r.type === "Undo" && r.id === undoLike.activity_id, "the Undo");
  check(gotUndo.object?.type === "Like" && gotUndo.object?.id === like.activity_id, "bob received Undo{Like}", gotUndo.object);

  // --- edit -------------------------------------------------------------------
  const edit = await ok(alice, "POST", "/control/edit", { note_id: reply.note_id, content: "<p>Edited</p>" });
  const gotEdit = await waitReceived(bob, (r) => r.type === "Update" && r.id === edit.activity_id, "the Update");
  check(
    gotEdit.object?.id === reply.note_id && gotEdit.object?.content === "<p>Edited</p>" && gotEdit.object?.updated != null &&
      gotEdit.object?.inReplyTo === bobNote.note_id,
    "bob received Update{Note} with the new content",
    gotEdit.object,
  );
  check((await getAs(reply.note_id)).json?.content === "<p>Edited</p>", "alice serves the edited note");

  // --- resend (a duplicate delivery) ----------------------------------------
  const before = (await ok(bob, "GET", "/control/received")).filter((r) => r.id === reply.activity_id).length;
  const resend = await ok(alice, "POST", "/control/resend", { activity_id: reply.activity_id });
  check(resend.deliveries.length === 1 && resend.deliveries[0].status === 202, "alice resent the same Create", resend);
  const aliceSent = (await ok(alice, "GET", "/control/sent")).filter((e) => e.method === "POST" && e.activity_id === reply.activity_id);
  check(aliceSent.length === 2 && aliceSent[0].digest === aliceSent[1].digest && aliceSent[1].signed, "the resent body is byte for byte the first (same Digest), signed afresh", aliceSent.map((e) => e.digest));
  const bobInbox = (await ok(bob, "GET", "/control/inbox_requests")).filter((e) => e.activity_id === reply.activity_id);
  const after = (await ok(bob, "GET", "/control/received")).filter((r) => r.id === reply.activity_id).length;
  check(
    bobInbox.length === 2 && bobInbox[1].status === 202 && /already been processed/.test(bobInbox[1].response) && before === 1 && after === 1,
    "bob's Fedify took the duplicate (202, already processed) and did not hand it on twice",
    bobInbox.map((e) => [e.status, e.response]),
  );

  // --- delete -----------------------------------------------------------------
  const del = await ok(alice, "POST", "/control/delete", { note_id: reply.note_id });
  const gotDel = await waitReceived(bob, (r) => r.type === "Delete" && r.id === del.activity_id, "the Delete");
  check(gotDel.object?.type === "Tombstone" && gotDel.object?.id === reply.note_id, "bob received Delete{Tombstone}", gotDel.object);
  check((await getAs(reply.note_id)).status === 410, "the deleted note answers 410");
  check((await call(alice, "POST", "/control/edit", { note_id: reply.note_id, content: "x" })).status === 410, "editing a deleted note is refused");

  // --- refused deliveries -----------------------------------------------------
  const fake = {
    "@context": "https://www.w3.org/ns/activitystreams",
    id: `${alice.actor}/activities/forged`,
    type: "Like",
    actor: alice.actor,
    object: bobNote.note_id,
  };
  const unsigned = await fetch(`${bob.base}/users/bob/inbox`, {
    method: "POST",
    headers: { "Content-Type": "application/activity+json" },
    body: JSON.stringify(fake),
  });
  check(unsigned.status === 401, "bob refuses an unsigned POST (401)", unsigned.status);
  // Signed with a key that is not alice's, under alice's keyId.
  const wrongKey = await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  );
  const forged = await signRequest(
    new Request(`${bob.base}/users/bob/inbox`, {
      method: "POST",
      headers: { "Content-Type": "application/activity+json" },
      body: JSON.stringify({ ...fake, id: `${alice.actor}/activities/forged2` }),
    }),
    wrongKey.privateKey,
    new URL(`${alice.actor}#main-key`),
  );
  const forgedRes = await fetch(forged);
  check(forgedRes.status === 401, "bob refuses a POST signed with the wrong key (401)", forgedRes.status);
  const refused = (await ok(bob, "GET", "/control/inbox_requests")).filter((e) => e.status === 401);
  check(
    refused.length === 2 && refused[0].fedify_log.some((l) => /no Date header/.test(l)) &&
      refused[1].fedify_log.some((l) => /Failed to verify with the fetched key/.test(l)),
    "bob's /control/inbox_requests says why each was refused",
    refused.map((e) => e.fedify_log.filter((l) => /sig/.test(l))),
  );
  const forgedSeen = (await ok(bob, "GET", "/control/received")).filter((r) => /forged/.test(r.id ?? ""));
  check(forgedSeen.length === 0, "neither refused activity was recorded as received");

  // --- unfollow, errors -------------------------------------------------------
  const unfollow = await ok(alice, "POST", "/control/unfollow", { target: bob.actor });
  const gotUnfollow = await waitReceived(bob, (r) => r.type === "Undo" && r.id === unfollow.activity_id, "Undo{Follow}");
  check(gotUnfollow.object?.type === "Follow" && gotUnfollow.object?.id === follow.follow_id, "bob received Undo{Follow}", gotUnfollow.object);
  check((await ok(bob, "GET", "/control/followers")).length === 0, "alice is no longer bob's follower");
  check((await ok(alice, "GET", "/control/following")).follows[0].state === "undone", "alice's follow is undone");

  const bad = await call(alice, "POST", "/control/follow", { target: `${bob.base}/users/nobody` });
  check(bad.status === 502 && typeof bad.json.error === "string", "following an unknown actor answers 502 with an error", bad);
  const dead = await call(alice, "POST", "/control/like", { object: "http://127.0.0.1:9/x", to_inbox: "http://127.0.0.1:9/inbox" });
  check(dead.status === 502 && /delivery .* failed/.test(dead.json.error), "a failed delivery answers 502 with the reason", dead);
  check((await call(alice, "POST", "/control/reply", {})).status === 400, "a bad control request answers 400");
  check((await call(alice, "GET", "/control/nothing")).status === 404, "an unknown control endpoint answers 404");
  check((await call(alice, "GET", "/control/info")).status === 200, "alice still answers after all that");
}

let code = 0;
try {
  await main();
} catch (error) {
  failed++;
  process.stdout.write(`FAIL ${error?.stack ?? error}\n`);
}
for (const child of children) child.kill("SIGTERM");
process.stdout.write(`selftest: ${passed} passed, ${failed} failed\n`);
if (failed > 0) code = 1;
process.exit(code);
