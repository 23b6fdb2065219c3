//! The API Explorer in a real headless browser: `serve --demo` (the binary, on
//! 127.0.0.1 port 0, a fresh demo directory), an admin, the demo's public
//! sandbox token and a narrow token (read on clients and invoices, invoices
//! limited to client 1) and a signing token, then `tests/browser/explorer.py` drives Debian's
//! chromium with playwright and asserts what a visitor sees.
//!
//! Runs only with `DATABUILDER_TEST_BROWSER=1` (it needs /usr/bin/chromium and
//! the Python packages `playwright` and `requests`; `.ci/explorer.sh` installs
//! them); otherwise it prints why it is skipped. Screenshots land in
//! `target/screenshots/`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_databuilder"))
}

/// Kills the demo server when the test ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn skip_reason() -> Option<String> {
    if std::env::var("DATABUILDER_TEST_BROWSER").as_deref() != Ok("1") {
        return Some("set DATABUILDER_TEST_BROWSER=1 to run the browser test (see .ci/explorer.sh)".into());
    }
    if !std::path::Path::new("/usr/bin/chromium").exists() {
        return Some("/usr/bin/chromium is missing (apt-get install -y chromium)".into());
    }
    let probe = Command::new("python3").args(["-c", "import playwright, requests"]).output();
    match probe {
        Ok(o) if o.status.success() => None,
        _ => Some("python3 with playwright and requests is missing (pip install playwright requests)".into()),
    }
}

#[test]
fn explorer_in_a_real_browser() {
    if let Some(why) = skip_reason() {
        eprintln!("skipping the browser test: {why}");
        return;
    }
    let dir = std::env::temp_dir().join(format!("dbbrowser_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut child = bin()
        .args(["serve", "--demo", "--scale", "0.01", "--listen", "127.0.0.1:0", "--demo-dir"])
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let done = line.starts_with("Listening on");
        lines.push(line);
        if done {
            break;
        }
    }
    let find = |prefix: &str| lines.iter().find_map(|l| l.trim().strip_prefix(prefix).map(|s| s.trim().to_string()));
    let admin = find("admin token:").expect("the demo prints its admin token");
    let explorer = find("API Explorer:").expect("the demo prints the Explorer URL");
    let origin = explorer.trim_end_matches("/api/data_builder/explorer").to_string();

    let out = bin()
        .args(["token", "create", "--name", "narrow", "--table", "clients:r", "--table", "invoices:r"])
        .args(["--row-filter", "invoices:clientid=1", "--json", "--config"])
        .arg(dir.join("databuilder.toml"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let created: serde_json::Value = serde_json::from_slice(&out.stdout).expect("token create --json");
    let narrow = created["token"].as_str().unwrap().to_string();

    let out = bin()
        .args(["token", "create", "--name", "signer", "--table", "clients:r", "--hmac", "--json", "--config"])
        .arg(dir.join("databuilder.toml"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let signer: serde_json::Value = serde_json::from_slice(&out.stdout).expect("token create --json");

    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let shots = root.join("../../target/screenshots");
    let status = Command::new("python3")
        .arg(root.join("tests/browser/explorer.py"))
        .env("EXPLORER_ORIGIN", &origin)
        .env("ADMIN_TOKEN", &admin)
        .env("NARROW_TOKEN", &narrow)
        .env("SIGNING_TOKEN", signer["token"].as_str().unwrap())
        .env("SIGNING_SECRET", signer["hmac_secret"].as_str().unwrap())
        .env("SCREENSHOT_DIR", &shots)
        .status()
        .unwrap();
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(status.success(), "the browser checks failed (output above; screenshots in {})", shots.display());
}
