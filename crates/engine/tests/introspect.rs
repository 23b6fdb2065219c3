//! Introspection against real databases: SQLite in memory always, MariaDB/MySQL and
//! PostgreSQL when `DATABUILDER_TEST_MYSQL_URL` / `DATABUILDER_TEST_POSTGRES_URL`
//! are set. Each server test works in a fresh, uniquely named database that it
//! drops at the end. The same small schema is declared in each dialect and every
//! field of every `RawTable` is checked; a second test per server times
//! introspection of 45 tables (printed, not asserted).

use std::time::{Duration, Instant};

use databuilder_engine::catalog::raw::{RawColumn, RawForeignKey, RawTable};
use databuilder_engine::catalog::{mysql, postgres, sqlite};
use sqlx::mysql::MySqlPoolOptions;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::SqlitePoolOptions;
use sqlx::{AssertSqlSafe, MySqlPool, PgPool};

// ---------------------------------------------------------------------------
// Expected-value helpers

/// A nullable column without default; refine with the [`Col`] methods.
fn col(name: &str, sql_type: &str) -> RawColumn {
    RawColumn {
        name: name.to_owned(),
        sql_type: sql_type.to_owned(),
        nullable: true,
        default: None,
        auto_increment: false,
        generated: false,
    }
}

trait Col {
    fn not_null(self) -> Self;
    fn default(self, default: &str) -> Self;
    fn auto(self) -> Self;
    fn generated(self) -> Self;
}

impl Col for RawColumn {
    fn not_null(mut self) -> Self {
        self.nullable = false;
        self
    }
    fn default(mut self, default: &str) -> Self {
        self.default = Some(default.to_owned());
        self
    }
    fn auto(mut self) -> Self {
        self.auto_increment = true;
        self
    }
    fn generated(mut self) -> Self {
        self.generated = true;
        self
    }
}

fn table(name: &str, columns: Vec<RawColumn>, primary_key: &[&str], foreign_keys: &[(&str, &str, &str)]) -> RawTable {
    RawTable {
        name: name.to_owned(),
        columns,
        primary_key: primary_key.iter().map(|c| (*c).to_owned()).collect(),
        foreign_keys: foreign_keys
            .iter()
            .map(|(column, ref_table, ref_column)| RawForeignKey {
                column: (*column).to_owned(),
                ref_table: (*ref_table).to_owned(),
                ref_column: (*ref_column).to_owned(),
            })
            .collect(),
    }
}

/// Compares table by table so a failure names the table, then the whole list.
fn assert_tables(actual: &[RawTable], expected: &[RawTable]) {
    let names = |tables: &[RawTable]| tables.iter().map(|t| t.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(actual), names(expected), "table names");
    for (a, e) in actual.iter().zip(expected) {
        assert_eq!(a, e, "table {}", e.name);
    }
}

// ---------------------------------------------------------------------------
// Server helpers

fn env_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!("skipping: {var} not set");
            None
        }
    }
}

fn unique_database() -> String {
    format!("dbtest_introspect_{:016x}", rand::random::<u64>())
}

