//! `GET /api/openapi.json`: the public and admin HTTP API as an OpenAPI 3.1 document, built
//! once from the tables below. `tests/api/openapi.rs` keeps it honest: every route the README
//! lists is in it, every operation in it answers on the real server, and real answers
//! validate against the schemas it gives (which forbid undocumented fields).

use std::sync::OnceLock;

use serde_json::{json, Map, Value};

use crate::domain::validate::max;
use crate::error::ApiError;

/// The document, serialized once.
pub fn document() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| build().to_string())
}

fn r(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn nullable(ty: &str) -> Value {
    json!({"type": [ty, "null"]})
}

/// One query parameter.
fn query(name: &str, required: bool, schema: Value, description: &str) -> Value {
    json!({"name": name, "in": "query", "required": required, "schema": schema,
           "description": description})
}

fn path_param(name: &str, schema: Value) -> Value {
    json!({"name": name, "in": "path", "required": true, "schema": schema})
}

fn site_q() -> Value {
    query(
        "site",
        true,
        json!({"type": "string"}),
        "a configured site id",
    )
}

fn page_q(required: bool) -> Value {
    query(
        "page",
        required,
        json!({"type": "string", "minLength": 1, "maxLength": max::PAGE}),
        "the page key (a path such as /posts/hello/)",
    )
}

fn id_p() -> Value {
    path_param("id", json!({"type": "integer", "minimum": 1}))
}

/// A JSON answer with a schema.
fn ok_json(description: &str, schema: Value) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": schema}}})
}

fn ok_text(description: &str, media: &str) -> Value {
    json!({"description": description, "content": {media: {"schema": {"type": "string"}}}})
}

fn error(description: &str) -> Value {
    ok_json(description, r("Error"))
}

/// An operation: summary, tag, parameters, optional JSON body schema, responses; the usual
/// error answers of its kind are added.
struct Op {
    method: &'static str,
    summary: &'static str,
    tag: &'static str,
    params: Vec<Value>,
    body: Option<Value>,
    responses: Vec<(&'static str, Value)>,
    security: Option<&'static str>,
}

impl Op {
    fn new(method: &'static str, tag: &'static str, summary: &'static str) -> Self {
        Self {
            method,
            summary,
            tag,
            params: vec![],
            body: None,
            responses: vec![],
            security: None,
        }
    }
    fn params(mut self, p: Vec<Value>) -> Self {
        self.params = p;
        self
    }
    fn body(mut self, schema: Value) -> Self {
        self.body = Some(schema);
        self
    }
    fn answer(mut self, status: &'static str, v: Value) -> Self {
        self.responses.push((status, v));
        self
    }
    fn auth(mut self, scheme: &'static str) -> Self {
        self.security = Some(scheme);
        self
    }

