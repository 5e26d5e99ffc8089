//! Admin authentication: the bearer token against the configured admin token or its hash.

use crate::app::App;
use crate::env::{CONFIG_ADMIN_TOKEN, CONFIG_ADMIN_TOKEN_SHA256};
use crate::http::Request;
use crate::token::TokenHash;

/// Whether `request` carries the admin token. With no admin token configured, nobody is admin
/// (a presented token is still hashed and compared, against [`TokenHash::unmatchable`]).
pub fn is_admin(app: &App<'_>, request: &Request) -> bool {
    let Some(presented) = request.bearer_token() else { return false };
    let expected = match app.env.config(CONFIG_ADMIN_TOKEN_SHA256) {
        Some(hash) if !hash.trim().is_empty() => Some(TokenHash(hash.trim().to_ascii_lowercase())),
        _ => match app.env.config(CONFIG_ADMIN_TOKEN) {
            Some(token) if !token.is_empty() => Some(TokenHash::of(&token)),
            _ => None,
        },
    };
    match expected {
        Some(expected) => expected.verify(presented),
        None => {
            let _ = TokenHash::unmatchable().verify(presented);
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::TestEnv;
    use crate::store::memory::MemoryStore;

    fn request(token: &str) -> Request {
        Request::new("GET", "/", vec![("authorization".into(), format!("Bearer {token}"))], Vec::new())
    }

    #[test]
    fn accepts_clear_or_hashed_configuration() {
        let store = MemoryStore::default();
        let env = TestEnv::with_admin_token("s3cret");
        assert!(is_admin(&App::new(&store, &env), &request("s3cret")));
        assert!(!is_admin(&App::new(&store, &env), &request("wrong")));
        let mut hashed = TestEnv::default();
        hashed.config.insert(CONFIG_ADMIN_TOKEN_SHA256.into(), TokenHash::of("s3cret").0);
        assert!(is_admin(&App::new(&store, &hashed), &request("s3cret")));
    }

    #[test]
    fn no_configured_token_means_no_admin() {
        let store = MemoryStore::default();
        let env = TestEnv::default();
        assert!(!is_admin(&App::new(&store, &env), &request("")));
        assert!(!is_admin(&App::new(&store, &env), &request("anything")));
    }

    #[test]
    fn a_presented_token_is_compared_once_whether_or_not_one_is_configured() {
        let store = MemoryStore::default();
        for env in [TestEnv::with_admin_token("s3cret"), TestEnv::default()] {
            let (admin, compares) =
                crate::token::compares_during(|| is_admin(&App::new(&store, &env), &request("nope")));
            assert!(!admin);
            assert_eq!(compares, 1);
        }
    }
}
