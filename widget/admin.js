// Natter moderation page. Plain JS, no dependencies, no inline anything (the page has a strict CSP).
// Only a comment's server-sanitized `html` goes into innerHTML; every other field is set as text.
'use strict';
(() => {
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
  const KEY = 'natter:admin-token';
  const STATUSES = ['pending', 'approved', 'rejected', 'deleted'];
  let token = sessionStorage.getItem(KEY);
  let offset = 0;
  let total = 0;
  const byId = new Map(); // comments on screen

  const el = Object.fromEntries(
    ['status', 'logout', 'login', 'token', 'login-error', 'app', 'sites', 'queue-h', 'filters', 'f-site', 'f-status', 'f-page', 'f-limit',
      'list-error', 'select-all', 'bulk-approve', 'bulk-reject', 'summary', 'list', 'prev', 'next', 'thread', 't-site', 't-page',
      't-state', 'thread-error', 'erase', 'e-site', 'e-email', 'erase-confirm', 'erase-question', 'erase-yes', 'erase-no', 'erase-error',
    ].map((id) => [id.replace(/-(\w)/g, (_, c) => c.toUpperCase()), document.getElementById(id)]),
  );

  /* ---------- API ---------- */
  class ApiError extends Error {
    constructor(status, e = {}) {
      super(e.message || `The server answered ${status}.`);
      Object.assign(this, { status, code: e.code || 'http_' + status, field: e.field || null, retryAfter: e.retry_after });
    }
  }
  async function api(method, path, body, auth = true) {
    const opts = { method, headers: {}, cache: 'no-store' };
    if (auth) opts.headers.Authorization = 'Bearer ' + token;
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, opts);
    } catch {
      throw new ApiError(0, { code: 'network', message: 'Cannot reach the server. Check the connection and try again.' });
    }
    if (res.status === 204) return null;
    const data = await res.json().catch(() => null);
    if (!res.ok) throw new ApiError(res.status, data && data.error);
    return data;
  }
  const qs = (o) => new URLSearchParams(Object.entries(o).filter(([, v]) => v !== '' && v != null)).toString();

  // Shows an error where it happened; a 401 means the token is gone: back to the login form.
  function report(err, where) {
    if (err.status === 401) return toLogin('Your session has ended or the token was revoked. Please log in again.');
    let msg = err.message;
    if (err.status === 429 && err.retryAfter) msg += ` Try again in ${err.retryAfter} s.`;
    if (where) where.textContent = msg;
    else say(msg);
  }
  const say = (msg) => (el.status.textContent = msg);
  const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

  /* ---------- login / logout ---------- */
  function toLogin(error = '') {
    token = null;
    sessionStorage.removeItem(KEY);
    byId.clear();
    el.list.replaceChildren();
    el.sites.replaceChildren();
    el.app.hidden = el.logout.hidden = true;
    el.login.hidden = false;
    el.loginError.textContent = error;
    el.token.setAttribute('aria-invalid', String(!!error));
    el.token.focus();
  }
  el.login.addEventListener('submit', async (e) => {
    e.preventDefault();
    const candidate = el.token.value.trim();
    if (!candidate) return;
    token = candidate;
    try {
      await api('GET', '/api/admin/sites');
    } catch (err) {
      token = null;
      el.loginError.textContent = err.status === 401 ? 'That token was not accepted. Check it and try again.' : err.message;
      el.token.setAttribute('aria-invalid', 'true');
      el.token.select();
      return;
    }
    sessionStorage.setItem(KEY, token);
    el.token.value = '';
    el.loginError.textContent = '';
    el.token.removeAttribute('aria-invalid');
    say('Logged in.');
    showApp();
  });
  el.logout.addEventListener('click', () => {
    toLogin();
    say('Logged out.');
  });

  async function showApp() {
    el.login.hidden = true;
    el.app.hidden = el.logout.hidden = false;
    el.queueH.focus();
    await loadSites();
    if (token) await load();
  }

  /* ---------- sites and counts ---------- */
  async function loadSites() {
    let data;
    try {
      data = await api('GET', '/api/admin/sites');
    } catch (err) {
      return report(err, el.listError);
    }
    el.sites.replaceChildren(...data.sites.map((s) => {
      const li = document.createElement('li');
      const name = document.createElement('strong');
      name.textContent = s.id;
      const mode = document.createElement('span');
      mode.className = 'muted small';
      mode.textContent = ` moderation: ${s.moderation}`;
      const counts = document.createElement('div');
      counts.className = 'row';
      for (const st of STATUSES) {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'link count';
        b.dataset.site = s.id;
        b.dataset.status = st;
        b.textContent = `${s.counts[st] ?? 0} ${st}`;
        b.setAttribute('aria-label', `${s.id}: ${s.counts[st] ?? 0} ${st}, show them`);
        counts.append(b);
      }
      li.append(name, mode, counts);
      return li;
    }));
    for (const [select, any] of [[el.fSite, true], [el.tSite, false], [el.eSite, false]]) {
      const keep = select.value;
      const opts = data.sites.map((s) => new Option(s.id, s.id));
      select.replaceChildren(...(any ? [new Option('All sites', '')] : []), ...opts);
      if ([...select.options].some((o) => o.value === keep)) select.value = keep;
    }
  }
  el.sites.addEventListener('click', (e) => {
    const b = e.target.closest('button.count');
    if (!b) return;
    el.fSite.value = b.dataset.site;
    el.fStatus.value = b.dataset.status;
    offset = 0;
    load();
  });

  /* ---------- the list ---------- */
  async function load() {
    const f = new FormData(el.filters);
    const query = qs({ site: f.get('site'), status: f.get('status'), page: f.get('page'), q: f.get('q').trim(), limit: f.get('limit'), offset });
    el.listError.textContent = '';
    el.list.setAttribute('aria-busy', 'true');
    try {
      const data = await api('GET', '/api/admin/comments?' + query);
      total = data.total;
      if (!data.comments.length && offset > 0 && total > 0) {
        offset = Math.max(0, Math.floor((total - 1) / limit()) * limit());
        return load();
      }
      byId.clear();
      el.list.replaceChildren(...data.comments.map(render));
    } catch (err) {
      report(err, el.listError);
    } finally {
      el.list.removeAttribute('aria-busy');
      update();
    }
  }
  const limit = () => +el.fLimit.value;
  const statusFilter = () => el.fStatus.value;

  function update() {
    const shown = el.list.children.length;
    const what = statusFilter() === 'all' ? 'comments' : `${statusFilter()} comments`;
    el.summary.textContent = total === 0 ? `No ${what}.` : `Showing ${offset + 1}–${offset + shown} of ${total} ${what}.`;
    el.prev.disabled = offset === 0;
    el.next.disabled = offset + shown >= total;
    syncBulk();
  }
  el.prev.addEventListener('click', () => ((offset = Math.max(0, offset - limit())), load()));
  el.next.addEventListener('click', () => ((offset += limit()), load()));
  el.filters.addEventListener('submit', (e) => (e.preventDefault(), (offset = 0), load()));
  el.filters.addEventListener('reset', () => setTimeout(() => ((offset = 0), load())));
  el.filters.addEventListener('change', (e) => e.target.tagName === 'SELECT' && ((offset = 0), load()));

  function render(c) {
    byId.set(c.id, c);
    const li = $('#comment-tpl').content.firstElementChild.cloneNode(true);
    li.dataset.id = c.id;
    const status = STATUSES.includes(c.status) ? c.status : 'pending';
    const author = c.author || 'Anonymous';
    $('.author', li).textContent = author;
    $('.badge', li).textContent = status;
    $('.badge', li).classList.add('st-' + status);
    $('.email', li).textContent = c.email || '';
    $('.ip', li).textContent = c.ip ? `IP ${c.ip}` : '';
    const web = $('.website', li);
    if (c.website && /^https?:\/\//i.test(c.website)) {
      web.href = c.website;
      web.textContent = c.website;
    } else web.remove();
    // Where it came from: a Webmention's source page (or a Fediverse post).
    const via = $('.via', li);
    if (c.via && /^https?:\/\//i.test(c.via.url)) {
      via.href = c.via.url;
      via.textContent = `via ${c.via.kind}: ${c.via.url}`;
    } else via.remove();
    if (typeof c.avatar === 'string' && c.avatar.startsWith('/api/avatar/')) {
      $('.av', li).src = c.avatar;
      $('.av', li).hidden = false;
    }
    $('.site', li).textContent = c.site;
    const tb = $('.thread-btn', li);
    tb.textContent = c.page;
    tb.setAttribute('aria-label', `Show only the thread ${c.page}`);
    const time = $('time', li);
    time.dateTime = c.created_at;
    time.textContent = new Date(c.created_at).toLocaleString();
    if (c.edited_at) $('.edited', li).textContent = '(edited)';
    const sel = $('.sel', li);
    $('.vh', li).textContent = `Select comment ${c.id} by ${author}`;
    const body = $('.body', li);
    if (c.html) {
      // Parsed in an inert template: images are shown as links, never loaded into the moderator's browser.
      const t = document.createElement('template');
      t.innerHTML = c.html;
      for (const img of t.content.querySelectorAll('img')) {
        const a = document.createElement('a');
        const src = img.getAttribute('src') || '';
        if (/^https?:\/\//i.test(src)) a.href = src;
        a.rel = 'nofollow noopener noreferrer';
        a.textContent = `[image${img.alt ? ': ' + img.alt : ''}]`;
        img.replaceWith(a);
      }
      body.append(t.content);
    } else {
      body.textContent = status === 'deleted' ? '(deleted)' : '(empty)';
      body.classList.add('muted');
    }
    if (status === 'deleted') {
      $('.actions', li).remove();
      sel.disabled = true;
    } else {
      $('[data-act=approve]', li).disabled = status === 'approved';
      $('[data-act=reject]', li).disabled = status === 'rejected';
      for (const b of $$('.actions button', li)) b.setAttribute('aria-label', `${b.textContent} comment ${c.id} by ${author}`);
    }
    return li;
  }

  // A comment changed on the server: redraw it, or drop it when it no longer matches the filter.
  function replace(li, c, focused = li.contains(document.activeElement)) {
    if (c && (statusFilter() === 'all' || statusFilter() === c.status)) {
      const fresh = render(c);
      li.replaceWith(fresh);
      if (focused) ($('.actions button:not(:disabled)', fresh) || fresh.querySelector('.sel')).focus();
    } else {
      const next = li.nextElementSibling || li.previousElementSibling;
      byId.delete(+li.dataset.id);
      li.remove();
      total = Math.max(0, total - 1);
      if (focused) (next ? $('.actions button:not(:disabled)', next) || $('.sel', next) : el.queueH).focus();
      if (!el.list.children.length && total > 0) load();
    }
    update();
  }

  const act = (id, what) =>
    what === 'delete' ? api('DELETE', `/api/admin/comments/${id}`) : api('POST', `/api/admin/comments/${id}/${what}`);
  const PAST = { approve: 'approved', reject: 'rejected', delete: 'deleted' };

  el.list.addEventListener('click', async (e) => {
    const b = e.target.closest('button');
    if (!b) return;
    const li = b.closest('li.comment');
    const id = +li.dataset.id;
    const c = byId.get(id);
    if (b.classList.contains('thread-btn')) {
      el.fSite.value = c.site;
      el.fPage.value = c.page;
      el.tSite.value = c.site;
      el.tPage.value = c.page;
      threadState();
      offset = 0;
      return load();
    }
    const what = b.dataset.act;
    if (!what) return;
    if (what === 'edit') return startEdit(li, c);
    const err = $(':scope > .error', li);
    err.textContent = '';
    const focused = li.contains(document.activeElement); // before disabling the button drops the focus
    b.disabled = true;
    try {
      const updated = await act(id, what);
      replace(li, updated, focused);
      say(`Comment ${id} ${PAST[what]}.`);
      loadSites();
    } catch (x) {
      b.disabled = false;
      report(x, err);
    }
  });
  el.list.addEventListener('change', (e) => e.target.classList.contains('sel') && syncBulk());

  /* ---------- editing ---------- */
  function startEdit(li, c) {
    if ($('form.edit', li)) return $('textarea', li).focus();
    const form = $('#edit-tpl').content.firstElementChild.cloneNode(true);
    form.elements.text.value = c.text || '';
    form.elements.author.value = c.author || '';
    form.elements.website.value = c.website || '';
    $('.actions', li).hidden = true;
    $('.body', li).after(form);
    form.elements.text.focus();
    const close = () => {
      form.remove();
      $('.actions', li).hidden = false;
      $('[data-act=edit]', li).focus();
    };
    $('.cancel', form).addEventListener('click', close);
    form.addEventListener('keydown', (e) => e.key === 'Escape' && close());
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const err = $(':scope > .error', li);
      err.textContent = '';
      for (const f of form.elements) f.removeAttribute('aria-invalid');
      const patch = {};
      for (const k of ['text', 'author', 'website']) if (form.elements[k].value !== (c[k] || '')) patch[k] = form.elements[k].value;
      if (!Object.keys(patch).length) return close();
      try {
        const updated = await api('PATCH', `/api/admin/comments/${c.id}`, patch);
        const fresh = render(updated);
        li.replaceWith(fresh);
        $('[data-act=edit]', fresh).focus();
        say(`Comment ${c.id} saved.`);
        update();
      } catch (x) {
        const field = x.field && form.elements[x.field];
        if (field) {
          field.setAttribute('aria-invalid', 'true');
          field.focus();
        }
        report(x, err);
      }
    });
  }

  /* ---------- bulk ---------- */
  const boxes = () => $$('.sel:not(:disabled)', el.list);
  function syncBulk() {
    const all = boxes();
    const n = all.filter((b) => b.checked).length;
    el.selectAll.checked = n > 0 && n === all.length;
    el.selectAll.indeterminate = n > 0 && n < all.length;
    el.selectAll.disabled = !all.length;
    el.bulkApprove.disabled = el.bulkReject.disabled = !n;
    el.bulkApprove.textContent = n ? `Approve selected (${n})` : 'Approve selected';
    el.bulkReject.textContent = n ? `Reject selected (${n})` : 'Reject selected';
  }
  el.selectAll.addEventListener('change', () => {
    for (const b of boxes()) b.checked = el.selectAll.checked;
    syncBulk();
  });
  async function bulk(what) {
    const lis = boxes().filter((b) => b.checked).map((b) => b.closest('li'));
    el.bulkApprove.disabled = el.bulkReject.disabled = true;
    let done = 0;
    const failed = [];
    for (const li of lis) {
      try {
        replace(li, await act(+li.dataset.id, what));
        done++;
      } catch (x) {
        if (x.status === 401) return report(x);
        failed.push(`#${li.dataset.id}: ${x.message}`);
        $(':scope > .error', li).textContent = x.message;
      }
    }
    say(`${plural(done, 'comment')} ${PAST[what]}.` + (failed.length ? ` ${failed.length} failed (${failed.join('; ')}).` : ''));
    syncBulk();
    loadSites();
  }
  el.bulkApprove.addEventListener('click', () => bulk('approve'));
  el.bulkReject.addEventListener('click', () => bulk('reject'));

  /* ---------- thread lock ---------- */
  // The public thread answer carries `locked`; there is no admin read for it.
  async function threadState() {
    el.tState.textContent = '';
    const site = el.tSite.value;
    const page = el.tPage.value;
    if (!site || !page) return;
    try {
      const r = await api('GET', '/api/comments?' + qs({ site, page, limit: 1 }), undefined, false);
      if (el.tSite.value === site && el.tPage.value === page) el.tState.textContent = `This thread is ${r.locked ? 'locked' : 'open'}.`;
    } catch {
      /* the form still works; the server will say what is wrong on submit */
    }
  }
  el.tSite.addEventListener('change', threadState);
  el.tPage.addEventListener('change', threadState);
  el.thread.addEventListener('submit', async (e) => {
    e.preventDefault();
    el.threadError.textContent = '';
    el.tPage.removeAttribute('aria-invalid');
    const locked = e.submitter ? e.submitter.value === 'lock' : true;
    const body = { site: el.tSite.value, page: el.tPage.value, locked };
    try {
      const r = await api('POST', '/api/admin/threads/lock', body);
      el.tState.textContent = `This thread is ${r.locked ? 'locked' : 'open'}.`;
      say(`Thread ${r.page} on ${r.site} ${r.locked ? 'locked' : 'unlocked'}.`);
    } catch (x) {
      if (x.field === 'page') el.tPage.setAttribute('aria-invalid', 'true');
      report(x, el.threadError);
    }
  });

  /* ---------- erase by email, with a confirmation step ---------- */
  let pendingErase = null;
  function cancelErase(focus) {
    pendingErase = null;
    el.eraseConfirm.hidden = true;
    if (focus) el.eEmail.focus();
  }
  el.erase.addEventListener('input', () => cancelErase(false));
  el.erase.addEventListener('change', () => cancelErase(false));
  el.erase.addEventListener('submit', async (e) => {
    e.preventDefault();
    el.eraseError.textContent = '';
    const site = el.eSite.value;
    const email = el.eEmail.value.trim();
    let count = '';
    try {
      const r = await api('GET', '/api/admin/comments?' + qs({ site, status: 'all', q: email, limit: 200 }));
      const n = r.comments.filter((c) => (c.email || '').toLowerCase() === email.toLowerCase()).length;
      count = r.total > 200 ? ' They have at least ' + plural(n, 'comment') + '.' : ` They have ${plural(n, 'comment')}.`;
    } catch (x) {
      if (x.status === 401) return report(x);
      // counting is a courtesy; the erase itself reports real errors
    }
    pendingErase = { site, email };
    el.eraseQuestion.textContent = `Erase everything stored about ${email} on ${site}?${count} ` +
      'Their comments are removed (kept as “deleted” placeholders where others replied). This cannot be undone.';
    el.eraseConfirm.hidden = false;
    el.eraseQuestion.focus();
  });
  el.eraseNo.addEventListener('click', () => cancelErase(true));
  el.eraseYes.addEventListener('click', async () => {
    if (!pendingErase) return;
    const { site, email } = pendingErase;
    el.eraseYes.disabled = true;
    try {
      const r = await api('POST', '/api/admin/erase', { site, email });
      cancelErase(false);
      el.eEmail.value = '';
      el.eEmail.focus();
      say(`Erased ${plural(r.erased, 'comment')} of ${email} on ${site}.`);
      loadSites();
      load();
    } catch (x) {
      if (x.field === 'email') el.eEmail.setAttribute('aria-invalid', 'true');
      cancelErase(false);
      report(x, el.eraseError);
    } finally {
      el.eraseYes.disabled = false;
    }
  });
  el.eEmail.addEventListener('input', () => el.eEmail.removeAttribute('aria-invalid'));

  /* ---------- start ---------- */
  if (token) showApp();
  else toLogin();
})();
