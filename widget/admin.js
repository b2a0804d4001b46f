// Natter moderation page. Plain JS, no dependencies, no inline anything (the page has a strict CSP).
// Only a comment's server-sanitized `html` goes into innerHTML; every other field is set as text.
'use strict';
(() => {
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
  const KEY = 'natter:admin-token';
  const NAME_KEY = 'natter:owner-name'; // the name a reply as owner is signed with (not a secret)
  const STATUSES = ['pending', 'approved', 'rejected', 'spam', 'deleted'];
  const COUNTED = ['pending', 'approved', 'rejected', 'deleted']; // the statuses /api/admin/sites counts
  // Why the server held a comment (AdminComment.held_reason), in words.
  const HELD = {
    moderation_all: 'this site holds every comment for approval',
    first_comment: 'a first comment from someone not trusted yet',
    too_many_links: 'more than 3 links',
    too_fast: 'sent too soon after the form opened (bots are fast)',
    form_token: 'the form token was missing, forged or expired',
    blocked: 'the author is blocked',
    honeypot: 'a bot filled in the hidden honeypot field',
    not_public: 'a Fediverse reply to followers only or a direct message, which is never shown',
  };
  const EXPIRY = [['1 day', 86400], ['7 days', 7 * 86400], ['30 days', 30 * 86400], ['Never (until unblocked)', 0]];
  const KIND = { email: 'Email', network: 'Network', author_key: 'Author key' };
  let token = sessionStorage.getItem(KEY);
  let offset = 0;
  let total = 0;
  let view = 'queue';
  const byId = new Map(); // comments on screen

  const el = Object.fromEntries(
    ['status', 'logout', 'help-open', 'help', 'help-close', 'login', 'token', 'login-error', 'app', 'view-queue', 'view-blocks', 'view-audit',
      'sites', 'queue-h', 'filters', 'f-site', 'f-status', 'f-page', 'f-limit', 'list-error', 'select-all', 'bulk-approve', 'bulk-reject',
      'bulk-spam', 'bulk-delete', 'bulk-confirm', 'bulk-question', 'bulk-yes', 'bulk-no', 'summary', 'list', 'prev', 'next', 'thread',
      't-site', 't-page', 't-state', 'thread-error', 'erase', 'e-site', 'e-who', 'erase-confirm', 'erase-question', 'erase-yes',
      'erase-no', 'erase-error', 'blocks-h', 'block-new', 'b-site', 'b-kind', 'b-value', 'b-expiry', 'blocks-error', 'blocks-summary',
      'blocks', 'audit-h', 'audit-filter', 'a-site', 'audit-error', 'audit-summary', 'audit', 'audit-prev', 'audit-next',
      'view-sessions', 'sessions-h', 'sessions-filter', 's-site', 'sessions-error', 'sessions-summary', 'sessions',
    ].map((id) => [id.replace(/-(\w)/g, (_, c) => c.toUpperCase()), document.getElementById(id)]),
  );
  const BULK = { approve: el.bulkApprove, reject: el.bulkReject, spam: el.bulkSpam, delete: el.bulkDelete };
  const clone = (id) => $('#' + id).content.firstElementChild.cloneNode(true);
  // The expiry choices of a block, as <option value="seconds">.
  const expiries = (select) => {
    select.replaceChildren(...EXPIRY.map(([label, secs]) => new Option(label, secs ? String(secs) : '')));
    select.value = String(30 * 86400);
  };
  const expiresAt = (secs) => (secs ? new Date(Date.now() + secs * 1000).toISOString().replace(/\.\d+Z$/, 'Z') : null);
  expiries(el.bExpiry);

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
    for (const list of [el.list, el.sites, el.blocks, el.audit, el.sessions]) list.replaceChildren();
    if (el.help.open) el.help.close();
    showView('queue', false);
    el.app.hidden = el.logout.hidden = el.helpOpen.hidden = true;
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
    el.app.hidden = el.logout.hidden = el.helpOpen.hidden = false;
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
      for (const st of COUNTED) {
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
    for (const [select, any] of [[el.fSite, true], [el.tSite, false], [el.eSite, false], [el.bSite, false], [el.aSite, true], [el.sSite, true]]) {
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
    const li = clone('comment-tpl');
    li.dataset.id = c.id;
    li.tabIndex = -1; // j and k move the focus from comment to comment
    const status = STATUSES.includes(c.status) ? c.status : 'pending';
    const author = c.author || 'Anonymous';
    li.setAttribute('aria-label', `Comment ${c.id} by ${author}, ${status}`);
    $('.author', li).textContent = author;
    $('.badge', li).textContent = status;
    $('.badge', li).classList.add('st-' + status);
    $('.owner', li).hidden = c.badge !== 'owner';
    $('.email', li).textContent = c.email || '';
    $('.ip', li).textContent = c.ip ? `IP ${c.ip}` : '';
    const web = $('.website', li);
    if (c.website && /^https?:\/\//i.test(c.website)) {
      web.href = c.website;
      web.textContent = c.website;
    } else web.remove();
    // Where it came from: a Webmention's source page, or a Fediverse reply (named by its author's handle).
    const via = $('.via', li);
    if (c.via && /^https?:\/\//i.test(c.via.url)) {
      via.href = c.via.url;
      via.textContent = c.via.kind === 'fediverse' && c.via.handle ? `via Fediverse: ${c.via.handle}` : `via ${c.via.kind}: ${c.via.url}`;
    } else via.remove();
    // Who really wrote it, when signed in: the provider's own subject, whatever name the comment shows.
    if (c.identity) {
      $('.identity', li).textContent = `Signed in: ${identityText(c.identity)}`;
      $('.identity', li).hidden = false;
    }
    if (typeof c.avatar === 'string' && c.avatar.startsWith('/api/avatar/')) {
      $('.av', li).src = c.avatar;
      $('.av', li).hidden = false;
    }
    if (c.held_reason) {
      $('.held', li).textContent = `Why held: ${HELD[c.held_reason] || c.held_reason}.`;
      $('.held', li).dataset.reason = c.held_reason;
      $('.held', li).hidden = false;
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
      for (const what of ['approve', 'reject', 'spam']) $(`[data-act=${what}]`, li).disabled = status === PAST[what];
      // A reply's parent must be approved: a held comment is approved first; rejected and spam ones take none.
      if (status === 'rejected' || status === 'spam') $('[data-act=reply]', li).remove();
      // A followers-only or direct reply from the Fediverse is not the public's to read: no Approve.
      if (c.held_reason === 'not_public') $('[data-act=approve]', li).remove();
      for (const b of $$('.actions button', li)) b.setAttribute('aria-label', `${b.textContent.replace('…', '')} comment ${c.id} by ${author}`);
    }
    return li;
  }

  // A comment changed on the server: redraw it, or drop it when it no longer matches the filter. The focus
  // stays where the moderator was: on the comment itself (keyboard), else on its first action.
  function replace(li, c, focused = li.contains(document.activeElement), onItem = document.activeElement === li) {
    const target = (item) => (onItem ? item : $('.actions button:not(:disabled)', item) || $('.sel', item));
    if (c && (statusFilter() === 'all' || statusFilter() === c.status)) {
      const fresh = render(c);
      li.replaceWith(fresh);
      if (focused) target(fresh).focus();
    } else {
      const next = li.nextElementSibling || li.previousElementSibling;
      byId.delete(+li.dataset.id);
      li.remove();
      total = Math.max(0, total - 1);
      if (focused) (next ? target(next) : el.queueH).focus();
      if (!el.list.children.length && total > 0) load();
    }
    update();
  }

  const PAST = { approve: 'approved', reject: 'rejected', spam: 'spam', delete: 'deleted' };
  const DONE = { ...PAST, spam: 'marked as spam' };

  // One comment's approve, reject, spam or (confirmed) delete, from its button or its shortcut.
  async function act(li, what, b, onItem = document.activeElement === li) {
    const id = +li.dataset.id;
    const err = $(':scope > .error', li);
    err.textContent = '';
    const focused = li.contains(document.activeElement); // before disabling the button drops the focus
    b.disabled = true;
    try {
      const updated = what === 'delete' ? await api('DELETE', `/api/admin/comments/${id}`) : await api('POST', `/api/admin/comments/${id}/${what}`);
      replace(li, updated, focused, onItem);
      say(`Comment ${id} ${DONE[what]}.`);
      loadSites();
    } catch (x) {
      b.disabled = false;
      report(x, err);
    }
  }

  el.list.addEventListener('click', (e) => {
    const b = e.target.closest('button');
    const li = b && b.closest('li.comment');
    // A form's Cancel may have taken its own button out of the page before the click got here.
    if (!li || !el.list.contains(li)) return;
    const c = byId.get(+li.dataset.id);
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
    if (what === 'edit') startEdit(li, c);
    else if (what === 'reply') startReply(li, c);
    else if (what === 'block') startBlock(li, c);
    else if (what === 'delete') askDelete(li, c);
    else if (what) act(li, what, b);
  });
  el.list.addEventListener('change', (e) => e.target.classList.contains('sel') && syncBulk());

  /* ---------- forms inside a comment: edit, reply, block, confirm a delete ---------- */
  // Shows `form` in place of the comment's buttons; `close()` puts them back and focuses `back`.
  function inline(li, form, back) {
    $('.actions', li).hidden = true;
    $('.body', li).after(form);
    const close = () => {
      form.remove();
      $('.actions', li).hidden = false;
      $(`[data-act=${back}]`, li).focus();
    };
    $('.cancel, .no', form).addEventListener('click', close);
    form.addEventListener('keydown', (e) => e.key === 'Escape' && (e.stopPropagation(), close()));
    return close;
  }
  const open = (li) => $('form.edit, form.reply, form.block, .confirm', li);

  function startEdit(li, c) {
    if (open(li)) return;
    const form = clone('edit-tpl');
    form.elements.text.value = c.text || '';
    form.elements.author.value = c.author || '';
    form.elements.website.value = c.website || '';
    const close = inline(li, form, 'edit');
    form.elements.text.focus();
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
        invalid(form, x);
        report(x, err);
      }
    });
  }
  function invalid(form, x) {
    const field = x.field && form.elements[x.field];
    if (field && field.focus) {
      field.setAttribute('aria-invalid', 'true');
      field.focus();
    }
  }

  // Reply as the owner: the admin token on POST /api/comments makes the reply approved and badged.
  function startReply(li, c) {
    if (open(li)) return;
    const form = clone('reply-tpl');
    const submit = $('button[type=submit]', form);
    submit.textContent = c.status === 'approved' ? 'Post reply' : 'Approve and reply';
    form.elements.author.value = localStorage.getItem(NAME_KEY) || '';
    inline(li, form, 'reply');
    form.elements.text.focus();
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const err = $(':scope > .error', li);
      err.textContent = '';
      for (const f of form.elements) f.removeAttribute('aria-invalid');
      const author = form.elements.author.value.trim();
      submit.disabled = true;
      try {
        let parent = byId.get(c.id) || c;
        if (parent.status !== 'approved') {
          parent = await api('POST', `/api/admin/comments/${c.id}/approve`);
          byId.set(c.id, parent);
          submit.textContent = 'Post reply';
        }
        const r = await api('POST', '/api/comments', { site: c.site, page: c.page, parent: c.id, text: form.elements.text.value, author: author || null });
        if (author) localStorage.setItem(NAME_KEY, author);
        say(`Replied to comment ${c.id} as the owner (comment ${r.comment.id}).`);
        replace(li, parent, true);
        if (['approved', 'all'].includes(statusFilter())) load();
        loadSites();
      } catch (x) {
        submit.disabled = false;
        invalid(form, x);
        report(x, err);
      }
    });
  }

  // Blocks the author of a comment by its email, network or author key (which only the server knows).
  function startBlock(li, c) {
    if (open(li)) return;
    const form = clone('block-tpl');
    const radio = (kind) => $(`input[value=${kind}]`, form);
    $('.v-email', form).textContent = c.email || '(none given)';
    $('.v-network', form).textContent = c.ip || '(not recorded)';
    radio('email').disabled = !c.email;
    radio('network').disabled = !c.ip;
    (c.email ? radio('email') : radio('author_key')).checked = true;
    expiries(form.elements.expiry);
    const close = inline(li, form, 'block');
    $('input:checked', form).focus();
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const err = $(':scope > .error', li);
      err.textContent = '';
      const body = { site: c.site, kind: form.elements.kind.value, comment_id: c.id, expires_at: expiresAt(+form.elements.expiry.value) };
      try {
        const b = await api('POST', '/api/admin/blocks', body);
        close();
        say(`Blocked on ${b.site}: ${KIND[b.kind].toLowerCase()} ${b.value}, ${until(b)}. New comments from them will wait in the queue.`);
      } catch (x) {
        report(x, err);
      }
    });
  }

  function askDelete(li, c, byKey = false) {
    const box = open(li);
    if (box) return box.matches('.confirm') && $('.yes', box).focus();
    const ask = clone('confirm-tpl');
    $('.question', ask).textContent = `Delete comment ${c.id} by ${c.author || 'Anonymous'}? This cannot be undone` +
      ' (a comment with replies stays as a “deleted” placeholder).';
    inline(li, ask, 'delete');
    $('.yes', ask).focus();
    $('.yes', ask).addEventListener('click', (e) => act(li, 'delete', e.currentTarget, byKey));
  }

  /* ---------- bulk: one request for every selected comment ---------- */
  const boxes = () => $$('.sel:not(:disabled)', el.list);
  function syncBulk() {
    const all = boxes();
    const n = all.filter((b) => b.checked).length;
    el.selectAll.checked = n > 0 && n === all.length;
    el.selectAll.indeterminate = n > 0 && n < all.length;
    el.selectAll.disabled = !all.length;
    for (const [what, b] of Object.entries(BULK)) {
      b.disabled = !n;
      const label = `${what[0].toUpperCase()}${what.slice(1)} selected`;
      b.textContent = (n ? `${label} (${n})` : label) + (what === 'delete' ? '…' : '');
    }
    if (!n) el.bulkConfirm.hidden = true;
  }
  el.selectAll.addEventListener('change', () => {
    for (const b of boxes()) b.checked = el.selectAll.checked;
    syncBulk();
  });
  async function bulk(what) {
    let lis = boxes().filter((b) => b.checked).map((b) => b.closest('li'));
    // A followers-only or direct reply from the Fediverse is never approved, in bulk neither.
    const kept = what === 'approve' ? lis.filter((li) => byId.get(+li.dataset.id).held_reason === 'not_public') : [];
    const notPublic = kept.length ? ` ${plural(kept.length, 'comment')} not approved: not public.` : '';
    lis = lis.filter((li) => !kept.includes(li));
    if (!lis.length) return notPublic && say(notPublic.trim());
    const focused = el.app.contains(document.activeElement);
    for (const b of Object.values(BULK)) b.disabled = true;
    el.bulkConfirm.hidden = true;
    try {
      const r = await api('POST', '/api/admin/comments/bulk', { ids: lis.map((li) => +li.dataset.id), action: what });
      const at = new Map(lis.map((li) => [+li.dataset.id, li]));
      for (const c of r.comments) at.has(c.id) && replace(at.get(c.id), c, false);
      for (const id of r.deleted) at.has(id) && replace(at.get(id), null, false);
      for (const f of r.failed) if (at.has(f.id)) $(':scope > .error', at.get(f.id)).textContent = f.message;
      const failed = r.failed.map((f) => `#${f.id}: ${f.message}`);
      say(`${plural(r.comments.length + r.deleted.length, 'comment')} ${DONE[what]}.` + (failed.length ? ` ${failed.length} failed (${failed.join('; ')}).` : '') + notPublic);
      loadSites();
    } catch (x) {
      report(x, el.listError);
    }
    syncBulk();
    if (focused && !el.app.contains(document.activeElement)) el.queueH.focus();
  }
  for (const what of ['approve', 'reject', 'spam']) BULK[what].addEventListener('click', () => bulk(what));
  el.bulkDelete.addEventListener('click', () => {
    const n = boxes().filter((b) => b.checked).length;
    el.bulkQuestion.textContent = `Delete ${plural(n, 'selected comment')}? This cannot be undone.`;
    el.bulkConfirm.hidden = false;
    el.bulkYes.focus();
  });
  el.bulkYes.addEventListener('click', () => bulk('delete'));
  el.bulkNo.addEventListener('click', () => ((el.bulkConfirm.hidden = true), el.bulkDelete.focus()));
  el.bulkConfirm.addEventListener('keydown', (e) => e.key === 'Escape' && el.bulkNo.click());

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

  /* ---------- erase by email or by Fediverse actor, with a confirmation step ---------- */
  let pendingErase = null;
  function cancelErase(focus) {
    pendingErase = null;
    el.eraseConfirm.hidden = true;
    if (focus) el.eWho.focus();
  }
  el.erase.addEventListener('input', () => cancelErase(false));
  el.erase.addEventListener('change', () => cancelErase(false));
  el.erase.addEventListener('submit', async (e) => {
    e.preventDefault();
    el.eraseError.textContent = '';
    const site = el.eSite.value;
    const who = el.eWho.value.trim();
    // An http(s) URL is a Fediverse account (its actor id), anything else an email.
    const actor = /^https?:\/\//i.test(who);
    let count = '';
    if (!actor) {
      try {
        const r = await api('GET', '/api/admin/comments?' + qs({ site, status: 'all', q: who, limit: 200 }));
        const n = r.comments.filter((c) => (c.email || '').toLowerCase() === who.toLowerCase()).length;
        count = r.total > 200 ? ' They have at least ' + plural(n, 'comment') + '.' : ` They have ${plural(n, 'comment')}.`;
      } catch (x) {
        if (x.status === 401) return report(x);
        // counting is a courtesy; the erase itself reports real errors
      }
    }
    pendingErase = { site, [actor ? 'actor' : 'email']: who };
    el.eraseQuestion.textContent = `Erase everything stored about ${actor ? 'the Fediverse account ' : ''}${who} on ${site}?${count} ` +
      'Their comments are removed (kept as “deleted” placeholders where others replied)' +
      (actor ? ', and their likes, boosts and follow with them.' : '.') + ' This cannot be undone.';
    el.eraseConfirm.hidden = false;
    el.eraseQuestion.focus();
  });
  el.eraseNo.addEventListener('click', () => cancelErase(true));
  el.eraseYes.addEventListener('click', async () => {
    if (!pendingErase) return;
    const body = pendingErase;
    const who = body.email || body.actor;
    el.eraseYes.disabled = true;
    try {
      const r = await api('POST', '/api/admin/erase', body);
      cancelErase(false);
      el.eWho.value = '';
      el.eWho.focus();
      say(`Erased ${plural(r.erased, 'comment')} of ${who} on ${body.site}.`);
      loadSites();
      load();
    } catch (x) {
      if (x.field === 'email' || x.field === 'actor') el.eWho.setAttribute('aria-invalid', 'true');
      cancelErase(false);
      report(x, el.eraseError);
    } finally {
      el.eraseYes.disabled = false;
    }
  });
  el.eWho.addEventListener('input', () => el.eWho.removeAttribute('aria-invalid'));

  /* ---------- views: the queue, blocks, the audit log, sessions ---------- */
  function showView(name, focus = true) {
    view = name;
    for (const b of $$('.view-btn')) {
      if (b.dataset.view === name) b.setAttribute('aria-current', 'page');
      else b.removeAttribute('aria-current');
    }
    el.viewQueue.hidden = name !== 'queue';
    el.viewBlocks.hidden = name !== 'blocks';
    el.viewAudit.hidden = name !== 'audit';
    el.viewSessions.hidden = name !== 'sessions';
    if (!focus) return;
    if (name === 'blocks') loadBlocks();
    if (name === 'audit') loadAudit();
    if (name === 'sessions') loadSessions();
    ({ queue: el.queueH, blocks: el.blocksH, audit: el.auditH, sessions: el.sessionsH })[name].focus();
  }
  for (const b of $$('.view-btn')) b.addEventListener('click', () => showView(b.dataset.view));

  /* ---------- blocks ---------- */
  const until = (b) =>
    b.expires_at == null ? 'until unblocked' : Date.parse(b.expires_at) <= Date.now() ? 'expired' : `until ${new Date(b.expires_at).toLocaleString()}`;
  async function loadBlocks() {
    el.blocksError.textContent = '';
    let data;
    try {
      data = await api('GET', '/api/admin/blocks');
    } catch (x) {
      return report(x, el.blocksError);
    }
    el.blocks.replaceChildren(...data.blocks.map((b) => {
      const li = document.createElement('li');
      li.dataset.id = b.id;
      const what = document.createElement('div');
      const kind = document.createElement('strong');
      kind.textContent = KIND[b.kind] || b.kind;
      what.append(kind, ' ', b.value);
      const meta = document.createElement('div');
      meta.className = 'muted small';
      meta.textContent = `${b.site} · ${until(b)} · by ${b.created_by}, ${new Date(b.created_at).toLocaleString()}`;
      const lift = document.createElement('button');
      lift.type = 'button';
      lift.className = 'secondary';
      lift.textContent = 'Unblock';
      lift.setAttribute('aria-label', `Unblock ${kind.textContent.toLowerCase()} ${b.value} on ${b.site}`);
      lift.addEventListener('click', () => unblock(li, b, lift));
      li.append(what, meta, lift);
      return li;
    }));
    el.blocksSummary.textContent = data.blocks.length ? `${plural(data.blocks.length, 'block')}, newest first.` : 'No one is blocked.';
  }
  async function unblock(li, b, button) {
    button.disabled = true;
    try {
      await api('DELETE', `/api/admin/blocks/${b.id}`);
    } catch (x) {
      button.disabled = false;
      if (x.status !== 404) return report(x, el.blocksError);
    }
    const next = li.nextElementSibling || li.previousElementSibling;
    li.remove();
    (next ? $('button', next) : el.blocksH).focus();
    say(`Unblocked ${KIND[b.kind].toLowerCase()} ${b.value} on ${b.site}.`);
    const n = el.blocks.children.length;
    el.blocksSummary.textContent = n ? `${plural(n, 'block')}, newest first.` : 'No one is blocked.';
  }
  el.blockNew.addEventListener('submit', async (e) => {
    e.preventDefault();
    el.blocksError.textContent = '';
    el.bValue.removeAttribute('aria-invalid');
    const body = { site: el.bSite.value, kind: el.bKind.value, value: el.bValue.value.trim(), expires_at: expiresAt(+el.bExpiry.value) };
    try {
      const b = await api('POST', '/api/admin/blocks', body);
      el.bValue.value = '';
      say(`Blocked on ${b.site}: ${KIND[b.kind].toLowerCase()} ${b.value}, ${until(b)}.`);
      await loadBlocks();
      el.bValue.focus();
    } catch (x) {
      if (x.field === 'value') el.bValue.setAttribute('aria-invalid', 'true');
      report(x, el.blocksError);
    }
  });

  /* ---------- the audit log ---------- */
  const AUDIT_PAGE = 50;
  let auditOffset = 0;
  const DID = {
    approve: 'approved', reject: 'rejected', spam: 'marked as spam', delete: 'deleted', edit: 'edited', hold: 'held',
    lock: 'locked a thread', unlock: 'unlocked a thread', erase: 'erased a person’s data', block: 'blocked an author', unblock: 'lifted a block',
  };
  async function loadAudit() {
    el.auditError.textContent = '';
    el.audit.setAttribute('aria-busy', 'true');
    try {
      const data = await api('GET', '/api/admin/audit?' + qs({ site: el.aSite.value, limit: AUDIT_PAGE, offset: auditOffset }));
      el.audit.replaceChildren(...data.entries.map((e) => {
        const li = document.createElement('li');
        Object.assign(li.dataset, { action: e.action, actor: e.actor, comment: e.comment_id ?? '' });
        const time = document.createElement('time');
        time.dateTime = e.at;
        time.textContent = new Date(e.at).toLocaleString();
        time.className = 'muted small';
        const who = document.createElement('strong');
        who.textContent = e.actor === 'link' ? 'A signed link' : e.actor;
        const what = ` ${DID[e.action] || e.action}` + (e.comment_id != null ? ` comment ${e.comment_id}` : '') + (e.site ? ` on ${e.site}` : '');
        const line = document.createElement('div');
        line.append(who, what);
        li.append(line, time);
        return li;
      }));
      const n = data.entries.length;
      el.auditSummary.textContent = data.total ? `Showing ${auditOffset + 1}–${auditOffset + n} of ${data.total} ${data.total === 1 ? 'entry' : 'entries'}, newest first.` : 'Nothing recorded yet.';
      el.auditPrev.disabled = auditOffset === 0;
      el.auditNext.disabled = auditOffset + n >= data.total;
    } catch (x) {
      report(x, el.auditError);
    } finally {
      el.audit.removeAttribute('aria-busy');
    }
  }
  el.auditPrev.addEventListener('click', () => ((auditOffset = Math.max(0, auditOffset - AUDIT_PAGE)), loadAudit()));
  el.auditNext.addEventListener('click', () => ((auditOffset += AUDIT_PAGE), loadAudit()));
  el.aSite.addEventListener('change', () => ((auditOffset = 0), loadAudit()));
  el.auditFilter.addEventListener('submit', (e) => e.preventDefault());

  /* ---------- sign-in sessions ---------- */
  // "passkey · Alice · <subject>": the identity as the server knows it (AdminComment.identity, a session's identity).
  const identityText = (i) => [i.provider, i.name, i.subject].filter(Boolean).join(' · ');
  const when = (iso) => (iso ? new Date(iso).toLocaleString() : 'never');
  const sessionsSummary = (n) => (el.sessionsSummary.textContent = n ? `${plural(n, 'live session')}.` : 'No one is signed in.');
  async function loadSessions() {
    el.sessionsError.textContent = '';
    el.sessions.setAttribute('aria-busy', 'true');
    try {
      const data = await api('GET', '/api/admin/sessions?' + qs({ site: el.sSite.value }));
      el.sessions.replaceChildren(...data.sessions.map((s) => {
        const li = document.createElement('li');
        li.dataset.id = s.id;
        const who = document.createElement('div');
        const name = document.createElement('strong');
        name.textContent = s.identity.name || '(no name)';
        who.append(name, ` · ${s.identity.provider} · ${s.identity.subject}`);
        const meta = document.createElement('div');
        meta.className = 'muted small';
        meta.textContent = `${s.site} · signed in ${when(s.created_at)} · expires ${when(s.expires_at)} · last seen ${when(s.last_seen_at)}`;
        const revoke = document.createElement('button');
        revoke.type = 'button';
        revoke.className = 'danger';
        revoke.textContent = 'Revoke';
        revoke.setAttribute('aria-label', `Revoke the session of ${s.identity.name || s.identity.subject} (${s.identity.provider}) on ${s.site}`);
        revoke.addEventListener('click', () => revokeSession(li, s, revoke));
        li.append(who, meta, revoke);
        return li;
      }));
      sessionsSummary(data.sessions.length);
    } catch (x) {
      report(x, el.sessionsError);
    } finally {
      el.sessions.removeAttribute('aria-busy');
    }
  }
  async function revokeSession(li, s, button) {
    button.disabled = true;
    try {
      await api('DELETE', `/api/admin/sessions/${s.id}`);
    } catch (x) {
      button.disabled = false;
      if (x.status !== 404) return report(x, el.sessionsError);
    }
    const next = li.nextElementSibling || li.previousElementSibling;
    li.remove();
    (next ? $('button', next) : el.sessionsH).focus();
    say(`Revoked the session of ${s.identity.name || s.identity.subject} (${s.identity.provider}) on ${s.site}.`);
    sessionsSummary(el.sessions.children.length);
  }
  el.sSite.addEventListener('change', loadSessions);
  el.sessionsFilter.addEventListener('submit', (e) => e.preventDefault());

  /* ---------- keyboard ---------- */
  // A field that takes typing: shortcuts are off there (a checkbox or a button is not one).
  const typing = (t) => t instanceof Element && (t.isContentEditable || t.matches('textarea, select, input:not([type=checkbox], [type=radio], [type=button], [type=submit], [type=reset])'));
  const currentItem = () => (document.activeElement && document.activeElement.closest('#list > li.comment')) || null;
  function move(step) {
    const items = $$('#list > li.comment');
    if (!items.length) return;
    const at = items.indexOf(currentItem());
    const i = at < 0 ? (step > 0 ? 0 : items.length - 1) : Math.min(items.length - 1, Math.max(0, at + step));
    items[i].focus();
  }
  function openHelp() {
    if (!el.help.open) el.help.showModal();
    el.helpClose.focus();
  }
  el.helpOpen.addEventListener('click', openHelp);
  el.helpClose.addEventListener('click', () => el.help.close());
  document.addEventListener('keydown', (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.isComposing || el.app.hidden || el.help.open || typing(e.target)) return;
    if (e.key === '?') return e.preventDefault(), openHelp();
    if (view !== 'queue' || !['j', 'k', 'a', 'r', 's', 'd'].includes(e.key)) return;
    e.preventDefault();
    if (e.key === 'j' || e.key === 'k') return move(e.key === 'j' ? 1 : -1);
    const li = currentItem();
    if (!li || open(li)) return;
    const what = { a: 'approve', r: 'reject', s: 'spam', d: 'delete' }[e.key];
    const b = $(`.actions [data-act=${what}]`, li);
    const c = byId.get(+li.dataset.id);
    if (!b && c.held_reason === 'not_public') return say(`Comment ${c.id} is not public: it can't be approved.`);
    if (!b || b.disabled) return say(`Comment ${c.id} is ${c.status} already.`);
    if (what === 'delete') askDelete(li, byId.get(+li.dataset.id), true);
    else act(li, what, b, true);
  });

  /* ---------- start ---------- */
  if (token) showApp();
  else toLogin();
})();