/// `url` with its database (the path) replaced, keeping any `?query`.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority = base.find("://").map_or(0, |i| i + 3);
    let path = base[authority..].find('/').map_or(base.len(), |i| authority + i);
    let mut out = format!("{}/{database}", &base[..path]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

#[test]
fn with_database_replaces_the_path() {
    assert_eq!(with_database("mysql://root@127.0.0.1:3306/test", "x"), "mysql://root@127.0.0.1:3306/x");
    assert_eq!(with_database("postgres://u:p@h/test?sslmode=disable", "x"), "postgres://u:p@h/x?sslmode=disable");
    assert_eq!(with_database("postgres://h:5432", "x"), "postgres://h:5432/x");
}

/// A fresh MySQL database, dropped by [`MySqlScratch::drop`].
struct MySqlScratch {
    admin: MySqlPool,
    name: String,
    pool: MySqlPool,
}

impl MySqlScratch {
    async fn create(url: &str) -> MySqlScratch {
        let admin = MySqlPool::connect(url).await.expect("connect to MySQL");
        let name = unique_database();
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE `{name}`"))).execute(&admin).await.expect("create database");
        let pool = MySqlPoolOptions::new()
            .max_connections(2)
            .connect(&with_database(url, &name))
            .await
            .expect("connect to the new database");
        MySqlScratch { admin, name, pool }
    }

    async fn drop(self) {
        self.pool.close().await;
        let dropped = sqlx::query(AssertSqlSafe(format!("DROP DATABASE `{}`", self.name))).execute(&self.admin).await;
        if let Err(err) = dropped {
            eprintln!("could not drop {}: {err}", self.name);
        }
        self.admin.close().await;
    }
}

/// A fresh PostgreSQL database, dropped by [`PgScratch::drop`].
struct PgScratch {
    admin: PgPool,
    name: String,
    pool: PgPool,
}

impl PgScratch {
    async fn create(url: &str) -> PgScratch {
        let admin = PgPool::connect(url).await.expect("connect to PostgreSQL");
        let name = unique_database();
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&admin)
            .await
            .expect("create database");
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .connect(&with_database(url, &name))
            .await
            .expect("connect to the new database");
        PgScratch { admin, name, pool }
    }

    async fn drop(self) {
        self.pool.close().await;
        // A closed backend can take a moment to leave; DROP fails while it is there.
        let mut attempts = 0;
        loop {
            let dropped =
                sqlx::query(AssertSqlSafe(format!("DROP DATABASE \"{}\"", self.name))).execute(&self.admin).await;
            match dropped {
                Ok(_) => break,
                Err(err) if attempts >= 20 => {
                    eprintln!("could not drop {}: {err}", self.name);
                    break;
                }
                Err(_) => {
                    attempts += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        self.admin.close().await;
    }
}

// ---------------------------------------------------------------------------
// SQLite

const SQLITE_SCHEMA: &[&str] = &[
    "CREATE TABLE tblclients (
        userid INTEGER PRIMARY KEY,
        email varchar(191) NOT NULL,
        credit decimal(15,2) NOT NULL DEFAULT 0.00,
        notes text
    )",
    "CREATE TABLE tblinvoices (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        userid int NOT NULL REFERENCES tblclients (userid),
        date date NOT NULL,
        duedate datetime DEFAULT CURRENT_TIMESTAMP,
        paid tinyint(1) NOT NULL DEFAULT 0,
        status varchar(16) NOT NULL DEFAULT 'Unpaid',
        total decimal(15,2) NOT NULL DEFAULT '0.00',
        total_cents int GENERATED ALWAYS AS (total * 100) VIRTUAL,
        total_tax DECIMAL(15,2) AS (total * 0.2) STORED,
        misc
    )",
    "CREATE TABLE tbllog (message text NOT NULL, created datetime)",
    "CREATE TABLE tblconfiguration (setting varchar(64) PRIMARY KEY, value text)",
    "CREATE TABLE tblpricing (
        type varchar(16) NOT NULL,
        relid int NOT NULL,
        price decimal(15,2),
        PRIMARY KEY (relid, type)
    )",
    // `id int PRIMARY KEY` is not a rowid alias (type is not exactly INTEGER); the
    // REFERENCES clauses differ in case and omit the column; one key is composite.
    "CREATE TABLE tbllines (
        id int PRIMARY KEY,
        invoiceid int NOT NULL,
        relid int,
        type varchar(16),
        FOREIGN KEY (relid, type) REFERENCES tblpricing (relid, type),
        FOREIGN KEY (InvoiceId) REFERENCES TblInvoices
    )",
    // WITHOUT ROWID: INTEGER PRIMARY KEY is an ordinary (NOT NULL) key here.
    "CREATE TABLE tblsettings (id INTEGER PRIMARY KEY, value text) WITHOUT ROWID",
    "CREATE VIEW tblinvoices_view AS SELECT id, total FROM tblinvoices",
    // A view whose table is gone: reading its columns would fail, it must be skipped.
    "CREATE TABLE tbltmp (a int)",
    "CREATE VIEW tblbroken_view AS SELECT a FROM tbltmp",
    "DROP TABLE tbltmp",
    // A virtual table: listed without its hidden columns; its shadow tables are not.
    "CREATE VIRTUAL TABLE tblsearch USING fts5(title, body)",
    "INSERT INTO tblclients (email) VALUES ('a@example.com')",
    "INSERT INTO tblinvoices (userid, date) VALUES (1, '2024-01-01')",
];

