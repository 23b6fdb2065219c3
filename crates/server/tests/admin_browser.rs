//! The admin console in a real headless browser (Debian Chromium driven by
//! Python Playwright, `tests/browser/admin.py`): sign in through a printed
//! link, create a token through the form and call the API with it, edit a
//! report and see its preview and chart, sign out — with zero console errors.
//! Screenshots of every page go to `target/screenshots/admin-*.png`.
//!
//! Runs only with `DATABUILDER_TEST_BROWSER=1` (it needs `/usr/bin/chromium`
//! and `pip install playwright==1.65.2`; `.ci/admin.sh` installs both).

use std::path::PathBuf;
use std::time::Duration;

use databuilder::config::Config;
use databuilder::startup::Application;
use databuilder_engine::exec::Db;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_console_in_chromium() {
    if std::env::var("DATABUILDER_TEST_BROWSER").as_deref() != Ok("1") {
        eprintln!(
            "skipping: set DATABUILDER_TEST_BROWSER=1 to run the browser test (needs /usr/bin/chromium and Python playwright)"
        );
        return;
    }
    let dir = std::env::temp_dir().join(format!("dbadmin-browser-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("demo.sqlite").display());
    let db = Db::connect(&url, 2).await.unwrap();
    databuilder_engine::demo::load_demo(&db, 0.01, &|_| {}).await.unwrap();
    db.close().await;
    let mut cfg = Config::default();
    cfg.database.url = url;
    cfg.base_dir = dir.clone();
    cfg.catalog.reload_interval = "0s".parse().unwrap();
    let app = Application::build(cfg, "127.0.0.1:0").await.unwrap();
    let state = app.state();
    let addr = app.local_addr();
    let server = tokio::spawn(app.run_until(std::future::pending()));
    databuilder::cli::defs::apply_built_in(&state.store, &state.catalog()).await.unwrap();

    // Some traffic for the dashboard: answers, a missing token, a forbidden table.
    let api = format!("http://{addr}/api/data_builder/v1");
    let catalog = state.catalog();
    let args = databuilder::cli::token::CreateArgs {
        name: "traffic".into(),
        tables: vec!["invoices:r".into(), "clients:r".into()],
        ..Default::default()
    };
    let policy = databuilder::cli::token::policy(&catalog, &args).unwrap();
    let (_, token) = state.store.create_token("traffic", &policy, None).await.unwrap();
    let client = reqwest::Client::new();
    for path in ["/invoices", "/clients", "/invoices?per_page=5", "/projects", "/reports/top-clients", "/nope"] {
        for _ in 0..3 {
            client.get(format!("{api}{path}")).bearer_auth(&token).send().await.unwrap();
        }
    }
    for _ in 0..4 {
        client.get(format!("{api}/invoices")).send().await.unwrap();
    }
    state.audit.flush().await;

    let link = state.store.create_admin_link(Duration::from_secs(600), "/api/data_builder/admin/").await.unwrap();
    let sign_in = format!("http://{addr}/api/data_builder/admin/login?link={link}");
    println!("sign-in link: {sign_in}");
    let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser/admin.py");
    let out = tokio::time::timeout(
        Duration::from_secs(180),
        tokio::process::Command::new("python3").arg(&script).arg(&sign_in).arg(&api).arg(&shots).output(),
    )
    .await
    .expect("the browser script finishes within 3 minutes")
    .expect("python3 runs");
    println!("{}", String::from_utf8_lossy(&out.stdout));
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    server.abort();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success(), "the browser script failed");
}
