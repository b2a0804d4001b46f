//! Natter widget: thread, form and counts in a shadow root. ES2019, no deps. Only the server's sanitized html uses innerHTML.
(() => {
  'use strict';
  const LANGS = ['de', 'fr', 'es', 'pt', 'ru', 'zh', 'ja'];
  const SORTS = ['oldest', 'newest', 'top'];

  // Thread key: the path, plus the query only for WordPress ?p=N / ?page_id=N.
  function pageKey(path, search) {
    const q = new URLSearchParams(search || '');
    for (const k of ['p', 'page_id']) if (/^\d+$/.test(q.get(k))) return `${path}?${k}=${q.get(k)}`;
    return path;
  }

  // Flat thread-order list → display slots by loop + map (no recursion: depth is user-controlled).
  // Past `max`, a reply sits beside its parent, marked "reply to".
  function nest(list, max) {
    const by = new Map();
    return list.map((c) => {
      const p = c.parent != null && by.get(c.parent);
      const n = !p ? { c, depth: 0, holder: null, replyTo: null }
        : p.depth < max ? { c, depth: p.depth + 1, holder: p.c.id, replyTo: null }
        : { c, depth: p.depth, holder: p.holder, replyTo: p.c };
      by.set(c.id, n);
      return n;
    });
  }

  function plural(lang, forms, n) {
    if (typeof forms != 'object') return forms;
    let k = n == 1 ? 'one' : 'other';
    try { k = new Intl.PluralRules(lang).select(n); } catch (e) {}
    return forms[k] || forms.other;
  }
  const fmt = (s, v) => String(s).replace(/\{(\w+)\}/g, (m, k) => (k in v ? v[k] : m));

  const STEPS = [['second', 60], ['minute', 60], ['hour', 24], ['day', 7], ['week', 4.35], ['month', 12], ['year', 1 / 0]];
  function bucket(s) {
    for (const [u, n] of STEPS) {
      if (Math.abs(s) < n) return [Math.trunc(s) || 0, u];
      s /= n;
    }
  }
  const rtf = {}; // one per language: they are slow to make
  function ago(iso, now, lang) {
    const [v, u] = bucket(Math.min(0, (Date.parse(iso) - now) / 1e3));
    try { return (rtf[lang] = rtf[lang] || new Intl.RelativeTimeFormat(lang, { numeric: 'auto' })).format(v, u); } catch (e) { return new Date(iso).toLocaleString(); }
  }

  // Only http(s) ever becomes an href/src (isso's XSS was a raw website href).
  function safeUrl(u, base) {
    try {
      const x = new URL(u, base);
      return /^https?:$/.test(x.protocol) ? x.href : null;
    } catch (e) { return null; }
  }

  // → [table file, Intl tag]: pt-BR → pt, zh-CN → zh, unknown → en
  function langOf(l) {
    l = String(l || 'en').replace(/_/g, '-');
    const p = l.split('-')[0].toLowerCase();
    try { l = Intl.getCanonicalLocales(l)[0]; } catch (e) { l = p; }
    return LANGS.includes(p) ? [p, l] : ['en', p == 'en' ? l : 'en'];
  }

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
  };

  if (typeof document == 'undefined') {
    globalThis.__natterTest = { pageKey, nest, plural, fmt, bucket, ago, safeUrl, langOf, EN, LANGS };
    return;
  }

  const D = document;
  // Read now: the tag is async and currentScript is null later.
  const S = D.currentScript || D.querySelector('script[data-site][src*="embed.js"]');
  const ORIGIN = S && S.src ? new URL(S.src, location.href).origin : location.origin;
  const attr = (k) => S && S.getAttribute('data-' + k);

  const mem = {}; // when localStorage is blocked
  function get(k, d) {
    let v;
    try { v = JSON.parse(localStorage.getItem('natter:' + k)); } catch (e) { v = mem[k]; }
    return v == null ? d : v;
  }
  function put(k, v) {
    mem[k] = v;
    try { localStorage.setItem('natter:' + k, JSON.stringify(v)); } catch (e) {}
  }

  // h('a', {href, onclick}, ['text', node]): strings become text nodes, never markup.
  function h(tag, a, kids) {
    const e = D.createElement(tag);
    for (const k in a) {
      const v = a[k];
      if (v == null || v === false) continue;
      if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (k == 'text') e.textContent = v;
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const c of [].concat(kids == null ? [] : kids)) if (c != null && c !== false && c !== '') e.append(c);
    return e;
  }
  const btn = (text, on, cls) => h('button', { type: 'button', class: cls, onclick: on }, text);
  const cut = (s, n) => Array.from(s || '').slice(0, n).join('');
  function qs(o) {
    const q = new URLSearchParams();
    for (const k in o) if (o[k] != null && o[k] !== '') q.set(k, o[k]);
    return q;
  }

  // rejects with {code, message, field, retry}
  async function api(method, path, body, token, idem) {
    const headers = {};
    if (body) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = 'Bearer ' + token;
    if (idem) headers['Idempotency-Key'] = idem;
    let r, j;
    try { r = await fetch(ORIGIN + path, { method, headers, body: body && JSON.stringify(body) }); } catch (e) {
      // reachable but unreadable: this origin is not in the site's origins
      throw { code: await fetch(ORIGIN + '/healthz', { mode: 'no-cors' }).then(() => 'origin_not_allowed', () => 'network') };
    }
    if (r.status == 204) return null;
    try { j = await r.json(); } catch (e) {}
    if (r.ok && j) return j;
    const e = Object.assign({}, j && j.error);
    e.code = e.code || (r.status >= 500 ? 'unavailable' : 'error');
    e.retry = e.retry_after || +r.headers.get('Retry-After');
    throw e;
  }

  const rnd = () => Array.from(crypto.getRandomValues(new Uint8Array(24)), (b) => (b + 256).toString(16).slice(1)).join('');
  function key() {
    let k = get('key');
    if (!k) put('key', (k = rnd()));
    return k;
  }

  const langs = {};
  function table(l) {
    const [f, tag] = langOf(l);
    if (f == 'en') return Promise.resolve([EN, tag]);
    langs[f] = langs[f] || fetch(`${ORIGIN}/i18n/${f}.json`).then((r) => (r.ok ? r.json() : null)).catch(() => null);
    return langs[f].then((o) => (o && typeof o == 'object' ? [Object.assign({}, EN, o), tag] : [EN, 'en']));
  }
  const countText = (T, lang, n) => fmt(plural(lang, T.count, n), { n: n.toLocaleString(lang) });

  // [data-natter-count="PAGE"], one request per 100 pages; needs no thread.
  async function counts(site, lp) {
    const els = Array.from(D.querySelectorAll('[data-natter-count]'));
    const pages = Array.from(new Set(els.map((e) => e.getAttribute('data-natter-count')).filter(Boolean)));
    const got = {};
    const jobs = [lp];
    for (let i = 0; i < pages.length; i += 100)
      jobs.push(api('POST', '/api/counts', { site, pages: pages.slice(i, i + 100) }).then((r) => Object.assign(got, r.counts), () => {}));
    const [[T, lang]] = await Promise.all(jobs);
    for (const e of els) {
      const n = got[e.getAttribute('data-natter-count')];
      if (typeof n == 'number') e.textContent = countText(T, lang, n);
    }
  }

  const DARK = '--natter-fg:#e6edf3;--natter-muted:#9198a1;--natter-bg:#0d1117;--natter-card:#161b22;--natter-border:#3d444d;--natter-accent:#4493f8;--natter-on-accent:#0d1117;--natter-error:#f85149;--natter-pending:#d29922';
  const CSS = `:host{--natter-fg:#1f2328;--natter-muted:#59636e;--natter-bg:#fff;--natter-card:#f6f8fa;--natter-border:#d1d9e0;--natter-accent:#0969da;--natter-on-accent:#fff;--natter-error:#d1242f;--natter-pending:#9a6700;--natter-font:system-ui,sans-serif;--natter-size:1rem;--natter-radius:6px;display:block}
:host([data-natter-theme=dark]){${DARK}}@media(prefers-color-scheme:dark){:host([data-natter-theme=auto]){${DARK}}}
*{box-sizing:border-box}[hidden]{display:none!important}
.n{color:var(--natter-fg);background:var(--natter-bg);font-family:var(--natter-font);font-size:var(--natter-size);line-height:1.5;padding:.5em}
.hd{display:flex;flex-wrap:wrap;gap:.5em;align-items:center;justify-content:space-between}h2{font-size:1.25em;margin:0}
a{color:var(--natter-accent)}button,input,textarea,select{font:inherit;color:var(--natter-fg)}
input,textarea,select{background:var(--natter-bg);border:1px solid var(--natter-border);border-radius:var(--natter-radius);padding:.4em .5em;width:100%}
select,input[type=checkbox]{width:auto}textarea{display:block;min-height:7em;resize:vertical}
button{cursor:pointer;background:none;border:1px solid var(--natter-border);border-radius:var(--natter-radius);padding:.3em .8em}
.p{background:var(--natter-accent);color:var(--natter-on-accent);border-color:var(--natter-accent)}button:disabled{opacity:.6}
:focus-visible{outline:2px solid var(--natter-accent);outline-offset:2px}
.f{display:grid;gap:.6em;margin:1em 0}.fl{display:grid;grid-template-columns:repeat(auto-fit,minmax(11em,1fr));gap:.6em}
label{display:grid;grid-template-rows:1fr auto;align-items:end;gap:.2em;font-size:.9em;color:var(--natter-muted)}.ck,.so{display:flex;gap:.4em;align-items:center}
.err,.e{color:var(--natter-error)}.st:empty{display:none}
.hp{position:absolute;left:-9999px}
.pv{border:1px dashed var(--natter-border);border-radius:var(--natter-radius);padding:0 .8em;min-height:7em}
.c{margin:1em 0}.r{display:flex;gap:.7em;align-items:flex-start}.av{width:40px;height:40px;border-radius:50%;flex:none}.b{flex:1;min-width:0}
.m{display:flex;flex-wrap:wrap;gap:0 .6em;font-size:.9em;color:var(--natter-muted)}.au{font-weight:600;color:var(--natter-fg)}.pe{color:var(--natter-pending);font-weight:600}
.pend .b{opacity:.8}.del{color:var(--natter-muted);font-style:italic}
.tx{overflow-wrap:anywhere}.tx p{margin:.4em 0}img{max-width:100%}.tx pre{overflow:auto}pre,code{background:var(--natter-card);padding:.1em .3em}
blockquote{margin:.5em 0;padding-left:.8em;border-left:3px solid var(--natter-border);color:var(--natter-muted)}
table{display:block;overflow:auto;border-collapse:collapse}td,th{border:1px solid var(--natter-border);padding:.2em .5em}
.a{display:flex;flex-wrap:wrap;gap:.4em;align-items:center;font-size:.9em}.a button{padding:.1em .6em}
.v[aria-pressed=true]{border-color:var(--natter-accent);color:var(--natter-accent)}
.k{margin-left:1.2em;padding-left:.8em;border-left:2px solid var(--natter-border)}.k:empty{display:none}
.lk{padding:.8em;background:var(--natter-card);border-radius:var(--natter-radius)}
@media(max-width:480px){.k{margin-left:.2em;padding-left:.5em}.av{width:32px;height:32px}}`;

  let gen = 0, timer, autoDiv, sheet;

  // Idempotent: SPAs call it again on navigation.
  function init(o) {
    o = o || {};
    const g = ++gen;
    clearInterval(timer);
    const opt = (k) => (o[k] != null ? String(o[k]) : attr(k));
    const site = opt('site');
    if (!site) return console.error('Natter: data-site is required');
    const lp = table(opt('lang') || navigator.language);
    counts(site, lp);
    let t = o.target && o.target.nodeType ? o.target : D.querySelector(opt('target') || '#natter');
    if (!t && autoDiv && autoDiv.isConnected) t = autoDiv;
    // No target: a div after the script, unless this is an index page with only counts.
    if (!t && S && S.parentNode && !D.querySelector('[data-natter-count]')) S.after((t = autoDiv = h('div')));
    if (t) mount(t, g, lp, {
      site,
      page: opt('page') || pageKey(location.pathname, location.search),
      title: opt('title') || D.title,
      theme: opt('theme'),
      sort: SORTS.includes(opt('sort')) ? opt('sort') : '',
    });
  }

  function mount(t, g, lp, cfg) {
    let root;
    try { root = t.shadowRoot || t.attachShadow({ mode: 'open' }); } catch (e) { // e.g. <ul> can't host one
      const d = t.querySelector(':scope>.natter-host') || t.appendChild(h('div', { class: 'natter-host' }));
      root = d.shadowRoot || d.attachShadow({ mode: 'open' });
    }
    root.host.setAttribute('data-natter-theme', /^(light|dark)$/.test(cfg.theme) ? cfg.theme : 'auto');
    // The server's no-JS fragment shows through the slot until the live view is ready.
    const stat = t.querySelector('.natter-static');
    const status = h('p', { class: 'st', role: 'status', 'aria-live': 'polite', tabindex: -1 });
    const box = h('div', { class: 'n' }, status);
    const slot = h('slot');
    root.textContent = '';
    root.append(box, slot);
    // a constructed sheet passes a host CSP without 'unsafe-inline'
    if (root.adoptedStyleSheets) {
      sheet = sheet || new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } else root.prepend(h('style', { text: CSS }));

    const now = Date.now();
    const own = get('own', {}); // {id: {token, until, text}}
    for (const id in own) if (!(Date.parse(own[id].until) > now)) delete own[id];
    put('own', own);
    const vk = 'votes:' + cfg.site, pk = `pending:${cfg.site}:${cfg.page}`;
    const votes = get(vk, {});
    let pend = get(pk, []).filter((c) => now - Date.parse(c.created_at) < 2592e6); // own held comments (30 days)
    let T = EN, lang = 'en', conf = {}, confAt = 0, items = [], next = null, total = 0, locked = false;
    let sort = cfg.sort, replyTo = null, els = new Map(), ready = false, sub;
    let heading, lockNote, formHome, ul, more, form, ta, send, cancelBtn;

    const say = (msg, err) => {
      status.textContent = msg || '';
      status.className = err ? 'st e' : 'st';
    };
    const focusC = (id) => els.has(id) && els.get(id).focus();
    const full = (iso) => new Date(iso).toLocaleString(lang);
    const left = (u) => fmt(T.editable, { n: Math.ceil((Date.parse(u) - Date.now()) / 6e4) });
    function errText(e) {
      const c = e.code;
      if (c == 'rate_limited') {
        const n = Math.max(1, Math.ceil(e.retry) || 0);
        return fmt(plural(lang, T.rate_limited, n), { n });
      }
      if (c == 'validation_failed') return T['v_' + e.field] || T.validation_failed;
      if (c == 'thread_locked') return T.locked;
      return EN.hasOwnProperty(c) ? T[c] : T.error;
    }
    const fail = (e) => say(errText(e), 1);
    const reqConf = () => api('GET', '/api/config?' + qs({ site: cfg.site })).then((c) => { conf = c; confAt = Date.now(); });
    const fetchList = (after) => api('GET', '/api/comments?' + qs({ site: cfg.site, page: cfg.page, sort, after }));

    lp.then(([x]) => ready || stat || say(x.loading));
    Promise.all([lp, reqConf(), fetchList()]).then(([[t2, l2], , r]) => {
      if (g != gen) return;
      T = t2;
      lang = l2;
      build();
      take(r);
      say('');
      ready = true;
      slot.remove();
      if (stat) stat.remove();
      timer = setInterval(tick, 15e3);
    }, (e) => lp.then(([t2, l2]) => {
      if (g != gen) return;
      T = t2;
      lang = l2;
      fail(e);
    }));

    function tick() {
      for (const x of box.querySelectorAll('[data-until]')) {
        const u = x.getAttribute('data-until');
        if (Date.parse(u) > Date.now()) x.lastChild.textContent = left(u);
        else x.remove();
      }
      for (const x of box.querySelectorAll('time')) x.textContent = ago(x.getAttribute('datetime'), Date.now(), lang);
    }

    function take(r, more) {
      const ids = new Set(r.comments.map((c) => c.id));
      items = more ? items.filter((c) => !ids.has(c.id)).concat(r.comments) : r.comments;
      pend = pend.filter((c) => !ids.has(c.id)); // approved now
      put(pk, pend);
      next = r.next;
      total = r.total;
      locked = r.locked;
      draw();
    }

    function build() {
      const sel = h('select', { onchange: () => ((sort = sel.value), fetchList().then(take, fail)) },
        SORTS.map((s) => h('option', { value: s }, T[s])));
      sel.value = sort || 'oldest';
      heading = h('h2');
      lockNote = h('p', { class: 'lk' }, T.locked);
      formHome = h('div');
      ul = h('div');
      more = btn(T.more, () => fetchList(next).then((r) => {
        take(r, true);
        if (r.comments[0]) focusC(r.comments[0].id);
      }, fail));
      box.prepend(h('div', { class: 'hd' }, [heading, h('label', { class: 'so' }, [T.sort, sel])]));
      box.append(lockNote, formHome, ul, more);

      const me = get('me', {});
      const errs = {}, inputs = {};
      const inp = (name, type, ac) => {
        const i = (inputs[name] = h('input', { name, type, autocomplete: ac }));
        i.value = me[name] || '';
        return i;
      };
      const paren = (l, parts) => `${l} (${parts.filter(Boolean).join(', ')})`;
      const field = (k, label, input) => {
        const e = (errs[k] = h('span', { class: 'err', id: 'natter-e-' + k }));
        input.setAttribute('aria-describedby', e.id);
        return h('label', null, [h('span', null, label), input, e]);
      };
      ta = inputs.text = h('textarea', { name: 'text', rows: 4, required: true, placeholder: T.md });
      const pv = h('div', { class: 'tx pv', hidden: true });
      const email = inp('email', 'email', 'email');
      const notify = h('input', { type: 'checkbox', name: 'notify', checked: !!me.notify });
      const nl = h('label', { class: 'ck', hidden: !email.value.trim() }, [notify, T.notify]);
      email.addEventListener('input', () => (nl.hidden = !email.value.trim()));
      const hp = h('input', { name: 'hp', tabindex: -1, autocomplete: 'off' });
      send = h('button', { type: 'submit', class: 'p' }, T.submit);
      const write = () => {
        pv.hidden = true;
        ta.hidden = false;
        prevBtn.textContent = T.preview;
      };
      const prevBtn = btn(T.preview, () => {
        if (!pv.hidden) return write(), ta.focus();
        if (!ta.value.trim()) return bad('text');
        api('POST', '/api/preview', { text: ta.value, site: cfg.site }).then((r) => {
          pv.innerHTML = r.html; // sanitized by the server
          pv.hidden = false;
          ta.hidden = true;
          prevBtn.textContent = T.write;
        }, fail);
      });
      cancelBtn = btn(T.cancel, () => {
        const id = replyTo;
        replyTo = null;
        placeForm();
        focusC(id);
      });
      const bad = (k, msg) => {
        write();
        errs[k].textContent = msg || T['v_' + k];
        inputs[k].setAttribute('aria-invalid', 'true');
        inputs[k].focus();
      };
      form = h('form', { class: 'f', novalidate: true, onsubmit: submit }, [
        field('text', T.text, ta),
        pv,
        h('div', { class: 'fl' }, [
          field('author', conf.require_name ? T.name : paren(T.name, [T.optional]), inp('author', 'text', 'name')),
          field('email', paren(T.email, [!conf.require_email && T.optional, T.private]), email),
          field('website', paren(T.website, [T.optional]), inp('website', 'url', 'url')),
        ]),
        nl,
        h('div', { class: 'hp', 'aria-hidden': 'true' }, hp),
        h('div', { class: 'a' }, [send, prevBtn, cancelBtn]),
      ]);

      async function submit(ev) {
        ev.preventDefault();
        for (const k in errs) {
          errs[k].textContent = '';
          inputs[k].removeAttribute('aria-invalid');
        }
        const text = ta.value;
        const [author, mail, website] = ['author', 'email', 'website'].map((k) => inputs[k].value.trim());
        if (!text.trim()) return bad('text');
        if (conf.require_name && !author) return bad('author');
        if ((conf.require_email && !mail) || !email.checkValidity()) return bad('email');
        if (website && !safeUrl(website)) return bad('website');
        send.disabled = true;
        say(T.sending);
        try {
          if (Date.now() - confAt > 72e6) await reqConf().catch(() => {}); // form_token lives 24 h
          const b = {
            site: cfg.site,
            page: cfg.page,
            title: cut(cfg.title, 300) || undefined,
            url: safeUrl(location.href.split('#')[0]) || undefined,
            parent: replyTo == null ? undefined : replyTo,
            author: author || undefined,
            email: mail || undefined,
            website: website || undefined,
            text,
            notify: !!(mail && notify.checked),
            author_key: key(),
            hp: hp.value,
            form_token: conf.form_token,
          };
          if (!sub || sub.t != text) sub = { t: text, k: rnd() };
          // url is a hint: the server's own pages are not on the site's origins
          const r = await api('POST', '/api/comments', b, 0, sub.k).catch((e) => (e.field == 'url' ? api('POST', '/api/comments', Object.assign(b, { url: null }), 0, sub.k) : Promise.reject(e)));
          sub = null;
          const c = r.comment;
          own[c.id] = { token: r.edit_token, until: r.edit_until, text };
          put('own', own);
          put('me', { author, email: mail, website, notify: notify.checked });
          if (c.status == 'pending') pend.push(c), put(pk, pend);
          else total++, !c.parent && sort == 'newest' ? items.unshift(c) : items.push(c);
          ta.value = '';
          replyTo = null;
          write();
          draw();
          say(c.status == 'pending' ? T.held : T.posted);
          (els.get(c.id) || status).focus();
        } catch (e) {
          if (e.code == 'thread_locked') (locked = true), draw();
          if (e.code == 'validation_failed' && errs[e.field]) bad(e.field, errText(e)), say('');
          else fail(e), status.focus();
        }
        send.disabled = false;
      }
    }

    function placeForm() {
      lockNote.hidden = !locked;
      if (locked) return form.remove();
      const at = replyTo != null && els.get(replyTo);
      if (at) at.firstChild.after(form);
      else (replyTo = null), formHome.append(form);
      cancelBtn.hidden = !at;
    }

    function draw() {
      heading.textContent = countText(T, lang, total);
      ul.textContent = '';
      els = new Map();
      const kids = new Map();
      for (const n of nest(items.concat(pend), typeof conf.max_depth == 'number' ? conf.max_depth : 5)) {
        const [el, k] = comment(n);
        (n.holder == null ? ul : kids.get(n.holder)).append(el);
        kids.set(n.c.id, k);
        els.set(n.c.id, el);
      }
      more.hidden = !next;
      placeForm();
    }

    function comment({ c, replyTo: rt }) {
      const k = h('div', { class: 'k' });
      const pending = c.status == 'pending';
      const art = (cls, row) => [h('article', { class: cls, tabindex: -1 }, [row, k]), k];
      if (c.status == 'deleted') return art('c', h('p', { class: 'r del' }, T.deleted));
      const name = c.author || T.anon;
      const site = safeUrl(c.website);
      const avatar = c.avatar && safeUrl(c.avatar, ORIGIN);
      const body = h('div', { class: 'tx' });
      body.innerHTML = c.html; // rendered and sanitized by the server
      const acts = h('div', { class: 'a' });
      if (!pending) {
        acts.append(...voter(c));
        if (!locked) acts.append(btn(T.reply, () => ((replyTo = c.id), placeForm(), ta.focus())));
      }
      const mine = own[c.id];
      if (mine && Date.parse(mine.until) > Date.now()) acts.append(h('span', { class: 'a', 'data-until': mine.until }, [
        btn(T.edit, () => edit(c, body, mine)),
        btn(T.del, () => del(c, mine)),
        h('span', null, left(mine.until)),
      ]));
      const meta = h('div', { class: 'm' }, [
        site ? h('a', { class: 'au', href: site, rel: 'nofollow ugc' }, name) : h('span', { class: 'au' }, name),
        rt && h('span', null, '↪ ' + fmt(T.replyTo, { name: rt.author || T.anon })),
        h('time', { datetime: c.created_at, title: full(c.created_at) }, ago(c.created_at, Date.now(), lang)),
        c.edited_at && h('span', { title: full(c.edited_at) }, T.edited),
        pending && h('span', { class: 'pe' }, T.pending),
      ]);
      return art(pending ? 'c pend' : 'c', h('div', { class: 'r' }, [
        avatar && h('img', { class: 'av', src: avatar, alt: '', width: 40, height: 40, loading: 'lazy' }),
        h('div', { class: 'b' }, [meta, body, acts]),
      ]));
    }

    function voter(c) {
      let busy = false;
      const show = () => [[up, 1, c.likes, T.like, '▲ '], [down, -1, c.dislikes, T.dislike, '▼ ']].forEach(([b, v, n, l, s]) => {
        b.textContent = s + n;
        b.setAttribute('aria-label', `${l}: ${n}`);
        b.setAttribute('aria-pressed', votes[c.id] == v);
      });
      const vote = (v) => {
        if (busy) return;
        busy = true;
        v = votes[c.id] == v ? 0 : v; // pressing it again withdraws the vote
        api('POST', `/api/comments/${c.id}/vote`, { value: v }).then((r) => {
          c.likes = r.likes;
          c.dislikes = r.dislikes;
          if (v) votes[c.id] = v;
          else delete votes[c.id];
          put(vk, votes);
          show();
        }, fail).then(() => (busy = false));
      };
      const up = btn('', () => vote(1), 'v');
      const down = btn('', () => vote(-1), 'v');
      show();
      return [up, down];
    }

    function edit(c, body, mine) {
      const area = h('textarea', { 'aria-label': T.text, rows: 5 });
      area.value = mine.text || '';
      const err = h('p', { class: 'err' });
      const ed = h('div', { class: 'f' }, [area, err, h('div', { class: 'a' }, [
        btn(T.save, save, 'p'),
        btn(T.cancel, () => (ed.replaceWith(body), focusC(c.id))),
      ])]);
      body.replaceWith(ed);
      area.focus();
      function save() {
        const text = area.value;
        if (!text.trim()) return (err.textContent = T.v_text), area.focus();
        api('PATCH', '/api/comments/' + c.id, { text }, mine.token).then((r) => {
          const n = (r && r.comment) || r;
          mine.text = text;
          put('own', own);
          if (n && n.id == c.id) {
            for (const a of [items, pend]) {
              const i = a.findIndex((x) => x.id == c.id);
              if (i >= 0) a[i] = n;
            }
            // an edit can send it back to moderation
            if (n.status == 'pending' && c.status != 'pending') (items = items.filter((x) => x != n)), pend.push(n), total--;
          }
          put(pk, pend);
          draw();
          say(n && n.status == 'pending' ? T.held : '');
          focusC(c.id);
        }, (e) => {
          err.textContent = errText(e);
          area.focus();
          if (e.code == 'edit_window_closed' || e.code == 'unauthorized') delete own[c.id], put('own', own);
        });
      }
    }

    function del(c, mine) {
      if (!confirm(T.confirmDel)) return;
      api('DELETE', '/api/comments/' + c.id, null, mine.token).then(() => {
        delete own[c.id];
        put('own', own);
        pend = pend.filter((x) => x.id != c.id);
        put(pk, pend);
        if (c.status == 'approved') total--;
        // a tombstone if it has replies
        items = items.some((x) => x.parent == c.id)
          ? items.map((x) => (x.id == c.id ? Object.assign({}, x, { status: 'deleted', html: '', author: null, website: null, avatar: null }) : x))
          : items.filter((x) => x.id != c.id);
        draw();
        say(T.removed);
        status.focus();
      }, fail);
    }
  }

  window.Natter = { init };
  if (D.readyState == 'loading') D.addEventListener('DOMContentLoaded', () => gen || init());
  else init();
})();
