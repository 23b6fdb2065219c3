//! A deployment under test: fresh databases, a config file, and several real
//! `databuilder serve` processes on free loopback ports (port 0, read back from
//! their "Listening on" line), stopped by pid at the end. The CLI is the real
//! binary too, run against the same config.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use databuilder_engine::catalog::Dialect;
use databuilder_engine::exec::Db;
use rand::RngCore;
use serde_json::Value as J;

pub fn random_name(prefix: &str) -> String {
    let mut b = [0u8; 6];
    rand::thread_rng().fill_bytes(&mut b);
    format!("{prefix}_{}", hex::encode(b))
}

fn with_database(url: &str, db: &str) -> String {
    let (head, _) = url.rsplit_once('/').expect("URL with a database path");
    format!("{head}/{db}")
}

/// Run one literal statement (test setup only).
pub async fn exec_raw(db: &Db, sql: &str) {
    let q = sqlx::AssertSqlSafe(sql.to_string());
    match db {
        Db::Sqlite(p) => sqlx::raw_sql(q).execute(p).await.map(|_| ()),
        Db::MySql(p) => sqlx::raw_sql(q).execute(p).await.map(|_| ()),
        Db::Postgres(p) => sqlx::raw_sql(q).execute(p).await.map(|_| ()),
    }
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// How the instances reach their databases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// State tables in the target database (the default).
    SharedDatabase,
    /// A separate `state_url` database; the target database through a read-only user.
    SeparateStateReadOnlyTarget,
}

pub struct Cluster {
    pub dialect: Dialect,
    pub config: PathBuf,
    /// The target database with full rights (test setup: DDL, tampering).
    pub target_admin: Db,
    /// The state database.
    pub state: Db,
    pub bases: Vec<String>,
    pub client: reqwest::Client,
    master_key: String,
    children: Vec<Child>,
    server: String,
    databases: Vec<String>,
    role: Option<String>,
    dir: PathBuf,
}

