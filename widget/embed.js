// Natter's comment widget: a page's thread, its comment form and comment counts, rendered in a
// shadow root. Plain ES2019, no dependencies.
//
// This is the readable source: build.rs minifies it (and compacts the /* css */ templates)
// into the /embed.js the server sends, whose gzip size tests/api/meta.rs keeps within 12 KB.
//
// Security rules, which every change must keep:
//  - the widget finds its own <script> tag through document.currentScript;
//  - strings become text nodes (el()); the one innerHTML assignment is in showServerHtml(),
//    for HTML that the server rendered and sanitized;
//  - only http(s) URLs become a link's href or an image's src (safeUrl()), besides the blob: URL of
//    the reader's own data, which the widget makes itself ("My data");
//  - a sign-in session is taken only from the popup this widget opened, on Natter's own origin;
//  - everything is rendered inside a shadow root.
(() => {
  'use strict';

  // ---------------------------------------------------------------------------------------
  // Pure logic. Without a `document` (node's tests) it is all this script does: it exposes
  // these functions on globalThis.__natterTest.

  // Languages that have a table in /i18n/ (src/routes/meta.rs serves them); anything else reads English.
  const LANGS = ['ar', 'cs', 'da', 'de', 'es', 'fi', 'fr', 'hi', 'id', 'it', 'ja', 'ko', 'nl', 'pl', 'pt', 'ru', 'sv', 'tr', 'uk', 'zh'];
  const SORTS = ['oldest', 'newest', 'top'];

  // Thread key: the path, plus the query only for WordPress ?p=N / ?page_id=N.
  function pageKey(path, search) {
    const query = new URLSearchParams(search || '');
    for (const name of ['p', 'page_id']) {
      if (/^\d+$/.test(query.get(name))) return `${path}?${name}=${query.get(name)}`;
    }
    return path;
  }

  // Flat list in thread order → display slots, by a loop and a map (no recursion: the depth
  // is user-controlled). Past `maxDepth`, a reply sits beside its parent, marked "reply to".
  function nest(comments, maxDepth) {
    const slots = new Map();
    return comments.map((comment) => {
      const parent = comment.parent != null && slots.get(comment.parent);
      let slot;
      if (!parent) slot = { c: comment, depth: 0, holder: null, replyTo: null };
      else if (parent.depth < maxDepth) slot = { c: comment, depth: parent.depth + 1, holder: parent.c.id, replyTo: null };
      else slot = { c: comment, depth: parent.depth, holder: parent.holder, replyTo: parent.c };
      slots.set(comment.id, slot);
      return slot;
    });
  }

  // The plural form of `forms` ({one, few, other…}, or a plain string) for the number n.
  function plural(lang, forms, n) {
    if (typeof forms != 'object') return forms;
    let category = n == 1 ? 'one' : 'other';
    try {
      category = new Intl.PluralRules(lang).select(n);
    } catch (e) {}
    return forms[category] || forms.other;
  }

  // 'Hello {name}' with {name: 'Ann'} → 'Hello Ann'; unknown placeholders stay.
  const fmt = (text, values) => String(text).replace(/\{(\w+)\}/g, (match, key) => (key in values ? values[key] : match));

  // Seconds → [value, unit] for Intl.RelativeTimeFormat.
  const TIME_UNITS = [['second', 60], ['minute', 60], ['hour', 24], ['day', 7], ['week', 4.35], ['month', 12], ['year', 1 / 0]];
  function bucket(seconds) {
    for (const [unit, perNext] of TIME_UNITS) {
      if (Math.abs(seconds) < perNext) return [Math.trunc(seconds) || 0, unit];
      seconds /= perNext;
    }
  }

  const relativeFormats = {}; // one per language: they are slow to make
  // "3 minutes ago"; never in the future (clock skew).
  function ago(iso, now, lang) {
    const [value, unit] = bucket(Math.min(0, (Date.parse(iso) - now) / 1e3));
    try {
      relativeFormats[lang] = relativeFormats[lang] || new Intl.RelativeTimeFormat(lang, { numeric: 'auto' });
      return relativeFormats[lang].format(value, unit);
    } catch (e) {
      return new Date(iso).toLocaleString();
    }
  }

  // Only http(s) ever becomes an href/src (isso's XSS was a raw website href).
  function safeUrl(url, base) {
    try {
      const parsed = new URL(url, base);
      return /^https?:$/.test(parsed.protocol) ? parsed.href : null;
    } catch (e) {
      return null;
    }
  }

  // The identicon that the server draws for an /api/avatar/<hash>.svg path (src/render/avatar.rs),
  // as [colour, SVG path of its cells], to draw here on the theme's background rather than the
  // server's fixed grey; null for any other avatar. The hash's bytes 0-1 pick the hue, the next 15
  // bits the cells of the left three columns of a 5x5 grid, mirrored; no cell: the centre column.
  function identicon(path) {
    const hash = /^\/api\/avatar\/([0-9a-f]{32})\.svg$/.exec(path);
    if (!hash) return null;
    const bytes = hash[1].match(/../g).map((byte) => parseInt(byte, 16));
    let cells = [];
    for (let bit = 0; bit < 15; bit++) if (bytes[2 + (bit >> 3)] >> (bit & 7) & 1) cells.push(bit);
    if (!cells.length) cells = [2, 5, 8, 11, 14];
    const square = (column, bit) => `M${1 + 2 * column} ${1 + 2 * Math.floor(bit / 3)}h2v2h-2z`;
    return [`hsl(${(bytes[0] * 256 + bytes[1]) % 360},55%,50%)`, cells.map((bit) => square(bit % 3, bit) + square(4 - bit % 3, bit)).join('')];
  }

  // The comment a page URL's fragment names: '#natter-12' → 12, anything else → false.
  const anchorId = (hash) => /^#natter-\d+$/.test(hash) && +hash.slice(8);

  // Reader language → [table file, Intl tag]: pt-BR → pt, zh-CN → zh, unknown → en.
  function langOf(lang) {
    lang = String(lang || 'en').replace(/_/g, '-');
    const primary = lang.split('-')[0].toLowerCase();
    try {
      lang = Intl.getCanonicalLocales(lang)[0];
    } catch (e) {
      lang = primary;
    }
    return LANGS.includes(primary) ? [primary, lang] : ['en', primary == 'en' ? lang : 'en'];
  }

  // The English table; widget/i18n/*.json have the same keys.
  const EN = {
    anon: 'Anonymous', deleted: 'This comment was deleted.', reply: 'Reply', replyTo: 'reply to {name}',
    edit: 'Edit', del: 'Delete', save: 'Save', cancel: 'Cancel', edited: 'edited', editable: 'editable for {n} min',
    pending: 'Awaiting moderation', held: 'Thanks! Your comment is awaiting moderation.', posted: 'Your comment was posted.',
    removed: 'Your comment was deleted.', confirmDel: 'Delete this comment?', like: 'Like', dislike: 'Dislike',
    sort: 'Sort', oldest: 'Oldest', newest: 'Newest', top: 'Top', more: 'Load more comments', loading: 'Loading comments…',
    count: { one: '{n} comment', other: '{n} comments' },
    text: 'Your comment', md: 'Markdown is supported', name: 'Name', email: 'Email', website: 'Website',
    optional: 'optional', private: 'never shown', notify: 'Email me replies', preview: 'Preview', write: 'Write',
    submit: 'Post comment', sending: 'Sending…', locked: 'This thread is closed for new comments.',
    v_text: 'Please write a comment (up to 10,000 characters).', v_author: 'Please enter your name (up to 100 characters).',
    v_email: 'Please enter a valid email address.', v_website: 'Please enter a web address starting with http:// or https://.',
    validation_failed: 'Please check what you entered.',
    rate_limited: { one: 'Too many requests. Try again in {n} second.', other: 'Too many requests. Try again in {n} seconds.' },
    origin_not_allowed: 'This website may not post comments here.', duplicate: 'You already posted this comment.',
    payload_too_large: 'Your comment is too long.', edit_window_closed: 'The time for changing this comment is over.',
    unauthorized: 'You can no longer change this comment.', not_found: 'This comment no longer exists.',
    unknown_site: 'Comments are not set up for this site.', unavailable: 'Comments are unavailable right now. Please try again later.',
    network: 'Could not reach the comment server. Please check your connection.', error: 'Something went wrong. Please try again.',
    from: 'from {site}', likes: { one: '{n} like', other: '{n} likes' }, reposts: { one: '{n} repost', other: '{n} reposts' },
    bookmarks: { one: '{n} bookmark', other: '{n} bookmarks' }, web: '{list} from the web', owner: 'Owner',
    ownerToken: 'Admin token', signIn: 'Sign in', signOut: 'Sign out', signedAs: 'Signed in as {name}', myData: 'My data',
    download: 'Download', eraseAll: 'Erase everything', eraseAsk: 'Erase all your comments and your sign-in here? This cannot be undone.',
    erased: 'Everything stored about you here was erased.', expired: 'Your sign-in has ended. Please sign in again.',
    withPasskey: 'Signed in with a passkey', withLabel: 'Signed in with {label}',
    erase: 'Delete my data', eraseSend: 'Send the link',
    eraseHelp: 'We will email you a link that deletes your comments and everything else stored about this address here.',
    eraseSent: 'If this address has comments here, a link to delete them is on its way.', dir: 'ltr',
  };

  if (typeof document == 'undefined') {
    globalThis.__natterTest = { pageKey, nest, plural, fmt, bucket, ago, safeUrl, langOf, anchorId, identicon, EN, LANGS };
    return;
  }

  // ---------------------------------------------------------------------------------------
  // The script tag, the server, the reader's storage.

  // Read now: the tag is async and currentScript is null later.
  const SCRIPT = document.currentScript || document.querySelector('script[data-site][src*="embed.js"]');
  const ORIGIN = SCRIPT && SCRIPT.src ? new URL(SCRIPT.src, location.href).origin : location.origin;
  const scriptAttribute = (name) => SCRIPT && SCRIPT.getAttribute('data-' + name);

  const memoryStore = {}; // when localStorage is blocked
  function load(key, fallback) {
    let value;
    try {
      value = JSON.parse(localStorage.getItem('natter:' + key));
    } catch (e) {
      value = memoryStore[key];
    }
    return value == null ? fallback : value;
  }
  function store(key, value) {
    memoryStore[key] = value;
    try {
      localStorage.setItem('natter:' + key, JSON.stringify(value));
    } catch (e) {}
  }

  // A random 48-digit hex string.
  const randomKey = () => Array.from(crypto.getRandomValues(new Uint8Array(24)), (b) => (b + 256).toString(16).slice(1)).join('');
  // This browser's author key, kept forever: the server links a reader's comments by it.
  function authorKey() {
    let key = load('key');
    if (!key) store('key', (key = randomKey()));
    return key;
  }

  // ---------------------------------------------------------------------------------------
  // DOM helpers.

  // el('a', {href, onclick}, ['text', node]): strings become text nodes, never markup. With a
  // namespace: an element of it (SVG).
  function el(tag, attributes, children, namespace) {
    const node = namespace ? document.createElementNS(namespace, tag) : document.createElement(tag);
    for (const name in attributes) {
      const value = attributes[name];
      if (value == null || value === false) continue;
      if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
      else if (name == 'text') node.textContent = value;
      else node.setAttribute(name, value === true ? '' : value);
    }
    for (const child of [].concat(children == null ? [] : children)) {
      if (child || child === 0) node.append(child);
    }
    return node;
  }
  // The element for an input's error message, which flag() fills and the reader's next change to
  // the input empties.
  function errorOf(input, id) {
    const error = el('span', { class: 'field-error', id });
    input.setAttribute('aria-describedby', id);
    input.addEventListener('input', () => flag(input, error, ''));
    return error;
  }
  // Shows an input's error message, or with '' clears it.
  function flag(input, error, message) {
    error.textContent = message;
    input.setAttribute('aria-invalid', !!message);
  }
  const button = (label, onClick, className) => el('button', { type: 'button', class: className, onclick: onClick }, label);

  // The only innerHTML in the widget: HTML that the server rendered and sanitized.
  function showServerHtml(node, html) {
    node.innerHTML = html;
  }

  // The first n characters (code points) of a string.
  const truncate = (text, n) => Array.from(text || '').slice(0, n).join('');
  // URLSearchParams of the non-empty values.
  function queryString(values) {
    const query = new URLSearchParams();
    for (const name in values) if (values[name] != null && values[name] !== '') query.set(name, values[name]);
    return query;
  }

  // ---------------------------------------------------------------------------------------
  // The API. Rejects with {code, message, field, retry}.

  async function api(method, path, body, token, idempotencyKey) {
    const headers = {};
    if (body) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = 'Bearer ' + token;
    if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
    let response, json;
    try {
      response = await fetch(ORIGIN + path, { method, headers, body: body && JSON.stringify(body) });
    } catch (e) {
      // reachable but unreadable: this origin is not in the site's origins
      const reachable = await fetch(ORIGIN + '/healthz', { mode: 'no-cors' }).then(() => true, () => false);
      throw { code: reachable ? 'origin_not_allowed' : 'network' };
    }
    if (response.status == 204) return null;
    try {
      json = await response.json();
    } catch (e) {}
    if (response.ok && json) return json;
    const error = Object.assign({}, json && json.error);
    error.code = error.code || (response.status >= 500 ? 'unavailable' : 'error');
    error.retry = error.retry_after || +response.headers.get('Retry-After');
    throw error;
  }

  // ---------------------------------------------------------------------------------------
  // Translations and comment counts.

  const tableRequests = {};
  // A promise of [strings, Intl tag]; English is built in, other tables are fetched once.
  function translations(lang) {
    const [file, tag] = langOf(lang);
    if (file == 'en') return Promise.resolve([EN, tag]);
    tableRequests[file] = tableRequests[file] ||
      fetch(`${ORIGIN}/i18n/${file}.json`).then((r) => (r.ok ? r.json() : null)).catch(() => null);
    return tableRequests[file].then((table) => (table && typeof table == 'object' ? [Object.assign({}, EN, table), tag] : [EN, 'en']));
  }
  const countText = (strings, lang, n) => fmt(plural(lang, strings.count, n), { n: n.toLocaleString(lang) });

  // Fills every [data-natter-count="PAGE"], one request per 100 pages; needs no thread.
  async function fillCounts(site, translated) {
    const targets = Array.from(document.querySelectorAll('[data-natter-count]'));
    const pages = Array.from(new Set(targets.map((e) => e.getAttribute('data-natter-count')).filter(Boolean)));
    const counts = {};
    const requests = [translated];
    for (let i = 0; i < pages.length; i += 100) {
      requests.push(api('POST', '/api/counts', { site, pages: pages.slice(i, i + 100) })
        .then((r) => Object.assign(counts, r.counts), () => {}));
    }
    const [[strings, lang]] = await Promise.all(requests);
    for (const target of targets) {
      const n = counts[target.getAttribute('data-natter-count')];
      if (typeof n == 'number') target.textContent = countText(strings, lang, n);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Styles. A host page themes the widget by setting the --natter-* properties on the target
  // or any element above it (the README lists them); each is read once, into a private --_*
  // one, with the default of the colour scheme in use. With data-theme="auto" (the default) the
  // text colour, background, font and size are the page's own: their private properties stay
  // unset, so `color: var(--_fg)` falls back to inheriting. build.rs compacts each /* css */
  // template: every line is trimmed and they are joined, so a line must end where CSS needs no
  // space (after `{`, `;`, `}` or `,`).

  const CSS = /* css */ `
    :host {
      --_fg: var(--natter-fg); --_bg: var(--natter-bg); --_pad: var(--natter-padding, 0);
      --_mu: var(--natter-muted, #59636e); --_ac: var(--natter-accent, #0969da); --_on: var(--natter-on-accent, #fff);
      --_er: var(--natter-error, #d1242f); --_pe: var(--natter-pending, #9a6700);
      --_card: var(--natter-card, #8080801a); --_bd: var(--natter-border, #80808066);
      --_r: var(--natter-radius, 6px); --_sp: var(--natter-space, .6em); --_in: var(--natter-indent, 1.2em);
      display: block;
    }
    :host([data-natter-scheme=dark]) {
      --_mu: var(--natter-muted, #9198a1); --_ac: var(--natter-accent, #4493f8); --_on: var(--natter-on-accent, #0d1117);
      --_er: var(--natter-error, #f85149); --_pe: var(--natter-pending, #d29922); color-scheme: dark;
    }
    :host([data-natter-theme=light]) { --_fg: var(--natter-fg, #1f2328); --_bg: var(--natter-bg, #fff); --_pad: var(--natter-padding, .5em); }
    :host([data-natter-theme=dark]) { --_fg: var(--natter-fg, #e6edf3); --_bg: var(--natter-bg, #0d1117); --_pad: var(--natter-padding, .5em); }
    * { box-sizing: border-box; }
    [hidden] { display: none !important; }
    .widget {
      color: var(--_fg); background: var(--_bg); font-family: var(--natter-font); font-size: var(--natter-size);
      line-height: 1.5; padding: var(--_pad); overflow-wrap: anywhere;
    }
    .header { display: flex; flex-wrap: wrap; gap: var(--_sp); align-items: center; justify-content: space-between; }
    h2 { font-size: 1.25em; margin: 0; }
    a { color: var(--_ac); }
    button, input, textarea, select { font: inherit; color: var(--_fg); }
    input, textarea, select {
      background: var(--_bg); border: 1px solid var(--_bd);
      border-radius: var(--_r); padding: .4em .5em; width: 100%;
    }
    select { width: auto; }
    input[type=checkbox] { width: 1.2em; height: 1.2em; margin: 0; }
    textarea { display: block; min-height: 7em; resize: vertical; }
    button {
      cursor: pointer; background: none; border: 1px solid var(--_bd);
      border-radius: var(--_r); padding: .3em .8em;
    }
    .primary { background: var(--_ac); color: var(--_on); border-color: var(--_ac); }
    .danger { color: var(--_er); border-color: currentColor; }
    .primary.danger { background: var(--_er); color: var(--_on); border-color: var(--_er); }
    .link { border: 0; padding: 0; text-decoration: underline; }
    button:disabled { opacity: .6; }
    :focus-visible { outline: 2px solid var(--_ac); outline-offset: 2px; }
    .form { display: grid; gap: var(--_sp); margin: var(--_sp) 0; }
    .fields { display: grid; grid-template-columns: repeat(auto-fit, minmax(11em, 1fr)); gap: var(--_sp); }
    label { display: grid; grid-template-rows: 1fr auto; align-items: end; gap: .2em; font-size: .9em; }
    label>span, .meta>*, .link, .erase p, .reactions, .deleted, blockquote { color: var(--_mu); }
    .checkbox, .sort { display: flex; gap: .4em; align-items: center; }
    .field-error, .error { color: var(--_er); }
    .status:empty { display: none; }
    .honeypot { position: absolute; left: -9999px; }
    .preview {
      border: 1px dashed var(--_bd); border-radius: var(--_r);
      padding: 0 .8em; min-height: 7em;
    }
    .comment { margin: calc(1.6 * var(--_sp)) 0; }
    .row { display: flex; gap: var(--_sp); align-items: flex-start; }
    .avatar { width: 40px; height: 40px; border-radius: var(--natter-avatar-radius, 50%); flex: none; background: var(--_card); }
    .main { flex: 1; min-width: 0; }
    .meta { display: flex; flex-wrap: wrap; gap: 0 var(--_sp); font-size: .9em; }
    .author { font-weight: 600; color: var(--_fg); }
    .verified { color: var(--_ac); }
    .gate>:not(.sign) { display: none; }
    .badge { align-self: center; border: 1px solid; border-radius: 1em; padding: 0 .5em; font-size: .8em; color: var(--_ac); }
    .target>.row { background: var(--_card); border-inline-start: 3px solid var(--_ac); padding-inline-start: .5em; }
    .pending-note { color: var(--_pe); font-weight: 600; }
    .reactions, .erase { font-size: .9em; }
    .pending .main { opacity: .8; }
    .deleted { font-style: italic; }
    .text p { margin: .4em 0; }
    img { max-width: 100%; }
    .text pre { overflow: auto; }
    pre, code { background: var(--_card); padding: .1em .3em; }
    blockquote { margin: .5em 0; padding-inline-start: .8em; border-inline-start: 3px solid var(--_bd); }
    table { display: block; overflow: auto; border-collapse: collapse; }
    td, th { border: 1px solid var(--_bd); padding: .2em .5em; }
    .actions { display: flex; flex-wrap: wrap; gap: .4em; align-items: center; font-size: .9em; }
    .actions button { padding: .1em .6em; }
    .actions .link { padding: 0; }
    .vote[aria-pressed=true] { border-color: var(--_ac); color: var(--_ac); }
    .replies { margin-inline-start: var(--_in); padding-inline-start: .8em; border-inline-start: 2px solid var(--_bd); }
    .replies:empty { display: none; }
    .locked-note { padding: .8em; background: var(--_card); border-radius: var(--_r); }
    @media (max-width: 600px), (pointer: coarse) {
      button, select, input:not([type=checkbox]), .checkbox { min-height: 44px; }
      button { min-width: 44px; }
      .replies { margin-inline-start: .2em; padding-inline-start: .5em; }
      .avatar { width: 32px; height: 32px; }
    }
  `;

  // data-theme="auto": dark or light after the page's own background, the first colour met from the
  // host up, by its luminance. A page transparent all the way up shows its canvas, which is dark
  // only where the page's color-scheme allows dark and the reader prefers it (or allows only dark).
  function darkPage(node) {
    for (; node; node = node.parentElement) {
      const colour = getComputedStyle(node).backgroundColor;
      const [r, g, b, alpha = 1] = /^rgb/.test(colour) ? colour.match(/[\d.]+/g).map(Number) : [];
      if (r != null && alpha > 0) return r * .299 + g * .587 + b * .114 < 128;
    }
    const scheme = getComputedStyle(document.documentElement).colorScheme;
    return /dark/.test(scheme) && (!/light/.test(scheme) || matchMedia('(prefers-color-scheme: dark)').matches);
  }

  // ---------------------------------------------------------------------------------------
  // Start-up: Natter.init() (again on an SPA's navigation) mounts a thread.

  let generation = 0; // the latest init(); a thread of an older one stops drawing
  let refreshTimer; // the latest thread's relative times and edit windows
  let createdTarget; // the div placed after the script when the page has no target
  let sharedSheet; // one constructed style sheet for every shadow root
  let followPage; // sets the latest thread's colour scheme again, after the page's or the reader's

  // Idempotent: SPAs call it again on navigation.
  function init(options) {
    options = options || {};
    const current = ++generation;
    clearInterval(refreshTimer);
    if (current == 1) {
      // the page switching its theme (a class or style on <html> or <body>), or the reader theirs
      const again = () => followPage && followPage();
      matchMedia('(prefers-color-scheme: dark)').onchange = again; // (a no-op where a MediaQueryList has no events)
      const observer = new MutationObserver(again);
      for (const node of [document.documentElement, document.body]) if (node) observer.observe(node, { attributes: true });
    }
    const option = (name) => (options[name] != null ? String(options[name]) : scriptAttribute(name));
    const site = option('site');
    if (!site) return console.error('Natter: data-site is required');
    const translated = translations(option('lang') || navigator.language);
    fillCounts(site, translated);
    let target = options.target && options.target.nodeType ? options.target : document.querySelector(option('target') || '#natter');
    if (!target && createdTarget && createdTarget.isConnected) target = createdTarget;
    // No target: a div after the script, unless this is an index page with only counts.
    if (!target && SCRIPT && SCRIPT.parentNode && !document.querySelector('[data-natter-count]')) {
      SCRIPT.after((target = createdTarget = el('div')));
    }
    if (target) {
      new Thread(target, current, translated, {
        site,
        page: option('page') || pageKey(location.pathname, location.search),
        title: option('title') || document.title,
        theme: option('theme'),
        sort: SORTS.includes(option('sort')) ? option('sort') : '',
      });
    }
  }

  // The target's shadow root, or one on a div inside it when the target can't host one (a <ul>).
  function shadowRootOf(target) {
    try {
      return target.shadowRoot || target.attachShadow({ mode: 'open' });
    } catch (e) {
      const host = target.querySelector(':scope>.natter-host') || target.appendChild(el('div', { class: 'natter-host' }));
      return host.shadowRoot || host.attachShadow({ mode: 'open' });
    }
  }

  // A constructed sheet passes a host CSP without 'unsafe-inline'.
  function applyStyles(root) {
    if (root.adoptedStyleSheets) {
      sharedSheet = sharedSheet || new CSSStyleSheet();
      sharedSheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sharedSheet];
    } else root.prepend(el('style', { text: CSS }));
  }

  const SVG = 'http://www.w3.org/2000/svg';
  // An identicon drawn here, else the avatar's image.
  function avatar(path) {
    const drawn = identicon(path);
    if (drawn) {
      return el('svg', { class: 'avatar', viewBox: '0 0 12 12', 'shape-rendering': 'crispEdges', 'aria-hidden': 'true' },
        el('path', { fill: drawn[0], d: drawn[1] }, null, SVG), SVG);
    }
    const src = safeUrl(path, ORIGIN);
    return src && el('img', { class: 'avatar', src, alt: '', width: 40, height: 40, loading: 'lazy' });
  }

  // ---------------------------------------------------------------------------------------
  // A thread: its state, its list of comments and what a reader does with them.

  class Thread {
    constructor(target, generationAtStart, translated, config) {
      this.generation = generationAtStart;
      this.config = config; // {site, page, title, theme, sort}
      const root = shadowRootOf(target);
      const host = root.host;
      const theme = /^(light|dark)$/.test(config.theme) ? config.theme : 'auto';
      host.setAttribute('data-natter-theme', theme);
      followPage = () => {
        const scheme = theme == 'auto' ? (darkPage(host) ? 'dark' : 'light') : theme;
        // only on a change: the host may be the <body>, whose attributes init() watches
        if (host.getAttribute('data-natter-scheme') != scheme) host.setAttribute('data-natter-scheme', scheme);
      };
      followPage();
      // The server's no-JS fragment shows through the slot until the live view is ready.
      this.staticFragment = target.querySelector('.natter-static');
      this.status = el('p', { class: 'status', role: 'status', 'aria-live': 'polite', tabindex: -1 });
      this.box = el('div', { class: 'widget' }, this.status);
      this.slot = el('slot');
      root.textContent = '';
      root.append(this.box, this.slot);
      applyStyles(root);

      const now = Date.now();
      this.own = load('own', {}); // this reader's comments still in their edit window: {id: {token, until, text}}
      for (const id in this.own) if (!(Date.parse(this.own[id].until) > now)) delete this.own[id];
      store('own', this.own);
      this.votesKey = 'votes:' + config.site;
      this.pendingKey = `pending:${config.site}:${config.page}`;
      this.votes = load(this.votesKey, {});
      // a sign-in session (sites with `sign_in`), and the ids of its identity's comments (GET /api/auth/me)
      this.sessionKey = 'session:' + config.site;
      this.session = load(this.sessionKey);
      this.mine = {}; // {id: {text, until}}
      // The popup hands the session over by postMessage: taken only from the popup this widget
      // opened, with Natter's own origin, for this site.
      addEventListener('message', (event) => {
        const data = event.data;
        if (this.generation == generation && this.popup && event.source == this.popup && event.origin == ORIGIN &&
          data && data.natter == 'session' && data.site == config.site) {
          this.signed({ token: data.token, expires_at: data.expires_at, identity: data.identity }).then(() => this.form.textarea.focus());
        }
      });
      // this reader's comments awaiting moderation (for 30 days)
      this.pending = load(this.pendingKey, []).filter((c) => now - Date.parse(c.created_at) < 2592e6);
      this.strings = EN;
      this.lang = 'en';
      this.siteConfig = {}; // GET /api/config
      this.siteConfigAt = 0;
      this.comments = []; // approved ones, in thread order
      this.next = null; // cursor of the next page
      this.total = 0;
      this.locked = false;
      this.sort = config.sort;
      this.replyTo = null; // id of the comment the form answers
      this.articles = new Map(); // id → <article>
      this.ready = false;
      this.start(translated);
    }

    start(translated) {
      translated.then(([strings]) => this.ready || this.staticFragment || this.say(strings.loading));
      Promise.all([translated, this.loadSiteConfig(), this.fetchComments(), this.checkSession()]).then(([translation, , page]) => {
        if (this.generation != generation) return;
        this.speak(translation);
        this.build();
        this.take(page);
        this.say('');
        this.ready = true;
        this.slot.remove();
        if (this.staticFragment) this.staticFragment.remove();
        refreshTimer = setInterval(() => this.refreshTimes(), 15e3);
        this.seek();
        addEventListener('hashchange', () => this.generation == generation && this.seek());
      }, (error) => translated.then((translation) => {
        if (this.generation != generation) return;
        this.speak(translation);
        this.fail(error);
      }));
    }

    // The reader's language: its strings, its Intl tag, and its writing direction for the whole widget.
    speak([strings, lang]) {
      this.strings = strings;
      this.lang = lang;
      this.box.lang = lang;
      this.box.dir = strings.dir;
    }

    loadSiteConfig() {
      return api('GET', '/api/config?' + queryString({ site: this.config.site })).then((siteConfig) => {
        this.siteConfig = siteConfig;
        this.siteConfigAt = Date.now();
      });
    }

    // -- sign-in

    // The stored session: still valid (else forgotten), and its identity's comments.
    checkSession() {
      const session = this.session;
      return session && Promise.all(['session', 'me'].map((what) => api('GET', '/api/auth/' + what, null, session.token)))
        .then(([, me]) => this.learn(me), (e) => e.code == 'unauthorized' && this.signed(null));
    }

    // GET /api/auth/me: Edit and Delete on the identity's comments, written on any device.
    learn(me) {
      this.mine = {};
      for (const c of me.comments) this.mine[c.id] = { text: c.text };
    }

    signIn() {
      this.popup = window.open(ORIGIN + '/auth/signin?' + queryString({ site: this.config.site, origin: location.origin }),
        'natter-signin', 'popup,width=480,height=640');
    }

    signOut() {
      api('DELETE', '/api/auth/session', null, this.session.token).catch(() => {}).then(() => this.signed(null));
    }

    // Signed in (the popup's session) or out (null): kept, checked, and the form and thread drawn anew.
    signed(session) {
      store(this.sessionKey, (this.session = session));
      this.mine = {};
      return Promise.resolve(this.checkSession()).then(() => this.ready && (this.form.drawSign(), this.draw()));
    }

    // A session the server refused (401) is forgotten; other errors are shown as usual.
    lost(error) {
      if (error.code != 'unauthorized' || !this.session) return this.fail(error);
      this.signed(null);
      this.say(this.strings.expired, true);
    }

    // DELETE /api/auth/me: every comment of the identity, its passkeys and sessions; then the thread anew.
    eraseMe() {
      this.request('DELETE', '/api/auth/me', null, this.session.token).then(() => {
        this.pending = this.pending.filter((c) => !this.mine[c.id]); // (take() stores it)
        this.signed(null);
        this.fetchComments().then((page) => this.take(page), (e) => this.fail(e));
        this.say(this.strings.erased);
        this.status.focus();
      }, (e) => this.lost(e));
    }

    // "Signed in with a passkey" / "Signed in with Example ID"
    signedWith(provider) {
      const option = (this.siteConfig.sign_in || []).find((p) => p.id == provider);
      return provider == 'passkey' ? this.strings.withPasskey : fmt(this.strings.withLabel, { label: option ? option.label : provider });
    }

    fetchComments(after) {
      const { site, page } = this.config;
      return this.request('GET', '/api/comments?' + queryString({ site, page, sort: this.sort, after }));
    }

    // An API call for the reader: once one succeeds, an error in the status line no longer applies.
    request(...args) {
      return api(...args).then((answer) => {
        if (this.status.classList.contains('error')) this.say('');
        return answer;
      });
    }

    // -- status line and messages

    say(message, isError) {
      this.status.textContent = message || '';
      this.status.classList.toggle('error', !!isError);
    }

    fail(error) {
      this.say(this.errorText(error), true);
    }

    errorText(error) {
      const { code } = error;
      const strings = this.strings;
      if (code == 'rate_limited') {
        const n = Math.max(1, Math.ceil(error.retry) || 0);
        return fmt(plural(this.lang, strings.rate_limited, n), { n });
      }
      if (code == 'validation_failed') return strings['v_' + error.field] || strings.validation_failed;
      if (code == 'thread_locked') return strings.locked;
      return EN.hasOwnProperty(code) ? strings[code] : strings.error;
    }

    fullDate(iso) {
      return new Date(iso).toLocaleString(this.lang);
    }

    editTimeLeft(until) {
      return fmt(this.strings.editable, { n: Math.ceil((Date.parse(until) - Date.now()) / 6e4) });
    }

    focusComment(id) {
      if (this.articles.has(id)) this.articles.get(id).focus();
    }

    // Every 15 s: relative times, and edit buttons whose window has closed.
    refreshTimes() {
      for (const node of this.box.querySelectorAll('[data-until]')) {
        const until = node.getAttribute('data-until');
        if (Date.parse(until) > Date.now()) node.lastChild.textContent = this.editTimeLeft(until);
        else node.remove();
      }
      for (const time of this.box.querySelectorAll('time')) time.textContent = ago(time.getAttribute('datetime'), Date.now(), this.lang);
    }

    // A page of GET /api/comments: the first one, or (appended) the next.
    take(page, appended) {
      const ids = new Set(page.comments.map((c) => c.id));
      this.comments = appended ? this.comments.filter((c) => !ids.has(c.id)).concat(page.comments) : page.comments;
      this.pending = this.pending.filter((c) => !ids.has(c.id)); // approved now
      store(this.pendingKey, this.pending);
      this.next = page.next;
      this.total = page.total;
      if (!appended) this.reactions = page.reactions;
      this.locked = page.locked;
      this.draw();
    }

    // The next page, added to the list.
    more() {
      return this.fetchComments(this.next).then((page) => (this.take(page, true), page));
    }

    // The page URL's #natter-<id>: loads further pages (at most 20) until that comment is there,
    // then marks it and moves the focus, and so the view, to it. An unknown id does nothing.
    async seek() {
      const id = anchorId(location.hash);
      for (let n = 0; id && !this.articles.has(id) && this.next && n++ < 20;) {
        if (!(await this.more().catch((e) => this.fail(e)))) return;
      }
      if (!this.articles.has(id)) return;
      this.target = id;
      this.articles.forEach((article, key) => article.classList.toggle('target', key == id));
      this.focusComment(id);
    }

    // -- the parts that stay: header, lock note, form, list, "load more"

    build() {
      const strings = this.strings;
      const sortSelect = el('select', {
        onchange: () => {
          this.sort = sortSelect.value;
          this.fetchComments().then((page) => this.take(page), (e) => this.fail(e));
        },
      }, SORTS.map((sort) => el('option', { value: sort }, strings[sort])));
      sortSelect.value = this.sort || 'oldest';
      this.heading = el('h2');
      this.reactionLine = el('p', { class: 'reactions' });
      this.lockNote = el('p', { class: 'locked-note' }, strings.locked);
      this.formHome = el('div');
      this.list = el('div');
      this.moreButton = button(strings.more, () => this.more().then((page) => {
        if (page.comments[0]) this.focusComment(page.comments[0].id);
      }, (e) => this.fail(e)));
      this.box.prepend(el('div', { class: 'header' }, [this.heading, el('label', { class: 'sort' }, [el('span', null, strings.sort), sortSelect])]));
      this.box.append(this.reactionLine, this.lockNote, this.formHome, this.eraseBox(), this.list, this.moreButton);
      this.form = new CommentForm(this);
    }

    // "Delete my data": asks the server to email the reader a link that erases everything stored
    // about their address on this site. It answers alike whether the address has comments or not.
    eraseBox() {
      const strings = this.strings;
      const email = el('input', { type: 'email', name: 'erase', autocomplete: 'email' });
      const error = errorOf(email, 'natter-e-erase');
      const note = el('p', { role: 'status', tabindex: -1, hidden: true }, strings.eraseSent);
      const open = (yes) => {
        form.hidden = !yes;
        opener.hidden = yes;
        note.hidden = true;
      };
      const opener = button(strings.erase, () => {
        email.value = email.value || load('me', {}).email || '';
        open(true);
        email.focus();
      }, 'link');
      const invalid = (message) => {
        flag(email, error, message);
        email.focus();
      };
      const form = el('form', { class: 'form', novalidate: true, hidden: true, onsubmit: (event) => {
        event.preventDefault();
        const address = email.value.trim();
        if (!address || !email.checkValidity()) return invalid(strings.v_email);
        this.request('POST', '/api/privacy/erase', { site: this.config.site, email: address }).then(() => {
          open(false);
          note.hidden = false;
          note.focus();
        }, (e) => invalid(this.errorText(e)));
      } }, [
        el('p', null, strings.eraseHelp),
        el('label', null, [el('span', null, strings.email), email, error]),
        el('div', { class: 'actions' }, [
          el('button', { type: 'submit', class: 'primary' }, strings.eraseSend),
          button(strings.cancel, () => {
            open(false);
            opener.focus();
          }),
        ]),
      ]);
      return el('div', { class: 'erase' }, [opener, form, note]);
    }

    // The form goes under the comment it replies to, else at the top; not at all when locked.
    placeForm() {
      const form = this.form;
      this.lockNote.hidden = !this.locked;
      if (this.locked) return form.element.remove();
      const article = this.replyTo != null && this.articles.get(this.replyTo);
      if (article) article.firstChild.after(form.element);
      else {
        this.replyTo = null;
        this.formHome.append(form.element);
      }
      form.cancelButton.hidden = !article;
    }

    draw() {
      this.heading.textContent = countText(this.strings, this.lang, this.total);
      this.drawReactions();
      this.list.textContent = '';
      this.articles = new Map();
      const replyLists = new Map();
      const maxDepth = typeof this.siteConfig.max_depth == 'number' ? this.siteConfig.max_depth : 5;
      for (const slot of nest(this.comments.concat(this.pending), maxDepth)) {
        const [article, replies] = this.renderComment(slot);
        (slot.holder == null ? this.list : replyLists.get(slot.holder)).append(article);
        replyLists.set(slot.c.id, replies);
        this.articles.set(slot.c.id, article);
      }
      this.moreButton.hidden = !this.next;
      this.placeForm();
    }

    // "12 likes, 3 reposts from the web: Ann, Bo, …" (Webmentions), each name its page.
    drawReactions() {
      const strings = this.strings;
      const r = this.reactions || {};
      const line = this.reactionLine;
      const parts = ['likes', 'reposts', 'bookmarks'].filter((k) => r[k] > 0)
        .map((k) => fmt(plural(this.lang, strings[k], r[k]), { n: r[k].toLocaleString(this.lang) }));
      line.hidden = !parts.length;
      line.textContent = parts.length ? fmt(strings.web, { list: parts.join(', ') }) + ': ' : '';
      (r.people || []).slice(0, 12).forEach((p, i) => {
        const href = safeUrl(p.url);
        line.append(i ? ', ' : '', href ? el('a', { href, rel: 'nofollow ugc' }, p.name) : p.name);
      });
    }

    // -- one comment

    // → [<article>, the element its replies go into]
    renderComment({ c: comment, replyTo }) {
      const strings = this.strings;
      const replies = el('div', { class: 'replies' });
      const article = (className, row) => [el('article', {
        class: className + (comment.id == this.target ? ' target' : ''), tabindex: -1, 'data-natter-id': comment.id,
      }, [row, replies]), replies];
      if (comment.status == 'deleted') return article('comment', el('p', { class: 'row deleted' }, strings.deleted));
      const body = el('div', { class: 'text' });
      showServerHtml(body, comment.html);
      return article(comment.status == 'pending' ? 'comment pending' : 'comment', el('div', { class: 'row' }, [
        comment.avatar && avatar(comment.avatar),
        el('div', { class: 'main' }, [this.renderMeta(comment, replyTo), body, this.renderActions(comment, body)]),
      ]));
    }

    // Author, "reply to", time, edited, awaiting moderation.
    renderMeta(comment, replyTo) {
      const strings = this.strings;
      const name = comment.author || strings.anon;
      const website = safeUrl(comment.website);
      const via = comment.via && safeUrl(comment.via.url);
      // A Fediverse reply names its author's account (@user@host); a Webmention its site.
      const handle = via && comment.via.kind == 'fediverse' && comment.via.handle;
      const signed = comment.signed_in && this.signedWith(comment.signed_in);
      return el('div', { class: 'meta' }, [
        website ? el('a', { class: 'author', href: website, rel: 'nofollow ugc' }, name) : el('span', { class: 'author' }, name),
        signed && el('span', { class: 'verified', role: 'img', title: signed, 'aria-label': signed }, '✓'),
        comment.badge == 'owner' && el('span', { class: 'badge' }, strings.owner),
        replyTo && el('span', null, '↪ ' + fmt(strings.replyTo, { name: replyTo.author || strings.anon })),
        el('time', { datetime: comment.created_at, title: this.fullDate(comment.created_at) }, ago(comment.created_at, Date.now(), this.lang)),
        comment.edited_at && el('span', { title: this.fullDate(comment.edited_at) }, strings.edited),
        via && el('a', { class: 'via', href: via, rel: 'nofollow ugc' }, handle || fmt(strings.from, { site: new URL(via).host })),
        comment.status == 'pending' && el('span', { class: 'pending-note' }, strings.pending),
      ]);
    }

    // Votes and Reply; Edit and Delete for the reader's own comment while its window is open.
    renderActions(comment, body) {
      const strings = this.strings;
      const actions = el('div', { class: 'actions' });
      if (comment.status != 'pending') {
        actions.append(...this.voteButtons(comment));
        if (!this.locked) {
          actions.append(button(strings.reply, () => {
            this.replyTo = comment.id;
            this.placeForm();
            this.form.textarea.focus();
          }));
        }
      }
      // an edit token of this browser's, else a comment of the signed-in identity's
      const mine = this.own[comment.id] || this.mine[comment.id];
      if (mine && !mine.until) mine.until = new Date(Date.parse(comment.created_at) + this.siteConfig.edit_window * 1e3).toISOString();
      if (mine && Date.parse(mine.until) > Date.now()) {
        // Delete asks first, inline: "Delete this comment? [Delete] [Cancel]"; the time left stays last.
        const own = el('span', { class: 'actions', 'data-until': mine.until });
        const left = el('span', null, this.editTimeLeft(mine.until));
        const edit = button(strings.edit, () => this.edit(comment, body, mine));
        const del = button(strings.del, () => {
          own.replaceChildren(el('span', { role: 'group', 'aria-label': strings.confirmDel, class: 'actions' }, [
            strings.confirmDel, button(strings.del, () => this.remove(comment, mine), 'primary danger'), keep,
          ]), left);
          keep.focus();
        }, 'danger');
        const keep = button(strings.cancel, () => {
          own.replaceChildren(edit, del, left);
          del.focus();
        });
        own.append(edit, del, left);
        actions.append(own);
      }
      return actions;
    }

    // ▲ and ▼ with their counts; pressing the pressed one again withdraws the vote.
    voteButtons(comment) {
      const strings = this.strings;
      let busy = false;
      const show = () => {
        for (const [node, value, count, label, symbol] of [[up, 1, comment.likes, strings.like, '▲ '], [down, -1, comment.dislikes, strings.dislike, '▼ ']]) {
          node.textContent = symbol + count;
          node.setAttribute('aria-label', `${label}: ${count}`);
          node.setAttribute('aria-pressed', this.votes[comment.id] == value);
        }
      };
      const vote = (value) => {
        if (busy) return;
        busy = true;
        value = this.votes[comment.id] == value ? 0 : value;
        this.request('POST', `/api/comments/${comment.id}/vote`, { value }).then((r) => {
          comment.likes = r.likes;
          comment.dislikes = r.dislikes;
          if (value) this.votes[comment.id] = value;
          else delete this.votes[comment.id];
          store(this.votesKey, this.votes);
          show();
        }, (e) => this.fail(e)).then(() => (busy = false));
      };
      const up = button('', () => vote(1), 'vote');
      const down = button('', () => vote(-1), 'vote');
      show();
      return [up, down];
    }

    // Swaps the body for a textarea until saved or cancelled.
    edit(comment, body, mine) {
      const strings = this.strings;
      const textarea = el('textarea', { 'aria-label': strings.text, rows: 5 });
      const error = errorOf(textarea, 'natter-e-edit' + comment.id);
      textarea.value = mine.text || '';
      const save = () => {
        const text = textarea.value;
        if (!text.trim()) {
          flag(textarea, error, strings.v_text);
          return textarea.focus();
        }
        this.request('PATCH', '/api/comments/' + comment.id, { text }, this.bearer(mine)).then(
          (r) => this.edited(comment, (r && r.comment) || r, mine, text),
          (e) => {
            flag(textarea, error, this.errorText(e));
            textarea.focus();
            if (e.code == 'edit_window_closed' || e.code == 'unauthorized') {
              delete this.own[comment.id];
              delete this.mine[comment.id];
              store('own', this.own);
            }
          });
      };
      const editor = el('div', { class: 'form' }, [textarea, error, el('div', { class: 'actions' }, [
        button(strings.save, save, 'primary'),
        button(strings.cancel, () => {
          editor.replaceWith(body);
          this.focusComment(comment.id);
        }),
      ])]);
      body.replaceWith(editor);
      textarea.focus();
    }

    edited(comment, changed, mine, text) {
      mine.text = text;
      store('own', this.own);
      if (changed && changed.id == comment.id) {
        for (const list of [this.comments, this.pending]) {
          const i = list.findIndex((x) => x.id == comment.id);
          if (i >= 0) list[i] = changed;
        }
        // an edit can send it back to moderation
        if (changed.status == 'pending' && comment.status != 'pending') {
          this.comments = this.comments.filter((x) => x != changed);
          this.pending.push(changed);
          this.total--;
        }
      }
      store(this.pendingKey, this.pending);
      this.draw();
      this.say(changed && changed.status == 'pending' ? this.strings.held : '');
      this.focusComment(comment.id);
    }

    // The comment's edit token, else the session's.
    bearer(mine) {
      return mine.token || (this.session || {}).token;
    }

    remove(comment, mine) {
      this.request('DELETE', '/api/comments/' + comment.id, null, this.bearer(mine)).then(() => {
        delete this.own[comment.id];
        delete this.mine[comment.id];
        store('own', this.own);
        this.pending = this.pending.filter((x) => x.id != comment.id);
        store(this.pendingKey, this.pending);
        if (comment.status == 'approved') this.total--;
        // a tombstone if it has replies
        const tombstone = (x) => Object.assign({}, x, { status: 'deleted', html: '', author: null, website: null, avatar: null });
        this.comments = this.comments.some((x) => x.parent == comment.id)
          ? this.comments.map((x) => (x.id == comment.id ? tombstone(x) : x))
          : this.comments.filter((x) => x.id != comment.id);
        this.draw();
        this.say(this.strings.removed);
        this.status.focus();
      }, (e) => this.fail(e));
    }
  }

  // ---------------------------------------------------------------------------------------
  // The comment form: fields, preview, and posting a new comment or a reply.

  class CommentForm {
    constructor(thread) {
      this.thread = thread;
      const strings = thread.strings;
      const siteConfig = thread.siteConfig;
      const remembered = load('me', {}); // what this reader entered last time
      this.errors = {};
      this.inputs = {};
      const input = (name, type, autocomplete) => {
        const node = (this.inputs[name] = el('input', { name, type, autocomplete }));
        node.value = remembered[name] || '';
        return node;
      };
      const withNotes = (label, notes) => `${label} (${notes.filter(Boolean).join(', ')})`;
      const named = (name, label, node) => el('label', null, [el('span', null, label), node, (this.errors[name] = errorOf(node, 'natter-e-' + name))]);
      this.textarea = this.inputs.text = el('textarea', { name: 'text', rows: 4, required: true, placeholder: strings.md });
      this.preview = el('div', { class: 'text preview', hidden: true });
      this.email = input('email', 'email', 'email');
      this.notify = el('input', { type: 'checkbox', name: 'notify', checked: !!remembered.notify });
      const notifyLabel = el('label', { class: 'checkbox', hidden: !this.email.value.trim() }, [this.notify, el('span', null, strings.notify)]);
      this.email.addEventListener('input', () => (notifyLabel.hidden = !this.email.value.trim()));
      this.honeypot = el('input', { name: 'hp', tabindex: -1, autocomplete: 'off' });
      this.sendButton = el('button', { type: 'submit', class: 'primary' }, strings.submit);
      this.previewButton = button(strings.preview, () => this.togglePreview());
      this.cancelButton = button(strings.cancel, () => {
        const id = thread.replyTo;
        thread.replyTo = null;
        thread.placeForm();
        thread.focusComment(id);
      });
      this.element = el('form', { class: 'form', novalidate: true, onsubmit: (event) => this.submit(event) }, [
        (this.signBox = el('div', { class: 'actions sign' })),
        (this.panel = el('div', { class: 'erase' })),
        named('text', strings.text, this.textarea),
        this.preview,
        el('div', { class: 'fields' }, [
          (this.authorField = named('author', siteConfig.require_name ? strings.name : withNotes(strings.name, [strings.optional]), input('author', 'text', 'name'))),
          named('email', withNotes(strings.email, [!siteConfig.require_email && strings.optional, strings.private]), this.email),
          named('website', withNotes(strings.website, [strings.optional]), input('website', 'url', 'url')),
        ]),
        notifyLabel,
        el('div', { class: 'honeypot', 'aria-hidden': 'true' }, this.honeypot),
        (this.ownerBox = el('div', { class: 'actions' })),
        el('div', { class: 'actions' }, [this.sendButton, this.previewButton, this.cancelButton]),
      ]);
      this.ownerKey = 'owner:' + thread.config.site;
      this.drawOwner();
      this.drawSign();
    }

    // Sites with `sign_in`: a button that opens the sign-in popup, or "Signed in as NAME · My data ·
    // Sign out" in place of the name field. With `require_sign_in` the form is only that button until then.
    drawSign() {
      const thread = this.thread;
      const strings = thread.strings;
      const session = thread.session;
      const box = this.signBox;
      // (no sign-in offered: nothing, not even a hidden button)
      if ((box.hidden = !(thread.siteConfig.sign_in || []).length)) return;
      this.authorField.hidden = !!session;
      this.element.classList.toggle('gate', !!thread.siteConfig.require_sign_in && !session);
      this.panel.hidden = true;
      box.replaceChildren(...(session
        ? [el('span', null, fmt(strings.signedAs, { name: session.identity.name })), ' · ', button(strings.myData, () => this.myData(), 'link'), ' · ',
          button(strings.signOut, () => thread.signOut(), 'link')]
        : [button(strings.signIn, () => thread.signIn())]));
    }

    // "My data": the identity, its number of comments, a download of GET /api/auth/me and "Erase everything" (asked inline).
    myData() {
      const thread = this.thread;
      const strings = thread.strings;
      const panel = this.panel;
      if (!(panel.hidden = !panel.hidden)) {
        thread.request('GET', '/api/auth/me', null, thread.session.token).then((me) => {
          thread.learn(me);
          const href = URL.createObjectURL(new Blob([JSON.stringify(me, null, 2)], { type: 'application/json' }));
          // "Erase all your comments…? [Erase everything] [Cancel]" in place of the button, the safe answer focused
          const asking = (yes) => {
            ask.hidden = !yes;
            erase.hidden = yes;
            (yes ? ask.lastChild : erase).focus();
          };
          const erase = button(strings.eraseAll, () => asking(true), 'danger');
          const ask = el('div', { role: 'group', 'aria-label': strings.eraseAsk, class: 'actions', hidden: true }, [
            strings.eraseAsk, button(strings.eraseAll, () => thread.eraseMe(), 'primary danger'), button(strings.cancel, () => asking(false)),
          ]);
          panel.replaceChildren(el('p', null, [me.identity.name, ' · ', thread.signedWith(me.identity.provider), ' · ',
            countText(strings, thread.lang, me.comments.length)]), el('div', { class: 'actions' }, [
            el('a', { href, download: 'natter-data.json' }, strings.download), erase,
          ]), ask);
        }, (e) => thread.lost(e));
      }
    }

    // The site's owner signs in on their own blog with an admin token (the form offers it on a
    // page opened with #natter-owner); their comments are then approved and badged.
    drawOwner() {
      const strings = this.thread.strings;
      const box = this.ownerBox;
      box.textContent = '';
      if (load(this.ownerKey)) {
        return box.append(el('span', { class: 'badge' }, strings.owner), button(strings.signOut, () => {
          store(this.ownerKey, null);
          this.drawOwner();
        }));
      }
      if (location.hash != '#natter-owner') return;
      const input = el('input', { type: 'password', name: 'owner', autocomplete: 'off' });
      const error = errorOf(input, 'natter-e-owner');
      box.append(el('label', null, [el('span', null, strings.ownerToken), input, error]), button(strings.signIn, () => {
        const token = input.value.trim();
        api('GET', '/api/admin/sites', null, token).then(() => {
          store(this.ownerKey, token);
          this.drawOwner();
        }, (e) => flag(input, error, e.code == 'unauthorized' ? strings.validation_failed : this.thread.errorText(e)));
      }));
    }

    // Back from the preview to the textarea.
    showWriting() {
      this.preview.hidden = true;
      this.textarea.hidden = false;
      this.previewButton.textContent = this.thread.strings.preview;
    }

    togglePreview() {
      const thread = this.thread;
      if (!this.preview.hidden) {
        this.showWriting();
        return this.textarea.focus();
      }
      if (!this.textarea.value.trim()) return this.markInvalid('text');
      thread.request('POST', '/api/preview', { text: this.textarea.value, site: thread.config.site }).then((r) => {
        showServerHtml(this.preview, r.html);
        this.preview.hidden = false;
        this.textarea.hidden = true;
        this.previewButton.textContent = thread.strings.write;
      }, (e) => thread.fail(e));
    }

    markInvalid(name, message) {
      this.showWriting();
      flag(this.inputs[name], this.errors[name], message || this.thread.strings['v_' + name]);
      this.inputs[name].focus();
    }

    async submit(event) {
      event.preventDefault();
      const thread = this.thread;
      const siteConfig = thread.siteConfig;
      for (const name in this.errors) flag(this.inputs[name], this.errors[name], '');
      const text = this.textarea.value;
      const [author, email, website] = ['author', 'email', 'website'].map((name) => this.inputs[name].value.trim());
      if (!text.trim()) return this.markInvalid('text');
      if (siteConfig.require_name && !author && !thread.session) return this.markInvalid('author');
      if ((siteConfig.require_email && !email) || !this.email.checkValidity()) return this.markInvalid('email');
      if (website && !safeUrl(website)) return this.markInvalid('website');
      this.sendButton.disabled = true;
      thread.say(thread.strings.sending);
      try {
        const posted = await this.post(text, author, email, website);
        this.posted(posted, text, author, email, website);
      } catch (error) {
        if (error.code == 'thread_locked') {
          thread.locked = true;
          thread.draw();
        }
        if (error.code == 'validation_failed' && this.errors[error.field]) {
          this.markInvalid(error.field, thread.errorText(error));
          thread.say('');
        } else {
          thread.lost(error);
          thread.status.focus();
        }
      }
      this.sendButton.disabled = false;
    }

    // POST /api/comments; a retry of the same text reuses its Idempotency-Key.
    async post(text, author, email, website) {
      const thread = this.thread;
      const { site, page, title } = thread.config;
      // form_token lives 24 h
      if (Date.now() - thread.siteConfigAt > 72e6) await thread.loadSiteConfig().catch(() => {});
      const body = {
        site,
        page,
        title: truncate(title, 300) || undefined,
        url: safeUrl(location.href.split('#')[0]) || undefined,
        parent: thread.replyTo == null ? undefined : thread.replyTo,
        author: author || undefined,
        email: email || undefined,
        website: website || undefined,
        text,
        notify: !!(email && this.notify.checked),
        author_key: authorKey(),
        hp: this.honeypot.value,
        form_token: thread.siteConfig.form_token,
      };
      if (!this.attempt || this.attempt.text != text) this.attempt = { text, key: randomKey() };
      const key = this.attempt.key;
      // url is a hint: the server's own pages are not on the site's origins
      const bearer = load(this.ownerKey) || thread.bearer({});
      const posted = await thread.request('POST', '/api/comments', body, bearer, key).catch((error) => (error.field == 'url'
        ? thread.request('POST', '/api/comments', Object.assign(body, { url: null }), bearer, key)
        : Promise.reject(error)));
      this.attempt = null;
      return posted;
    }

    posted(response, text, author, email, website) {
      const thread = this.thread;
      const comment = response.comment;
      thread.own[comment.id] = { token: response.edit_token, until: response.edit_until, text };
      store('own', thread.own);
      store('me', { author, email, website, notify: this.notify.checked });
      if (comment.status == 'pending') {
        thread.pending.push(comment);
        store(thread.pendingKey, thread.pending);
      } else {
        thread.total++;
        if (!comment.parent && thread.sort == 'newest') thread.comments.unshift(comment);
        else thread.comments.push(comment);
      }
      this.textarea.value = '';
      thread.replyTo = null;
      this.showWriting();
      thread.draw();
      thread.say(comment.status == 'pending' ? thread.strings.held : thread.strings.posted);
      (thread.articles.get(comment.id) || thread.status).focus();
    }
  }

  window.Natter = { init };
  if (document.readyState == 'loading') document.addEventListener('DOMContentLoaded', () => generation || init());
  else init();
})();
