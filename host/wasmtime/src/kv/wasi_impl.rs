//! `wasi:keyvalue/{store,atomics,batch}@0.2.0-draft2` implemented over a [`KvBackend`].
//!
//! Ctx/View pattern: [`KeyValueCtx`] is built once per host and cloned into each request's
//! store; [`KeyValueView`] borrows it together with the request's [`ResourceTable`] for the
//! duration of one host call, and the generated `Host` traits are implemented on the view.
//! Expected failures become WIT `error` values in [`store::Host::convert_error`]; resource
//! table failures (a host bug) trap. Every backend call is timed into the request's
//! [`StoreTime`], which also refuses calls once the request's store time budget is spent.

use std::sync::Arc;

use wasmtime::component::{HasData, Linker, Resource, ResourceTable, ResourceTableError};

use super::{CasSession, KvBackend, KvError, StoreTime, SwapReport};
use crate::bindings::wasi::keyvalue::{atomics, batch, store};

/// The only bucket identifier the host provides.
pub const DEFAULT_BUCKET: &str = "default";

/// Per-host key-value state: the backend every request's bucket reads and writes.
#[derive(Clone)]
pub struct KeyValueCtx {
    backend: Arc<dyn KvBackend>,
}

impl KeyValueCtx {
    /// A context serving the `default` bucket from `backend`.
    pub fn new(backend: Arc<dyn KvBackend>) -> KeyValueCtx {
        KeyValueCtx { backend }
    }
}

/// One host call's view: the host's [`KeyValueCtx`], the request's resource table and the
/// time its store calls have taken.
pub struct KeyValueView<'a> {
    /// The host's key-value state.
    pub ctx: &'a KeyValueCtx,
    /// The request's resources (buckets and CAS handles live here).
    pub table: &'a mut ResourceTable,
    /// The request's time in store calls.
    pub time: &'a mut StoreTime,
}

/// An open `bucket` resource. Only `default` exists, so it carries no state.
pub struct Bucket;

/// A `cas` resource: the key and the backend's session on it.
pub struct Cas {
    key: String,
    session: Box<dyn CasSession>,
}

/// A failed key-value call, before conversion to the WIT `error` (or a trap).
#[derive(Debug)]
pub enum KeyValueError {
    /// `open` named a bucket other than `default`.
    NoSuchStore,
    /// The backend failed; becomes `error::other` with the backend's message.
    Backend(KvError),
    /// A host bug (e.g. a stale resource handle); traps the guest.
    Trap(wasmtime::Error),
}

impl From<KvError> for KeyValueError {
    fn from(e: KvError) -> KeyValueError {
        KeyValueError::Backend(e)
    }
}

impl From<ResourceTableError> for KeyValueError {
    fn from(e: ResourceTableError) -> KeyValueError {
        KeyValueError::Trap(wasmtime::Error::new(e))
    }
}

/// Adds the three `wasi:keyvalue` interfaces to `linker`, reaching the view through `view`.
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    view: fn(&mut T) -> KeyValueView<'_>,
) -> wasmtime::Result<()> {
    store::add_to_linker::<T, HasKeyValue>(linker, view)?;
    atomics::add_to_linker::<T, HasKeyValue>(linker, view)?;
    batch::add_to_linker::<T, HasKeyValue>(linker, view)?;
    Ok(())
}

struct HasKeyValue;

impl HasData for HasKeyValue {
    type Data<'a> = KeyValueView<'a>;
}

impl KeyValueView<'_> {
    /// Runs `call` on the backend, timed into the request's [`StoreTime`].
    fn timed<R>(&mut self, call: impl FnOnce(&dyn KvBackend) -> Result<R, KvError>) -> Result<R, KvError> {
        let backend = self.ctx.backend.as_ref();
        self.time.measure(|| call(backend))
    }

    /// Checks that `bucket` is a live handle of this request.
    fn bucket(&self, bucket: &Resource<Bucket>) -> Result<(), KeyValueError> {
        self.table.get(bucket)?;
        Ok(())
    }
}

impl store::Host for KeyValueView<'_> {
    fn open(&mut self, identifier: String) -> Result<Resource<Bucket>, KeyValueError> {
        if identifier != DEFAULT_BUCKET {
            return Err(KeyValueError::NoSuchStore);
        }
        Ok(self.table.push(Bucket)?)
    }

    fn convert_error(&mut self, err: KeyValueError) -> wasmtime::Result<store::Error> {
        match err {
            KeyValueError::NoSuchStore => Ok(store::Error::NoSuchStore),
            KeyValueError::Backend(e) => Ok(store::Error::Other(e.to_string())),
            KeyValueError::Trap(e) => Err(e),
        }
    }
}

