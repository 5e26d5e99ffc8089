//! Random identifiers for connections and SCIM resources.

use crate::env::Env;

/// A connection id: 26 characters of lowercase base32 (128 random bits). Contains only
/// `a-z` and `2-7`, so it is safe in any URL (Okta rejects `_` in base URLs).
pub fn connection_id(env: &dyn Env) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut bytes = [0u8; 17];
    env.fill_random(&mut bytes);
    // 26 symbols × 5 bits = 130 bits drawn from 136 random bits.
    let mut bits: u128 = 0;
    for b in &bytes[..16] {
        bits = bits << 8 | u128::from(*b);
    }
    let mut out = String::with_capacity(26);
    for i in 0..26 {
        let index = if i < 25 { (bits >> (i * 5)) & 31 } else { u128::from(bytes[16] & 31) };
        out.push(char::from(ALPHABET[index as usize]));
    }
    out
}

/// A SCIM resource id: a random (version 4) UUID in its usual lowercase form.
pub fn resource_id(env: &dyn Env) -> String {
    let mut b = [0u8; 16];
    env.fill_random(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = crate::token::hex(&b);
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

/// Whether `id` has the shape of a connection id (checked before any storage access).
pub fn is_connection_id(id: &str) -> bool {
    id.len() == 26 && id.bytes().all(|c| c.is_ascii_lowercase() || (b'2'..=b'7').contains(&c))
}

/// Whether `id` has the shape of a resource id.
pub fn is_resource_id(id: &str) -> bool {
    id.len() == 36
        && id.bytes().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit() && !c.is_ascii_uppercase(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::TestEnv;

    #[test]
    fn connection_ids_are_url_safe_and_distinct() {
        let env = TestEnv::default();
        let a = connection_id(&env);
        let b = connection_id(&env);
        assert!(is_connection_id(&a), "{a}");
        assert_ne!(a, b);
        assert!(!a.contains('_'));
    }

    #[test]
    fn resource_ids_are_v4_uuids() {
        let id = resource_id(&TestEnv::default());
        assert!(is_resource_id(&id), "{id}");
        assert_eq!(&id[14..15], "4");
    }
}
