//! What a node does on PostgreSQL before it serves, in one transaction under an advisory
//! lock (nodes starting together take turns): the declared sites, the server secret (made
//! by whichever node comes first, read by every other, so a link signed by one node works
//! on all), the first admin token. And the CLI's admin-token commands.

use postgres::{Client, GenericClient};

use crate::domain::crypto::{self, ServerKey};
use crate::domain::Timestamp;

/// The advisory lock of the start-up transaction.
const LOCK: i64 = 0x6e61_7474_6573;

/// A maker of Fediverse key pairs: `(private PEM, public PEM)`.
pub type MakePair<'a> = &'a dyn Fn() -> Result<(String, String), String>;

/// Stored key pairs: `(site, private PEM, public PEM)`.
pub type Pairs = Vec<(String, String, String)>;

/// Syncs the sites, reads (or makes) the server secret, makes the first admin token
/// when there is none anywhere, and reads the key pairs of the Fediverse sites `actors`,
/// making those that are missing (so the first node to start makes each, and every node
/// signs with the same key).
pub fn prepare(
    client: &mut Client,
    ids: &[String],
    now: Timestamp,
    actors: &[String],
    make: MakePair<'_>,
) -> Result<(ServerKey, Pairs), StartupError> {
    let mut t = client.transaction()?;
    t.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK])?;
    t.execute("UPDATE sites SET active = 0 WHERE active <> 0", &[])?;
    let upsert = t.prepare(
        "INSERT INTO sites (id, active, created_at) VALUES ($1, 1, $2)
         ON CONFLICT (id) DO UPDATE SET active = 1",
    )?;
    for id in ids {
        t.execute(&upsert, &[id, &now])?;
    }
    let key = server_key(&mut t)?;
    bootstrap_token(&mut t)?;
    for site in actors {
        let has: bool = t
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM fedi_keys WHERE site = $1)",
                &[site],
            )?
            .get(0);
        if !has {
            let (private, public) = make().map_err(StartupError::Keys)?;
            t.execute(
                "INSERT INTO fedi_keys (site, private_pem, public_pem, created_at)
                 VALUES ($1, $2, $3, $4) ON CONFLICT (site) DO NOTHING",
                &[site, &private, &public, &now],
            )?;
        }
    }
    let pairs = t
        .query("SELECT site, private_pem, public_pem FROM fedi_keys", &[])?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    t.commit()?;
    Ok((key, pairs))
}

/// Why the start-up transaction failed.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// PostgreSQL refused.
    #[error(transparent)]
    Sql(#[from] postgres::Error),
    /// A key pair could not be made.
    #[error("cannot make a Fediverse key: {0}")]
    Keys(String),
}

fn server_key(c: &mut impl GenericClient) -> Result<ServerKey, postgres::Error> {
    let stored: Option<Vec<u8>> = c
        .query_opt("SELECT value FROM secrets WHERE name = 'server'", &[])?
        .map(|r| r.get(0));
    if let Some(key) = stored.as_deref().and_then(ServerKey::from_bytes) {
        return Ok(key);
    }
    let key = ServerKey::generate();
    c.execute(
        "INSERT INTO secrets (name, value) VALUES ('server', $1)
         ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value",
        &[&key.as_bytes()],
    )?;
    Ok(key)
}

fn bootstrap_token(c: &mut impl GenericClient) -> Result<(), postgres::Error> {
    let from_env = std::env::var("NATTER_ADMIN_TOKEN").is_ok_and(|t| !t.is_empty());
    let any: bool = c
        .query_one("SELECT EXISTS (SELECT 1 FROM admin_tokens)", &[])?
        .get(0);
    if from_env || any {
        return Ok(());
    }
    if let Some(token) = create_token(c, "initial")? {
        eprintln!(
            "natter: created the first admin token (shown once; `natter admin token create` makes more):\n{token}"
        );
    }
    Ok(())
}

/// Creates a named token and returns it (the only time it is ever shown).
pub fn create_token(
    c: &mut impl GenericClient,
    name: &str,
) -> Result<Option<String>, postgres::Error> {
    let token = format!("natter_{}", crypto::random_token());
    let n = c.execute(
        "INSERT INTO admin_tokens (name, hash, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO NOTHING",
        &[&name, &crypto::token_hash(&token), &crate::domain::now()],
    )?;
    Ok((n == 1).then_some(token))
}

/// Names and creation times of the stored tokens.
pub fn list_tokens(c: &mut impl GenericClient) -> Result<Vec<(String, i64)>, postgres::Error> {
    Ok(c.query(
        "SELECT name, created_at FROM admin_tokens ORDER BY name",
        &[],
    )?
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect())
}

/// Removes a token by name; whether one existed.
pub fn revoke_token(c: &mut impl GenericClient, name: &str) -> Result<bool, postgres::Error> {
    Ok(c.execute("DELETE FROM admin_tokens WHERE name = $1", &[&name])? == 1)
}
