//! The public comment routes: list, create, get, edit, delete, vote.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use std::sync::Arc;

use crate::actions::spam;
use crate::domain::comment::{Comment, PublicComment, Status};
use crate::domain::crypto;
use crate::domain::thread::{self, Cursor, Sort};
use crate::domain::validate::{self, max};
use crate::domain::{now, rfc3339, Timestamp};
use crate::error::{ApiError, ApiResult};
use crate::http::cache::{Body, ThreadKey};
use crate::http::error::ErrorBody;
use crate::http::extract::{form_encode_into, Json, Query};
use crate::http::limits::Class;
use crate::http::state::{OriginCheck, State};
use crate::render::markdown;
use crate::routes::answers::{Created, Thread, Votes};
use crate::routes::openapi::{opt_email, opt_text, opt_uri, text, PageKey};
use crate::store::comments as q;

#[utoipa::path(get, path = "/api/comments", tag = "comments",
    summary = "The page's visible comments, flat, in thread order",
    description = "Parameters the list does not know are ignored.",
    params(
        ("site" = String, Query, description = "a configured site id"),
        ("page" = inline(PageKey), Query, description = "the page key (a path such as /posts/hello/)"),
        ("sort" = inline(Option<Sort>), Query, description = "default oldest"),
        ("limit" = Option<u8>, Query, minimum = 1, maximum = 200,
            description = "top-level comments per answer, default 50"),
        ("after" = Option<String>, Query, description = "the `next` cursor of the previous answer"),
    ),
    responses(
        (status = 200, description = "with an `ETag`; `If-None-Match` with it answers 304", body = Thread),
        (status = 304, description = "the client's copy is current"),
        (status = 404, description = "unknown site (`unknown_site`)", body = ErrorBody),
    ))]
/// `GET /api/comments`: the page's visible comments in thread order, from the thread cache
/// when it holds this list, else loaded and cached.
///
/// The cache is keyed by the list's normal form (`ThreadQuery::cache_key`): parameters the
/// list does not know are ignored, so `&x=1`, `&x=2`… are all the same list, one entry and one
/// database read, not a way around the cache. A query already in normal form (the widget's
/// spelling) is looked up before it is even parsed.
pub async fn list_comments(state: State, req: HttpRequest) -> ApiResult<HttpResponse> {
    state.limit(&req, Class::Read)?;
    let raw = req.query_string();
    if let Some(body) = state.threads.get_if_present(raw, now()) {
        return Ok(body.respond(&req));
    }
    let list = ThreadQuery::parse(raw, |site| state.site(site).map(drop))?;
    let key = list.cache_key();
    let (hit, version) = state.threads.get(&key, now());
    if let Some(body) = hit {
        return Ok(body.respond(&req));
    }
    let (json, expires) = db_list(&state, list).await?;
    let body = Arc::new(Body::new(json, expires));
    if let Some(v) = version {
        state.threads.put(ThreadKey(key), v, body.clone());
    }
    Ok(body.respond(&req))
}

/// A validated list query.
#[derive(Debug, PartialEq)]
struct ThreadQuery {
    site: String,
    page: String,
    sort: Sort,
    limit: usize,
    after: Option<Cursor>,
}

/// `limit` when the query names none.
const DEFAULT_LIMIT: usize = 50;

impl ThreadQuery {
    /// Reads and checks the list's parameters (`site_ok` refuses a site that isn't
    /// configured); any others are ignored.
    fn parse(raw: &str, site_ok: impl FnOnce(&str) -> ApiResult<()>) -> ApiResult<ThreadQuery> {
        let query = Query::parse(raw)?;
        let site = query.require("site")?.to_string();
        site_ok(&site)?;
        let page = validate::page(query.require("page")?)?;
        let sort = match query.get("sort") {
            None => Sort::Oldest,
            Some(s) => Sort::parse(s)
                .ok_or_else(|| ApiError::invalid("sort", "sort must be oldest, newest or top"))?,
        };
        let limit = query
            .int_in("limit", 1..=200)?
            .map_or(DEFAULT_LIMIT, |n| n as usize);
        let after = match query.get("after") {
            None | Some("") => None,
            Some(c) => Some(Cursor::decode(c, sort).ok_or_else(|| {
                ApiError::invalid("after", "after is not a cursor from this list")
            })?),
        };
        Ok(ThreadQuery {
            site,
            page,
            sort,
            limit,
            after,
        })
    }