#[tokio::test]
async fn sqlite_introspect() {
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect("sqlite::memory:")
        .await
        .expect("open in-memory SQLite");
    for statement in SQLITE_SCHEMA {
        sqlx::query(*statement).execute(&pool).await.unwrap_or_else(|err| panic!("{statement}: {err}"));
    }

    let tables = sqlite::introspect(&pool).await.expect("introspect");

    let expected = [
        table(
            "tblclients",
            vec![
                col("userid", "integer").not_null().auto(),
                col("email", "varchar(191)").not_null(),
                col("credit", "decimal(15,2)").not_null().default("0.00"),
                col("notes", "text"),
            ],
            &["userid"],
            &[],
        ),
        table("tblconfiguration", vec![col("setting", "varchar(64)"), col("value", "text")], &["setting"], &[]),
        table(
            "tblinvoices",
            vec![
                col("id", "integer").not_null().auto(),
                col("userid", "int").not_null(),
                col("date", "date").not_null(),
                col("duedate", "datetime").default("CURRENT_TIMESTAMP"),
                col("paid", "tinyint(1)").not_null().default("0"),
                col("status", "varchar(16)").not_null().default("'Unpaid'"),
                col("total", "decimal(15,2)").not_null().default("'0.00'"),
                col("total_cents", "int").generated(),
                col("total_tax", "decimal(15,2)").generated(),
                col("misc", ""),
            ],
            &["id"],
            &[("userid", "tblclients", "userid")],
        ),
        table(
            "tbllines",
            vec![col("id", "int"), col("invoiceid", "int").not_null(), col("relid", "int"), col("type", "varchar(16)")],
            &["id"],
            &[("invoiceid", "tblinvoices", "id")],
        ),
        table("tbllog", vec![col("message", "text").not_null(), col("created", "datetime")], &[], &[]),
        table(
            "tblpricing",
            vec![col("type", "varchar(16)").not_null(), col("relid", "int").not_null(), col("price", "decimal(15,2)")],
            &["relid", "type"],
            &[],
        ),
        table("tblsearch", vec![col("title", ""), col("body", "")], &[], &[]),
        table("tblsettings", vec![col("id", "integer").not_null(), col("value", "text")], &["id"], &[]),
    ];
    assert_tables(&tables, &expected);
    pool.close().await;
}

// ---------------------------------------------------------------------------
// MySQL / MariaDB