    fn to_json(&self, path: &str) -> Value {
        let mut responses = Map::new();
        for (status, v) in &self.responses {
            responses.insert((*status).to_string(), v.clone());
        }
        let mut add = |status: &str, text: &str| {
            responses
                .entry(status.to_string())
                .or_insert_with(|| error(text));
        };
        let api = path.starts_with("/api/");
        if api && (!self.params.is_empty() || self.body.is_some()) {
            add("400", "malformed request or query (`malformed_request`)");
        }
        if api && (self.body.is_some() || self.params.iter().any(|p| p["in"] == "query")) {
            add(
                "422",
                "a field or parameter breaks its rule (`validation_failed`, naming `field`)",
            );
        }
        if self.body.is_some() {
            add(
                "413",
                "body over `limits.max_body_bytes` (`payload_too_large`)",
            );
            add(
                "415",
                "body is not `application/json` (`unsupported_media_type`)",
            );
            add(
                "408",
                "the body did not arrive within 10 s (`malformed_request`)",
            );
        }
        if self.security == Some("admin") {
            add("401", "missing or wrong admin token (`unauthorized`)");
        }
        if api && self.method != "get" && self.security != Some("admin") {
            add(
                "403",
                "the `Origin` is not allowed for the site (`origin_not_allowed`)",
            );
        }
        // Every public route spends a per-client budget (`[limits]`).
        add(
            "429",
            "over a rate limit (`rate_limited`, with `Retry-After`)",
        );
        if api {
            add("503", "the database is unavailable (`unavailable`)");
        }
        let mut op = json!({
            "summary": self.summary,
            "tags": [self.tag],
            "operationId": format!("{}{}", self.method, path.replace(['/', '{', '}', '.'], "_")),
            "responses": responses,
        });
        if !self.params.is_empty() {
            op["parameters"] = json!(self.params);
        }
        if let Some(schema) = &self.body {
            op["requestBody"] = json!({"required": true,
                "content": {"application/json": {"schema": schema}}});
        }
        if let Some(scheme) = self.security {
            op["security"] = json!([{ scheme: [] }]);
        }
        op
    }
}

fn obj(required: &[&str], props: Value) -> Value {
    json!({"type": "object", "additionalProperties": false, "required": required,
           "properties": props})
}

fn schemas() -> Value {
    let comment_props = json!({
        "id": {"type": "integer"},
        "parent": nullable("integer"),
        "author": nullable("string"),
        "website": nullable("string"),
        "avatar": {"type": ["string", "null"], "description": "/api/avatar/{hash}.svg"},
        "html": {"type": "string", "description": "sanitized HTML"},
        "status": {"enum": ["approved", "pending", "deleted"]},
        "created_at": {"type": "string", "format": "date-time"},
        "edited_at": {"type": ["string", "null"], "format": "date-time"},
        "likes": {"type": "integer"},
        "dislikes": {"type": "integer"},
    });
    let comment_fields = [
        "id",
        "parent",
        "author",
        "website",
        "avatar",
        "html",
        "status",
        "created_at",
        "edited_at",
        "likes",
        "dislikes",
    ];
    let mut admin_props = comment_props.clone();
    admin_props["status"] = json!({"enum": ["approved", "pending", "rejected", "deleted"]});
    for (k, v) in [
        ("site", json!({"type": "string"})),
        ("page", json!({"type": "string"})),
        ("email", nullable("string")),
        ("text", {
            json!({"type": "string", "description": "the markdown source (empty once deleted)"})
        }),
        ("format", json!({"type": "string"})),
        (
            "ip",
            json!({"type": ["string", "null"], "description": "anonymized (/24, /48)"}),
        ),
    ] {
        admin_props[k] = v;
    }
    let mut admin_fields = comment_fields.to_vec();
    admin_fields.extend(["site", "page", "email", "text", "format", "ip"]);
    let counts = |keys: &[&str]| {
        let props: Map<String, Value> = keys
            .iter()
            .map(|k| ((*k).to_string(), json!({"type": "integer"})))
            .collect();
        obj(keys, Value::Object(props))
    };
    json!({
        "Error": obj(&["error"], json!({"error": obj(&["code", "message", "field"], json!({
            "code": {"enum": ApiError::CODES},
            "message": {"type": "string"},
            "field": nullable("string"),
            "retry_after": {"type": "integer", "description": "seconds, with `rate_limited`"},
        }))})),
        "Comment": obj(&comment_fields, comment_props),
        "AdminComment": obj(&admin_fields, admin_props),
        "Thread": obj(&["site", "page", "total", "locked", "comments", "next"], json!({
            "site": {"type": "string"},
            "page": {"type": "string"},
            "total": {"type": "integer", "description": "approved comments on the page"},
            "locked": {"type": "boolean"},
            "comments": {"type": "array", "items": r("Comment"),
                         "description": "flat, in thread order; tombstones keep replies attached"},
            "next": {"type": ["string", "null"], "description": "cursor for `after`"},
        })),
        "NewComment": obj(&["site", "page", "text"], json!({
            "site": {"type": "string"},
            "page": {"type": "string", "minLength": 1, "maxLength": max::PAGE},
            "title": {"type": ["string", "null"], "maxLength": max::TITLE},
            "url": {"type": ["string", "null"], "maxLength": max::URL, "format": "uri"},
            "parent": nullable("integer"),
            "author": {"type": ["string", "null"], "maxLength": max::AUTHOR},
            "email": {"type": ["string", "null"], "maxLength": max::EMAIL, "format": "email"},
            "website": {"type": ["string", "null"], "maxLength": max::WEBSITE, "format": "uri"},
            "text": {"type": "string", "minLength": 1, "maxLength": max::TEXT},
            "notify": nullable("boolean"),
            "author_key": nullable("string"),
            "hp": {"type": ["string", "null"], "description": "honeypot: leave empty"},
            "form_token": {"type": ["string", "null"], "description": "from GET /api/config"},
        })),
        "Created": obj(&["comment", "edit_token", "edit_until"], json!({
            "comment": r("Comment"),
            "edit_token": {"type": "string"},
            "edit_until": {"type": "string", "format": "date-time"},
        })),
        "Edit": obj(&[], json!({
            "text": {"type": ["string", "null"], "minLength": 1, "maxLength": max::TEXT},
            "author": {"type": ["string", "null"], "maxLength": max::AUTHOR},
            "website": {"type": ["string", "null"], "maxLength": max::WEBSITE, "format": "uri"},
        })),
        "Vote": obj(&["value"], json!({"value": {"enum": [-1, 0, 1]}})),
        "Votes": counts(&["likes", "dislikes"]),
        "Counts": obj(&["counts"], json!({"counts": {"type": "object",
            "additionalProperties": {"type": "integer"}}})),
        "CountsQuery": obj(&["site", "pages"], json!({
            "site": {"type": "string"},
            "pages": {"type": "array", "items": {"type": "string"}, "maxItems": 100},
        })),
        "Preview": obj(&["text"], json!({"text": {"type": "string"},
                                         "site": nullable("string")})),
        "Html": obj(&["html"], json!({"html": {"type": "string"}})),
        "SiteConfig": obj(&["site", "moderation", "edit_window", "max_depth", "require_name",
                            "require_email", "images", "form_token"], json!({
            "site": {"type": "string"},
            "moderation": {"enum": ["none", "first", "all"]},
            "edit_window": {"type": "integer"},
            "max_depth": {"type": "integer"},
            "require_name": {"type": "boolean"},
            "require_email": {"type": "boolean"},
            "images": {"type": "boolean"},
            "form_token": {"type": "string"},
        })),
        "SiteEmail": obj(&["site", "email"], json!({"site": {"type": "string"},
                                                    "email": {"type": "string"}})),
        "Status": obj(&["status"], json!({"status": {"type": "string"}})),
        "Queue": obj(&["comments", "total"], json!({
            "comments": {"type": "array", "items": r("AdminComment")},
            "total": {"type": "integer"},
        })),
        "Lock": obj(&["site", "page", "locked"], json!({
            "site": {"type": "string"}, "page": {"type": "string"},
            "locked": {"type": "boolean"},
        })),
        "Erased": obj(&["erased"], json!({"erased": {"type": "integer"}})),
        "Sites": obj(&["sites"], json!({"sites": {"type": "array", "items":
            obj(&["id", "origins", "moderation", "counts"], json!({
                "id": {"type": "string"},
                "origins": {"type": "array", "items": {"type": "string"}},
                "moderation": {"enum": ["none", "first", "all"]},
                "counts": counts(&["approved", "pending", "rejected", "deleted"]),
            }))}})),
        "Outbox": obj(&["counts", "undelivered"], json!({
            "counts": counts(&["pending", "sent", "failed"]),
            "undelivered": {"type": "array", "items": obj(&["id", "kind", "target", "status",
                "attempts", "last_error", "created_at", "next_attempt_at", "attempt_started_at"],
                json!({
                "id": {"type": "integer"},
                "kind": {"type": "string"},
                "target": {"type": "string"},
                "status": {"enum": ["pending", "failed"]},
                "attempts": {"type": "integer"},
                "last_error": nullable("string"),
                "created_at": {"type": "string", "format": "date-time"},
                "next_attempt_at": {"type": "string", "format": "date-time"},
                "attempt_started_at": {"type": ["string", "null"], "format": "date-time",
                    "description": "when the attempt under way started; null when none is"},
            }))},
        })),
    })
}

/// Every documented route with its operations.
fn routes() -> Vec<(&'static str, Vec<Op>)> {
    let etag = "with an `ETag`; `If-None-Match` with it answers 304";
    let not_modified = json!({"description": "the client's copy is current"});
    let no_body = |d: &str| json!({"description": d});
    let html = |d: &str| ok_text(d, "text/html");
    let signed = || {
        vec![
            path_param("id", json!({"type": "integer"})),
            query(
                "sig",
                true,
                json!({"type": "string"}),
                "the signature from the email",
            ),
        ]
    };
    vec![
        (
            "/api/comments",
            vec![
                Op::new(
                    "get",
                    "comments",
                    "The page's visible comments, flat, in thread order",
                )
                .params(vec![
                    site_q(),
                    page_q(true),
                    query(
                        "sort",
                        false,
                        json!({"enum": ["oldest", "newest", "top"]}),
                        "default oldest",
                    ),
                    query(
                        "limit",
                        false,
                        json!({"type": "integer", "minimum": 1, "maximum": 200}),
                        "top-level comments per answer, default 50",
                    ),
                    query(
                        "after",
                        false,
                        json!({"type": "string"}),
                        "the `next` cursor of the previous answer",
                    ),
                ])
                .answer("200", ok_json(etag, r("Thread")))
                .answer("304", not_modified.clone())
                .answer("404", error("unknown site (`unknown_site`)")),
                Op::new("post", "comments", "Create a comment (approved or held)")
                    .params(vec![json!({
                        "name": "Idempotency-Key", "in": "header", "required": false,
                        "schema": {"type": "string", "minLength": 16, "maxLength": 128},
                        "description": "a random key per comment the author submits: a retry \
                            with the same key (after a 503 or a lost answer) answers 201 with \
                            the comment the first try made and the same edit token"})])
                    .body(r("NewComment"))
                    .answer("201", ok_json("stored; keep the edit token", r("Created")))
                    .answer(
                        "403",
                        error("thread locked (`thread_locked`) or origin not allowed"),
                    )
                    .answer("404", error("unknown site (`unknown_site`)"))
                    .answer(
                        "409",
                        error("the same text on this page within minutes (`duplicate`)"),
                    ),
            ],
        ),
        (
            "/api/comments/{id}",
            vec![
                Op::new("get", "comments", "One visible comment")
                    .params(vec![id_p()])
                    .answer("200", ok_json("the comment", r("Comment")))
                    .answer(
                        "404",
                        error("no visible comment with this id (`not_found`)"),
                    ),
                Op::new(
                    "patch",
                    "comments",
                    "Edit one's own comment within the edit window",
                )
                .params(vec![id_p()])
                .auth("editToken")
                .body(r("Edit"))
                .answer("200", ok_json("the edited comment", r("Comment")))
                .answer("401", error("wrong edit token (`unauthorized`)"))
                .answer("403", error("after `edit_until` (`edit_window_closed`)"))
                .answer("404", error("no such comment (`not_found`)")),
                Op::new(
                    "delete",
                    "comments",
                    "Delete one's own comment (a tombstone if it has replies)",
                )
                .params(vec![id_p()])
                .auth("editToken")
                .answer("204", no_body("deleted"))
                .answer("401", error("wrong edit token (`unauthorized`)"))
                .answer("403", error("after `edit_until` (`edit_window_closed`)"))
                .answer("404", error("no such comment (`not_found`)")),
            ],
        ),
        (
            "/api/comments/{id}/vote",
            vec![Op::new(
                "post",
                "comments",
                "Vote: 1, -1, or 0 to withdraw (one vote per voter)",
            )
            .params(vec![id_p()])
            .body(r("Vote"))
            .answer("200", ok_json("the comment's counts", r("Votes")))
            .answer(
                "404",
                error("no visible comment with this id (`not_found`)"),
            )],
        ),
        (
            "/api/counts",
            vec![
                Op::new(
                    "get",
                    "comments",
                    "Approved-comment counts of up to 100 pages",
                )
                .params(vec![
                    site_q(),
                    query(
                        "page",
                        true,
                        json!({"type": "array", "items": {"type": "string"}, "maxItems": 100}),
                        "repeat for each page",
                    ),
                ])
                .answer("200", ok_json(etag, r("Counts")))
                .answer("304", not_modified.clone())
                .answer("404", error("unknown site (`unknown_site`)")),
                Op::new("post", "comments", "The same counts, for long lists")
                    .body(r("CountsQuery"))
                    .answer("200", ok_json(etag, r("Counts")))
                    .answer("404", error("unknown site (`unknown_site`)")),
            ],
        ),
        (
            "/api/comments.html",
            vec![Op::new(
                "get",
                "comments",
                "The approved thread as a script-free HTML fragment",
            )
            .params(vec![site_q(), page_q(true)])
            .answer("200", ok_text(etag, "text/html"))
            .answer("304", not_modified.clone())
            .answer("404", error("unknown site (`unknown_site`)"))],
        ),
        (
            "/api/preview",
            vec![Op::new(
                "post",
                "comments",
                "Render markdown as the server would store it",
            )
            .body(r("Preview"))
            .answer("200", ok_json("sanitized HTML", r("Html")))],
        ),
        (
            "/api/config",
            vec![Op::new(
                "get",
                "comments",
                "A site's widget settings and a form token",
            )
            .params(vec![site_q()])
            .answer("200", ok_json("the settings", r("SiteConfig")))
            .answer("404", error("unknown site (`unknown_site`)"))],
        ),
        (
            "/api/privacy/erase",
            vec![Op::new(
                "post",
                "privacy",
                "Ask for a signed link that erases everything stored about an email",
            )
            .body(r("SiteEmail"))
            .answer(
                "202",
                ok_json("a link is mailed if anything is stored", r("Status")),
            )],
        ),
        (
            "/api/avatar/{hash}.svg",
            vec![Op::new("get", "comments", "An identicon (immutable)")
                .params(vec![path_param("hash", json!({"type": "string"}))])
                .answer("200", ok_text("SVG", "image/svg+xml"))
                .answer("404", error("not a hash (`not_found`)"))],
        ),
        (
            "/api/openapi.json",
            vec![Op::new("get", "operations", "This document")
                .answer("200", ok_json("OpenAPI 3.1", json!({"type": "object"})))],
        ),
        (
            "/api/admin/comments",
            vec![Op::new(
                "get",
                "admin",
                "The moderation queue, newest first, with private fields",
            )
            .auth("admin")
            .params(vec![
                query(
                    "site",
                    false,
                    json!({"type": "string"}),
                    "default: every site",
                ),
                query(
                    "status",
                    false,
                    json!({"enum": ["pending", "approved", "rejected", "deleted", "all"]}),
                    "default pending",
                ),
                page_q(false),
                query(
                    "q",
                    false,
                    json!({"type": "string"}),
                    "text, author or email contains",
                ),
                query(
                    "limit",
                    false,
                    json!({"type": "integer", "minimum": 1, "maximum": 200}),
                    "default 50",
                ),
                query(
                    "offset",
                    false,
                    json!({"type": "integer", "minimum": 0}),
                    "default 0",
                ),
            ])
            .answer("200", ok_json("one page of the queue", r("Queue")))
            .answer("404", error("unknown site (`unknown_site`)"))],
        ),
        (
            "/api/admin/comments/{id}",
            vec![
                Op::new("patch", "admin", "Edit a comment's text, author or website")
                    .auth("admin")
                    .params(vec![id_p()])
                    .body(r("Edit"))
                    .answer("200", ok_json("the comment", r("AdminComment")))
                    .answer("404", error("no such comment (`not_found`)")),
                Op::new(
                    "delete",
                    "admin",
                    "Delete a comment (a tombstone if it has replies)",
                )
                .auth("admin")
                .params(vec![id_p()])
                .answer("204", no_body("deleted"))
                .answer("404", error("no such comment (`not_found`)")),
            ],
        ),
        (
            "/api/admin/comments/{id}/approve",
            vec![Op::new("post", "admin", "Approve a comment")
                .auth("admin")
                .params(vec![id_p()])
                .answer("200", ok_json("the comment", r("AdminComment")))
                .answer("404", error("no such comment (`not_found`)"))],
        ),
        (
            "/api/admin/comments/{id}/reject",
            vec![Op::new("post", "admin", "Reject a comment")
                .auth("admin")
                .params(vec![id_p()])
                .answer("200", ok_json("the comment", r("AdminComment")))
                .answer("404", error("no such comment (`not_found`)"))],
        ),
        (
            "/api/admin/threads/lock",
            vec![Op::new("post", "admin", "Lock or unlock a thread")
                .auth("admin")
                .body(r("Lock"))
                .answer("200", ok_json("the thread's state", r("Lock")))
                .answer("404", error("unknown site (`unknown_site`)"))],
        ),
        (
            "/api/admin/erase",
            vec![Op::new(
                "post",
                "admin",
                "Erase everything stored about an email on a site (GDPR)",
            )
            .auth("admin")
            .body(r("SiteEmail"))
            .answer("200", ok_json("how many comments were erased", r("Erased")))
            .answer("404", error("unknown site (`unknown_site`)"))],
        ),
        (
            "/api/admin/sites",
            vec![
                Op::new("get", "admin", "Configured sites with counts per status")
                    .auth("admin")
                    .answer("200", ok_json("the sites", r("Sites"))),
            ],
        ),
        (
            "/api/admin/outbox",
            vec![Op::new("get", "admin", "Notification delivery state")
                .auth("admin")
                .answer("200", ok_json("counts and undelivered items", r("Outbox")))],
        ),
        (
            "/moderate/{id}/{action}",
            vec![
                Op::new(
                    "get",
                    "admin",
                    "One-click moderation link from an email: a confirmation page",
                )
                .params({
                    let mut p = signed();
                    p.push(path_param(
                        "action",
                        json!({"enum": ["approve", "reject", "delete"]}),
                    ));
                    p
                })
                .answer("200", html("a page with a button that POSTs"))
                .answer("403", html("a bad or expired signature")),
                Op::new("post", "admin", "Carry out a signed moderation link")
                    .params({
                        let mut p = signed();
                        p.push(path_param(
                            "action",
                            json!({"enum": ["approve", "reject", "delete"]}),
                        ));
                        p
                    })
                    .answer("200", html("done"))
                    .answer("403", html("a bad or expired signature")),
            ],
        ),
        (
            "/notify/{purpose}/{id}",
            vec![
                Op::new(
                    "get",
                    "privacy",
                    "Signed reply-notification link (confirm or unsubscribe): a page",
                )
                .params({
                    let mut p = signed();
                    p.push(path_param(
                        "purpose",
                        json!({"enum": ["confirm", "unsubscribe"]}),
                    ));
                    p
                })
                .answer("200", html("a page with a button that POSTs"))
                .answer("403", html("a bad or expired signature")),
                Op::new("post", "privacy", "Carry out a signed notification link")
                    .params({
                        let mut p = signed();
                        p.push(path_param(
                            "purpose",
                            json!({"enum": ["confirm", "unsubscribe"]}),
                        ));
                        p
                    })
                    .answer("200", html("done"))
                    .answer("403", html("a bad or expired signature")),
            ],
        ),
        (
            "/privacy/erase",
            vec![
                Op::new(
                    "get",
                    "privacy",
                    "Signed erase link from an email: a confirmation page",
                )
                .answer("200", html("a page with a button that POSTs"))
                .answer("403", html("a bad or expired signature")),
                Op::new("post", "privacy", "Carry out a signed erase link")
                    .answer("200", html("done"))
                    .answer("403", html("a bad or expired signature")),
            ],
        ),
        (
            "/feed/{site}.atom",
            vec![Op::new(
                "get",
                "comments",
                "Atom feed of the newest approved comments",
            )
            .params(vec![
                path_param("site", json!({"type": "string"})),
                page_q(false),
            ])
            .answer("200", ok_text("Atom 1.0", "application/atom+xml"))
            .answer("404", error("unknown site (`unknown_site`)"))],
        ),
        (
            "/embed.js",
            vec![Op::new("get", "assets", "The widget")
                .answer("200", ok_text("JavaScript", "application/javascript"))],
        ),
        (
            "/i18n/{lang}.json",
            vec![
                Op::new("get", "assets", "The widget's strings in one language")
                    .params(vec![path_param("lang", json!({"type": "string"}))])
                    .answer("200", ok_json("strings by key", json!({"type": "object"})))
                    .answer("404", error("no such language (`not_found`)")),
            ],
        ),
        (
            "/",
            vec![Op::new("get", "assets", "A demo page embedding the widget")
                .answer("200", html("the demo"))],
        ),
        (
            "/admin",
            vec![Op::new(
                "get",
                "assets",
                "The moderation page (log in with an admin token)",
            )
            .answer("200", html("the page"))],
        ),
        (
            "/admin.js",
            vec![Op::new("get", "assets", "The moderation page's script")
                .answer("200", ok_text("JavaScript", "application/javascript"))],
        ),
        (
            "/admin.css",
            vec![Op::new("get", "assets", "The moderation page's styles")
                .answer("200", ok_text("CSS", "text/css"))],
        ),
        (
            "/healthz",
            vec![Op::new("get", "operations", "Checks the database")
                .answer("200", ok_json("healthy", r("Status")))
                .answer("503", error("the database does not answer (`unavailable`)"))],
        ),
        (
            "/metrics",
            vec![Op::new("get", "operations", "Prometheus metrics")
                .answer("200", ok_text("text exposition format", "text/plain"))],
        ),
    ]
}

fn build() -> Value {
    let mut paths = Map::new();
    for (path, ops) in routes() {
        let mut item = Map::new();
        for op in &ops {
            item.insert(op.method.to_string(), op.to_json(path));
        }
        paths.insert(path.to_string(), Value::Object(item));
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Natter",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "A small, fast, self-hosted comment service. Every error is \
                `{\"error\": {\"code\", \"message\", \"field\"}}`. Writes with a body take \
                `application/json`; a browser's `Origin` must be allowed by the site.",
            "license": {"name": "MIT OR Apache-2.0", "identifier": "MIT OR Apache-2.0"},
        },
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": {
                "admin": {"type": "http", "scheme": "bearer",
                          "description": "an admin token (`natter admin token create`)"},
                "editToken": {"type": "http", "scheme": "bearer",
                              "description": "the `edit_token` a create answered"},
            },
        },
    })
}
