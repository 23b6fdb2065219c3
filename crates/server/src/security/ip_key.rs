//! The shield's per-IP throttle (stage 1, SPEC §6.1): fixed one-minute windows
//! per client, in memory (a per-instance throttle), bounded whatever the traffic.
//!
//! **Keys.** An IPv6 client commonly holds a whole /64, so keying by the full
//! address would let it rotate through 2^64 keys: IPv6 clients are keyed by their
//! first `[security] ipv6_prefix` bits (default 64); IPv4 (and IPv4-mapped IPv6)
//! by the full address.
//!
//! **Bounded table.** A map with an entry per key grows with every distinct key
//! of a flood (an attacker with a /48 holds 65,536 /64s; a botnet, millions of
//! IPv4 addresses). The counts live instead in a count-min sketch: [`ROWS`] rows
//! of [`SLOTS`] atomic cells, each cell a window start and a count; a key counts
//! in one cell per row (independent hashes, keyed per process so nobody can aim
//! at a cell) and its count is the smallest of them. Memory is fixed
//! (`ROWS × SLOTS × 8` bytes, 2 MiB) and no lock is taken. A cell shared with
//! other keys only over-counts, so a client is never let through above its
//! limit; an innocent client is throttled early only when every one of its cells
//! is shared with heavy senders — rare while fewer than `SLOTS` keys are active,
//! and under a flood of distinct keys the price of staying bounded.
//! (`governor`'s keyed limiter was considered: its state is a map with an entry
//! per key, bounded only by calling `retain_recent` — the growth this avoids.)

use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};

/// Rows of the sketch (independent hashes).
pub const ROWS: usize = 4;
/// Cells per row (a power of two).
pub const SLOTS: usize = 1 << 16;

/// The throttle key of a client address: IPv6 truncated to its first `v6_prefix`
/// bits (at most 128), IPv4 and IPv4-mapped IPv6 as the IPv4 address.
pub fn ip_key(ip: IpAddr, v6_prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return IpAddr::V4(v4);
            }
            let bits = u32::from(v6_prefix.min(128));
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits) };
            IpAddr::V6((u128::from(v6) & mask).into())
        }
    }
}

/// Fixed one-minute windows per client key, in a bounded count-min sketch.
pub struct IpThrottle {
    cells: Box<[AtomicU64]>,
    hashers: [std::collections::hash_map::RandomState; ROWS],
    v6_prefix: u8,
}

impl Default for IpThrottle {
    fn default() -> Self {
        IpThrottle::new(64)
    }
}

impl std::fmt::Debug for IpThrottle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IpThrottle").field("v6_prefix", &self.v6_prefix).finish_non_exhaustive()
    }
}

/// A cell: the window start in minutes (high 32 bits) and the count (low 32).
fn pack(minute: u64, count: u64) -> u64 {
    (minute << 32) | count.min(u64::from(u32::MAX))
}

impl IpThrottle {
    /// A throttle keying IPv6 clients by their first `v6_prefix` bits.
    pub fn new(v6_prefix: u8) -> IpThrottle {
        let cells = (0..ROWS * SLOTS).map(|_| AtomicU64::new(0)).collect();
        IpThrottle { cells, hashers: Default::default(), v6_prefix }
    }

    /// Bytes held by the sketch (fixed; for the record and the tests).
    pub fn memory_bytes(&self) -> usize {
        self.cells.len() * std::mem::size_of::<AtomicU64>()
    }

    /// Count a request from `ip` at `now` (unix seconds); `Err(seconds until
    /// reset)` when its key is over `limit` in the current window.
    pub fn hit(&self, ip: IpAddr, limit: u32, now: u64) -> Result<(), u64> {
        let key = ip_key(ip, self.v6_prefix);
        let minute = now / 60;
        let mut count = u64::MAX;
        for (row, hasher) in self.hashers.iter().enumerate() {
            let cell = &self.cells[row * SLOTS + (hasher.hash_one(key) as usize & (SLOTS - 1))];
            count = count.min(bump(cell, minute));
        }
        if count > u64::from(limit) { Err((minute + 1) * 60 - now) } else { Ok(()) }
    }
}

