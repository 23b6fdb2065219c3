//! The binary itself: `--help`, and the one-command demo (first run creates the
//! database, the config and two tokens and prints them once; a second run
//! reuses everything and prints no token).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_databuilder"))
}

#[test]
fn help_is_complete() {
    let out = bin().arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for cmd in ["serve", "token", "schema"] {
        assert!(text.contains(cmd), "{text}");
    }
    let token =
        String::from_utf8_lossy(&bin().args(["token", "create", "--help"]).output().unwrap().stdout).to_string();
    for flag in [
        "--table",
        "--row-filter",
        "--admin",
        "--sandbox",
        "--allow-sensitive",
        "--json",
        "--expires",
        "--config",
        "--database-url",
    ] {
        assert!(token.contains(flag), "{flag} missing from token create --help");
    }
}

/// Start `serve --demo`, return the child and every stdout line up to "Listening on".
fn start_demo(dir: &std::path::Path) -> (Child, Vec<String>) {
    let mut child = bin()
        .args(["serve", "--demo", "--scale", "0.01", "--listen", "127.0.0.1:0", "--demo-dir"])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    let reader = BufReader::new(child.stdout.take().unwrap());
    for line in reader.lines() {
        let line = line.unwrap();
        let done = line.starts_with("Listening on");
        lines.push(line);
        if done {
            break;
        }
    }
    (child, lines)
}

#[tokio::test]
async fn demo_in_one_command() {
    let dir = std::env::temp_dir().join(format!("dbdemo_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (mut first, lines) = start_demo(&dir);
    let find = |prefix: &str| lines.iter().find_map(|l| l.trim().strip_prefix(prefix).map(|s| s.trim().to_string()));
    let admin = find("admin token:").expect("admin token printed on first run");
    assert!(find("sandbox token:").is_some());
    assert!(find("API Explorer:").is_some_and(|u| u.ends_with("/api/data_builder/explorer")), "{lines:?}");
    let curl = lines.iter().find(|l| l.trim_start().starts_with("curl")).expect("a ready curl line");
    let url = curl.split('\'').nth(3).unwrap().to_string();
    let res = reqwest::Client::new().get(&url).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(res.status(), 200, "the printed curl line works");
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(body["data"][0]["client"].is_object());
    first.kill().unwrap();
    first.wait().unwrap();
    assert!(dir.join("demo.sqlite").exists());
    assert!(dir.join("databuilder.toml").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("databuilder.key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the master key file is private");
    }

    let toml = std::fs::read_to_string(dir.join("databuilder.toml")).unwrap();
    let sandbox = find("sandbox token:").unwrap();
    assert!(toml.contains(&format!("[explorer]\npublic_token = \"{sandbox}\"")), "{toml}");
    // A demo made before the Explorer existed gets a public token on its next start.
    let head = toml.split("\n# The sandbox token the API Explorer").next().unwrap().to_string();
    std::fs::write(dir.join("databuilder.toml"), &head).unwrap();

    let (mut second, lines) = start_demo(&dir);
    let upgraded = std::fs::read_to_string(dir.join("databuilder.toml")).unwrap();
    assert!(upgraded.contains("[explorer]\npublic_token = \"dba_"), "{upgraded}");
    assert!(!upgraded.contains(&sandbox), "the first sandbox token's plaintext is not stored: a new one is made");
    assert!(!lines.iter().any(|l| l.contains("dba_")), "a second run prints no token: {lines:?}");
    let listening = lines.last().unwrap();
    let addr = listening.split("http://").nth(1).unwrap().split(' ').next().unwrap();
    let res = reqwest::Client::new()
        .get(format!("http://{addr}/api/data_builder/v1/auth/test"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the first run's token still works");
    second.kill().unwrap();
    second.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Bad values are refused where they are typed: a bad CIDR or origin at
/// `token create` (clap's usage error, exit code 2, before any database work),
/// a bad configuration value at start, naming its key and the reason.
#[test]
fn bad_values_are_refused_at_the_boundary() {
    for (flag, value, reason) in [
        ("--cidr", "10.0.0.0/33", "is not a CIDR"),
        ("--cidr", "office", "is not a CIDR"),
        ("--origin", "app.example", "is not an origin"),
    ] {
        let out = bin()
            .args(["token", "create", "--database-url", "sqlite::memory:", "--name", "n", flag, value])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{flag} {value}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(flag) && err.contains(reason), "{err}");
    }
    let dir = std::env::temp_dir().join(format!("dbcfg_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("databuilder.toml");
    std::fs::write(&file, "[database]\nurl = \"sqlite::memory:\"\n[security]\nheader_timeout = \"10x\"\n").unwrap();
    let out = bin().args(["serve", "--listen", "127.0.0.1:0", "--config"]).arg(&file).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("header_timeout") && err.contains("\"10x\" is not a duration"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
