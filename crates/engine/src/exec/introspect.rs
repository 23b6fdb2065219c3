//! Reading the live schema: the executor owns the connections, so it runs the
//! catalog's per-dialect introspection queries and hands the raw answer to the
//! catalog to resolve.

use super::Db;
use crate::catalog::{Catalog, CatalogConfig, mysql, postgres, sqlite};

/// Read the live database and resolve it into a catalog.
pub async fn load_catalog(db: &Db, cfg: &CatalogConfig) -> Result<Catalog, sqlx::Error> {
    let raw = match db {
        Db::Sqlite(p) => sqlite::introspect(p).await?,
        Db::MySql(p) => mysql::introspect(p).await?,
        Db::Postgres(p) => postgres::introspect(p).await?,
    };
    Ok(Catalog::build(db.dialect(), raw, cfg))
}
