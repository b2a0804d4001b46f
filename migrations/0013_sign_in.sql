-- Sign-in (src/signin/): commenters who prove who they are with a passkey or an OpenID
-- Connect provider. Everything is per site: an identity, its passkeys and its sessions
-- belong to one site, and erasing it there removes them all.

-- One person as one provider knows them: `provider` is `passkey` or `oidc:<name>`,
-- `subject` the provider's stable id for them (a passkey's user handle; the ID token's
-- `sub`). Never linked across providers.
CREATE TABLE identities (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    site          TEXT NOT NULL,
    provider      TEXT NOT NULL,
    subject       TEXT NOT NULL,
    name          TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    UNIQUE (site, provider, subject)
);

-- A passkey of an identity: the credential id (base64url) and webauthn-rs's stored form
-- of the public key and counter.
CREATE TABLE passkeys (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    identity_id   INTEGER NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    credential_id TEXT NOT NULL UNIQUE,
    passkey       TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    used_at       INTEGER
);

-- A signed-in browser. The token the commenter holds is signed with the server key and
-- names this row; a revoked or expired row makes it worthless on every node.
CREATE TABLE sessions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    identity_id   INTEGER NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    site          TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    revoked_at    INTEGER
);
CREATE INDEX sessions_by_site ON sessions (site, expires_at);

-- A ceremony under way (a passkey registration or sign-in, an OpenID Connect redirect):
-- its state, bound to the browser that started it (a keyed hash of a cookie), used once.
CREATE TABLE auth_states (
    id_hash       TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    site          TEXT NOT NULL,
    origin        TEXT NOT NULL,
    binding_hash  TEXT NOT NULL,
    data          TEXT NOT NULL,
    expires_at    INTEGER NOT NULL
);

-- A comment written signed in: who (kept private), and how (public: `passkey` or
-- `oidc:<name>`).
ALTER TABLE comments ADD COLUMN identity_id INTEGER;
ALTER TABLE comments ADD COLUMN signed_in TEXT;
CREATE INDEX comments_by_identity ON comments (identity_id) WHERE identity_id IS NOT NULL;
