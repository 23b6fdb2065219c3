//! `databuilder admin link`: prints the link once, stores only its hash, and
//! the printed link signs in exactly once.

use std::process::Command;

#[tokio::test]
async fn admin_link_prints_a_working_one_time_link() {
    let dir = std::env::temp_dir().join(format!("dbadmin-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("state.sqlite").display());
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_databuilder"))
            .args(["--database-url", &url, "admin", "link"])
            .args(args)
            .output()
            .unwrap()
    };
    let out =
        run(&["--ttl", "15m", "--next", "/api/data_builder/admin/tokens", "--base-url", "https://crm.example.com/"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let link = printed
        .strip_prefix("https://crm.example.com/api/data_builder/admin/login?link=")
        .unwrap_or_else(|| panic!("{printed}"))
        .to_string();
    assert_eq!(link.len(), 64);
    let bad = run(&["--ttl", "99d"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--ttl"));

    let db = databuilder_engine::exec::Db::connect(&url, 1).await.unwrap();
    let store = databuilder::store::Store::open(db, "tbl").await.unwrap();
    assert_eq!(store.consume_admin_link(&link).await.unwrap().as_deref(), Some("/api/data_builder/admin/tokens"));
    assert_eq!(store.consume_admin_link(&link).await.unwrap(), None, "single use");
    let _ = std::fs::remove_dir_all(&dir);
}
