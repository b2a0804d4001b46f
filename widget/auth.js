// Natter's sign-in popup (served as /auth.js on Natter's own origin; the page is
// /auth/signin or an OpenID Connect callback). It runs a passkey ceremony with the server's
// JSON calls, or hands a finished session to the page that opened it: by postMessage to
// the one origin the server checked when the ceremony started, never to "*".
(() => {
  'use strict';
  const main = document.getElementById('natter-auth');
  if (!main) return;
  const err = document.getElementById('auth-error');
  const say = (text) => {
    if (err) err.textContent = text;
  };

  const hand = (session) => {
    if (!session || typeof session.origin !== 'string' || !session.origin) return;
    if (!window.opener) {
      say('Signed in, but the comment form is gone: reload the blog page.');
      return;
    }
    window.opener.postMessage(session, session.origin);
    setTimeout(() => window.close(), 200);
  };

  if (main.dataset.mode === 'done') {
    try {
      hand(JSON.parse(main.dataset.session || 'null'));
    } catch (e) {
      say('The sign-in could not be handed over.');
    }
    return;
  }
  if (main.dataset.mode !== 'choose') return;
  const site = main.dataset.site;
  const origin = main.dataset.origin;

  // base64url <-> bytes, as WebAuthn's JSON forms spell binary.
  const toB64 = (buf) => {
    const bytes = new Uint8Array(buf);
    let s = '';
    for (const b of bytes) s += String.fromCharCode(b);
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  };
  const fromB64 = (str) => {
    const s = atob(String(str).replace(/-/g, '+').replace(/_/g, '/'));
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out.buffer;
  };
  const ids = (list) => (list || []).map((c) => Object.assign({}, c, { id: fromB64(c.id) }));

  const post = async (path, body) => {
    const res = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      credentials: 'same-origin',
      body: JSON.stringify(body),
    });
    const json = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error((json.error && json.error.message) || 'HTTP ' + res.status);
    return json;
  };

  const encode = (cred) => {
    const r = cred.response;
    const response = { clientDataJSON: toB64(r.clientDataJSON) };
    if (r.attestationObject) response.attestationObject = toB64(r.attestationObject);
    if (r.authenticatorData) response.authenticatorData = toB64(r.authenticatorData);
    if (r.signature) response.signature = toB64(r.signature);
    if (r.userHandle) response.userHandle = toB64(r.userHandle);
    return {
      id: cred.id,
      rawId: toB64(cred.rawId),
      type: cred.type,
      response,
      extensions: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
    };
  };

  const busy = (on) => {
    for (const b of main.querySelectorAll('button')) b.disabled = on;
  };

  const create = async (name) => {
    const start = await post('/api/auth/passkey/register', { site, origin, name });
    const pk = start.options.publicKey;
    pk.challenge = fromB64(pk.challenge);
    pk.user.id = fromB64(pk.user.id);
    pk.excludeCredentials = ids(pk.excludeCredentials);
    const cred = await navigator.credentials.create({ publicKey: pk });
    return post('/api/auth/passkey/register/finish', {
      ceremony: start.ceremony,
      credential: encode(cred),
    });
  };

  const signIn = async () => {
    const start = await post('/api/auth/passkey/login', { site, origin });
    const pk = start.options.publicKey;
    pk.challenge = fromB64(pk.challenge);
    pk.allowCredentials = ids(pk.allowCredentials);
    const cred = await navigator.credentials.get({ publicKey: pk });
    return post('/api/auth/passkey/login/finish', {
      ceremony: start.ceremony,
      credential: encode(cred),
    });
  };

  const run = async (ceremony) => {
    say('');
    if (!window.PublicKeyCredential) {
      say('This browser has no passkeys.');
      return;
    }
    busy(true);
    try {
      hand(await ceremony());
    } catch (e) {
      say(e && e.name === 'NotAllowedError' ? 'Cancelled.' : (e && e.message) || String(e));
    } finally {
      busy(false);
    }
  };

  const form = document.getElementById('passkey-new');
  if (form) {
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const name = document.getElementById('passkey-name').value.trim();
      if (!name) {
        say('Choose the name your comments will show.');
        return;
      }
      run(() => create(name));
    });
  }
  const login = document.getElementById('passkey-signin');
  if (login) login.addEventListener('click', () => run(signIn));
})();