    /// The list's normal form, which keys the thread cache: `site=S&page=P`, then
    /// `&sort=` unless oldest, `&limit=` unless 50 and `&after=` when there is a cursor,
    /// encoded as browsers encode a query (`URLSearchParams`), the way the widget asks.
    /// Parsing it gives this very list back.
    fn cache_key(&self) -> String {
        let mut key = String::with_capacity(self.page.len() * 3 + 64);
        key.push_str("site=");
        form_encode_into(&mut key, &self.site);
        key.push_str("&page=");
        form_encode_into(&mut key, &self.page);
        match self.sort {
            Sort::Oldest => {}
            Sort::Newest => key.push_str("&sort=newest"),
            Sort::Top => key.push_str("&sort=top"),
        }
        if self.limit != DEFAULT_LIMIT {
            key.push_str(&format!("&limit={}", self.limit));
        }
        if let Some(c) = &self.after {
            key.push_str("&after=");
            key.push_str(&c.encode());
        }
        key
    }
}

/// Loads and serializes one answer; also says when it goes stale by itself (the moment an
/// open thread locks by age), if ever.
async fn db_list(state: &State, list: ThreadQuery) -> ApiResult<(String, Option<Timestamp>)> {
    let lock_days = state.site(&list.site)?.lock_after_days;
    crate::store::read(&state.pool, move |conn| {
        // One snapshot for the page, the count and every part of the thread.
        let tx = conn.unchecked_transaction()?;
        let conn = &*tx;
        let ThreadQuery {
            site,
            page,
            sort,
            limit,
            after,
        } = list;
        let Some(p) = q::find_page(conn, &site, &page)? else {
            let json = Thread {
                site,
                page,
                total: 0,
                locked: false,
                comments: vec![],
                next: None,
            };
            return Ok((serde_json::to_string(&json)?, None));
        };
        let total = q::approved_total(conn, p.id)?;
        let loaded = q::thread_page(conn, p.id, sort, after, limit)?;
        // The loaded rows are whole subtrees of the picked top-level comments: ordered alone,
        // they give exactly that part of the thread, tombstones included.
        let ordered = thread::order_comments(&loaded.rows, sort, None, limit);
        let comments: Vec<_> = ordered
            .items
            .iter()
            .map(|placed| loaded.rows[placed.index].public(placed.tombstone))
            .collect();
        let now = now();
        let locked = p.is_locked(lock_days, now);
        let expires = match (locked, p.first_comment_at) {
            (false, Some(first)) if lock_days > 0 => Some(first + i64::from(lock_days) * 86_400),
            _ => None,
        };
        let json = Thread {
            site,
            page,
            total,
            locked,
            comments,
            next: loaded.next.map(|c| c.encode()),
        };
        Ok((serde_json::to_string(&json)?, expires))
    })
    .await
}

/// Body of `POST /api/comments`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = NewComment)]
pub struct CreateComment {
    site: String,
    #[schema(schema_with = text::<1, { max::PAGE }>)]
    page: String,
    #[schema(schema_with = opt_text::<0, { max::TITLE }>)]
    title: Option<String>,
    #[schema(schema_with = opt_uri::<{ max::URL }>)]
    url: Option<String>,
    parent: Option<i64>,
    #[schema(schema_with = opt_text::<0, { max::AUTHOR }>)]
    author: Option<String>,
    #[schema(schema_with = opt_email::<{ max::EMAIL }>)]
    email: Option<String>,
    #[schema(schema_with = opt_uri::<{ max::WEBSITE }>)]
    website: Option<String>,
    #[schema(schema_with = text::<1, { max::TEXT }>)]
    text: String,
    notify: Option<bool>,
    author_key: Option<String>,
    /// honeypot: leave empty
    hp: Option<String>,
    /// from GET /api/config
    form_token: Option<String>,
}

#[utoipa::path(post, path = "/api/comments", tag = "comments",
    summary = "Create a comment (approved or held)",
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 16, max_length = 128,
        description = "a random key per comment the author submits: a retry with the same key \
            (after a 503 or a lost answer) answers 201 with the comment the first try made and \
            the same edit token")),
    request_body = CreateComment,
    responses(
        (status = 201, description = "stored; keep the edit token", body = Created),
        (status = 403, description = "thread locked (`thread_locked`) or origin not allowed", body = ErrorBody),
        (status = 404, description = "unknown site (`unknown_site`)", body = ErrorBody),
        (status = 409, description = "the same text on this page within minutes (`duplicate`)", body = ErrorBody),
    ))]
