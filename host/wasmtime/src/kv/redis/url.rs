//! The `--store redis://…` URL: validated when parsed, never shown with its password.

use std::fmt;
use std::str::FromStr;

use redis::IntoConnectionInfo as _;

/// A validated `redis://[user[:password]@]host[:port][/db]` URL.
///
/// `Display` and `Debug` replace the password with `***`, so the URL can appear in logs and
/// error messages; only [`RedisUrl::expose`] gives the real one, for connecting.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl {
    url: String,
    password: Option<String>,
}

/// Why a `redis://` URL was rejected. Never contains the URL itself, which may hold a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid Redis URL ({reason}); expected redis://[user[:password]@]host[:port][/db]")]
pub struct RedisUrlError {
    reason: String,
}

impl RedisUrl {
    /// The URL with its password, for the Redis client only.
    pub(in crate::kv) fn expose(&self) -> &str {
        &self.url
    }

    /// The password, if the URL has one (so messages can be scrubbed of it).
    pub(super) fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }
}

impl FromStr for RedisUrl {
    type Err = RedisUrlError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let url = s.trim().to_owned();
        let is_redis = url.split_once("://").is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case("redis"));
        if !is_redis {
            return Err(RedisUrlError { reason: "the scheme must be redis://".into() });
        }
        // The client's own parser, so what is accepted here is exactly what it connects to. Its
        // messages are fixed texts that never quote the URL.
        let info = url.as_str().into_connection_info().map_err(|e| RedisUrlError { reason: e.to_string() })?;
        if info.redis_settings().db() < 0 {
            return Err(RedisUrlError { reason: "the database number must not be negative".into() });
        }
        let password = info.redis_settings().password().map(str::to_owned).filter(|p| !p.is_empty());
        Ok(RedisUrl { url, password })
    }
}

impl fmt::Display for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact(&self.url))
    }
}

impl fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RedisUrl").field(&redact(&self.url)).finish()
    }
}

/// `url` with the password of its user-info part replaced by `***`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let Some((user_info, host)) = authority.rsplit_once('@') else {
        return url.to_owned();
    };
    let user = user_info.split_once(':').map_or(user_info, |(user, _)| user);
    let hidden = if user_info.contains(':') { ":***" } else { "" };
    format!("{scheme}://{user}{hidden}@{host}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_with_password_is_shown_redacted() {
        let url: RedisUrl = "redis://app:s3cret@cache.internal:6380/2".parse().expect("valid");
        assert_eq!(url.to_string(), "redis://app:***@cache.internal:6380/2");
        assert!(!format!("{url:?}").contains("s3cret"));
        assert_eq!(url.expose(), "redis://app:s3cret@cache.internal:6380/2");
        assert_eq!(url.password(), Some("s3cret"));
    }

    #[test]
    fn password_only_url_is_redacted() {
        let url: RedisUrl = "redis://:pa:ss@127.0.0.1/0".parse().expect("valid");
        assert_eq!(url.to_string(), "redis://:***@127.0.0.1/0");
    }

    #[test]
    fn url_without_credentials_is_shown_as_is() {
        let url: RedisUrl = "redis://127.0.0.1:6379/0".parse().expect("valid");
        assert_eq!(url.to_string(), "redis://127.0.0.1:6379/0");
        assert_eq!(url.password(), None);
    }

    #[test]
    fn bad_database_is_rejected_without_quoting_the_url() {
        let err = "redis://:hunter2@localhost:6379/abc".parse::<RedisUrl>().expect_err("bad db");
        assert!(err.to_string().contains("database"), "{err}");
        assert!(!err.to_string().contains("hunter2"));
    }

    #[test]
    fn missing_host_is_rejected() {
        assert!("redis://".parse::<RedisUrl>().is_err());
        assert!("http://localhost".parse::<RedisUrl>().is_err());
    }
}
