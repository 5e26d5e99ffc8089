//! `--store`: which key-value backend holds the component's bucket.

use std::ffi::OsStr;
use std::fmt;
use std::str::FromStr;

use super::redis::{RedisUrl, RedisUrlError};

/// The key-value backend to use, as given to `--store`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum StoreSpec {
    /// SQLite in `{data}/idplex.sqlite3` (the default; spelled `sqlite`).
    #[default]
    Sqlite,
    /// One Redis database shared by any number of hosts (`redis://[user:password@]host[:port][/db]`).
    Redis(RedisUrl),
    /// Test double of Spin's Redis provider, bugs included (`spin-redis://host:port/db`): swap
    /// reports `cas-failed` after applying, `get-many` runs `KEYS`. For testing only.
    SpinRedis(RedisUrl),
    /// Test double of Spin's SQLite provider (`spin-sqlite`, file `spin-kv.sqlite3` in the data
    /// directory): swap compares values and upserts when the key was absent. For testing only.
    SpinSqlite,
}

/// Why a `--store` value was rejected. Never contains a password given with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreSpecError {
    /// A known backend that this build does not support yet.
    #[error("the `{scheme}` store is not supported yet; use `--store sqlite` or `--store redis://…`")]
    NotSupportedYet {
        /// The URL scheme given, e.g. `rediss` (Redis over TLS).
        scheme: String,
    },
    /// A `redis://` URL that does not parse.
    #[error(transparent)]
    BadRedisUrl(#[from] RedisUrlError),
    /// Something that names no backend (for a URL, only its scheme is kept).
    #[error("unknown store `{0}`; use `--store sqlite` or `--store redis://host:port/db`")]
    Unknown(String),
}

impl FromStr for StoreSpec {
    type Err = StoreSpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("sqlite") {
            return Ok(StoreSpec::Sqlite);
        }
        if s.eq_ignore_ascii_case("spin-sqlite") {
            return Ok(StoreSpec::SpinSqlite);
        }
        if let Some(rest) = s.strip_prefix("spin-redis://") {
            return Ok(StoreSpec::SpinRedis(format!("redis://{rest}").parse()?));
        }
        match s.split_once("://").map(|(scheme, _)| scheme.to_ascii_lowercase()) {
            Some(scheme) if scheme == "redis" => Ok(StoreSpec::Redis(s.parse()?)),
            Some(scheme) if scheme == "rediss" => Err(StoreSpecError::NotSupportedYet { scheme }),
            Some(scheme) => Err(StoreSpecError::Unknown(format!("{scheme}://…"))),
            None => Err(StoreSpecError::Unknown(s.to_owned())),
        }
    }
}

impl fmt::Display for StoreSpec {
    /// `sqlite`, or the Redis URL with its password replaced by `***`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreSpec::Sqlite => f.write_str("sqlite"),
            StoreSpec::Redis(url) => url.fmt(f),
            StoreSpec::SpinRedis(url) => write!(f, "spin-{url}"),
            StoreSpec::SpinSqlite => f.write_str("spin-sqlite"),
        }
    }
}

/// Parses `--store` for clap without quoting the value in the error, as clap's default parser
/// would: a rejected Redis URL may hold a password.
#[derive(Debug, Clone, Copy)]
pub struct StoreSpecParser;

impl clap::builder::ValueParserFactory for StoreSpec {
    type Parser = StoreSpecParser;

    fn value_parser() -> StoreSpecParser {
        StoreSpecParser
    }
}

impl clap::builder::TypedValueParser for StoreSpecParser {
    type Value = StoreSpec;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<StoreSpec, clap::Error> {
        let fail = |message: String| {
            clap::Error::raw(clap::error::ErrorKind::ValueValidation, format!("invalid --store: {message}\n"))
                .with_cmd(cmd)
        };
        let text = value.to_str().ok_or_else(|| fail("not valid UTF-8".into()))?;
        text.parse().map_err(|e: StoreSpecError| fail(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_is_accepted_in_any_case() {
        assert_eq!("sqlite".parse(), Ok(StoreSpec::Sqlite));
        assert_eq!("SQLite".parse(), Ok(StoreSpec::Sqlite));
    }

    #[test]
    fn redis_url_is_accepted() {
        let spec: StoreSpec = "redis://localhost:6379/0".parse().expect("redis is supported");
        assert!(matches!(spec, StoreSpec::Redis(_)));
        assert_eq!(spec.to_string(), "redis://localhost:6379/0");
    }

    #[test]
    fn redis_password_is_never_shown() {
        let spec: StoreSpec = "redis://:s3cret@localhost:6379/0".parse().expect("valid");
        assert!(!spec.to_string().contains("s3cret"));
        assert!(!format!("{spec:?}").contains("s3cret"));
        let err = "redis://:s3cret@localhost:6379/x".parse::<StoreSpec>().expect_err("bad db");
        assert!(matches!(err, StoreSpecError::BadRedisUrl(_)));
        assert!(!err.to_string().contains("s3cret"));
        let err = "valkey://:s3cret@localhost".parse::<StoreSpec>().expect_err("unknown");
        assert!(!err.to_string().contains("s3cret"));
    }

    #[test]
    fn redis_over_tls_is_rejected_as_not_yet_supported() {
        let err = "rediss://localhost:6380/0".parse::<StoreSpec>().expect_err("no TLS");
        assert_eq!(err, StoreSpecError::NotSupportedYet { scheme: "rediss".into() });
        assert!(err.to_string().contains("not supported yet"));
    }

    #[test]
    fn unknown_store_is_rejected() {
        assert!(matches!("postgres://x".parse::<StoreSpec>(), Err(StoreSpecError::Unknown(_))));
        assert!(matches!("".parse::<StoreSpec>(), Err(StoreSpecError::Unknown(_))));
    }

    #[test]
    fn display_round_trips() {
        assert_eq!(StoreSpec::Sqlite.to_string().parse(), Ok(StoreSpec::Sqlite));
        let redis: StoreSpec = "redis://127.0.0.1:6379/3".parse().expect("valid");
        assert_eq!(redis.to_string().parse(), Ok(redis));
    }
}