/// Add one to a cell in `minute`'s window (a cell of an older window starts
/// over); the count after.
fn bump(cell: &AtomicU64, minute: u64) -> u64 {
    let mut cur = cell.load(Ordering::Relaxed);
    loop {
        let (win, n) = (cur >> 32, cur & u64::from(u32::MAX));
        let next = if win == minute & u64::from(u32::MAX) { pack(win, n + 1) } else { pack(minute, 1) };
        match cell.compare_exchange_weak(cur, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next & u64::from(u32::MAX),
            Err(actual) => cur = actual,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn keys() {
        assert_eq!(ip_key(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), 64), ip("2001:db8:1:2::"));
        assert_eq!(ip_key(ip("2001:db8:1:2:aaaa::1"), 48), ip("2001:db8:1::"));
        assert_eq!(ip_key(ip("2001:db8::1"), 128), ip("2001:db8::1"));
        assert_eq!(ip_key(ip("2001:db8::1"), 0), ip("::"));
        assert_eq!(ip_key(ip("2001:db8::1"), 200), ip("2001:db8::1"), "clamped to 128");
        assert_eq!(ip_key(ip("::ffff:10.1.2.3"), 64), ip("10.1.2.3"), "IPv4-mapped is IPv4");
        assert_eq!(ip_key(ip("10.1.2.3"), 64), ip("10.1.2.3"));
    }

    #[test]
    fn windows_and_limits() {
        let t = IpThrottle::default();
        let a = ip("1.2.3.4");
        assert!(t.hit(a, 2, 120).is_ok());
        assert!(t.hit(a, 2, 130).is_ok());
        assert_eq!(t.hit(a, 2, 150), Err(30));
        assert!(t.hit(a, 2, 180).is_ok(), "a new window");
        assert!(t.hit(ip("1.2.3.5"), 2, 150).is_ok(), "another client has its own count");
    }

    #[test]
    fn a_whole_slash_64_shares_one_count() {
        let t = IpThrottle::default();
        for i in 0..5u16 {
            assert!(t.hit(ip(&format!("2001:db8:0:7::{i:x}")), 5, 60).is_ok());
        }
        assert!(t.hit(ip("2001:db8:0:7:ffff:1:2:3"), 5, 60).is_err(), "rotating inside the /64 does not help");
        assert!(t.hit(ip("2001:db8:0:8::1"), 5, 60).is_ok(), "the next /64 is another client");
        let full = IpThrottle::new(128);
        for i in 0..10u16 {
            assert!(full.hit(ip(&format!("2001:db8::{i:x}")), 1, 60).is_ok(), "prefix 128: one key per address");
        }
    }

    /// A flood of 1,000,000 distinct addresses in one window: memory stays the
    /// sketch's fixed size, no flood address gets past its own limit, and a
    /// client that sent nothing before is still served.
    #[test]
    fn a_flood_of_distinct_keys_stays_bounded() {
        let t = IpThrottle::new(128);
        let before = t.memory_bytes();
        for i in 0..1_000_000u128 {
            let addr = IpAddr::V6((0x2001_0db8u128 << 96 | i).into());
            assert!(t.hit(addr, 600, 60).is_ok());
        }
        assert_eq!(t.memory_bytes(), before, "no growth: {} bytes", before);
        assert_eq!(before, ROWS * SLOTS * 8);
        assert!(t.hit(ip("192.0.2.1"), 600, 60).is_ok(), "a quiet client still passes");
        let heavy = ip("192.0.2.2");
        let passed = (0..700).filter(|_| t.hit(heavy, 600, 60).is_ok()).count();
        assert!(passed <= 600, "never past the limit: {passed}");
    }
}
