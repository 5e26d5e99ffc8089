//! `--store`: which key-value backend holds the component's bucket.

use std::fmt;
use std::str::FromStr;

/// The key-value backend to use, as given to `--store`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum StoreSpec {
    /// SQLite in `{data}/idplex.sqlite3` (the default; spelled `sqlite`).
    #[default]
    Sqlite,
}

/// Why a `--store` value was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreSpecError {
    /// A known backend that this build does not support yet.
    #[error("the `{scheme}` store is not supported yet; use `--store sqlite`")]
    NotSupportedYet {
        /// The URL scheme given, e.g. `redis`.
        scheme: String,
    },
    /// Something that names no backend.
    #[error("unknown store `{0}`; use `--store sqlite`")]
    Unknown(String),
}

impl FromStr for StoreSpec {
    type Err = StoreSpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("sqlite") {
            return Ok(StoreSpec::Sqlite);
        }
        match s.split_once("://") {
            Some((scheme, _))
                if matches!(scheme.to_ascii_lowercase().as_str(), "redis" | "rediss") =>
            {
                Err(StoreSpecError::NotSupportedYet {
                    scheme: scheme.to_ascii_lowercase(),
                })
            }
            _ => Err(StoreSpecError::Unknown(s.to_owned())),
        }
    }
}

impl fmt::Display for StoreSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreSpec::Sqlite => f.write_str("sqlite"),
        }
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
    fn redis_url_is_rejected_as_not_yet_supported() {
        let err = "redis://localhost:6379/0"
            .parse::<StoreSpec>()
            .expect_err("redis is not supported");
        assert_eq!(
            err,
            StoreSpecError::NotSupportedYet {
                scheme: "redis".into()
            }
        );
        assert!(err.to_string().contains("not supported yet"));
    }

    #[test]
    fn unknown_store_is_rejected() {
        assert!(matches!(
            "postgres://x".parse::<StoreSpec>(),
            Err(StoreSpecError::Unknown(_))
        ));
        assert!(matches!(
            "".parse::<StoreSpec>(),
            Err(StoreSpecError::Unknown(_))
        ));
    }

    #[test]
    fn display_round_trips() {
        assert_eq!(StoreSpec::Sqlite.to_string().parse(), Ok(StoreSpec::Sqlite));
    }
}
