//! Request parsing with the contract's errors: JSON bodies (400 not JSON, 413 too large,
//! 415 wrong type, 422 wrong shape naming the field) and query strings (400 unparseable).

use std::cell::RefCell;
use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor,
};

use crate::domain::validate::Invalid;
use crate::error::ApiError;
use crate::http::body::Body;

/// Whether a `Content-Type` value is JSON.
pub fn is_json(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
}

/// The token of an `Authorization: Bearer …` header, if any.
pub fn bearer_token(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// The most a whole request body may take to arrive, from when its handler starts reading
/// it: 256 KiB then needs ~26 KB/s. A client that trickles its body is cut off with 408,
/// so stalled bodies can't hold memory and connections for long.
pub const BODY_DEADLINE: std::time::Duration = std::time::Duration::from_secs(10);

/// A JSON body parsed into `T`.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = Body::of(req, payload);
        Box::pin(async move {
            let (content_type, body) = body.read().await?;
            if !body.is_empty() && !content_type.as_deref().is_some_and(is_json) {
                return Err(ApiError::UnsupportedMediaType);
            }
            if body.is_empty() {
                return Err(ApiError::Malformed("a JSON body is required".into()));
            }
            parse_json(&body).map(Json)
        })
    }
}

/// Parses JSON text into `T`: syntax errors are 400, shape errors 422 with the field, and so
/// is an object that names a key twice (`{"text": "one", "text": "two"}`): JSON leaves its
/// meaning open, and a proxy or log reading the first while Natter kept the last is asking
/// for trouble.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::Malformed(format!("the body is not valid JSON: {e}")))?;
    if let Some(field) = duplicate_key(body) {
        return Err(ApiError::Validation(Invalid {
            message: format!("{field}: the key appears more than once in its object"),
            field: Some(field.into()),
        }));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let field = if path == "." || path.is_empty() {
            // serde names a missing field only in its message: "missing field `text`".
            inner
                .split('`')
                .nth(1)
                .filter(|_| inner.starts_with("missing field"))
                .map(str::to_owned)
        } else {
            Some(path)
        };
        let message = match &field {
            Some(f) => format!("{f}: {inner}"),
            None => format!("the body has the wrong shape: {inner}"),
        };
        ApiError::Validation(Invalid {
            field: field.map(Into::into),
            message,
        })
    })
}

/// The path (`text`, `pages[2].title`, as shape errors name fields) of the first key that
/// appears twice in one object of `body`, which is valid JSON. Keys are compared decoded, so
/// `"t\u0065xt"` is `"text"`.
fn duplicate_key(body: &[u8]) -> Option<String> {
    let walk = DuplicateKeys {
        path: RefCell::new(Vec::new()),
        found: RefCell::new(None),
    };
    let mut de = serde_json::Deserializer::from_slice(body);
    // The body already parsed, so the only error this pass raises is a repeated key.
    let _ = Walk(&walk).deserialize(&mut de);
    walk.found.into_inner()
}

/// State of the repeated-key pass: where it is, and what it found.
struct DuplicateKeys {
    path: RefCell<Vec<Step>>,
    found: RefCell<Option<String>>,
}

enum Step {
    Key(String),
    Index(usize),
}

impl DuplicateKeys {
    fn path_to(&self, key: &str) -> String {
        let mut out = String::new();
        for step in self.path.borrow().iter() {
            match step {
                Step::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Step::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(key);
        out
    }
}

/// Visits every value of a document, keeping nothing but the set of keys of each object.
#[derive(Clone, Copy)]
struct Walk<'a>(&'a DuplicateKeys);

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        loop {
            self.0.path.borrow_mut().push(Step::Index(index));
            let next = seq.next_element_seed(self);
            self.0.path.borrow_mut().pop();
            if next?.is_none() {
                return Ok(());
            }
            index += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if seen.contains(&key) {
                *self.0.found.borrow_mut() = Some(self.0.path_to(&key));
                return Err(de::Error::custom("a repeated key"));
            }
            self.0.path.borrow_mut().push(Step::Key(key.clone()));
            let value = map.next_value_seed(self);
            self.0.path.borrow_mut().pop();
            value?;
            seen.insert(key);
        }
        Ok(())
    }
}

/// A decoded query string, in order, repeated keys kept.
pub struct Query(pub Vec<(String, String)>);

impl Query {
    /// Decodes a raw query string; invalid percent-encoding or UTF-8 is 400.
    pub fn parse(raw: &str) -> Result<Query, ApiError> {
        let mut pairs = Vec::new();
        for part in raw.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            pairs.push((decode(k)?, decode(v)?));
        }
        Ok(Query(pairs))
    }

    /// The first value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `key`.
    pub fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// A required value, else 422 naming it.
    pub fn require(&self, key: &'static str) -> Result<&str, ApiError> {
        self.get(key)
            .ok_or_else(|| ApiError::invalid(key, format!("the query parameter {key} is required")))
    }

    /// An optional integer in `range`, else 422 naming it.
    pub fn int_in(
        &self,
        key: &'static str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Result<Option<i64>, ApiError> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        match v.parse::<i64>() {
            Ok(n) if range.contains(&n) => Ok(Some(n)),
            _ => Err(ApiError::invalid(
                key,
                format!(
                    "{key} must be a whole number from {} to {}",
                    range.start(),
                    range.end()
                ),
            )),
        }
    }
}

/// Appends `value` to a query string in the `application/x-www-form-urlencoded` spelling
/// browsers use (`URLSearchParams`): letters, digits and `*-._` as they are, a space as `+`,
/// every other byte `%XX` in capitals. [`Query::parse`] reads it back unchanged.
pub fn form_encode_into(out: &mut String, value: &str) {
    use std::fmt::Write as _;
    for b in value.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
}

fn decode(s: &str) -> Result<String, ApiError> {
    let plus = s.replace('+', " ");
    if has_bad_escape(&plus) {
        return Err(ApiError::Malformed(
            "the query string has a broken %-escape".into(),
        ));
    }
    percent_encoding::percent_decode_str(&plus)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| ApiError::Malformed("the query string is not valid UTF-8".into()))
}

fn has_bad_escape(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let ok =
                b.len() > i + 2 && b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit();
            if !ok {
                return true;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    false
}

impl FromRequest for Query {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Query::parse(req.query_string()))
    }
}

#[cfg(test)]
#[path = "extract_tests.rs"]
mod tests;
