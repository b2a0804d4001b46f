//! Reading the settings: defaults, the optional TOML file, the environment.

use std::path::Path;

use figment::providers::{Env, Format as _, Serialized, Toml};
use figment::Figment;

use super::{ConfigError, Settings};

/// Environment variables that look like config overrides but are not config keys.
const NON_KEYS: [&str; 3] = ["config", "admin_token", "log_format"];

/// Top-level keys the environment may override.
const ENV_KEYS: [&str; 11] = [
    "outbox_max_age",
    "fetch_allow",
    "fetch_hosts",
    "bind",
    "database",
    "public_url",
    "trusted_proxies",
    "durability",
    "limits",
    "smtp",
    "oidc",
];

impl Settings {
    /// Loads defaults, the optional file and the environment, then checks every value.
    pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
        Self::load_from(file, Env::prefixed("NATTER_"))
    }

    /// Like [`Settings::load`] with an explicit environment provider (tests).
    pub fn load_from(file: Option<&Path>, env: Env) -> Result<Settings, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        let mut name = "the environment".to_string();
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError(format!(
                    "config file {} does not exist or is not a file",
                    path.display()
                )));
            }
            name = path.display().to_string();
            figment = figment.merge(Toml::file_exact(path));
        }
        let env = env.ignore(&NON_KEYS).split("__").filter(|k| {
            // Sites and webhooks live in the file; any other NATTER_* variable
            // is somebody else's business, not an unknown key.
            let top = k.as_str().split('.').next().unwrap_or("");
            ENV_KEYS.iter().any(|known| known.eq_ignore_ascii_case(top))
        });
        figment = figment.merge(env);
        let mut settings: Settings = figment.extract().map_err(|e| {
            let mut msgs = Vec::new();
            for err in e {
                let key = if err.path.is_empty() {
                    String::new()
                } else {
                    format!(" (key `{}`)", err.path.join("."))
                };
                let source = err
                    .metadata
                    .as_ref()
                    .map(|m| match &m.source {
                        Some(src) => format!("{src}"),
                        None => m.name.to_string(),
                    })
                    .unwrap_or_else(|| name.clone());
                msgs.push(format!("{source}{key}: {}", err.kind));
            }
            ConfigError(format!("invalid configuration: {}", msgs.join("; ")))
        })?;
        settings.strip_sqlite_scheme();
        settings.check().map_err(|(key, why)| {
            ConfigError(format!(
                "invalid configuration in {name} (key `{key}`): {why}"
            ))
        })?;
        Ok(settings)
    }
}
