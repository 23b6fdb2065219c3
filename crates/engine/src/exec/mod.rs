//! The executor: runs [`Sql`] on one concrete pool per dialect, decodes rows to
//! JSON values, streams large results through a bounded channel (memory flat in
//! the row count), and maps database errors to a small set of kinds so no
//! database text ever reaches a client.

mod driver;
mod introspect;
mod run;
mod write;

pub use introspect::load_catalog;
pub use run::{Object, Page, count_report_groups, kinds, output, run_list, run_node, run_report, shape};

pub use write::{WriteError, etag, run_create, run_delete, run_update};

use std::str::FromStr;
use std::time::Duration;

use futures_util::TryStreamExt;
use serde_json::Value as J;
use sqlx::{Database, Executor, IntoArguments, Pool};
use tokio::sync::mpsc;

use crate::catalog::{ColumnKind, Dialect};
use crate::sql::Sql;
use driver::Driver;

/// A decoded row: one JSON value per selected column.
pub type Row = Vec<J>;

/// Database failures, normalised. The `Display` text is safe for logs (no values).
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unique constraint violated")]
    Unique,
    #[error("foreign key violated")]
    ForeignKey,
    #[error("NOT NULL or CHECK constraint violated")]
    Constraint,
    #[error("value out of range or too long for its column")]
    Data,
    #[error("statement timed out")]
    Timeout,
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Other(String),
}

impl DbError {
    /// Its row in the error table.
    pub fn kind(&self) -> crate::error::ErrorKind {
        use crate::error::ErrorKind as K;
        match self {
            DbError::Unique | DbError::ForeignKey => K::Conflict,
            DbError::Constraint | DbError::Data => K::Rejected,
            DbError::Timeout => K::Timeout,
            DbError::Unavailable(_) => K::Unavailable,
            DbError::Other(_) => K::Internal,
        }
    }
}

impl From<sqlx::Error> for DbError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(d) => {
                use sqlx::error::ErrorKind;
                let code = d.code().map(|c| c.to_string()).unwrap_or_default();
                match d.kind() {
                    ErrorKind::UniqueViolation => DbError::Unique,
                    ErrorKind::ForeignKeyViolation => DbError::ForeignKey,
                    ErrorKind::NotNullViolation | ErrorKind::CheckViolation => DbError::Constraint,
                    _ if matches!(
                        code.as_str(),
                        "22001" | "22003" | "22007" | "22008" | "22P02" | "HY000" | "01000"
                    ) && !d.message().contains("max_statement_time") =>
                    {
                        DbError::Data
                    }
                    _ if code == "57014"
                        || d.message().contains("max_statement_time")
                        || d.message().contains("interrupted") =>
                    {
                        DbError::Timeout
                    }
                    _ => DbError::Other(format!("code {code}: {}", d.message())),
                }
            }
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                DbError::Unavailable(e.to_string())
            }
            _ => DbError::Other(e.to_string()),
        }
    }
}

/// A pool on one of the three dialects.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(sqlx::SqlitePool),
    MySql(sqlx::MySqlPool),
    Postgres(sqlx::PgPool),
}

macro_rules! on_db {
    ($db:expr, $p:ident => $body:expr) => {
        match $db {
            Db::Sqlite($p) => $body,
            Db::MySql($p) => $body,
            Db::Postgres($p) => $body,
        }
    };
}

