//! A fault-injecting wrapper over any backend, for tests: `idplex serve
//! --inject-store-faults seed=7,before=20,after=20,delay-ms=3`.
//!
//! Per write (set, delete, batches, increment with a non-zero delta, swap), with the given
//! chances in 1,000: fail before applying it, or apply it and then report failure (the reply
//! lost, the outcome unknown to the component). Every call may be delayed by up to `delay-ms`.
//! The fault sequence is seeded so that a failing run can be replayed.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::{CasSession, CasVersion, KeyPage, KvBackend, KvError, SwapOutcome, SwapReport, Versioned};

/// Which faults to inject.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultSpec {
    /// Seed of the fault sequence.
    pub seed: u64,
    /// Chance in 1,000 that a write fails before it is applied.
    pub before: u32,
    /// Chance in 1,000 that a write is applied and then reported failed.
    pub after: u32,
    /// Longest delay added to a call, in milliseconds.
    pub delay_ms: u64,
}

/// Why a fault specification was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid fault specification `{0}`: expected seed=N,before=N,after=N,delay-ms=N (chances per 1,000)")]
pub struct FaultSpecError(String);

impl FromStr for FaultSpec {
    type Err = FaultSpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut spec = FaultSpec { seed: 1, ..FaultSpec::default() };
        let bad = || FaultSpecError(s.to_owned());
        for part in s.split(',').filter(|p| !p.trim().is_empty()) {
            let (name, value) = part.split_once('=').ok_or_else(bad)?;
            let value: u64 = value.trim().parse().map_err(|_| bad())?;
            match name.trim() {
                "seed" => spec.seed = value.max(1),
                "before" => spec.before = u32::try_from(value).map_err(|_| bad())?,
                "after" => spec.after = u32::try_from(value).map_err(|_| bad())?,
                "delay-ms" => spec.delay_ms = value,
                _ => return Err(bad()),
            }
        }
        if spec.before + spec.after > 1000 {
            return Err(bad());
        }
        Ok(spec)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Apply,
    FailBefore,
    FailAfter,
}

/// `inner` with injected faults.
pub struct FaultyBackend {
    inner: Arc<dyn KvBackend>,
    spec: FaultSpec,
    state: Arc<AtomicU64>,
}

impl FaultyBackend {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn KvBackend>, spec: FaultSpec) -> FaultyBackend {
        FaultyBackend { inner, spec, state: Arc::new(AtomicU64::new(spec.seed.max(1))) }
    }

    fn roll(&self) -> u64 {
        // xorshift64 over a shared state: deterministic for one thread, spread for many.
        let mut x = self.state.load(Ordering::Relaxed);
        loop {
            let mut next = x;
            next ^= next << 13;
            next ^= next >> 7;
            next ^= next << 17;
            match self.state.compare_exchange_weak(x, next, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return next,
                Err(seen) => x = seen,
            }
        }
    }

    fn delay(&self) {
        if self.spec.delay_ms > 0 {
            std::thread::sleep(Duration::from_millis(self.roll() % (self.spec.delay_ms + 1)));
        }
    }

    fn fate(&self) -> Fate {
        self.delay();
        let roll = (self.roll() % 1000) as u32;
        if roll < self.spec.before {
            Fate::FailBefore
        } else if roll < self.spec.before + self.spec.after {
            Fate::FailAfter
        } else {
            Fate::Apply
        }
    }

    fn write<T>(&self, apply: impl FnOnce() -> Result<T, KvError>) -> Result<T, KvError> {
        match self.fate() {
            Fate::Apply => apply(),
            Fate::FailBefore => Err(KvError::Storage("injected fault: failed before applying".into())),
            Fate::FailAfter => {
                apply()?;
                Err(KvError::Storage("injected fault: applied, then the reply was lost".into()))
            }
        }
    }
}

impl KvBackend for FaultyBackend {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.delay();
        self.inner.get(key)
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.write(|| self.inner.set(key, value))
    }

    fn delete(&self, key: &str) -> Result<(), KvError> {
        self.write(|| self.inner.delete(key))
    }

    fn exists(&self, key: &str) -> Result<bool, KvError> {
        self.inner.exists(key)
    }

    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, KvError> {
        self.delay();
        self.inner.get_many(keys)
    }

    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), KvError> {
        self.write(|| self.inner.set_many(entries))
    }

    fn delete_many(&self, keys: &[String]) -> Result<(), KvError> {
        self.write(|| self.inner.delete_many(keys))
    }

    fn cas_read(&self, key: &str) -> Result<Versioned, KvError> {
        self.inner.cas_read(key)
    }

    fn cas_swap(&self, key: &str, expected: CasVersion, value: &[u8]) -> Result<SwapOutcome, KvError> {
        self.inner.cas_swap(key, expected, value)
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError> {
        if delta == 0 {
            return self.inner.increment(key, 0);
        }
        self.write(|| self.inner.increment(key, delta))
    }

    fn list_keys(&self, cursor: Option<&str>) -> Result<KeyPage, KvError> {
        self.inner.list_keys(cursor)
    }

    fn cas_begin(&self, key: &str) -> Result<Box<dyn CasSession>, KvError> {
        Ok(Box::new(FaultySession { session: self.inner.cas_begin(key)?, fate: self.fate() }))
    }
}

/// An inner session whose swap meets the fate drawn when it began. It runs on this wrapper,
/// whose `cas_read`/`cas_swap` pass straight through.
struct FaultySession {
    session: Box<dyn CasSession>,
    fate: Fate,
}

impl CasSession for FaultySession {
    fn current(&mut self, backend: &dyn KvBackend) -> Result<Option<Vec<u8>>, KvError> {
        self.session.current(backend)
    }

    fn swap(self: Box<Self>, backend: &dyn KvBackend, value: &[u8]) -> Result<SwapReport, KvError> {
        match self.fate {
            Fate::FailBefore => Err(KvError::Storage("injected fault: failed before applying".into())),
            Fate::Apply => match self.session.swap(backend, value)? {
                // The retry session must not be a bare inner one: begin afresh through the wrapper.
                SwapReport::Conflict(_) => Ok(SwapReport::Conflict(None)),
                SwapReport::Swapped => Ok(SwapReport::Swapped),
            },
            Fate::FailAfter => {
                self.session.swap(backend, value)?;
                Err(KvError::Storage("injected fault: applied, then the reply was lost".into()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_parses_and_rejects_nonsense() {
        let spec: FaultSpec = "seed=7,before=20,after=30,delay-ms=2".parse().expect("valid");
        assert_eq!(spec, FaultSpec { seed: 7, before: 20, after: 30, delay_ms: 2 });
        assert!("before=900,after=200".parse::<FaultSpec>().is_err());
        assert!("colour=red".parse::<FaultSpec>().is_err());
    }
}
