//! The sandbox: responses to sandbox tokens carry fake values for personal data
//! (SPEC §9). PII columns are detected once, in the catalog, by name and type;
//! the planner marks a sandbox principal's plans, and the executor replaces
//! values as rows are shaped — so REST, CSV/NDJSON, GraphQL, views and reports
//! are masked alike. A fake is derived from a keyed hash of the real value, so
//! one real value always gets the same fake (consistent within and across
//! responses) while the real value cannot be recovered without the key.

mod fake;
pub mod words;

use hmac::{Hmac, Mac};
use serde_json::Value as J;
use sha2::Sha256;

use crate::catalog::Pii;

/// Replaces PII values; keyed, so fakes are stable but not reversible.
#[derive(Clone)]
pub struct Masker {
    key: Vec<u8>,
}

impl std::fmt::Debug for Masker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Masker(…)")
    }
}

impl Masker {
    pub fn new(key: &[u8]) -> Masker {
        Masker { key: key.to_vec() }
    }

    /// 128 pseudo-random bits from the kind and the real value.
    fn seed(&self, pii: Pii, v: &J) -> u128 {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("any key length");
        m.update(format!("{pii:?}\u{1f}{v}").as_bytes());
        let b = m.finalize().into_bytes();
        u128::from_le_bytes(b[..16].try_into().unwrap_or([0; 16]))
    }

    /// The fake value of `v` (null stays null).
    pub fn mask(&self, pii: Pii, v: J) -> J {
        if v.is_null() {
            return v;
        }
        let seed = self.seed(pii, &v);
        fake::value(pii, &v, seed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consistent_and_different() {
        let m = Masker::new(b"k");
        let a = m.mask(Pii::Email, J::String("real@corp.com".into()));
        assert_eq!(a, m.mask(Pii::Email, J::String("real@corp.com".into())), "one real value, one fake");
        assert_ne!(a, J::String("real@corp.com".into()));
        assert!(a.as_str().unwrap().ends_with("@example.com"));
        let amount = m.mask(Pii::Amount, J::String("1234.50".into()));
        assert_eq!(amount.as_str().unwrap().split('.').nth(1).map(str::len), Some(2), "scale kept: {amount}");
        assert_eq!(m.mask(Pii::Company, J::Null), J::Null);
        let other = Masker::new(b"other key");
        assert_ne!(a, other.mask(Pii::Email, J::String("real@corp.com".into())));
    }
}
