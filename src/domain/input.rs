//! What readers send, checked: a new comment and an author's (or moderator's) edit, each
//! field through the rules of `validate`. Rules that need a site's settings (a required
//! name, the page URL's origin) are the create action's.

use crate::domain::validate::Invalid;
use crate::domain::validate::{self, max};

/// The fields of a create as a reader sent them.
#[derive(Debug, Default)]
pub struct RawSubmission<'a> {
    /// Page key.
    pub page: &'a str,
    /// Page title.
    pub title: Option<&'a str>,
    /// Page URL.
    pub url: Option<&'a str>,
    /// Parent comment.
    pub parent: Option<i64>,
    /// Name.
    pub author: Option<&'a str>,
    /// Email.
    pub email: Option<&'a str>,
    /// Website.
    pub website: Option<&'a str>,
    /// Markdown source.
    pub text: &'a str,
    /// Wants reply mail.
    pub notify: Option<bool>,
    /// The author key the widget keeps in the browser.
    pub author_key: Option<&'a str>,
}

/// A new comment whose every field passed its rule.
#[derive(Debug, Clone)]
pub struct Submission {
    /// Page key.
    pub page: String,
    /// Page title.
    pub title: Option<String>,
    /// Page URL (http or https).
    pub url: Option<String>,
    /// Parent comment.
    pub parent: Option<i64>,
    /// Name.
    pub author: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Website.
    pub website: Option<String>,
    /// Markdown source.
    pub text: String,
    /// Wants reply mail.
    pub notify: bool,
    /// The author key.
    pub author_key: Option<String>,
}

impl Submission {
    /// Checks each field in the contract's order; the first broken rule is the answer.
    /// `on_site` says whether an origin is one of the site's (for the page URL). The
    /// notify rule (an email is needed) is checked last, by [`Submission::check_notify`],
    /// after the site's own rules.
    pub fn parse(
        raw: RawSubmission<'_>,
        on_site: impl FnOnce(&str) -> bool,
    ) -> Result<Submission, Invalid> {
        let page = validate::page(raw.page)?;
        let text = validate::text(raw.text)?;
        let author = validate::optional_line("author", raw.author, max::AUTHOR)?;
        let email = validate::email(raw.email)?;
        let website = validate::http_url("website", raw.website, max::WEBSITE)?;
        let title = validate::optional_line("title", raw.title, max::TITLE)?;
        let url = validate::http_url("url", raw.url, max::URL)?;
        if let Some(u) = &url {
            if !validate::origin_of(u).is_some_and(|o| on_site(&o)) {
                return Err(Invalid::new(
                    "url",
                    "url must be on one of the site's origins",
                ));
            }
        }
        let author_key = validate::author_key(raw.author_key)?;
        let notify = raw.notify == Some(true);
        Ok(Submission {
            page,
            title,
            url,
            parent: raw.parent,
            author,
            email,
            website,
            text,
            notify,
            author_key,
        })
    }
}

impl Submission {
    /// Reply mail needs an address to go to.
    pub fn check_notify(&self) -> Result<(), Invalid> {
        if self.notify && self.email.is_none() {
            return Err(Invalid::new(
                "email",
                "an email is needed to be notified of replies",
            ));
        }
        Ok(())
    }
}

/// An edit whose fields passed their rules; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct Edit {
    /// New text.
    pub text: Option<String>,
    /// New name (`Some(None)` clears it).
    pub author: Option<Option<String>>,
    /// New website (`Some(None)` clears it).
    pub website: Option<Option<String>>,
}

impl Edit {
    /// Checks each given field with the same rules as a create.
    pub fn parse(
        text: Option<&str>,
        author: Option<&str>,
        website: Option<&str>,
    ) -> Result<Edit, Invalid> {
        Ok(Edit {
            text: text.map(validate::text).transpose()?,
            author: author
                .map(|a| validate::optional_line("author", Some(a), max::AUTHOR))
                .transpose()?,
            website: website
                .map(|w| validate::http_url("website", Some(w), max::WEBSITE))
                .transpose()?,
        })
    }
}
