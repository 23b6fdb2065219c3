//! DDL of the state tables, per dialect (`{t}` is the quoted table name).

use databuilder_engine::catalog::Dialect;
use databuilder_engine::exec::DbError;
use databuilder_engine::sql::Sql;

use super::Store;

const TOKENS_SQLITE: &str = "CREATE TABLE IF NOT EXISTS {t} (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, token_hint TEXT NOT NULL, policy TEXT NOT NULL, created_at DATETIME NOT NULL, expires_at DATETIME NULL, revoked_at DATETIME NULL, last_used_at DATETIME NULL, hmac_secret TEXT NULL)";
const TOKENS_MYSQL: &str = "CREATE TABLE IF NOT EXISTS {t} (id BIGINT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(191) NOT NULL, token_hash CHAR(64) NOT NULL UNIQUE, token_hint VARCHAR(16) NOT NULL, policy TEXT NOT NULL, created_at DATETIME NOT NULL, expires_at DATETIME NULL, revoked_at DATETIME NULL, last_used_at DATETIME NULL, hmac_secret TEXT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";
const TOKENS_POSTGRES: &str = "CREATE TABLE IF NOT EXISTS {t} (id BIGSERIAL PRIMARY KEY, name VARCHAR(191) NOT NULL, token_hash CHAR(64) NOT NULL UNIQUE, token_hint VARCHAR(16) NOT NULL, policy TEXT NOT NULL, created_at TIMESTAMP NOT NULL, expires_at TIMESTAMP NULL, revoked_at TIMESTAMP NULL, last_used_at TIMESTAMP NULL, hmac_secret TEXT NULL)";

const IDEM_SQLITE: &str = "CREATE TABLE IF NOT EXISTS {t} (token_id BIGINT NOT NULL, key_hash TEXT NOT NULL, request_hash TEXT NOT NULL, status INTEGER NOT NULL, body TEXT NULL, created_at DATETIME NOT NULL, PRIMARY KEY (token_id, key_hash))";
const IDEM_MYSQL: &str = "CREATE TABLE IF NOT EXISTS {t} (token_id BIGINT NOT NULL, key_hash CHAR(64) NOT NULL, request_hash CHAR(64) NOT NULL, status INT NOT NULL, body MEDIUMTEXT NULL, created_at DATETIME NOT NULL, PRIMARY KEY (token_id, key_hash)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";
const IDEM_POSTGRES: &str = "CREATE TABLE IF NOT EXISTS {t} (token_id BIGINT NOT NULL, key_hash CHAR(64) NOT NULL, request_hash CHAR(64) NOT NULL, status INTEGER NOT NULL, body TEXT NULL, created_at TIMESTAMP NOT NULL, PRIMARY KEY (token_id, key_hash))";

const RATE_SQLITE: &str = "CREATE TABLE IF NOT EXISTS {t} (bucket TEXT NOT NULL, win BIGINT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (bucket, win))";
const RATE_MYSQL: &str = "CREATE TABLE IF NOT EXISTS {t} (bucket VARCHAR(191) NOT NULL, win BIGINT NOT NULL, n BIGINT NOT NULL, PRIMARY KEY (bucket, win)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";
const RATE_POSTGRES: &str = "CREATE TABLE IF NOT EXISTS {t} (bucket VARCHAR(191) NOT NULL, win BIGINT NOT NULL, n BIGINT NOT NULL, PRIMARY KEY (bucket, win))";

const NONCES_SQLITE: &str = "CREATE TABLE IF NOT EXISTS {t} (token_id BIGINT NOT NULL, nonce TEXT NOT NULL, created_at DATETIME NOT NULL, PRIMARY KEY (token_id, nonce))";
const NONCES_MYSQL: &str = "CREATE TABLE IF NOT EXISTS {t} (token_id BIGINT NOT NULL, nonce CHAR(64) NOT NULL, created_at DATETIME NOT NULL, PRIMARY KEY (token_id, nonce), KEY (created_at)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";
const NONCES_POSTGRES: &str = "CREATE TABLE IF NOT EXISTS {t} (token_id BIGINT NOT NULL, nonce CHAR(64) NOT NULL, created_at TIMESTAMP NOT NULL, PRIMARY KEY (token_id, nonce))";

// The audit log (`store::audit`). Ids are written explicitly by the chained append.
// The created_at index: `UNIQUE (created_at, id)` on SQLite and PostgreSQL, whose
// indexes are schema objects needing their own name (a template carries only the
// table's), so it lives inside CREATE TABLE under a name derived from the table.
const LOGS_SQLITE: &str = "CREATE TABLE IF NOT EXISTS {t} (id INTEGER PRIMARY KEY AUTOINCREMENT, request_id VARCHAR(32) NOT NULL, token_id BIGINT NULL, client_ip VARCHAR(45) NOT NULL, method VARCHAR(10) NOT NULL, path VARCHAR(2048) NOT NULL, status INTEGER NOT NULL, stage VARCHAR(16) NULL, duration_ms BIGINT NOT NULL, response_bytes BIGINT NOT NULL, created_at DATETIME NOT NULL, prev_hash CHAR(64) NOT NULL, hash CHAR(64) NOT NULL, UNIQUE (created_at, id))";
const LOGS_MYSQL: &str = "CREATE TABLE IF NOT EXISTS {t} (id BIGINT AUTO_INCREMENT PRIMARY KEY, request_id VARCHAR(32) NOT NULL, token_id BIGINT NULL, client_ip VARCHAR(45) NOT NULL, method VARCHAR(10) NOT NULL, path VARCHAR(2048) NOT NULL, status INT NOT NULL, stage VARCHAR(16) NULL, duration_ms BIGINT NOT NULL, response_bytes BIGINT NOT NULL, created_at DATETIME NOT NULL, prev_hash CHAR(64) NOT NULL, hash CHAR(64) NOT NULL, KEY (created_at)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";
const LOGS_POSTGRES: &str = "CREATE TABLE IF NOT EXISTS {t} (id BIGSERIAL PRIMARY KEY, request_id VARCHAR(32) NOT NULL, token_id BIGINT NULL, client_ip VARCHAR(45) NOT NULL, method VARCHAR(10) NOT NULL, path VARCHAR(2048) NOT NULL, status INTEGER NOT NULL, stage VARCHAR(16) NULL, duration_ms BIGINT NOT NULL, response_bytes BIGINT NOT NULL, created_at TIMESTAMP NOT NULL, prev_hash CHAR(64) NOT NULL, hash CHAR(64) NOT NULL, UNIQUE (created_at, id))";