const MYSQL_SCHEMA: &[&str] = &[
    "CREATE TABLE tblclients (
        userid int NOT NULL AUTO_INCREMENT,
        email varchar(191) NOT NULL,
        credit decimal(15,2) NOT NULL DEFAULT 0.00,
        status enum('Active','Inactive') NOT NULL DEFAULT 'Active',
        notes mediumtext,
        PRIMARY KEY (userid)
    ) ENGINE=InnoDB",
    "CREATE TABLE tblinvoices (
        id int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
        userid int NOT NULL,
        date date NOT NULL,
        created datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
        updated timestamp NULL DEFAULT NULL,
        paid tinyint(1) NOT NULL DEFAULT 0,
        total decimal(15,2) NOT NULL DEFAULT 0.00,
        total_cents bigint AS (total * 100) VIRTUAL,
        total_tax decimal(15,2) AS (total * 0.2) STORED,
        CONSTRAINT fk_invoices_client FOREIGN KEY (userid) REFERENCES tblclients (userid)
    ) ENGINE=InnoDB",
    "CREATE TABLE tbllog (message text NOT NULL, created datetime) ENGINE=InnoDB",
    "CREATE TABLE tblconfiguration (setting varchar(64) NOT NULL PRIMARY KEY, value text) ENGINE=InnoDB",
    "CREATE TABLE tblpricing (
        type varchar(16) NOT NULL,
        relid int NOT NULL,
        price decimal(15,2),
        PRIMARY KEY (relid, type)
    ) ENGINE=InnoDB",
    "CREATE TABLE tbllines (
        id int NOT NULL PRIMARY KEY,
        invoiceid int unsigned NOT NULL,
        relid int,
        type varchar(16),
        FOREIGN KEY (relid, type) REFERENCES tblpricing (relid, type),
        FOREIGN KEY (invoiceid) REFERENCES tblinvoices (id)
    ) ENGINE=InnoDB",
    "CREATE VIEW tblinvoices_view AS SELECT id, total FROM tblinvoices",
    // A view whose table is gone (information_schema only warns about it).
    "CREATE TABLE tbltmp (a int)",
    "CREATE VIEW tblbroken_view AS SELECT a FROM tbltmp",
    "DROP TABLE tbltmp",
];

#[tokio::test]
async fn mysql_introspect() {
    let Some(url) = env_url("DATABUILDER_TEST_MYSQL_URL") else {
        return;
    };
    let scratch = MySqlScratch::create(&url).await;
    let outcome = async {
        for statement in MYSQL_SCHEMA {
            sqlx::query(*statement).execute(&scratch.pool).await?;
        }
        let version: String = sqlx::query_scalar("SELECT VERSION()").fetch_one(&scratch.pool).await?;
        let tables = mysql::introspect(&scratch.pool).await?;
        Ok::<_, sqlx::Error>((version, tables))
    }
    .await;
    scratch.drop().await;
    let (version, tables) = outcome.expect("create schema and introspect");

    // MariaDB and MySQL before 8.0.19 print integer display widths; MariaDB quotes
    // string defaults and spells CURRENT_TIMESTAMP as a call.
    let mariadb = version.to_ascii_lowercase().contains("mariadb");
    let (int, int_unsigned, bigint) =
        if mariadb { ("int(11)", "int(10) unsigned", "bigint(20)") } else { ("int", "int unsigned", "bigint") };
    let (active, now) = if mariadb { ("'Active'", "current_timestamp()") } else { ("Active", "CURRENT_TIMESTAMP") };
    let expected = [
        table(
            "tblclients",
            vec![
                col("userid", int).not_null().auto(),
                col("email", "varchar(191)").not_null(),
                col("credit", "decimal(15,2)").not_null().default("0.00"),
                col("status", "enum('Active','Inactive')").not_null().default(active),
                col("notes", "mediumtext"),
            ],
            &["userid"],
            &[],
        ),
        table(
            "tblconfiguration",
            vec![col("setting", "varchar(64)").not_null(), col("value", "text")],
            &["setting"],
            &[],
        ),
        table(
            "tblinvoices",
            vec![
                col("id", int_unsigned).not_null().auto(),
                col("userid", int).not_null(),
                col("date", "date").not_null(),
                col("created", "datetime").not_null().default(now),
                col("updated", "timestamp"),
                col("paid", "tinyint(1)").not_null().default("0"),
                col("total", "decimal(15,2)").not_null().default("0.00"),
                col("total_cents", bigint).generated(),
                col("total_tax", "decimal(15,2)").generated(),
            ],
            &["id"],
            &[("userid", "tblclients", "userid")],
        ),
        table(
            "tbllines",
            vec![
                col("id", int).not_null(),
                col("invoiceid", int_unsigned).not_null(),
                col("relid", int),
                col("type", "varchar(16)"),
            ],
            &["id"],
            &[("invoiceid", "tblinvoices", "id")],
        ),
        table("tbllog", vec![col("message", "text").not_null(), col("created", "datetime")], &[], &[]),
        table(
            "tblpricing",
            vec![col("type", "varchar(16)").not_null(), col("relid", int).not_null(), col("price", "decimal(15,2)")],
            &["relid", "type"],
            &[],
        ),
    ];
    assert_tables(&tables, &expected);
}