/// `POST /api/comments`: stores a comment (approved or held) and hands its author the edit token.
pub async fn create_comment(
    state: State,
    req: HttpRequest,
    body: Json<CreateComment>,
) -> ApiResult<HttpResponse> {
    state.limit(&req, Class::Create)?;
    let b = body.0;
    let site_cfg = state.site(&b.site)?.clone();
    state.check_origin(&req, &site_cfg)?;
    let page = validate::page(&b.page)?;
    let text = validate::text(&b.text)?;
    let author = validate::optional_line("author", b.author.as_deref(), max::AUTHOR)?;
    let email = validate::email(b.email.as_deref())?;
    let website = validate::http_url("website", b.website.as_deref(), max::WEBSITE)?;
    let title = validate::optional_line("title", b.title.as_deref(), max::TITLE)?;
    let url = validate::http_url("url", b.url.as_deref(), max::URL)?;
    if let Some(u) = &url {
        let on_site = validate::origin_of(u)
            .is_some_and(|o| site_cfg.allows_origin(&o) || state.is_own_origin(&req, &o));
        if !on_site {
            return Err(ApiError::invalid(
                "url",
                "url must be on one of the site's origins",
            ));
        }
    }
    let author_key = validate::author_key(b.author_key.as_deref())?;
    if site_cfg.require_name && author.is_none() {
        return Err(ApiError::invalid("author", "this site requires a name"));
    }
    if site_cfg.require_email && email.is_none() {
        return Err(ApiError::invalid("email", "this site requires an email"));
    }
    if b.notify == Some(true) && email.is_none() {
        return Err(ApiError::invalid(
            "email",
            "an email is needed to be notified of replies",
        ));
    }

    let request_key = idempotency_key(&req)?;
    let created_at = now();
    let html = markdown::render(&text, markdown::Format::Markdown, site_cfg.images);
    let ip = state.client(&req);
    // With an `Idempotency-Key`, the edit token derives from it: a retry of the request
    // gets the same token for the comment the first try made.
    let token = match request_key {
        Some(k) => crypto::token_from(&state.key.mac("edit-token", k.as_bytes())),
        None => crypto::random_token(),
    };
    let request_key_hash = request_key.map(|k| {
        state
            .key
            .mac_hex("idempotency", format!("{}\0{k}", b.site).as_bytes())
    });
    let screening = spam::Screening {
        honeypot: b.hp.as_deref().is_some_and(|h| !h.trim().is_empty()),
        too_many_links: markdown::count_links(&html) > spam::MAX_LINKS,
        form_token_ok: spam::form_token_ok(
            &state.key,
            &b.site,
            &site_cfg,
            b.form_token.as_deref(),
            created_at,
        ),
    };
    let new = q::NewComment {
        parent: b.parent,
        avatar: crate::import::avatar_hash(
            &state.key,
            email.as_deref(),
            author.as_deref(),
            ip.as_str(),
        ),
        author,
        email,
        website,
        text,
        html,
        status: Status::Pending,
        created_at,
        ip: ip.as_str().to_string(),
        author_key_hash: author_key.map(|k| state.key.mac_hex("author-key", k.as_bytes())),
        edit_token_hash: crypto::token_hash(&token),
        edit_until: created_at + i64::from(site_cfg.edit_window),
        notify: b.notify.unwrap_or(false),
        request_key_hash,
    };
    let site = b.site.clone();
    let st = state.clone();
    let comment = state
        .writer
        .write(move |conn| {
            // A retry of a request that already made its comment gets that comment.
            if let Some(hash) = &new.request_key_hash {
                if let Some(c) = q::find_by_request_key(conn, hash)? {
                    return Ok(c);
                }
            }
            let p = q::ensure_page(conn, &site, &page, created_at)?;
            if p.is_locked(site_cfg.lock_after_days, created_at) {
                return Err(ApiError::ThreadLocked);
            }
            if let Some(parent) = new.parent {
                let ok = q::find_comment(conn, parent)?
                    .is_some_and(|c| c.page_id == p.id && c.status == Status::Approved);
                if !ok {
                    return Err(ApiError::invalid(
                        "parent",
                        "parent must be a visible comment of the same page",
                    ));
                }
            }
            if q::is_duplicate(
                conn,
                p.id,
                &new.ip,
                &new.text,
                created_at - spam::DUPLICATE_WINDOW,
            )? {
                return Err(ApiError::Duplicate(
                    "the same comment was just posted on this page".into(),
                ));
            }
            let trusted = match (&new.email, &new.author_key_hash) {
                (Some(e), Some(k)) if site_cfg.moderation == crate::config::Moderation::First => {
                    q::is_trusted(conn, &site, e, k)?
                }
                _ => false,
            };
            let status = screening.status(site_cfg.moderation, trusted);
            let c = q::insert_comment(
                conn,
                &p,
                &site,
                &page,
                q::NewComment { status, ..new },
                title.as_deref(),
                url.as_deref(),
            )?;
            crate::notify::created(conn, &st, &c)?;
            Ok(c)
        })
        .await?;
    Ok(HttpResponse::Created().json(Created {
        comment: comment.public(false),
        edit_token: token,
        edit_until: rfc3339(comment.edit_until),
    }))
}

