//! Read-modify-write of one key with CAS and retry: the only way the product changes a key
//! that another request may change at the same time.

use super::{KvStore, StoreError, SwapError};

/// How many times a contended update is retried before giving up.
const MAX_ATTEMPTS: usize = 256;

/// What an update closure decided.
pub enum Update<T> {
    /// Write this value, then return the result.
    Write(Vec<u8>, T),
    /// Leave the key as it is and return the result.
    Keep(T),
}

/// Applies `decide` to the current value of `key` and writes its answer with CAS, retrying
/// on conflict with the fresh value. `decide` may run several times and must not have side
/// effects. Errors from `decide` abort the update; store errors convert through `From`.
pub fn update<T, E>(
    store: &dyn KvStore,
    key: &str,
    mut decide: impl FnMut(Option<&[u8]>) -> Result<Update<T>, E>,
) -> Result<T, E>
where
    E: From<StoreError>,
{
    let mut handle = store.cas(key)?;
    for _ in 0..MAX_ATTEMPTS {
        let current = handle.current()?;
        match decide(current.as_deref())? {
            Update::Keep(result) => return Ok(result),
            Update::Write(value, result) => match handle.swap(value) {
                Ok(()) => return Ok(result),
                Err(SwapError::Conflict(fresh)) => handle = fresh,
                Err(SwapError::Store(error)) => return Err(error.into()),
            },
        }
    }
    Err(StoreError(format!("too much contention updating a key after {MAX_ATTEMPTS} attempts")).into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::memory::MemoryStore;

    #[test]
    fn update_writes_and_returns_result() {
        let store = MemoryStore::default();
        let got: Result<u8, StoreError> = update(&store, "k", |cur| {
            assert!(cur.is_none());
            Ok(Update::Write(b"v".to_vec(), 7))
        });
        assert_eq!(got, Ok(7));
        assert_eq!(store.get("k"), Ok(Some(b"v".to_vec())));
    }

    #[test]
    fn update_retries_after_a_concurrent_write() {
        let store = MemoryStore::default();
        let mut first = true;
        let got: Result<Vec<u8>, StoreError> = update(&store, "k", |cur| {
            if first {
                first = false;
                store.set("k", b"other")?;
            }
            let mut next = cur.map(<[u8]>::to_vec).unwrap_or_default();
            next.push(b'!');
            Ok(Update::Write(next.clone(), next))
        });
        assert_eq!(got, Ok(b"other!".to_vec()));
    }
}
