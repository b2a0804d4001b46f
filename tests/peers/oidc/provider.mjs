// A real OpenID Connect provider for Natter's tests: panva's `oidc-provider`
// (pinned in ../package.json), on loopback, with in-memory accounts and a
// small control API for tests that cannot run a browser.
//
//   OIDC_PEER_CONFIG='{"clients":[...],"accounts":{...}}' node tests/peers/oidc/provider.mjs
//   -> prints one line on stdout: {"issuer":"http://127.0.0.1:<port>"}
//
// Everything else (oidc-provider's notices included) goes to stderr.
// See README.md in this folder for the config, the routes and the control API.

import { createServer } from "node:http";
import { generateKeyPairSync, randomBytes } from "node:crypto";

// oidc-provider prints its NOTICEs with console.info, which writes to stdout;
// stdout must carry only the ready line, so send console.log/info to stderr.
// This has to happen before oidc-provider is loaded, hence the dynamic import.
console.log = console.error;
console.info = console.error;
const { default: Provider } = await import("oidc-provider");

const LOGIN_TIMEOUT_MS = 10_000;
const MAX_REDIRECTS = 20;

function log(...args) {
  console.error("[oidc-peer]", ...args);
}

function fail(message) {
  log(message);
  process.exit(2);
}

// ---------------------------------------------------------------------------
// configuration

function readConfig() {
  const raw = process.env.OIDC_PEER_CONFIG;
  if (!raw) fail("OIDC_PEER_CONFIG is not set (a JSON object with clients and accounts)");
  let config;
  try {
    config = JSON.parse(raw);
  } catch (err) {
    fail(`OIDC_PEER_CONFIG is not valid JSON: ${err.message}`);
  }
  if (!config || typeof config !== "object") fail("OIDC_PEER_CONFIG must be a JSON object");
  const { clients = [], accounts = {} } = config;
  if (!Array.isArray(clients) || clients.length === 0) {
    fail("OIDC_PEER_CONFIG.clients must be a non-empty array");
  }
  for (const c of clients) {
    if (!c || typeof c.client_id !== "string" || !c.client_id) fail("every client needs a client_id");
    if (typeof c.client_secret !== "string" || !c.client_secret) {
      fail(`client ${c.client_id} needs a client_secret`);
    }
    if (!Array.isArray(c.redirect_uris) || c.redirect_uris.length === 0) {
      fail(`client ${c.client_id} needs redirect_uris`);
    }
  }
  if (typeof accounts !== "object" || Array.isArray(accounts)) {
    fail("OIDC_PEER_CONFIG.accounts must be an object keyed by account id");
  }
  return { clients, accounts };
}

const { clients, accounts } = readConfig();

function knownAccount(id) {
  return typeof id === "string" && Object.hasOwn(accounts, id);
}

// A fresh RSA key for signing ID tokens, made at every start.
function signingJwk() {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = privateKey.export({ format: "jwk" });
  return { ...jwk, kid: `rsa-${randomBytes(6).toString("hex")}`, alg: "RS256", use: "sig" };
}

function providerConfig() {
  return {
    clients: clients.map((c) => ({
      application_type: "web",
      response_types: ["code"],
      grant_types: ["authorization_code"],
      token_endpoint_auth_method: "client_secret_basic",
      id_token_signed_response_alg: "RS256",
      ...c,
    })),
    // both are accepted for a client registered with either of them
    clientAuthMethods: ["client_secret_basic", "client_secret_post"],
    responseTypes: ["code"],
    pkce: { required: () => true },
    jwks: { keys: [signingJwk()] },
    enabledJWA: { idTokenSigningAlgValues: ["RS256"] },
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    scopes: ["openid", "profile", "email"],
    claims: {
      openid: ["sub"],
      profile: ["name", "preferred_username"],
      email: ["email", "email_verified"],
    },
    // Put the scope-requested claims (name, email, ...) in the ID token too,
    // not only at the userinfo endpoint: the relying party reads the ID token.
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: false },
    },
    interactions: {
      url: (ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
    },
    // A tiny error page instead of oidc-provider's default one; /control/drive
    // quotes its text when the flow stops on the provider with an error.
    async renderError(ctx, out) {
      ctx.type = "html";
      ctx.body = `<!doctype html>
<html><head><meta charset="utf-8"><title>Error</title></head>
<body><h1>Error</h1>
<p id="error">${escapeHtml(out.error)}${out.error_description ? `: ${escapeHtml(out.error_description)}` : ""}</p>
</body></html>
`;
    },
    async findAccount(ctx, sub) {
      if (!knownAccount(sub)) return undefined;
      return {
        accountId: sub,
        async claims() {
          return { preferred_username: sub, ...accounts[sub], sub };
        },
      };
    },
  };
}