/// `None` (with a printed reason) when the dialect's test server is not configured.
pub async fn start(dialect: Dialect, layout: Layout, instances: usize, redis: Option<&str>) -> Option<Cluster> {
    let var = if dialect == Dialect::MySql { "DATABUILDER_TEST_MYSQL_URL" } else { "DATABUILDER_TEST_POSTGRES_URL" };
    let Ok(server) = std::env::var(var) else {
        eprintln!("skipping: {var} not set");
        return None;
    };
    let dir = std::env::temp_dir().join(random_name("dbmulti"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let admin = Db::connect(&server, 1).await.expect("connect to the test server");
    let target = random_name("dbm");
    exec_raw(&admin, &format!("CREATE DATABASE {target}")).await;
    let mut databases = vec![target.clone()];
    let target_url = with_database(&server, &target);
    let target_admin = Db::connect(&target_url, 2).await.expect("connect target");
    databuilder_engine::demo::load_demo(&target_admin, 0.01, &|_| {}).await.expect("load demo");
    let (url, state_url, role) = match layout {
        Layout::SharedDatabase => (target_url.clone(), String::new(), None),
        Layout::SeparateStateReadOnlyTarget => {
            let state = random_name("dbs");
            exec_raw(&admin, &format!("CREATE DATABASE {state}")).await;
            databases.push(state.clone());
            let role = random_name("ro");
            let pw = "readonly-pw";
            if dialect == Dialect::MySql {
                exec_raw(&admin, &format!("CREATE USER '{role}'@'%' IDENTIFIED BY '{pw}'")).await;
                exec_raw(&admin, &format!("CREATE USER '{role}'@'localhost' IDENTIFIED BY '{pw}'")).await;
                for host in ["%", "localhost"] {
                    exec_raw(&admin, &format!("GRANT SELECT ON {target}.* TO '{role}'@'{host}'")).await;
                }
            } else {
                exec_raw(&admin, &format!("CREATE ROLE {role} LOGIN PASSWORD '{pw}'")).await;
                exec_raw(&target_admin, &format!("GRANT USAGE ON SCHEMA public TO {role}")).await;
                exec_raw(&target_admin, &format!("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")).await;
                exec_raw(
                    &target_admin,
                    &format!("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO {role}"),
                )
                .await;
            }
            let (scheme, rest) = target_url.split_once("://").unwrap();
            let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
            (format!("{scheme}://{role}:{pw}@{host}"), with_database(&server, &state), Some(role))
        }
    };
    admin.close().await;
    let state = Db::connect(if state_url.is_empty() { &target_url } else { &state_url }, 2).await.expect("state db");
    let mut toml = format!(
        "[database]\nurl = \"{url}\"\nstate_url = \"{state_url}\"\nprefix = \"tbl\"\n\n\
         [catalog]\nreload_interval = \"1s\"\n\n\
         [security]\nip_rate = 1000000\ndefault_rate = 1000000\nmax_concurrency = 2048\n"
    );
    if let Some(r) = redis {
        toml.push_str(&format!("\n[state]\nredis_url = \"{r}\"\nredis_prefix = \"{}:\"\n", random_name("dbm")));
    }
    let config = dir.join("databuilder.toml");
    std::fs::write(&config, toml).expect("config");
    let mut key = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut key);
    let mut c = Cluster {
        dialect,
        config,
        target_admin,
        state,
        bases: Vec::new(),
        client: reqwest::Client::builder().pool_max_idle_per_host(512).build().unwrap(),
        master_key: hex::encode(key),
        children: Vec::new(),
        server,
        databases,
        role,
        dir,
    };
    // The first instance creates the state tables; the others start on them.
    for _ in 0..instances {
        c.spawn_instance();
    }
    Some(c)
}

impl Cluster {
    fn bin(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_databuilder"));
        // Every instance shares the master key (HMAC secrets are sealed with it).
        cmd.env("DATABUILDER_MASTER_KEY", &self.master_key).env("RUST_LOG", "warn").arg("--config").arg(&self.config);
        cmd
    }

    fn spawn_instance(&mut self) {
        let mut child = self
            .bin()
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn databuilder serve");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut addr = None;
        for line in lines.by_ref() {
            let line = line.expect("stdout");
            if let Some(rest) = line.strip_prefix("Listening on http://") {
                addr = rest.split_whitespace().next().map(str::to_string);
                break;
            }
        }
        // Keep reading, so a later line never meets a closed pipe.
        std::thread::spawn(move || lines.for_each(drop));
        let addr = addr.expect("the instance printed its address");
        self.bases.push(format!("http://{addr}/api/data_builder/v1"));
        self.children.push(child);
    }

    /// Run the CLI; its stdout, or a panic with its stderr.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = self.bin().args(args).output().expect("run databuilder");
        assert!(
            out.status.success(),
            "databuilder {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    /// The CLI's exit success and stdout.
    pub fn cli_status(&self, args: &[&str]) -> (bool, String) {
        let out = self.bin().args(args).output().expect("run databuilder");
        (out.status.success(), String::from_utf8_lossy(&out.stdout).to_string())
    }

    /// `token create … --json`.
    pub fn token(&self, flags: &[&str]) -> J {
        let mut args = vec!["token", "create", "--name", "multi", "--json"];
        args.extend_from_slice(flags);
        serde_json::from_str(self.cli(&args).trim()).expect("token JSON")
    }

    /// GET `path` (under the API base) on instance `i`: status and body.
    pub async fn get(&self, i: usize, token: &str, path: &str) -> (u16, J) {
        let r = self.client.get(format!("{}{path}", self.bases[i])).bearer_auth(token).send().await.expect("request");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(J::Null))
    }

    /// Stop every instance gracefully (SIGTERM flushes the audit log), by pid.
    pub fn stop_gracefully(&mut self) {
        for c in &self.children {
            let _ = Command::new("kill").args(["-TERM", &c.id().to_string()]).status();
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        for c in &mut self.children {
            while c.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        let (dialect, server, dbs, role) =
            (self.dialect, self.server.clone(), std::mem::take(&mut self.databases), self.role.take());
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async {
                let Ok(db) = Db::connect(&server, 1).await else { return };
                for name in dbs {
                    let sql = if dialect == Dialect::Postgres {
                        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                    } else {
                        format!("DROP DATABASE IF EXISTS {name}")
                    };
                    let _ = sqlx_exec(&db, &sql).await;
                }
                if let Some(role) = role {
                    let sql = if dialect == Dialect::Postgres {
                        format!("DROP ROLE IF EXISTS {role}")
                    } else {
                        format!("DROP USER IF EXISTS '{role}'@'%', '{role}'@'localhost'")
                    };
                    let _ = sqlx_exec(&db, &sql).await;
                }
            })
        })
        .join();
    }
}

async fn sqlx_exec(db: &Db, sql: &str) -> Result<(), sqlx::Error> {
    let q = sqlx::AssertSqlSafe(sql.to_string());
    match db {
        Db::Sqlite(p) => sqlx::raw_sql(q).execute(p).await.map(|_| ()),
        Db::MySql(p) => sqlx::raw_sql(q).execute(p).await.map(|_| ()),
        Db::Postgres(p) => sqlx::raw_sql(q).execute(p).await.map(|_| ()),
    }
}

/// Wait until `f` is true, polling every 50 ms, up to `limit`; the time it took.
pub async fn eventually<F, Fut>(what: &str, limit: Duration, mut f: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if f().await {
            return started.elapsed();
        }
        assert!(started.elapsed() < limit, "{what}: not seen within {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
