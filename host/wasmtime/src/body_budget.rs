//! The body budget: how many bytes all request bodies of a host may hold at once.
//!
//! A body reserves room before it is read (its declared `Content-Length`, or piece by piece
//! when chunked) and keeps the reservation until the component has answered, since the body
//! stays in memory until then. Room is counted in KiB, rounded up, on a Tokio semaphore; a
//! reservation that cannot be had within [`BUDGET_WAIT`] fails, and the request gets 503.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long a body waits for room in the budget before the request is refused.
pub(crate) const BUDGET_WAIT: Duration = Duration::from_secs(1);

/// The unit the budget counts in.
const UNIT: usize = 1024;

/// The bytes all bodies may hold together; clones share the budget.
#[derive(Debug, Clone)]
pub(crate) struct BodyBudget {
    units: Arc<Semaphore>,
}

/// Room held in a [`BodyBudget`]; given back on drop.
#[derive(Debug)]
pub(crate) struct Reservation {
    units: Arc<Semaphore>,
    permit: Option<OwnedSemaphorePermit>,
}

/// No room was freed in the budget within the wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the body budget has no room for the request body")]
pub(crate) struct BudgetExhausted;

impl BodyBudget {
    /// A budget of `bytes` (rounded up to whole KiB).
    pub(crate) fn new(bytes: usize) -> BodyBudget {
        BodyBudget { units: Arc::new(Semaphore::new(units(bytes))) }
    }

    /// Reserves room for `bytes`, waiting at most `wait` for it.
    pub(crate) async fn reserve(&self, bytes: usize, wait: Duration) -> Result<Reservation, BudgetExhausted> {
        let mut reservation = Reservation { units: Arc::clone(&self.units), permit: None };
        reservation.grow_to(bytes, wait).await?;
        Ok(reservation)
    }

    /// Bytes not reserved right now (whole KiB).
    #[cfg(test)]
    pub(crate) fn available(&self) -> usize {
        self.units.available_permits() * UNIT
    }
}

impl Reservation {
    /// Bytes this reservation holds (whole KiB).
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> usize {
        self.permit.as_ref().map_or(0, |p| p.num_permits() * UNIT)
    }

    /// Grows the reservation to at least `bytes`, waiting at most `wait` for the difference.
    /// On failure the reservation keeps what it held.
    pub(crate) async fn grow_to(&mut self, bytes: usize, wait: Duration) -> Result<(), BudgetExhausted> {
        let held = self.permit.as_ref().map_or(0, OwnedSemaphorePermit::num_permits);
        let missing = units(bytes).saturating_sub(held);
        if missing == 0 {
            return Ok(());
        }
        let missing = u32::try_from(missing).map_err(|_| BudgetExhausted)?;
        let acquire = Arc::clone(&self.units).acquire_many_owned(missing);
        let more = match tokio::time::timeout(wait, acquire).await {
            Ok(Ok(permit)) => permit,
            // Timed out, or the semaphore was closed (it never is).
            Ok(Err(_)) | Err(_) => return Err(BudgetExhausted),
        };
        match &mut self.permit {
            Some(permit) => permit.merge(more),
            None => self.permit = Some(more),
        }
        Ok(())
    }
}

/// Whole units covering `bytes`.
fn units(bytes: usize) -> usize {
    bytes.div_ceil(UNIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NO_WAIT: Duration = Duration::from_millis(10);

    #[tokio::test]
    async fn reservations_share_the_budget_and_give_it_back() {
        let budget = BodyBudget::new(10 * UNIT);
        let first = budget.reserve(6 * UNIT, NO_WAIT).await.expect("room for the first");
        assert_eq!(first.bytes(), 6 * UNIT);
        assert_eq!(budget.reserve(5 * UNIT, NO_WAIT).await.err(), Some(BudgetExhausted));
        drop(first);
        assert!(budget.reserve(10 * UNIT, NO_WAIT).await.is_ok());
        assert_eq!(budget.available(), 10 * UNIT);
    }

    #[tokio::test]
    async fn partial_units_round_up() {
        let budget = BodyBudget::new(2 * UNIT);
        let one_byte = budget.reserve(1, NO_WAIT).await.expect("room");
        assert_eq!(one_byte.bytes(), UNIT);
        assert_eq!(budget.available(), UNIT);
    }

    #[tokio::test]
    async fn growing_waits_for_room_then_fails_keeping_what_it_held() {
        let budget = BodyBudget::new(4 * UNIT);
        let mut growing = budget.reserve(0, NO_WAIT).await.expect("nothing to reserve");
        growing.grow_to(3 * UNIT, NO_WAIT).await.expect("room");
        let _other = budget.reserve(UNIT, NO_WAIT).await.expect("the last unit");
        assert_eq!(growing.grow_to(4 * UNIT, NO_WAIT).await, Err(BudgetExhausted));
        assert_eq!(growing.bytes(), 3 * UNIT);
    }

    #[tokio::test]
    async fn a_waiting_reservation_gets_room_freed_within_the_wait() {
        let budget = BodyBudget::new(UNIT);
        let held = budget.reserve(UNIT, NO_WAIT).await.expect("room");
        let waiter = {
            let budget = budget.clone();
            tokio::spawn(async move { budget.reserve(UNIT, Duration::from_secs(10)).await.map(|r| r.bytes()) })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(held);
        assert_eq!(waiter.await.expect("task"), Ok(UNIT));
    }
}
