//! `natter fediverse announce`: the admin API's announcement from the command line (a
//! static site's CI may run either), on the configured database. The deliveries it queues
//! are sent by the running server(s). And the actors' keys at start.

use std::sync::Arc;

use crate::config::Settings;
use crate::fediverse::keys::KeyPair;

/// Announces a post and prints its object id.
pub fn announce(
    settings: Settings,
    site: &str,
    page: &str,
    url: &str,
    title: &str,
    summary: Option<&str>,
) -> anyhow::Result<()> {
    let state = Arc::new(crate::cli::serve::prepare(settings)?);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let core = state.core.clone();
    let done = runtime.block_on(crate::actions::fediverse::announce(
        &core, site, page, url, title, summary,
    ));
    drop(core);
    crate::cli::serve::close(state);
    let done = done.map_err(|e| match e {
        crate::error::ApiError::Validation(i) => anyhow::anyhow!("{}", i.message),
        e => anyhow::anyhow!("{e}"),
    })?;
    let verb = if done.created { "announced" } else { "updated" };
    eprintln!(
        "{verb} post {} of site {site:?}: {} inbox(es) to deliver to",
        done.id, done.inboxes
    );
    println!("{}", done.object_id);
    Ok(())
}

/// Makes a key pair for a Fediverse actor (slow: about a tenth of a second).
pub(crate) fn make_pair() -> Result<(String, String), String> {
    crate::fediverse::keys::generate().map(|k| (k.private_pem, k.public_pem))
}

/// The stored key pairs (a missing one made now) of the Fediverse sites, on SQLite.
pub(crate) fn sqlite_actor_keys(
    conn: &rusqlite::Connection,
    settings: &Settings,
) -> Result<Vec<(String, KeyPair)>, crate::cli::serve::StartError> {
    let sites = crate::actions::fediverse::fediverse_sites(&settings.effective_sites());
    let fail =
        |e: String| crate::cli::serve::StartError(format!("cannot make the Fediverse keys: {e}"));
    let stored = crate::store::fediverse::keys(conn).map_err(|e| fail(e.to_string()))?;
    for site in &sites {
        if !stored.iter().any(|(s, _, _)| s == site) {
            let (private, public) = make_pair().map_err(fail)?;
            crate::store::fediverse::add_key(conn, site, &private, &public, crate::domain::now())
                .map_err(|e| fail(e.to_string()))?;
        }
    }
    let stored = crate::store::fediverse::keys(conn).map_err(|e| fail(e.to_string()))?;
    Ok(pairs_of(stored, &sites))
}

/// The pairs of `sites` among the stored ones.
pub(crate) fn pairs_of(
    stored: Vec<(String, String, String)>,
    sites: &[String],
) -> Vec<(String, KeyPair)> {
    stored
        .into_iter()
        .filter(|(s, _, _)| sites.contains(s))
        .map(|(site, private_pem, public_pem)| {
            (
                site,
                KeyPair {
                    private_pem,
                    public_pem,
                },
            )
        })
        .collect()
}
