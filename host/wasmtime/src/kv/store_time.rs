//! The time one call into the component spends waiting on the key-value store.
//!
//! A store call blocks for as long as the store takes: up to SQLite's busy timeout while
//! another writer holds the lock, up to the Redis command timeout while Redis hangs. Two
//! limits rest on this measure:
//!
//! - the guest time limit ([`crate::runtime::GUEST_TIME_LIMIT`]) counts guest code only, so a
//!   slow store never makes a request trap (which would answer 500) — its failed calls come
//!   back to the component as store errors, which answer 503;
//! - a request's store calls share a budget ([`STORE_TIME_BUDGET`]): once they have waited
//!   that long, further calls fail at once instead of waiting again, so a request in an outage
//!   answers in bounded time even when it would make many calls.

use std::time::{Duration, Instant};

use super::KvError;

/// How long the store calls of one request may wait in all before the next one fails at once.
/// Together with one last call (at most SQLite's busy timeout or the Redis command timeout,
/// 10 s, plus a Redis connect to a hung server) a request in an outage answers within about
/// 30 s, 40 s against a hung Redis.
pub const STORE_TIME_BUDGET: Duration = Duration::from_secs(20);

/// Time spent in the store calls of one call into the component, and the budget they share.
#[derive(Debug, Clone, Default)]
pub struct StoreTime {
    spent: Duration,
    budget: Option<Duration>,
}

impl StoreTime {
    /// Nothing spent yet; calls fail once `budget` is spent (never, when `None`: the
    /// whole-store check walks every key and may rightly spend longer).
    pub fn with_budget(budget: Option<Duration>) -> StoreTime {
        StoreTime { spent: Duration::ZERO, budget }
    }

    /// Time spent in store calls so far.
    pub fn spent(&self) -> Duration {
        self.spent
    }

    /// Runs one store call and adds the time it took; fails without running it when the
    /// budget is spent.
    pub fn measure<R>(&mut self, call: impl FnOnce() -> Result<R, KvError>) -> Result<R, KvError> {
        if let Some(budget) = self.budget
            && self.spent >= budget
        {
            return Err(KvError::Storage(format!(
                "the store did not answer within {} s for this request",
                budget.as_secs()
            )));
        }
        let started = Instant::now();
        let result = call();
        self.spent += started.elapsed();
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_add_up_their_time() {
        let mut time = StoreTime::with_budget(None);
        let value = time.measure(|| {
            std::thread::sleep(Duration::from_millis(20));
            Ok(7)
        });
        assert_eq!(value.ok(), Some(7));
        let failed: Result<(), KvError> = time.measure(|| {
            std::thread::sleep(Duration::from_millis(20));
            Err(KvError::Storage("down".into()))
        });
        assert!(failed.is_err());
        assert!(time.spent() >= Duration::from_millis(40), "{:?}", time.spent());
    }

    #[test]
    fn calls_past_the_budget_fail_without_running() {
        let mut time = StoreTime::with_budget(Some(Duration::from_millis(10)));
        let slow: Result<(), KvError> = time.measure(|| {
            std::thread::sleep(Duration::from_millis(15));
            Err(KvError::Storage("busy".into()))
        });
        assert!(slow.is_err());
        let mut ran = false;
        let next = time.measure(|| {
            ran = true;
            Ok(())
        });
        assert!(!ran, "a call past the budget does not reach the store");
        assert!(matches!(next, Err(KvError::Storage(message)) if message.contains("did not answer")));
    }

    #[test]
    fn without_a_budget_calls_always_run() {
        let mut time = StoreTime::with_budget(None);
        time.spent = Duration::from_secs(3600);
        assert_eq!(time.measure(|| Ok(1)).ok(), Some(1));
    }
}
