//! Fake values per PII kind, chosen by a seed. Addresses, networks and card
//! numbers come from ranges reserved for documentation and testing.

use serde_json::Value as J;

use super::Pii;
use super::words::{
    COMPANY_A, COMPANY_B, COMPANY_SUFFIX, FIRST_NAMES, JOB_TITLES, LAST_NAMES, PLACES, SENTENCES, STREET_KINDS, STREETS,
};

fn pick<'a>(list: &[&'a str], seed: u128, salt: u32) -> &'a str {
    list[((seed >> (salt * 8)) % list.len().max(1) as u128) as usize]
}

fn digits(seed: u128, n: u32) -> String {
    format!("{:0width$}", seed % 10u128.pow(n), width = n as usize)
}

/// A fake for `real` (used only for its shape: decimal scale, JSON type).
pub fn value(pii: Pii, real: &J, seed: u128) -> J {
    let first = pick(FIRST_NAMES, seed, 0);
    let last = pick(LAST_NAMES, seed, 1);
    let s = match pii {
        Pii::Amount => return amount(real, seed),
        Pii::Latitude => format!("{:.6}", (seed % 180_000_000) as f64 / 1e6 - 90.0),
        Pii::Longitude => format!("{:.6}", (seed % 360_000_000) as f64 / 1e6 - 180.0),
        Pii::Email => format!("{}.{}{}@example.com", first.to_lowercase(), last.to_lowercase(), seed % 1000),
        Pii::Phone => format!("+1 555 {} {}", digits(seed, 3), digits(seed >> 16, 4)),
        Pii::FirstName => first.to_string(),
        Pii::LastName => last.to_string(),
        Pii::FullName => format!("{first} {last}"),
        Pii::Company => {
            format!("{} {} {}", pick(COMPANY_A, seed, 2), pick(COMPANY_B, seed, 3), pick(COMPANY_SUFFIX, seed, 4))
        }
        Pii::Address => format!("{} {} {}", seed % 999 + 1, pick(STREETS, seed, 5), pick(STREET_KINDS, seed, 6)),
        Pii::City => PLACES[(seed % PLACES.len() as u128) as usize].1.to_string(),
        Pii::State => PLACES[(seed % PLACES.len() as u128) as usize].2.to_string(),
        Pii::Zip => digits(seed, 5),
        Pii::Country => "Testland".to_string(),
        Pii::Vat => format!("XX{}", digits(seed, 9)),
        Pii::Website => format!("https://www.example{}.com", seed % 10_000),
        Pii::Ip => format!("192.0.2.{}", seed % 254 + 1),
        Pii::Iban => format!("XX00 TEST {} {}", digits(seed, 4), digits(seed >> 20, 4)),
        Pii::Card => format!("4111 1111 1111 {}", digits(seed, 4)),
        Pii::NationalId => format!("ID-{}", digits(seed, 9)),
        Pii::BirthDate => format!("19{}-{:02}-{:02}", 50 + seed % 50, seed % 12 + 1, (seed >> 8) % 28 + 1),
        Pii::Username | Pii::SocialHandle => format!("user{}", seed % 100_000),
        Pii::Notes => pick(SENTENCES, seed, 7).to_string(),
        Pii::JobTitle => pick(JOB_TITLES, seed, 8).to_string(),
        Pii::Image => "sandbox.png".to_string(),
        Pii::Signature => "sandbox-signature".to_string(),
        Pii::Identifier => format!("sandbox_{}", seed % 1_000_000),
    };
    J::String(s)
}

/// A fake amount with the real one's JSON type and decimal scale.
fn amount(real: &J, seed: u128) -> J {
    let cents = (seed % 5_000_000) as i64;
    match real {
        J::String(s) => {
            let scale = s.split_once('.').map(|(_, f)| f.len()).unwrap_or(0);
            let v = cents as f64 / 100.0;
            J::String(format!("{v:.scale$}"))
        }
        J::Number(n) if n.is_i64() => J::from(cents / 100),
        _ => serde_json::Number::from_f64(cents as f64 / 100.0).map(J::Number).unwrap_or(J::Null),
    }
}