#[utoipa::path(get, path = "/api/comments/{id}", tag = "comments", summary = "One visible comment",
    params(("id" = u64, Path, minimum = 1)),
    responses(
        (status = 200, description = "the comment", body = PublicComment),
        (status = 404, description = "no visible comment with this id (`not_found`)", body = ErrorBody),
    ))]
/// `GET /api/comments/{id}`: one visible comment.
pub async fn get_comment(
    state: State,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    state.limit(&req, Class::Read)?;
    let id = parse_id(&id)?;
    let c = crate::store::read(&state.pool, move |conn| Ok(q::find_comment(conn, id)?)).await?;
    let c = c
        .filter(|c| c.status == Status::Approved)
        .ok_or_else(ApiError::no_comment)?;
    state.site(&c.site)?;
    Ok(HttpResponse::Ok().json(c.public(false)))
}

/// A comment id from the path; anything else names no comment.
pub fn parse_id(raw: &str) -> ApiResult<i64> {
    raw.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(ApiError::no_comment)
}

fn bearer(req: &HttpRequest) -> ApiResult<String> {
    crate::http::extract::bearer_token(req).ok_or_else(|| {
        ApiError::Unauthorized("an edit token is required (Authorization: Bearer …)".into())
    })
}

/// Loads a comment for its author: 404 unknown or deleted, 401 wrong token, 403 origin or
/// window.
///
/// A deleted comment is gone for its author as for everyone, whether it was removed or left
/// as a tombstone for its replies (which keeps no token): a retried `DELETE` answers 404 in
/// both cases, and so does a `PATCH`, whatever the token.
fn authorize_author(
    state: &State,
    origin: &OriginCheck,
    conn: &rusqlite::Connection,
    id: i64,
    token_hash: &str,
    at: i64,
) -> ApiResult<Comment> {
    let Some(c) = q::find_comment(conn, id)?.filter(|c| c.status != Status::Deleted) else {
        // Spend the same comparison as for a real comment, so timing doesn't add anything.
        let _ = crypto::ct_eq(&crypto::token_hash(""), token_hash);
        return Err(ApiError::no_comment());
    };
    let stored = c.edit_token_hash.as_deref().unwrap_or("");
    // Compared even when nothing is stored (an imported comment has no token), so it costs
    // the same time as one that has.
    let matches = crypto::ct_eq(stored, token_hash);
    if !matches || stored.is_empty() {
        return Err(ApiError::Unauthorized(
            "the edit token does not match this comment".into(),
        ));
    }
    origin.allow(state.site(&c.site)?)?;
    // The window is [created_at, edit_until): with `edit_window = 0` it is empty, so even an
    // edit within the creation second is refused.
    if at >= c.edit_until {
        return Err(ApiError::EditWindowClosed);
    }
    Ok(c)
}