const DEFS_SQLITE: &str = "CREATE TABLE IF NOT EXISTS {t} (slug TEXT NOT NULL PRIMARY KEY, name TEXT NOT NULL, definition TEXT NOT NULL, updated_at DATETIME NOT NULL)";
const DEFS_MYSQL: &str = "CREATE TABLE IF NOT EXISTS {t} (slug VARCHAR(100) NOT NULL PRIMARY KEY, name VARCHAR(191) NOT NULL, definition MEDIUMTEXT NOT NULL, updated_at DATETIME NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";
const DEFS_POSTGRES: &str = "CREATE TABLE IF NOT EXISTS {t} (slug VARCHAR(100) NOT NULL PRIMARY KEY, name VARCHAR(191) NOT NULL, definition TEXT NOT NULL, updated_at TIMESTAMP NOT NULL)";

// The admin console (`store::admin`): sign-in links and sessions, by hash.
const LINKS_SQLITE: &str = "CREATE TABLE IF NOT EXISTS {t} (hash CHAR(64) NOT NULL PRIMARY KEY, next_path VARCHAR(2048) NOT NULL, created_at DATETIME NOT NULL, expires_at DATETIME NOT NULL, used INTEGER NOT NULL DEFAULT 0, used_at DATETIME NULL)";
const LINKS_MYSQL: &str = "CREATE TABLE IF NOT EXISTS {t} (hash CHAR(64) NOT NULL PRIMARY KEY, next_path VARCHAR(2048) NOT NULL, created_at DATETIME NOT NULL, expires_at DATETIME NOT NULL, used TINYINT NOT NULL DEFAULT 0, used_at DATETIME NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";
const LINKS_POSTGRES: &str = "CREATE TABLE IF NOT EXISTS {t} (hash CHAR(64) NOT NULL PRIMARY KEY, next_path VARCHAR(2048) NOT NULL, created_at TIMESTAMP NOT NULL, expires_at TIMESTAMP NOT NULL, used SMALLINT NOT NULL DEFAULT 0, used_at TIMESTAMP NULL)";

const SESSIONS_SQLITE: &str = "CREATE TABLE IF NOT EXISTS {t} (hash CHAR(64) NOT NULL PRIMARY KEY, csrf CHAR(64) NOT NULL, created_at DATETIME NOT NULL, last_seen_at DATETIME NOT NULL, expires_at DATETIME NOT NULL)";
const SESSIONS_MYSQL: &str = "CREATE TABLE IF NOT EXISTS {t} (hash CHAR(64) NOT NULL PRIMARY KEY, csrf CHAR(64) NOT NULL, created_at DATETIME NOT NULL, last_seen_at DATETIME NOT NULL, expires_at DATETIME NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";
const SESSIONS_POSTGRES: &str = "CREATE TABLE IF NOT EXISTS {t} (hash CHAR(64) NOT NULL PRIMARY KEY, csrf CHAR(64) NOT NULL, created_at TIMESTAMP NOT NULL, last_seen_at TIMESTAMP NOT NULL, expires_at TIMESTAMP NOT NULL)";

fn pick(d: Dialect, sqlite: &'static str, mysql: &'static str, postgres: &'static str) -> &'static str {
    match d {
        Dialect::Sqlite => sqlite,
        Dialect::MySql => mysql,
        Dialect::Postgres => postgres,
    }
}

/// Create every state table that does not exist yet.
pub async fn create(store: &Store) -> Result<(), DbError> {
    let d = store.db.dialect();
    let tables = [
        ("api_tokens", pick(d, TOKENS_SQLITE, TOKENS_MYSQL, TOKENS_POSTGRES)),
        ("idempotency", pick(d, IDEM_SQLITE, IDEM_MYSQL, IDEM_POSTGRES)),
        ("api_rate", pick(d, RATE_SQLITE, RATE_MYSQL, RATE_POSTGRES)),
        ("api_nonces", pick(d, NONCES_SQLITE, NONCES_MYSQL, NONCES_POSTGRES)),
        ("views", pick(d, DEFS_SQLITE, DEFS_MYSQL, DEFS_POSTGRES)),
        ("reports", pick(d, DEFS_SQLITE, DEFS_MYSQL, DEFS_POSTGRES)),
        ("report_groups", pick(d, DEFS_SQLITE, DEFS_MYSQL, DEFS_POSTGRES)),
        ("api_logs", pick(d, LOGS_SQLITE, LOGS_MYSQL, LOGS_POSTGRES)),
        ("admin_links", pick(d, LINKS_SQLITE, LINKS_MYSQL, LINKS_POSTGRES)),
        ("admin_sessions", pick(d, SESSIONS_SQLITE, SESSIONS_MYSQL, SESSIONS_POSTGRES)),
    ];
    for (name, ddl) in tables {
        store.db.execute(&Sql::fixed_table(d, ddl, &store.table(name), vec![])).await?;
    }
    Ok(())
}