// ---------------------------------------------------------------------------
// small http helpers

function readBody(req, limit = 64 * 1024) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size > limit) {
        reject(new Error("request body too large"));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function sendJson(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(text);
}

function sendHtml(res, status, html) {
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "content-length": Buffer.byteLength(html),
    "cache-control": "no-store",
  });
  res.end(html);
}

function sendText(res, status, text) {
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(text);
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
  })[c]);
}

// ---------------------------------------------------------------------------
// interactions (our own, not oidc-provider's devInteractions)

function loginPage(uid, clientId, error) {
  const action = `/interaction/${encodeURIComponent(uid)}/login`;
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Sign in</title></head>
<body>
<h1>Sign in to continue to ${escapeHtml(clientId)}</h1>
${error ? `<p id="login-error" role="alert">${escapeHtml(error)}</p>\n` : ""}<form method=post action="${action}">
<label for="login">Account</label> <input name="login" id="login" autocomplete="username" autofocus>
<button type=submit id="sign-in">Sign in</button>
</form>
</body></html>
`;
}

// A grant covering everything the authorization request asks for: the
// scope parameter, the claims parameter, and whatever the consent prompt
// reports missing.
async function grantEverything(provider, details, accountId) {
  const clientId = details.params.client_id;
  let grant;
  if (details.grantId) {
    grant = await provider.Grant.find(details.grantId);
    if (grant && (grant.accountId !== accountId || grant.clientId !== clientId)) grant = undefined;
  }
  grant ??= new provider.Grant({ accountId, clientId });

  if (typeof details.params.scope === "string" && details.params.scope) {
    grant.addOIDCScope(details.params.scope);
  }
  if (typeof details.params.claims === "string" && details.params.claims) {
    try {
      const requested = JSON.parse(details.params.claims);
      const names = new Set();
      for (const where of ["id_token", "userinfo"]) {
        if (requested?.[where] && typeof requested[where] === "object") {
          for (const name of Object.keys(requested[where])) names.add(name);
        }
      }
      if (names.size) grant.addOIDCClaims([...names]);
    } catch {
      // oidc-provider has already validated the claims parameter
    }
  }
  const missing = details.prompt?.details ?? {};
  if (missing.missingOIDCScope?.length) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
  if (missing.missingOIDCClaims?.length) grant.addOIDCClaims(missing.missingOIDCClaims);
  if (missing.missingResourceScopes) {
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes)) {
      grant.addResourceScope(indicator, scopes.join(" "));
    }
  }
  return grant.save();
}

async function interactionGet(provider, req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return sendText(res, 400, "interaction mismatch\n");
  const { prompt, session } = details;
  if (prompt.name === "consent" && session?.accountId) {
    // already signed in: consent is given without asking
    const grantId = await grantEverything(provider, details, session.accountId);
    log(`consent granted to ${details.params.client_id} for ${session.accountId}`);
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }
  if (prompt.name !== "login") return sendText(res, 400, `unsupported prompt ${prompt.name}\n`);
  return sendHtml(res, 200, loginPage(uid, details.params.client_id));
}

async function interactionLogin(provider, req, res, uid) {
  const form = new URLSearchParams(await readBody(req));
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return sendText(res, 400, "interaction mismatch\n");
  const login = (form.get("login") ?? "").trim();
  if (!knownAccount(login)) {
    log(`sign-in refused for unknown account ${JSON.stringify(login)}`);
    return sendHtml(res, 200, loginPage(uid, details.params.client_id, `Unknown account: ${login}`));
  }
  const grantId = await grantEverything(provider, details, login);
  log(`${login} signed in; consent granted to ${details.params.client_id}`);
  return provider.interactionFinished(
    req,
    res,
    { login: { accountId: login }, consent: { grantId } },
    { mergeWithLastSubmission: false },
  );
}

// ---------------------------------------------------------------------------
// control API: drive an authorization request like a browser would

class CookieJar {
  #cookies = new Map(); // `${name}\0${path}` -> { name, value, path }

  store(setCookies, requestUrl) {
    for (const line of setCookies) {
      const [pair, ...attrs] = line.split(";");
      const eq = pair.indexOf("=");
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let path;
      let expired = false;
      for (const attr of attrs) {
        const i = attr.indexOf("=");
        const key = (i === -1 ? attr : attr.slice(0, i)).trim().toLowerCase();
        const val = i === -1 ? "" : attr.slice(i + 1).trim();
        if (key === "path" && val.startsWith("/")) path = val;
        if (key === "max-age" && Number(val) <= 0) expired = true;
        if (key === "expires" && Date.parse(val) <= Date.now()) expired = true;
      }
      if (!path) {
        const p = requestUrl.pathname;
        path = p.lastIndexOf("/") > 0 ? p.slice(0, p.lastIndexOf("/")) : "/";
      }
      const key = `${name}\0${path}`;
      if (expired || value === "") this.#cookies.delete(key);
      else this.#cookies.set(key, { name, value, path });
    }
  }

  header(url) {
    const p = url.pathname;
    const matching = [...this.#cookies.values()]
      .filter(({ path }) => p === path || p.startsWith(path.endsWith("/") ? path : `${path}/`))
      .sort((a, b) => b.path.length - a.path.length);
    return matching.map(({ name, value }) => `${name}=${value}`).join("; ");
  }
}

function shortBody(text) {
  const t = text.replace(/<head>.*<\/head>/s, "").replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim()
    .replace(/&(lt|gt|quot|#39|amp);/g, (_, e) => ({ lt: "<", gt: ">", quot: '"', "#39": "'", amp: "&" })[e]);
  return t.length > 300 ? `${t.slice(0, 300)}…` : t;
}

// Named cookie jars, for drives that should share a browser session.
const jars = new Map();

async function drive(issuer, { url, login, nonce, jar: jarName }) {
  if (typeof url !== "string" || !url) throw new Error("url is required");
  if (login !== undefined && (typeof login !== "string" || !login)) {
    throw new Error("login must be a non-empty string");
  }
  if (nonce !== undefined && typeof nonce !== "string") throw new Error("nonce must be a string");
  if (jarName !== undefined && (typeof jarName !== "string" || !jarName)) {
    throw new Error("jar must be a non-empty string");
  }
  const origin = new URL(issuer).origin;
  let next = new URL(url);
  if (next.origin !== origin) throw new Error(`url is not on this provider (${origin})`);
  if (nonce !== undefined) next.searchParams.set("nonce", nonce);

  let jar = new CookieJar();
  if (jarName !== undefined) {
    if (!jars.has(jarName)) jars.set(jarName, jar);
    jar = jars.get(jarName);
  }
  const deadline = AbortSignal.timeout(LOGIN_TIMEOUT_MS);
  let method = "GET";
  let body;
  let postedLogin = false;

  for (let hop = 0; hop < MAX_REDIRECTS; hop += 1) {
    const headers = { accept: "text/html" };
    const cookie = jar.header(next);
    if (cookie) headers.cookie = cookie;
    if (body !== undefined) headers["content-type"] = "application/x-www-form-urlencoded";
    const res = await fetch(next, { method, headers, body, redirect: "manual", signal: deadline });
    jar.store(res.headers.getSetCookie(), next);

    if (res.status >= 300 && res.status < 400) {
      await res.arrayBuffer();
      const location = res.headers.get("location");
      if (!location) throw new Error(`${res.status} from ${next.pathname} without a Location`);
      const target = new URL(location, next);
      if (target.origin !== origin) return target.href; // back to the relying party
      if (res.status === 307 || res.status === 308) {
        // keep method and body
      } else {
        method = "GET";
        body = undefined;
      }
      next = target;
      continue;
    }

    const text = await res.text();
    const onInteraction = /^\/interaction\/[^/]+$/.test(next.pathname);
    if (res.status === 200 && onInteraction && !postedLogin && text.includes('id="login"')) {
      if (login === undefined) throw new Error("the sign-in form was shown but no login was given");
      next = new URL(`${next.pathname}/login`, next);
      method = "POST";
      body = new URLSearchParams({ login }).toString();
      postedLogin = true;
      continue;
    }
    if (res.status === 200 && postedLogin && text.includes('id="login-error"')) {
      throw new Error(`sign-in refused for ${JSON.stringify(login)} (unknown account)`);
    }
    throw new Error(`unexpected ${res.status} from ${method} ${next.pathname}: ${shortBody(text)}`);
  }
  throw new Error(`more than ${MAX_REDIRECTS} redirects`);
}

async function controlDrive(issuer, req, res) {
  let input;
  try {
    input = JSON.parse(await readBody(req));
  } catch {
    return sendJson(res, 400, { error: "body must be JSON: {url, login, nonce?, jar?}" });
  }
  try {
    const location = await drive(issuer, input ?? {});
    log(`drive${input.login ? ` for ${input.login}` : ""} ended at ${location}`);
    return sendJson(res, 200, { location });
  } catch (err) {
    log(`drive failed: ${err.message}`);
    return sendJson(res, 400, { error: err.message });
  }
}

// ---------------------------------------------------------------------------
// server

let provider;
let issuer;
let providerCallback;

async function route(req, res) {
  const url = new URL(req.url, issuer);
  const { pathname } = url;

  if (pathname.startsWith("/control/")) {
    if (pathname === "/control/drive" && req.method === "POST") return controlDrive(issuer, req, res);
    return sendJson(res, 404, { error: `no control route ${req.method} ${pathname}` });
  }

  if (pathname.startsWith("/interaction/")) {
    const m = /^\/interaction\/([^/]+)(\/login)?$/.exec(pathname);
    if (m && !m[2] && req.method === "GET") return interactionGet(provider, req, res, m[1]);
    if (m && m[2] && req.method === "POST") return interactionLogin(provider, req, res, m[1]);
    return sendText(res, 404, "not found\n");
  }

  return providerCallback(req, res);
}

const server = createServer((req, res) => {
  route(req, res).catch((err) => {
    log(`${req.method} ${req.url} failed: ${err.name}: ${err.message}`);
    if (res.headersSent) {
      res.destroy();
    } else if (req.url.startsWith("/control/")) {
      sendJson(res, 500, { error: err.message });
    } else {
      const status = err.name === "SessionNotFound" ? 400 : 500;
      sendText(res, status, `${err.name}: ${err.message}\n`);
    }
  });
});

await new Promise((resolve, reject) => {
  server.once("error", reject);
  server.listen(0, "127.0.0.1", resolve);
});

issuer = `http://127.0.0.1:${server.address().port}`;
provider = new Provider(issuer, providerConfig());
providerCallback = provider.callback();

for (const event of ["server_error", "authorization.error", "grant.error", "interaction.error"]) {
  provider.on(event, (_ctx, err) => log(`${event}: ${err.name}: ${err.message}${err.error_description ? ` (${err.error_description})` : ""}`));
}

function shutdown(signal) {
  log(`${signal}: shutting down`);
  server.close();
  server.closeAllConnections();
  process.exit(0);
}
process.on("SIGTERM", () => shutdown("SIGTERM"));
process.on("SIGINT", () => shutdown("SIGINT"));

log(`listening; ${clients.length} client(s), accounts: ${Object.keys(accounts).join(", ") || "(none)"}`);
process.stdout.write(`${JSON.stringify({ issuer })}\n`);