/// The `Idempotency-Key` header of a create: 16 to 128 visible ASCII characters, when sent.
fn idempotency_key(req: &HttpRequest) -> ApiResult<Option<&str>> {
    let Some(v) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    v.to_str()
        .ok()
        .filter(|k| (16..=128).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
        .map(Some)
        .ok_or_else(|| {
            ApiError::invalid(
                "Idempotency-Key",
                "Idempotency-Key must be 16 to 128 visible ASCII characters",
            )
        })
}

/// Body of `PATCH /api/comments/{id}` (and of a moderator's edit).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = Edit)]
pub struct EditComment {
    #[schema(schema_with = opt_text::<1, { max::TEXT }>)]
    text: Option<String>,
    #[schema(schema_with = opt_text::<0, { max::AUTHOR }>)]
    author: Option<String>,
    #[schema(schema_with = opt_uri::<{ max::WEBSITE }>)]
    website: Option<String>,
}

/// An edit whose fields passed their rules; `None` leaves a field as it is.
pub struct ValidEdit {
    /// New text.
    pub text: Option<String>,
    /// New name (`Some(None)` clears it).
    pub author: Option<Option<String>>,
    /// New website (`Some(None)` clears it).
    pub website: Option<Option<String>>,
}

impl EditComment {
    /// Checks each given field with the same rules as a create.
    pub fn validate(self) -> ApiResult<ValidEdit> {
        Ok(ValidEdit {
            text: self.text.as_deref().map(validate::text).transpose()?,
            author: self
                .author
                .as_deref()
                .map(|a| validate::optional_line("author", Some(a), max::AUTHOR))
                .transpose()?,
            website: self
                .website
                .as_deref()
                .map(|w| validate::http_url("website", Some(w), max::WEBSITE))
                .transpose()?,
        })
    }
}

#[utoipa::path(patch, path = "/api/comments/{id}", tag = "comments",
    summary = "Edit one's own comment within the edit window",
    params(("id" = u64, Path, minimum = 1)),
    request_body = EditComment,
    security(("editToken" = [])),
    responses(
        (status = 200, description = "the edited comment", body = PublicComment),
        (status = 401, description = "wrong edit token (`unauthorized`)", body = ErrorBody),
        (status = 403, description = "after `edit_until` (`edit_window_closed`)", body = ErrorBody),
        (status = 404, description = "no such comment (`not_found`)", body = ErrorBody),
    ))]
/// `PATCH /api/comments/{id}`: the author edits within the window.
pub async fn edit_comment(
    state: State,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<EditComment>,
) -> ApiResult<HttpResponse> {
    state.limit(&req, Class::Edit)?;
    let id = parse_id(&id)?;
    let token_hash = crypto::token_hash(&bearer(&req)?);
    let ValidEdit {
        text,
        author,
        website,
    } = body.0.validate()?;
    let st = state.clone();
    let origin = state.origin_check(&req);
    let updated = state
        .writer
        .write(move |conn| {
            let at = now();
            let c = authorize_author(&st, &origin, conn, id, &token_hash, at)?;
            let site = st.site(&c.site)?;
            let text = text.unwrap_or(c.text.clone());
            let author = author.unwrap_or(c.author.clone());
            let website = website.unwrap_or(c.website.clone());
            let html = markdown::render(&text, markdown::Format::Markdown, site.images);
            let status = spam::after_edit(c.status, site.moderation, markdown::count_links(&html));
            q::update_comment(
                conn,
                id,
                &q::CommentEdit {
                    author: author.as_deref(),
                    website: website.as_deref(),
                    text: &text,
                    html: &html,
                    status,
                    edited_at: at,
                },
            )?;
            q::find_comment(conn, id)?.ok_or_else(ApiError::no_comment)
        })
        .await?;
    Ok(HttpResponse::Ok().json(updated.public(false)))
}

#[utoipa::path(delete, path = "/api/comments/{id}", tag = "comments",
    summary = "Delete one's own comment (a tombstone if it has replies)",
    params(("id" = u64, Path, minimum = 1)),
    security(("editToken" = [])),
    responses(
        (status = 204, description = "deleted"),
        (status = 401, description = "wrong edit token (`unauthorized`)", body = ErrorBody),
        (status = 403, description = "after `edit_until` (`edit_window_closed`)", body = ErrorBody),
        (status = 404, description = "no such comment (`not_found`)", body = ErrorBody),
    ))]
