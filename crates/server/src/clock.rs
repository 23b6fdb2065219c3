//! The time the rate limiter and the token cache read, injected through
//! `AppState` so their tests run on Tokio's paused clock
//! (`tokio::time::pause()` + `advance`) instead of sleeping, and cannot flake at
//! a minute boundary.
//!
//! Production reads the system clock for wall time (rate windows are aligned to
//! unix minutes, shared by every instance) and Tokio's monotonic clock for
//! cache ages. A test clock is anchored at a chosen unix time and moves only with
//! Tokio's clock, so `advance(60s)` crosses exactly one window.

use std::time::Duration;

use tokio::time::Instant;

/// Where the time comes from.
#[derive(Debug, Clone, Copy)]
pub enum Clock {
    /// The system clock.
    System,
    /// `unix` seconds at `at`, moving with Tokio's clock (tests).
    Anchored { unix: i64, at: Instant },
}

impl Clock {
    /// A clock reading `unix` now and moving with Tokio's (possibly paused) clock.
    pub fn anchored(unix: i64) -> Clock {
        Clock::Anchored { unix, at: Instant::now() }
    }

    /// Unix seconds.
    pub fn unix(&self) -> i64 {
        match self {
            Clock::System => chrono::Utc::now().timestamp(),
            Clock::Anchored { unix, at } => unix + at.elapsed().as_secs() as i64,
        }
    }

    /// A monotonic instant for ages (Tokio's clock, so a paused test controls it).
    pub fn instant(&self) -> Instant {
        Instant::now()
    }
}

/// A fixed one-minute rate window: its start and the seconds until it resets.
pub fn minute_window(unix: i64) -> (i64, u64) {
    let win = unix - unix.rem_euclid(60);
    (win, (win + 60 - unix) as u64)
}

/// How long ago `at` was, on the clock's monotonic time.
pub fn age(clock: &Clock, at: Instant) -> Duration {
    clock.instant().saturating_duration_since(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn an_anchored_clock_moves_only_with_tokio_time() {
        let start = 1_699_999_980; // a unix minute
        let c = Clock::anchored(start + 39);
        assert_eq!(minute_window(c.unix()), (start, 21));
        tokio::time::advance(Duration::from_secs(20)).await;
        assert_eq!(minute_window(c.unix()), (start, 1), "still the same window");
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(minute_window(c.unix()), (start + 60, 60), "exactly one window later");
    }

    #[test]
    fn windows_are_aligned_to_unix_minutes() {
        assert_eq!(minute_window(120), (120, 60));
        assert_eq!(minute_window(179), (120, 1));
        assert_eq!(minute_window(-1), (-60, 1));
    }
}
