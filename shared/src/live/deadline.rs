//! The time a Lambda invocation has left, from its deadline header.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Time left until `deadline_ms` (milliseconds since the epoch, as the Lambda Runtime API's
/// `Lambda-Runtime-Deadline-Ms` gives it).
///
/// cargo-lambda's emulator sends the function timeout (e.g. `600000`) instead of an epoch
/// deadline; a value that small (before September 2001) is read as a duration from now, so that
/// local runs get the time they were given instead of none.
pub fn time_left(deadline_ms: u64, now: SystemTime) -> Duration {
    const EPOCH_2001_MS: u64 = 1_000_000_000_000;
    if deadline_ms < EPOCH_2001_MS {
        return Duration::from_millis(deadline_ms);
    }
    let now_ms = now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    Duration::from_millis(deadline_ms.saturating_sub(now_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_deadlines_and_emulator_timeouts() {
        let now = UNIX_EPOCH + Duration::from_millis(1_795_000_000_000);
        assert_eq!(time_left(1_795_000_030_000, now), Duration::from_secs(30));
        assert_eq!(
            time_left(1_794_999_999_000, now),
            Duration::ZERO,
            "already past"
        );
        assert_eq!(
            time_left(600_000, now),
            Duration::from_secs(600),
            "cargo-lambda sends the timeout"
        );
    }
}