impl Db {
    /// Connect to `url`, creating a SQLite file if missing.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db, DbError> {
        Db::connect_with(url, max_connections, None).await
    }

    /// Connect with a server-side statement timeout on every connection, so a
    /// statement the handler gave up on is cancelled by the database itself
    /// (MariaDB `max_statement_time`, MySQL `max_execution_time`, PostgreSQL
    /// `statement_timeout`; SQLite has no server to cancel).
    pub async fn connect_with(
        url: &str,
        max_connections: u32,
        statement_timeout: Option<Duration>,
    ) -> Result<Db, DbError> {
        let dialect = Dialect::from_url(url).ok_or_else(|| DbError::Other("unsupported database URL scheme".into()))?;
        let ms = statement_timeout.map(|d| d.as_millis().max(1) as u64);
        fn pool<DB: Database>(max: u32) -> sqlx::pool::PoolOptions<DB> {
            sqlx::pool::PoolOptions::new().max_connections(max).acquire_timeout(Duration::from_secs(5))
        }
        Ok(match dialect {
            Dialect::Sqlite => {
                let opts = sqlx::sqlite::SqliteConnectOptions::from_str(url)?
                    .create_if_missing(true)
                    .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(5));
                Db::Sqlite(pool(max_connections).connect_with(opts).await?)
            }
            Dialect::MySql => Db::MySql(
                pool::<sqlx::MySql>(max_connections)
                    .after_connect(move |conn: &mut sqlx::MySqlConnection, _| {
                        Box::pin(async move {
                            if let Some(ms) = ms {
                                let maria = format!("SET SESSION max_statement_time = {}", ms as f64 / 1000.0);
                                if conn.execute(sqlx::AssertSqlSafe(maria)).await.is_err() {
                                    let mysql = format!("SET SESSION max_execution_time = {ms}");
                                    conn.execute(sqlx::AssertSqlSafe(mysql)).await?;
                                }
                            }
                            Ok(())
                        })
                    })
                    .connect(url)
                    .await?,
            ),
            Dialect::Postgres => Db::Postgres(
                pool::<sqlx::Postgres>(max_connections)
                    .after_connect(move |conn: &mut sqlx::PgConnection, _| {
                        Box::pin(async move {
                            if let Some(ms) = ms {
                                conn.execute(sqlx::AssertSqlSafe(format!("SET statement_timeout = {ms}"))).await?;
                            }
                            Ok(())
                        })
                    })
                    .connect(url)
                    .await?,
            ),
        })
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Db::Sqlite(_) => Dialect::Sqlite,
            Db::MySql(_) => Dialect::MySql,
            Db::Postgres(_) => Dialect::Postgres,
        }
    }

    /// All rows of a query; `kinds[i]` types column `i` when known.
    pub async fn fetch_all(&self, sql: &Sql, kinds: &[Option<ColumnKind>]) -> Result<Vec<Row>, DbError> {
        on_db!(self, p => fetch_all(p, sql, kinds).await)
    }

    /// The first column of the first row as an integer (COUNT(*), a rate counter…).
    pub async fn fetch_i64(&self, sql: &Sql) -> Result<Option<i64>, DbError> {
        let rows = self.fetch_all(sql, &[]).await?;
        Ok(rows.first().and_then(|r| r.first()).and_then(as_i64))
    }

    /// Run a statement; returns (rows affected, last insert id where the dialect reports one).
    pub async fn execute(&self, sql: &Sql) -> Result<(u64, Option<i64>), DbError> {
        on_db!(self, p => execute(p, sql).await)
    }

    /// Stream rows through a bounded channel: at most `buffer` rows are in memory.
    pub fn stream(
        &self,
        sql: Sql,
        kinds: Vec<Option<ColumnKind>>,
        buffer: usize,
    ) -> mpsc::Receiver<Result<Row, DbError>> {
        let (tx, rx) = mpsc::channel(buffer);
        let db = self.clone();
        tokio::spawn(async move {
            let res = on_db!(&db, p => stream_into(p, &sql, &kinds, &tx).await);
            if let Err(e) = res {
                let _ = tx.send(Err(e)).await;
            }
        });
        rx
    }

    /// Begin a transaction.
    pub async fn begin(&self) -> Result<Tx, DbError> {
        Ok(match self {
            Db::Sqlite(p) => Tx::Sqlite(p.begin().await?),
            Db::MySql(p) => Tx::MySql(p.begin().await?),
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// Close the pool.
    pub async fn close(&self) {
        on_db!(self, p => p.close().await)
    }
}

/// JSON number (or numeric string) → i64.
pub fn as_i64(v: &J) -> Option<i64> {
    match v {
        J::Number(n) => n.as_i64(),
        J::String(s) => s.parse().ok(),
        J::Bool(b) => Some(*b as i64),
        _ => None,
    }
}

/// An open transaction on one of the dialects.
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    MySql(sqlx::Transaction<'static, sqlx::MySql>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

macro_rules! on_tx {
    ($tx:expr, $c:ident => $body:expr) => {
        match $tx {
            Tx::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            Tx::MySql(t) => {
                let $c = &mut **t;
                $body
            }
            Tx::Postgres(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}

impl Tx {
    pub async fn fetch_all(&mut self, sql: &Sql, kinds: &[Option<ColumnKind>]) -> Result<Vec<Row>, DbError> {
        on_tx!(self, c => fetch_all(c, sql, kinds).await)
    }

    pub async fn execute(&mut self, sql: &Sql) -> Result<(u64, Option<i64>), DbError> {
        on_tx!(self, c => execute(c, sql).await)
    }

    pub async fn commit(self) -> Result<(), DbError> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::MySql(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<(), DbError> {
        match self {
            Tx::Sqlite(t) => t.rollback().await?,
            Tx::MySql(t) => t.rollback().await?,
            Tx::Postgres(t) => t.rollback().await?,
        }
        Ok(())
    }
}

fn query<DB: Driver>(sql: &Sql) -> sqlx::query::Query<'static, DB, <DB as Database>::Arguments> {
    // The one place statement text enters sqlx: `Sql` is only made by `sql::render`
    // and `Sql::fixed` (identifiers from the catalog, values bound).
    let mut q = sqlx::query::<DB>(sqlx::AssertSqlSafe(sql.text.clone()));
    for v in &sql.params {
        q = DB::bind_value(q, v);
    }
    q
}

fn kind_at(kinds: &[Option<ColumnKind>], i: usize) -> Option<ColumnKind> {
    kinds.get(i).copied().flatten()
}

fn decode_row<DB: Driver>(row: &DB::Row, kinds: &[Option<ColumnKind>]) -> Row {
    use sqlx::Row as _;
    (0..row.len()).map(|i| DB::decode(row, i, kind_at(kinds, i))).collect()
}

async fn fetch_all<'e, DB, E>(e: E, sql: &Sql, kinds: &[Option<ColumnKind>]) -> Result<Vec<Row>, DbError>
where
    DB: Driver,
    E: Executor<'e, Database = DB>,
    <DB as Database>::Arguments: IntoArguments<DB>,
{
    let rows = query::<DB>(sql).fetch_all(e).await?;
    Ok(rows.iter().map(|r| decode_row::<DB>(r, kinds)).collect())
}

async fn execute<'e, DB, E>(e: E, sql: &Sql) -> Result<(u64, Option<i64>), DbError>
where
    DB: Driver,
    E: Executor<'e, Database = DB>,
    <DB as Database>::Arguments: IntoArguments<DB>,
{
    let r = query::<DB>(sql).execute(e).await?;
    Ok((DB::rows_affected(&r), DB::last_insert_id(&r)))
}

async fn stream_into<DB>(
    pool: &Pool<DB>,
    sql: &Sql,
    kinds: &[Option<ColumnKind>],
    tx: &mpsc::Sender<Result<Row, DbError>>,
) -> Result<(), DbError>
where
    DB: Driver,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    <DB as Database>::Arguments: IntoArguments<DB>,
{
    let mut rows = query::<DB>(sql).fetch(pool);
    while let Some(row) = rows.try_next().await? {
        if tx.send(Ok(decode_row::<DB>(&row, kinds))).await.is_err() {
            break; // the client went away: stop reading
        }
    }
    Ok(())
}