#[tokio::test]
async fn mysql_introspect_timing() {
    let Some(url) = env_url("DATABUILDER_TEST_MYSQL_URL") else {
        return;
    };
    let scratch = MySqlScratch::create(&url).await;
    let outcome = async {
        for i in 0..45 {
            let parent =
                if i == 0 { String::new() } else { format!(", FOREIGN KEY (parent_id) REFERENCES t{:02} (id)", i - 1) };
            let ddl = format!(
                "CREATE TABLE t{i:02} (
                    id int NOT NULL AUTO_INCREMENT PRIMARY KEY,
                    name varchar(191) NOT NULL,
                    amount decimal(15,2) NOT NULL DEFAULT 0.00,
                    created datetime NULL,
                    active tinyint(1) NOT NULL DEFAULT 1,
                    notes text,
                    parent_id int NULL{parent}
                ) ENGINE=InnoDB"
            );
            sqlx::query(AssertSqlSafe(ddl)).execute(&scratch.pool).await?;
        }
        time_runs(|| mysql::introspect(&scratch.pool)).await
    }
    .await;
    scratch.drop().await;
    let (first, best, tables) = outcome.expect("create tables and introspect");
    assert_eq!(tables.len(), 45);
    assert_eq!(tables[44].foreign_keys.len(), 1);
    eprintln!("mysql introspect of 45 tables: first {first:?}, best of 5 {best:?}");
}

// ---------------------------------------------------------------------------
// PostgreSQL

const POSTGRES_SCHEMA: &[&str] = &[
    "CREATE TABLE tblclients (
        userid serial PRIMARY KEY,
        email varchar(191) NOT NULL,
        credit numeric(15,2) NOT NULL DEFAULT 0,
        active boolean NOT NULL DEFAULT true,
        notes text
    )",
    "CREATE TABLE tblinvoices (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        userid integer NOT NULL REFERENCES tblclients (userid),
        date date NOT NULL,
        created timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
        updated timestamptz,
        small smallint,
        total numeric(15,2) NOT NULL DEFAULT 0.00,
        total_cents bigint GENERATED ALWAYS AS ((total * 100)::bigint) STORED,
        data jsonb,
        attachment bytea
    )",
    "CREATE TABLE tbllog (message text NOT NULL, created timestamp)",
    "CREATE TABLE tblconfiguration (setting varchar(64) PRIMARY KEY, value text)",
    "CREATE TABLE tblpricing (
        type varchar(16) NOT NULL,
        relid integer NOT NULL,
        price numeric(15,2),
        PRIMARY KEY (relid, type)
    )",
    // A partitioned table: listed once, its partition is not.
    "CREATE TABLE tblevents (id bigint PRIMARY KEY, name text) PARTITION BY RANGE (id)",
    "CREATE TABLE tblevents_1 PARTITION OF tblevents FOR VALUES FROM (0) TO (1000)",
    "CREATE TABLE tbllines (
        id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        invoiceid integer NOT NULL,
        relid integer,
        type varchar(16),
        eventid bigint REFERENCES tblevents (id),
        FOREIGN KEY (relid, type) REFERENCES tblpricing (relid, type),
        FOREIGN KEY (invoiceid) REFERENCES tblinvoices (id)
    )",
    "CREATE VIEW tblinvoices_view AS SELECT id, total FROM tblinvoices",
    "CREATE SEQUENCE tblother_seq",
];

