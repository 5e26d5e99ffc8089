//! [`Clock`]: the wall clock and the waiting that creating a key on some stores needs
//! (see [`super::exclusive`]), implemented over WASI in the `bindings` module.

/// Wall-clock time and waiting.
pub trait Clock {
    /// Milliseconds since the Unix epoch.
    fn now_millis(&self) -> i64;
    /// Waits `millis` milliseconds.
    fn pause(&self, millis: u64);
}

/// The machine's own clock: the component's clock under a host (wall time, sleeping waits), and
/// native tests' that run threads against each other.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_millis(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }

    fn pause(&self, millis: u64) {
        std::thread::sleep(std::time::Duration::from_millis(millis));
    }
}

/// A clock that moves only when asked to: [`Clock::pause`] advances it instead of waiting, and
/// each reading advances it by `step` milliseconds.
#[cfg(test)]
pub struct ManualClock {
    /// The time of the next reading.
    pub millis: std::cell::Cell<i64>,
    /// How far each reading advances the clock.
    pub step: i64,
}

#[cfg(test)]
impl ManualClock {
    /// A clock standing at `millis`.
    pub fn at(millis: i64) -> Self {
        ManualClock { millis: std::cell::Cell::new(millis), step: 0 }
    }
}

#[cfg(test)]
impl Clock for ManualClock {
    fn now_millis(&self) -> i64 {
        let now = self.millis.get();
        self.millis.set(now + self.step);
        now
    }

    fn pause(&self, millis: u64) {
        self.millis.set(self.millis.get() + i64::try_from(millis).unwrap_or(i64::MAX));
    }
}
