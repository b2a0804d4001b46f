//! The sign-in popup's pages, on Natter's own origin: the choice of ways, and the page that
//! hands a new session to the embedding page (by `postMessage` to its exact origin, done by
//! `/auth.js`; this page only carries the data).

use maud::{html, Markup, PreEscaped, DOCTYPE};

/// The popup's Content-Security-Policy: its own script and requests only.
pub const SIGNIN_CSP: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; \
    style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; \
    base-uri 'none'";

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;max-width:26rem;margin:1.5rem auto;\
padding:0 1rem;color:#222}h1{font-size:1.3rem}label{display:block;margin:.5rem 0 .25rem}\
input{font:inherit;width:100%;box-sizing:border-box;padding:.5rem;min-height:44px}\
button,a.oidc{display:block;box-sizing:border-box;width:100%;min-height:44px;margin:.75rem 0;\
padding:.6rem 1rem;font:inherit;text-align:center;border:1px solid #888;border-radius:6px;\
background:#f4f4f4;color:inherit;text-decoration:none;cursor:pointer}\
button.primary{background:#2457c5;border-color:#2457c5;color:#fff}\
#auth-error{color:#b00020}.or{color:#666;text-align:center;margin:1rem 0}\
@media (prefers-color-scheme:dark){body{background:#111;color:#eee}\
button,a.oidc{background:#222}#auth-error{color:#ff8a80}.or{color:#aaa}}";

/// One way to sign in, as the page offers it.
pub struct Way {
    /// `passkey` or `oidc:<name>`.
    pub id: String,
    /// The button's text after "Sign in with".
    pub label: String,
    /// For a provider: where its button goes.
    pub href: Option<String>,
}

fn page(title: &str, main: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                (main)
                script src="/auth.js" {}
            }
        }
    }
    .into_string()
}

/// The choice: a passkey (new, or one the device has) and each provider.
pub fn choose(site: &str, origin: &str, ways: &[Way]) -> String {
    let passkey = ways.iter().any(|w| w.id == "passkey");
    page(
        "Sign in to comment",
        html! {
            main #natter-auth data-mode="choose" data-site=(site) data-origin=(origin) {
                h1 { "Sign in to comment" }
                p { "For " strong { (origin) } ". Nothing about you is shared with the blog but the name you choose." }
                p #auth-error role="alert" {}
                @if passkey {
                    button #passkey-signin .primary type="button" { "Sign in with a passkey" }
                    p .or { "New here?" }
                    form #passkey-new {
                        label for="passkey-name" { "Your name, as shown on your comments" }
                        input #passkey-name name="name" maxlength="64" required autocomplete="nickname";
                        button #passkey-create type="submit" { "Create a passkey" }
                    }
                }
                @for w in ways.iter().filter(|w| w.href.is_some()) {
                    a .oidc data-provider=(w.id) href=(w.href.as_deref().unwrap_or("#")) {
                        "Sign in with " (w.label)
                    }
                }
            }
        },
    )
}

/// The hand-over: the session for `origin`, in the page's data, posted by `/auth.js`.
pub fn done(origin: &str, session_json: &str, name: &str) -> String {
    page(
        "Signed in",
        html! {
            main #natter-auth data-mode="done" data-origin=(origin) data-session=(session_json) {
                h1 { "Signed in" }
                p { "Signed in as " strong { (name) } ". This window closes by itself." }
            }
        },
    )
}

/// A refusal, said plainly.
pub fn refused(why: &str) -> String {
    page(
        "Sign-in failed",
        html! {
            main #natter-auth data-mode="error" {
                h1 { "Sign-in failed" }
                p #auth-error role="alert" { (why) }
                p { "Close this window and try again from the comment form." }
            }
        },
    )
}
