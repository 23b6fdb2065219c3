//! The master key: from `DATABUILDER_MASTER_KEY`, or generated once into a key
//! file with mode 0600. Other keys (cursor signing, …) are derived from it.

use std::io::Write;
use std::path::Path;

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// 32 bytes of key material.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(…)")
    }
}

impl MasterKey {
    /// The key from the environment, else from `file` (created if missing).
    pub fn load(file: &Path) -> Result<MasterKey, String> {
        if let Ok(k) = std::env::var("DATABUILDER_MASTER_KEY")
            && !k.is_empty()
        {
            return Ok(MasterKey(Sha256::digest(k.as_bytes()).into()));
        }
        if file.exists() {
            let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
            let bytes = hex::decode(text.trim()).map_err(|_| format!("{}: not a hex key", file.display()))?;
            let key: [u8; 32] = bytes.try_into().map_err(|_| format!("{}: key must be 32 bytes", file.display()))?;
            return Ok(MasterKey(key));
        }
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        write_private(file, &hex::encode(key))?;
        Ok(MasterKey(key))
    }

    /// A key given as bytes (tests).
    pub fn from_bytes(key: [u8; 32]) -> MasterKey {
        MasterKey(key)
    }

    /// A key for one purpose, derived with HMAC so purposes never share key material.
    pub fn derive(&self, purpose: &str) -> Vec<u8> {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("any key length");
        m.update(purpose.as_bytes());
        m.finalize().into_bytes().to_vec()
    }
}

/// Write a file readable by its owner only.
pub fn write_private(path: &Path, content: &str) -> Result<(), String> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    f.write_all(content.as_bytes()).map_err(|e| format!("{}: {e}", path.display()))
}
