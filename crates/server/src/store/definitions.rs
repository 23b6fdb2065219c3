//! Saved views, reports and report groups, stored as JSON definitions in state
//! tables. Every request reads the current definition, so a change made with
//! `databuilder views apply` reaches every instance at once, without restart.

use databuilder_engine::catalog::ColumnKind;
use databuilder_engine::exec::DbError;
use databuilder_engine::sql::Sql;
use databuilder_engine::value::Value;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Store, now};

/// The three kinds of definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    View,
    Report,
    Group,
}

impl Kind {
    /// The state table (after `<prefix>data_builder_`).
    pub fn table(self) -> &'static str {
        match self {
            Kind::View => "views",
            Kind::Report => "reports",
            Kind::Group => "report_groups",
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            Kind::View => "view",
            Kind::Report => "report",
            Kind::Group => "report group",
        }
    }
}

const TEXT2: [Option<ColumnKind>; 2] = [Some(ColumnKind::Text), Some(ColumnKind::Text)];

impl Store {
    /// Create or replace a definition (one transaction: delete, then insert).
    pub async fn put_definition<T: Serialize>(
        &self,
        kind: Kind,
        slug: &str,
        name: &str,
        def: &T,
    ) -> Result<(), DbError> {
        let d = self.db.dialect();
        let t = self.table(kind.table());
        let json = serde_json::to_string(def).map_err(|e| DbError::Other(e.to_string()))?;
        let mut tx = self.db.begin().await?;
        tx.execute(&Sql::fixed_table(d, "DELETE FROM {t} WHERE slug = ?", &t, vec![Value::Text(slug.into())])).await?;
        const INS: &str = "INSERT INTO {t} (slug, name, definition, updated_at) VALUES (?, ?, ?, ?)";
        let params =
            vec![Value::Text(slug.into()), Value::Text(name.into()), Value::Text(json), Value::DateTime(now())];
        tx.execute(&Sql::fixed_table(d, INS, &t, params)).await?;
        tx.commit().await?;
        self.bump_epoch().await;
        Ok(())
    }

    /// One definition, if it exists and still parses.
    pub async fn definition<T: DeserializeOwned>(&self, kind: Kind, slug: &str) -> Result<Option<T>, DbError> {
        const Q: &str = "SELECT definition, name FROM {t} WHERE slug = ?";
        let sql = Sql::fixed_table(self.db.dialect(), Q, &self.table(kind.table()), vec![Value::Text(slug.into())]);
        let rows = self.db.fetch_all(&sql, &TEXT2).await?;
        Ok(rows.first().and_then(|r| r[0].as_str()).and_then(|s| serde_json::from_str(s).ok()))
    }

    /// Every definition of a kind, by slug.
    pub async fn definitions<T: DeserializeOwned>(&self, kind: Kind) -> Result<Vec<T>, DbError> {
        const Q: &str = "SELECT definition, name FROM {t} ORDER BY slug";
        let sql = Sql::fixed_table(self.db.dialect(), Q, &self.table(kind.table()), vec![]);
        let rows = self.db.fetch_all(&sql, &TEXT2).await?;
        Ok(rows.iter().filter_map(|r| r[0].as_str()).filter_map(|s| serde_json::from_str(s).ok()).collect())
    }

    /// Delete a definition; false when there was none.
    pub async fn delete_definition(&self, kind: Kind, slug: &str) -> Result<bool, DbError> {
        let sql = Sql::fixed_table(
            self.db.dialect(),
            "DELETE FROM {t} WHERE slug = ?",
            &self.table(kind.table()),
            vec![Value::Text(slug.into())],
        );
        let gone = self.db.execute(&sql).await?.0 > 0;
        self.bump_epoch().await;
        Ok(gone)
    }
}
