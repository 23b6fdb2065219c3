//! Secrets at rest: HMAC signing secrets are stored encrypted with a key derived
//! from the master key (ChaCha20-Poly1305, random 96-bit nonce per secret), so a
//! copy of the state tables alone does not let anyone sign requests.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;

use super::keys::MasterKey;

fn cipher(key: &MasterKey) -> ChaCha20Poly1305 {
    let k = key.derive("hmac-secrets-v1");
    ChaCha20Poly1305::new(Key::from_slice(&k[..32]))
}

/// Encrypt; the output is `base64(nonce || ciphertext)`.
pub fn seal(key: &MasterKey, plain: &str) -> String {
    let mut nonce = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut nonce);
    let ct = cipher(key).encrypt(Nonce::from_slice(&nonce), plain.as_bytes()).unwrap_or_default();
    let mut out = nonce.to_vec();
    out.extend(ct);
    STANDARD.encode(out)
}

/// Decrypt what [`seal`] made; `None` when it was altered or the key differs.
pub fn open(key: &MasterKey, sealed: &str) -> Option<String> {
    let bytes = STANDARD.decode(sealed).ok()?;
    if bytes.len() < 12 {
        return None;
    }
    let (nonce, ct) = bytes.split_at(12);
    let plain = cipher(key).decrypt(Nonce::from_slice(nonce), ct).ok()?;
    String::from_utf8(plain).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let dir = std::env::temp_dir().join(format!("dbkey_{}", std::process::id()));
        let key = MasterKey::load(&dir).unwrap();
        let sealed = seal(&key, "s3cret");
        assert_ne!(sealed, "s3cret");
        assert_eq!(open(&key, &sealed).as_deref(), Some("s3cret"));
        let mut raw = STANDARD.decode(&sealed).unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1;
        assert_eq!(open(&key, &STANDARD.encode(raw)), None);
        let _ = std::fs::remove_file(dir);
    }
}
