// Self-test for provider.mjs: starts it, then acts as a relying party with
// plain fetch (discovery, authorization code + PKCE via /control/drive, token
// exchange, ID token checks). Exits non-zero on failure.
//
//   node tests/peers/oidc/selftest.mjs

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, createPublicKey, randomBytes, verify } from "node:crypto";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const CLIENT_ID = "natter";
const CLIENT_SECRET = "s3cret-s3cret-s3cret";
const REDIRECT_URI = "http://localhost:1234/auth/oidc/peer/callback";
const CONFIG = {
  clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [REDIRECT_URI] }],
  accounts: {
    alice: { name: "Alice Example", email: "alice@example.test", email_verified: true },
    bob: { name: "Bob Example", email: "bob@example.test", email_verified: false },
  },
};

let passed = 0;
function check(what, fn) {
  fn();
  passed += 1;
  console.error(`ok ${passed} - ${what}`);
}

const b64url = (buf) => Buffer.from(buf).toString("base64url");
const random = () => b64url(randomBytes(32));

function startProvider() {
  const child = spawn(process.execPath, [fileURLToPath(new URL("./provider.mjs", import.meta.url))], {
    env: { ...process.env, OIDC_PEER_CONFIG: JSON.stringify(CONFIG) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const started = Date.now();
  const ready = new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    const timer = setTimeout(() => reject(new Error("provider did not start within 15 s")), 15_000);
    lines.once("line", (line) => {
      clearTimeout(timer);
      try {
        resolve({ ...JSON.parse(line), startupMs: Date.now() - started });
      } catch {
        reject(new Error(`bad ready line: ${line}`));
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`provider exited early (code ${code}, signal ${signal})`));
    });
  });
  return { child, ready };
}

async function json(res) {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`expected JSON, got ${res.status}: ${text.slice(0, 200)}`);
  }
}

function decodeJwt(jwt) {
  const parts = jwt.split(".");
  assert.equal(parts.length, 3, "a JWS in compact form");
  const [h, p, s] = parts;
  return {
    header: JSON.parse(Buffer.from(h, "base64url")),
    payload: JSON.parse(Buffer.from(p, "base64url")),
    signingInput: Buffer.from(`${h}.${p}`),
    signature: Buffer.from(s, "base64url"),
  };
}