#[tokio::test]
async fn postgres_introspect() {
    let Some(url) = env_url("DATABUILDER_TEST_POSTGRES_URL") else {
        return;
    };
    let scratch = PgScratch::create(&url).await;
    let outcome = async {
        for statement in POSTGRES_SCHEMA {
            sqlx::query(*statement).execute(&scratch.pool).await?;
        }
        postgres::introspect(&scratch.pool).await
    }
    .await;
    scratch.drop().await;
    let tables = outcome.expect("create schema and introspect");

    let expected = [
        table(
            "tblclients",
            vec![
                col("userid", "integer").not_null().default("nextval('tblclients_userid_seq'::regclass)").auto(),
                col("email", "character varying(191)").not_null(),
                col("credit", "numeric(15,2)").not_null().default("0"),
                col("active", "boolean").not_null().default("true"),
                col("notes", "text"),
            ],
            &["userid"],
            &[],
        ),
        table(
            "tblconfiguration",
            vec![col("setting", "character varying(64)").not_null(), col("value", "text")],
            &["setting"],
            &[],
        ),
        table("tblevents", vec![col("id", "bigint").not_null(), col("name", "text")], &["id"], &[]),
        table(
            "tblinvoices",
            vec![
                col("id", "integer").not_null().auto(),
                col("userid", "integer").not_null(),
                col("date", "date").not_null(),
                col("created", "timestamp without time zone").not_null().default("CURRENT_TIMESTAMP"),
                col("updated", "timestamp with time zone"),
                col("small", "smallint"),
                col("total", "numeric(15,2)").not_null().default("0.00"),
                col("total_cents", "bigint").generated(),
                col("data", "jsonb"),
                col("attachment", "bytea"),
            ],
            &["id"],
            &[("userid", "tblclients", "userid")],
        ),
        table(
            "tbllines",
            vec![
                col("id", "bigint").not_null().auto(),
                col("invoiceid", "integer").not_null(),
                col("relid", "integer"),
                col("type", "character varying(16)"),
                col("eventid", "bigint"),
            ],
            &["id"],
            &[("invoiceid", "tblinvoices", "id"), ("eventid", "tblevents", "id")],
        ),
        table(
            "tbllog",
            vec![col("message", "text").not_null(), col("created", "timestamp without time zone")],
            &[],
            &[],
        ),
        table(
            "tblpricing",
            vec![
                col("type", "character varying(16)").not_null(),
                col("relid", "integer").not_null(),
                col("price", "numeric(15,2)"),
            ],
            &["relid", "type"],
            &[],
        ),
    ];
    assert_tables(&tables, &expected);
}

#[tokio::test]
async fn postgres_introspect_timing() {
    let Some(url) = env_url("DATABUILDER_TEST_POSTGRES_URL") else {
        return;
    };
    let scratch = PgScratch::create(&url).await;
    let outcome = async {
        for i in 0..45 {
            let parent = if i == 0 { String::new() } else { format!(" REFERENCES t{:02} (id)", i - 1) };
            let ddl = format!(
                "CREATE TABLE t{i:02} (
                    id serial PRIMARY KEY,
                    name varchar(191) NOT NULL,
                    amount numeric(15,2) NOT NULL DEFAULT 0,
                    created timestamp,
                    active boolean NOT NULL DEFAULT true,
                    notes text,
                    parent_id integer{parent}
                )"
            );
            sqlx::query(AssertSqlSafe(ddl)).execute(&scratch.pool).await?;
        }
        time_runs(|| postgres::introspect(&scratch.pool)).await
    }
    .await;
    scratch.drop().await;
    let (first, best, tables) = outcome.expect("create tables and introspect");
    assert_eq!(tables.len(), 45);
    assert_eq!(tables[44].foreign_keys.len(), 1);
    eprintln!("postgres introspect of 45 tables: first {first:?}, best of 5 {best:?}");
}

/// Runs `introspect` five times: the first run's time (cold: statements not yet
/// prepared), the best time, and the result.
async fn time_runs<F, Fut>(introspect: F) -> Result<(Duration, Duration, Vec<RawTable>), sqlx::Error>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<Vec<RawTable>, sqlx::Error>>,
{
    let mut times = Vec::new();
    let mut tables = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        tables = introspect().await?;
        times.push(start.elapsed());
    }
    let best = times.iter().min().copied().unwrap_or_default();
    Ok((times[0], best, tables))
}