/// `DELETE /api/comments/{id}`: the author deletes within the window.
pub async fn delete_comment(
    state: State,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    state.limit(&req, Class::Edit)?;
    let id = parse_id(&id)?;
    let token_hash = crypto::token_hash(&bearer(&req)?);
    let st = state.clone();
    let origin = state.origin_check(&req);
    state
        .writer
        .write(move |conn| {
            let c = authorize_author(&st, &origin, conn, id, &token_hash, now())?;
            crate::notify::deleted(conn, &st, &c)?;
            q::delete_comment(conn, id)?;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Body of `POST /api/comments/{id}/vote`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Vote {
    /// 1, -1, or 0 to withdraw
    #[schema(minimum = -1, maximum = 1)]
    value: i64,
}

#[utoipa::path(post, path = "/api/comments/{id}/vote", tag = "comments",
    summary = "Vote: 1, -1, or 0 to withdraw (one vote per voter)",
    params(("id" = u64, Path, minimum = 1)),
    request_body = Vote,
    responses(
        (status = 200, description = "the comment's counts", body = Votes),
        (status = 404, description = "no visible comment with this id (`not_found`)", body = ErrorBody),
    ))]
/// `POST /api/comments/{id}/vote`: one vote per comment per network.
pub async fn vote_comment(
    state: State,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<Vote>,
) -> ApiResult<HttpResponse> {
    state.limit(&req, Class::Vote)?;
    let id = parse_id(&id)?;
    let value = match body.0.value {
        v @ (-1..=1) => v as i8,
        _ => return Err(ApiError::invalid("value", "value must be 1, -1 or 0")),
    };
    let voter = state
        .key
        .mac_hex("voter", state.client(&req).as_str().as_bytes());
    let st = state.clone();
    let origin = state.origin_check(&req);
    let (likes, dislikes) = state
        .writer
        .write(move |conn| {
            let c = q::find_comment(conn, id)?
                .filter(|c| c.status == Status::Approved)
                .ok_or_else(ApiError::no_comment)?;
            origin.allow(st.site(&c.site)?)?;
            q::vote(conn, id, &voter, value)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Votes { likes, dislikes }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> ThreadQuery {
        ThreadQuery::parse(raw, |_| Ok(())).unwrap()
    }

    /// The normal form is what a cache lookup compares unparsed: it must read back as the
    /// very same list, and be its own normal form.
    fn assert_normal_form_reads_back(raw: &str) -> String {
        let list = parse(raw);
        let key = list.cache_key();
        assert_eq!(parse(&key), list, "{raw} -> {key}");
        assert_eq!(parse(&key).cache_key(), key, "{raw}");
        key
    }

    #[test]
    fn every_spelling_of_a_list_has_one_normal_form_which_reads_back_as_the_list() {
        let cursor = |sort, key| {
            Cursor::after(
                &thread::Node {
                    id: key,
                    parent: None,
                    created_at: 7,
                    score: -2,
                    visible: true,
                },
                sort,
            )
            .encode()
        };
        let key = assert_normal_form_reads_back("site=blog&page=/posts/a b%2Bc/");
        assert_eq!(key, "site=blog&page=%2Fposts%2Fa+b%2Bc%2F");
        for same in [
            "page=%2Fposts%2Fa%20b%2Bc%2F&site=blog&x=1",
            "site=blog&page=%2fposts%2fa+b%2bc/&sort=oldest&limit=50&after=",
            "site=blog&page=/posts/a b%2Bc/&page=/other/&_=17",
        ] {
            assert_eq!(assert_normal_form_reads_back(same), key, "{same}");
        }
        for raw in [
            "site=blog&page=%E2%9C%93%20%26%3D%3F%23&sort=top&limit=7".to_string(),
            format!(
                "site=blog&page=/a&sort=newest&after={}",
                cursor(Sort::Newest, 9)
            ),
            format!(
                "after={}&site=b-2&page=/a&sort=top&limit=200",
                cursor(Sort::Top, 3)
            ),
            format!(
                "site=blog&page=*-._~&limit=1&after={}",
                cursor(Sort::Oldest, 5)
            ),
        ] {
            assert_normal_form_reads_back(&raw);
        }
    }

    #[test]
    fn the_widget_s_requests_are_in_normal_form() {
        // What embed.js sends (URLSearchParams of site, page, then sort and after when set).
        for raw in [
            "site=blog&page=%2Fposts%2Fhello%2F",
            "site=blog&page=%2Fposts%2Fhello%2F&sort=newest",
            "site=blog&page=%2Fposts%2Fh%C3%A9llo+world%2F&sort=top",
        ] {
            assert_eq!(parse(raw).cache_key(), raw);
        }
    }
}