impl store::HostBucket for KeyValueView<'_> {
    fn get(&mut self, bucket: Resource<Bucket>, key: String) -> Result<Option<Vec<u8>>, KeyValueError> {
        self.bucket(&bucket)?;
        Ok(self.timed(|b| b.get(&key))?)
    }

    fn set(&mut self, bucket: Resource<Bucket>, key: String, value: Vec<u8>) -> Result<(), KeyValueError> {
        self.bucket(&bucket)?;
        Ok(self.timed(|b| b.set(&key, &value))?)
    }

    fn delete(&mut self, bucket: Resource<Bucket>, key: String) -> Result<(), KeyValueError> {
        self.bucket(&bucket)?;
        Ok(self.timed(|b| b.delete(&key))?)
    }

    fn exists(&mut self, bucket: Resource<Bucket>, key: String) -> Result<bool, KeyValueError> {
        self.bucket(&bucket)?;
        Ok(self.timed(|b| b.exists(&key))?)
    }

    fn list_keys(
        &mut self,
        bucket: Resource<Bucket>,
        cursor: Option<String>,
    ) -> Result<store::KeyResponse, KeyValueError> {
        self.bucket(&bucket)?;
        let page = self.timed(|b| b.list_keys(cursor.as_deref()))?;
        Ok(store::KeyResponse { keys: page.keys, cursor: page.cursor })
    }

    fn drop(&mut self, bucket: Resource<Bucket>) -> wasmtime::Result<()> {
        self.table.delete(bucket)?;
        Ok(())
    }
}

impl atomics::HostCas for KeyValueView<'_> {
    fn new(&mut self, bucket: Resource<Bucket>, key: String) -> Result<Resource<Cas>, KeyValueError> {
        self.bucket(&bucket)?;
        let session = self.timed(|b| b.cas_begin(&key))?;
        Ok(self.table.push(Cas { key, session })?)
    }

    fn current(&mut self, cas: Resource<Cas>) -> Result<Option<Vec<u8>>, KeyValueError> {
        let session = &mut self.table.get_mut(&cas)?.session;
        let backend = self.ctx.backend.as_ref();
        Ok(self.time.measure(|| session.current(backend))?)
    }

    fn drop(&mut self, cas: Resource<Cas>) -> wasmtime::Result<()> {
        self.table.delete(cas)?;
        Ok(())
    }
}

impl atomics::Host for KeyValueView<'_> {
    fn increment(&mut self, bucket: Resource<Bucket>, key: String, delta: i64) -> Result<i64, KeyValueError> {
        self.bucket(&bucket)?;
        Ok(self.timed(|b| b.increment(&key, delta))?)
    }

    fn swap(&mut self, cas: Resource<Cas>, value: Vec<u8>) -> wasmtime::Result<Result<(), atomics::CasError>> {
        let Cas { key, session } = self.table.delete(cas)?;
        let store_error = |e: KvError| Ok(Err(atomics::CasError::StoreError(store::Error::Other(e.to_string()))));
        match self.timed(|b| session.swap(b, &value)) {
            Ok(SwapReport::Swapped) => Ok(Ok(())),
            Ok(SwapReport::Conflict(next)) => {
                // As Spin does: a new session, read once, handed back with the failure.
                let session = match next {
                    Some(session) => session,
                    None => {
                        let begun = self.timed(|b| {
                            let mut session = b.cas_begin(&key)?;
                            session.current(b)?;
                            Ok(session)
                        });
                        match begun {
                            Ok(session) => session,
                            Err(e) => return store_error(e),
                        }
                    }
                };
                let fresh = self.table.push(Cas { key, session })?;
                Ok(Err(atomics::CasError::CasFailed(fresh)))
            }
            Err(e) => store_error(e),
        }
    }
}

impl batch::Host for KeyValueView<'_> {
    fn get_many(
        &mut self,
        bucket: Resource<Bucket>,
        keys: Vec<String>,
    ) -> Result<Vec<(String, Option<Vec<u8>>)>, KeyValueError> {
        self.bucket(&bucket)?;
        let values = self.timed(|b| b.get_many(&keys))?;
        if values.len() != keys.len() {
            let msg = format!("get-many returned {} values for {} keys", values.len(), keys.len());
            return Err(KvError::Storage(msg).into());
        }
        Ok(keys.into_iter().zip(values).collect())
    }

    fn set_many(&mut self, bucket: Resource<Bucket>, key_values: Vec<(String, Vec<u8>)>) -> Result<(), KeyValueError> {
        self.bucket(&bucket)?;
        Ok(self.timed(|b| b.set_many(&key_values))?)
    }

    fn delete_many(&mut self, bucket: Resource<Bucket>, keys: Vec<String>) -> Result<(), KeyValueError> {
        self.bucket(&bucket)?;
        Ok(self.timed(|b| b.delete_many(&keys))?)
    }
}