async function main() {
  const { child, ready } = startProvider();
  try {
    const { issuer, startupMs } = await ready;
    console.error(`provider ready at ${issuer} after ${startupMs} ms`);
    check("issuer is http://127.0.0.1:<port> without a trailing slash", () => {
      assert.match(issuer, /^http:\/\/127\.0\.0\.1:\d+$/);
    });

    // --- discovery
    const discovery = await json(await fetch(`${issuer}/.well-known/openid-configuration`));
    check("discovery: issuer, endpoints, S256", () => {
      assert.equal(discovery.issuer, issuer);
      for (const k of ["authorization_endpoint", "token_endpoint", "jwks_uri"]) {
        assert.ok(discovery[k]?.startsWith(`${issuer}/`), `${k} present`);
      }
      assert.ok(discovery.code_challenge_methods_supported.includes("S256"));
      assert.ok(discovery.response_types_supported.includes("code"));
      assert.ok(discovery.id_token_signing_alg_values_supported.includes("RS256"));
      assert.ok(discovery.token_endpoint_auth_methods_supported.includes("client_secret_basic"));
      for (const s of ["openid", "profile", "email"]) assert.ok(discovery.scopes_supported.includes(s));
    });
    const jwks = await json(await fetch(discovery.jwks_uri));
    check("JWKS has an RSA signing key and no private parts", () => {
      assert.ok(jwks.keys.length >= 1);
      for (const k of jwks.keys) {
        assert.equal(k.kty, "RSA");
        assert.ok(k.kid);
        assert.equal(k.d, undefined);
      }
    });

    // --- relying party helpers
    function authorizationRequest({ nonce = random(), scope = "openid profile email" } = {}) {
      const state = random();
      const verifier = random();
      const challenge = b64url(createHash("sha256").update(verifier).digest());
      const url = new URL(discovery.authorization_endpoint);
      url.search = new URLSearchParams({
        response_type: "code",
        client_id: CLIENT_ID,
        redirect_uri: REDIRECT_URI,
        scope,
        state,
        nonce,
        code_challenge: challenge,
        code_challenge_method: "S256",
      }).toString();
      return { url: url.href, state, nonce, verifier };
    }

    async function driveTo(body) {
      const res = await fetch(`${issuer}/control/drive`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: await json(res) };
    }

    async function authorize(req, login, extra = {}) {
      const { status, body } = await driveTo({ url: req.url, login, ...extra });
      assert.equal(status, 200, `drive answered ${status}: ${JSON.stringify(body)}`);
      return new URL(body.location);
    }

    function exchange(code, verifier, { auth = "basic" } = {}) {
      const form = new URLSearchParams({
        grant_type: "authorization_code",
        code,
        redirect_uri: REDIRECT_URI,
        code_verifier: verifier,
      });
      const headers = { "content-type": "application/x-www-form-urlencoded", accept: "application/json" };
      if (auth === "basic") {
        const enc = encodeURIComponent;
        headers.authorization = `Basic ${Buffer.from(`${enc(CLIENT_ID)}:${enc(CLIENT_SECRET)}`).toString("base64")}`;
      } else {
        form.set("client_id", CLIENT_ID);
        form.set("client_secret", CLIENT_SECRET);
      }
      return fetch(discovery.token_endpoint, { method: "POST", headers, body: form });
    }

    function checkIdToken(idToken, { nonce, sub, name }) {
      const { header, payload, signingInput, signature } = decodeJwt(idToken);
      assert.equal(header.alg, "RS256");
      assert.ok(header.kid, "kid in header");
      const jwk = jwks.keys.find((k) => k.kid === header.kid);
      assert.ok(jwk, "kid is in the JWKS");
      const key = createPublicKey({ key: jwk, format: "jwk" });
      assert.ok(verify("sha256", signingInput, key, signature), "RS256 signature verifies");
      assert.equal(payload.iss, issuer);
      assert.ok(payload.aud === CLIENT_ID || (Array.isArray(payload.aud) && payload.aud.includes(CLIENT_ID)));
      assert.equal(payload.nonce, nonce);
      assert.ok(payload.exp > Date.now() / 1000, "exp in the future");
      assert.ok(payload.iat <= Date.now() / 1000 + 5, "iat not in the future");
      assert.equal(payload.sub, sub);
      assert.equal(payload.name, name);
      assert.equal(payload.preferred_username, sub);
      return payload;
    }

    // --- first flow: alice, client_secret_basic
    const req1 = authorizationRequest();
    const loc1 = await authorize(req1, "alice");
    const code1 = loc1.searchParams.get("code");
    check("drive lands on the redirect_uri with the state and a code", () => {
      assert.equal(`${loc1.origin}${loc1.pathname}`, REDIRECT_URI);
      assert.equal(loc1.searchParams.get("state"), req1.state);
      assert.ok(code1);
      assert.equal(loc1.searchParams.get("error"), null);
      assert.equal(loc1.searchParams.get("iss"), issuer);
    });

    const tokRes1 = await exchange(code1, req1.verifier);
    const tok1 = await json(tokRes1);
    check("token endpoint (client_secret_basic + code_verifier) answers 200", () => {
      assert.equal(tokRes1.status, 200, JSON.stringify(tok1));
      assert.equal(tok1.token_type, "Bearer");
      assert.ok(tok1.access_token);
      assert.ok(tok1.id_token);
    });
    check("ID token: RS256 signature, iss, aud, nonce, exp, sub, name, email", () => {
      const claims = checkIdToken(tok1.id_token, { nonce: req1.nonce, sub: "alice", name: "Alice Example" });
      assert.equal(claims.email, "alice@example.test");
      assert.equal(claims.email_verified, true);
    });

    const replay = await exchange(code1, req1.verifier);
    const replayBody = await json(replay);
    check("a code can't be used twice (400 invalid_grant)", () => {
      assert.equal(replay.status, 400);
      assert.equal(replayBody.error, "invalid_grant");
    });

    // --- second flow for the same login, wrong code_verifier
    const req2 = authorizationRequest();
    const loc2 = await authorize(req2, "alice");
    const code2 = loc2.searchParams.get("code");
    check("a second drive for the same login works", () => {
      assert.equal(loc2.searchParams.get("state"), req2.state);
      assert.ok(code2);
      assert.notEqual(code2, code1);
    });
    const wrongVerifier = await exchange(code2, random());
    const wrongBody = await json(wrongVerifier);
    check("a wrong code_verifier is refused (400 invalid_grant)", () => {
      assert.equal(wrongVerifier.status, 400);
      assert.equal(wrongBody.error, "invalid_grant");
    });

    // --- nonce override, client_secret_post, another account
    const req3 = authorizationRequest();
    const otherNonce = random();
    const loc3 = await authorize(req3, "bob", { nonce: otherNonce });
    const tokRes3 = await exchange(loc3.searchParams.get("code"), req3.verifier, { auth: "post" });
    const tok3 = await json(tokRes3);
    check("nonce override puts the other nonce in the ID token (client_secret_post)", () => {
      assert.equal(tokRes3.status, 200, JSON.stringify(tok3));
      const claims = checkIdToken(tok3.id_token, { nonce: otherNonce, sub: "bob", name: "Bob Example" });
      assert.notEqual(claims.nonce, req3.nonce);
      assert.equal(claims.email_verified, false);
    });

    // --- openid only: no profile claims
    const req4 = authorizationRequest({ scope: "openid" });
    const loc4 = await authorize(req4, "alice");
    const tok4 = await json(await exchange(loc4.searchParams.get("code"), req4.verifier));
    check("scope openid only: sub but no name/email in the ID token", () => {
      const { payload } = decodeJwt(tok4.id_token);
      assert.equal(payload.sub, "alice");
      assert.equal(payload.name, undefined);
      assert.equal(payload.email, undefined);
    });

    // --- a shared browser session (jar): login once, then consent-only, then nothing
    const req5 = authorizationRequest({ scope: "openid" });
    const loc5 = await authorize(req5, "alice", { jar: "browser-1" });
    const req6 = authorizationRequest();
    const drive6 = await driveTo({ url: req6.url, jar: "browser-1" });
    check("same jar, more scopes: no sign-in form, consent granted by itself", () => {
      assert.ok(loc5.searchParams.get("code"));
      assert.equal(drive6.status, 200, JSON.stringify(drive6.body));
      assert.equal(new URL(drive6.body.location).searchParams.get("state"), req6.state);
    });
    const tok6 = await json(await exchange(new URL(drive6.body.location).searchParams.get("code"), req6.verifier));
    check("the consent-only flow's ID token has the new claims", () => {
      checkIdToken(tok6.id_token, { nonce: req6.nonce, sub: "alice", name: "Alice Example" });
    });
    const req7 = authorizationRequest();
    const drive7 = await driveTo({ url: req7.url, jar: "browser-1" });
    const noSession = await driveTo({ url: authorizationRequest().url, jar: "browser-2" });
    check("same jar, same scopes: straight back; a new jar without login fails", () => {
      assert.equal(drive7.status, 200, JSON.stringify(drive7.body));
      assert.ok(new URL(drive7.body.location).searchParams.get("code"));
      assert.equal(noSession.status, 400);
      assert.match(noSession.body.error, /no login/);
    });

    // --- failures
    const unknown = await driveTo({ url: authorizationRequest().url, login: "mallory" });
    check("unknown login: drive answers 400 with an error", () => {
      assert.equal(unknown.status, 400);
      assert.match(unknown.body.error, /mallory/);
    });
    const foreign = await driveTo({ url: "http://example.test/auth?x=1", login: "alice" });
    check("drive refuses URLs not on the provider", () => {
      assert.equal(foreign.status, 400);
      assert.ok(foreign.body.error);
    });
    const noPkce = new URL(authorizationRequest().url);
    noPkce.searchParams.delete("code_challenge");
    noPkce.searchParams.delete("code_challenge_method");
    const noPkceRes = await driveTo({ url: noPkce.href, login: "alice" });
    check("PKCE is required (error redirected to the client)", () => {
      assert.equal(noPkceRes.status, 200);
      const loc = new URL(noPkceRes.body.location);
      assert.equal(loc.searchParams.get("error"), "invalid_request");
      assert.equal(loc.searchParams.get("code"), null);
    });
    const badRedirect = new URL(authorizationRequest().url);
    badRedirect.searchParams.set("redirect_uri", "http://localhost:1234/elsewhere");
    const badRedirectRes = await driveTo({ url: badRedirect.href, login: "alice" });
    check("an unregistered redirect_uri is not followed", () => {
      assert.equal(badRedirectRes.status, 400);
      assert.match(badRedirectRes.body.error, /invalid_redirect_uri/);
    });

    // --- interaction page as a browser sees it
    const page = await fetch(authorizationRequest().url, { redirect: "manual" });
    check("the authorization endpoint redirects to /interaction/<uid>", () => {
      assert.equal(page.status, 303);
      assert.match(page.headers.get("location"), /^\/interaction\/[^/]+$/);
    });
    const cookies = page.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
    const form = await fetch(new URL(page.headers.get("location"), issuer), { headers: { cookie: cookies } });
    const html = await form.text();
    check("the login form has #login and #sign-in", () => {
      assert.equal(form.status, 200);
      assert.match(html, /<form method=post action="\/interaction\/[^"/]+\/login">/);
      assert.match(html, /<input name="login" id="login"/);
      assert.match(html, /<button type=submit id="sign-in">Sign in<\/button>/);
    });

    const control404 = await fetch(`${issuer}/control/nope`);
    check("unknown control routes answer 404", () => assert.equal(control404.status, 404));

    console.log(`oidc selftest: ${passed} checks passed`);
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await once(child, "exit");
      clearTimeout(timer);
    }
  }
}

main().catch((err) => {
  console.error(`oidc selftest FAILED after ${passed} checks passed:`, err);
  process.exitCode = 1;
});
