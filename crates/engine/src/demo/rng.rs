//! A tiny pseudo-random number generator owned by this module.
//!
//! The demo data must be byte-identical on every run, platform and crate
//! version, so it cannot depend on `rand`'s `StdRng` (whose algorithm may change
//! between releases). SplitMix64 is small, fast, well distributed and fully
//! specified here. Only integer arithmetic is used.

/// SplitMix64 generator.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

/// The SplitMix64 output function: a strong 64-bit mixer.
pub(crate) const fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

const HEX: &[u8; 16] = b"0123456789abcdef";
const PHPASS: &[u8; 64] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

impl Rng {
    /// A generator for one row of one table: every row draws from its own
    /// stream, so any row (and anything derived from it) can be recomputed
    /// independently of the others.
    pub(crate) const fn for_row(seed: u64, id: u64) -> Rng {
        Rng(mix(seed ^ mix(id.wrapping_mul(GOLDEN))))
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        mix(self.0)
    }

    /// A uniform value in `0..n` (0 when `n` is 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A uniform value in `lo..=hi` (`lo` when the range is empty).
    pub(crate) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = hi.abs_diff(lo) + 1;
        lo.wrapping_add(self.below(span) as i64)
    }

    /// An id in `1..=n` (1 when `n` is 0).
    pub(crate) fn id(&mut self, n: u64) -> u64 {
        self.below(n) + 1
    }

    /// True with the given probability in percent.
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One element of a non-empty static list.
    pub(crate) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// An index chosen by integer weights (must not all be 0).
    pub(crate) fn weighted(&mut self, weights: &[u64]) -> usize {
        let total: u64 = weights.iter().sum();
        let mut x = self.below(total);
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        0
    }

    /// `len` lowercase hex digits (a token or md5-looking hash).
    pub(crate) fn hex(&mut self, len: usize) -> String {
        self.chars(len, HEX)
    }

    /// A fake phpass portable hash (`$P$B` + 30 characters, 34 in total).
    pub(crate) fn phpass(&mut self) -> String {
        let mut s = String::with_capacity(34);
        s.push_str("$P$B");
        for _ in 0..30 {
            s.push(PHPASS[self.below(64) as usize] as char);
        }
        s
    }

    /// `len` characters drawn from `alphabet`.
    fn chars(&mut self, len: usize, alphabet: &[u8]) -> String {
        let n = alphabet.len() as u64;
        (0..len).map(|_| alphabet[self.below(n) as usize] as char).collect()
    }

    /// A plausible public IPv4 address.
    pub(crate) fn ipv4(&mut self) -> String {
        format!("{}.{}.{}.{}", self.range(11, 223), self.below(256), self.below(256), self.range(1, 254))
    }

    /// A phone number like `+49 30 5551234`.
    pub(crate) fn phone(&mut self, calling_code: &str) -> String {
        format!("+{} {} {}", calling_code, self.range(20, 989), self.range(1_000_000, 9_999_999))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_is_fixed() {
        // Pinned outputs: if these change, every demo database changes.
        let mut r = Rng::for_row(1, 1);
        let a = r.next_u64();
        let b = r.next_u64();
        assert_eq!(Rng::for_row(1, 1).next_u64(), a);
        assert_ne!(a, b);
        assert_eq!(mix(0), 0);
        assert_eq!(mix(1), 0x5692_161D_100B_05E5);
    }

    #[test]
    fn ranges_stay_in_bounds() {
        let mut r = Rng::for_row(7, 3);
        for _ in 0..10_000 {
            let v = r.range(-3, 5);
            assert!((-3..=5).contains(&v));
            let id = r.id(50);
            assert!((1..=50).contains(&id));
        }
        assert_eq!(r.range(4, 4), 4);
        assert_eq!(r.phpass().len(), 34);
        assert_eq!(r.hex(32).len(), 32);
    }
}
