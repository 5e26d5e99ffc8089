//! Bearer tokens: generation, hashing and constant-time verification.
//!
//! A token is `idplex_` followed by 43 base64url characters encoding 256 random bits; the
//! prefix lets secret scanners recognise leaked tokens. Only the SHA-256 of a token is ever
//! stored; a presented token is hashed and compared to the stored hash in constant time.

use sha2::{Digest, Sha256};

use crate::env::Env;

/// The prefix of every connection token.
pub const TOKEN_PREFIX: &str = "idplex_";

/// A freshly issued token in clear text. Hand it to the caller once, then drop it.
pub struct IssuedToken {
    /// The token as the client sends it.
    pub secret: String,
    /// Its lowercase hex SHA-256, the only form that is stored.
    pub hash: TokenHash,
    /// Its non-secret [`hint`].
    pub hint: String,
}

/// The lowercase hex SHA-256 of a token.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct TokenHash(pub String);

impl TokenHash {
    /// Hashes a presented token.
    pub fn of(token: &str) -> Self {
        TokenHash(hex(&Sha256::digest(token.as_bytes())))
    }

    /// A hash no token is known to have (64 zeros: finding a preimage would break SHA-256).
    /// A presented token is compared against it when there is nothing to compare it with, so
    /// that case does the same work as a wrong token.
    pub fn unmatchable() -> Self {
        TokenHash("0".repeat(64))
    }

    /// Whether `presented` hashes to this hash. Runs in time independent of where the hashes
    /// differ.
    pub fn verify(&self, presented: &str) -> bool {
        #[cfg(test)]
        COMPARES.with(|n| n.set(n.get() + 1));
        constant_time_eq(TokenHash::of(presented).0.as_bytes(), self.0.as_bytes())
    }
}

#[cfg(test)]
std::thread_local! {
    /// How many times [`TokenHash::verify`] ran on this thread.
    static COMPARES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Runs `f`; returns its result and how many token hashes it compared.
#[cfg(test)]
pub(crate) fn compares_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = COMPARES.with(std::cell::Cell::get);
    let out = f();
    (out, COMPARES.with(std::cell::Cell::get) - before)
}

/// Issues a new random token.
pub fn issue(env: &dyn Env) -> IssuedToken {
    let mut bytes = [0u8; 32];
    env.fill_random(&mut bytes);
    let secret = format!("{TOKEN_PREFIX}{}", base64url(&bytes));
    let hash = TokenHash::of(&secret);
    let hint = hint(&secret);
    IssuedToken { secret, hash, hint }
}

/// The non-secret hint of a token: its first 10 characters (`idplex_` and 3 more), `…` and
/// its last 4. It names which token an IdP holds without revealing it: 7 of the 43 random
/// characters (42 of 256 bits) are shown, 214 bits stay secret.
pub fn hint(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() < 16 {
        return String::new();
    }
    let head: String = chars[..10].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

/// Compares two byte strings without an early exit on the first difference.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// Lowercase hexadecimal encoding.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// Unpadded base64url encoding (RFC 4648 §5).
pub fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::TestEnv;

    #[test]
    fn issued_token_has_prefix_and_256_bits() {
        let token = issue(&TestEnv::default());
        assert!(token.secret.starts_with(TOKEN_PREFIX));
        assert_eq!(token.secret.len(), TOKEN_PREFIX.len() + 43);
        assert_eq!(token.hash.0.len(), 64);
    }

    #[test]
    fn hint_shows_the_prefix_and_last_four_only() {
        let token = issue(&TestEnv::default());
        let hint = hint(&token.secret);
        assert_eq!(hint, token.hint);
        assert!(hint.starts_with(&token.secret[..10]) && hint.ends_with(&token.secret[token.secret.len() - 4..]));
        assert_eq!(hint.chars().count(), 15);
        assert!(!hint.contains(&token.secret[10..token.secret.len() - 4]));
        assert_eq!(super::hint("short"), "");
    }

    #[test]
    fn two_tokens_differ() {
        let env = TestEnv::default();
        assert_ne!(issue(&env).secret, issue(&env).secret);
    }

    #[test]
    fn verify_accepts_only_the_issued_token() {
        let token = issue(&TestEnv::default());
        assert!(token.hash.verify(&token.secret));
        assert!(!token.hash.verify(&format!("{}x", token.secret)));
        assert!(!token.hash.verify(""));
    }

    #[test]
    fn unmatchable_hash_has_the_length_of_a_real_one() {
        let token = issue(&TestEnv::default());
        assert_eq!(TokenHash::unmatchable().0.len(), token.hash.0.len());
        assert!(!TokenHash::unmatchable().verify(&token.secret));
    }

    #[test]
    fn base64url_matches_rfc4648_vectors() {
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(b"foob"), "Zm9vYg");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn constant_time_eq_compares_content_and_length() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
