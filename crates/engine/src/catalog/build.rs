//! Turns introspected tables into the resolved [`Catalog`]: resource names,
//! column kinds, secret and sensitive marks, and named relations from declared
//! foreign keys, the Perfex preset and the configuration.

use std::collections::{HashMap, HashSet};

use super::Dialect;
use super::model::{Catalog, Column, ColumnKind, RelKind, RelOrigin, Relation, Table, max_len_of};
use super::perfex::{self, RelationSpec};
use super::policy::{self, DEFAULT_SENSITIVE, STATE_TABLE_MARK};
use super::raw::RawTable;

/// Resource names that routes already use; a table stripping to one keeps its full name.
pub const RESERVED: &[&str] =
    &["auth", "graphql", "views", "reports", "report-groups", "openapi.json", "admin", "explorer", "tables"];

/// Columns `since=` looks for, modification columns first.
const TIMESTAMP_COLUMNS: &[&str] =
    &["last_updated", "datemodified", "updated_at", "dateadded", "datecreated", "date_created", "created_at"];

/// What the configuration says about the catalog.
#[derive(Debug, Clone, Default)]
pub struct CatalogConfig {
    /// Table prefix stripped from resource names (`tbl` for Perfex).
    pub prefix: String,
    /// Sensitive tables by stripped name; `None` means the defaults.
    pub sensitive: Option<Vec<String>>,
    /// Relations declared in configuration (table names without prefix).
    pub relations: Vec<RelationSpec>,
    /// Force the Perfex preset on or off; `None` detects it.
    pub perfex_preset: Option<bool>,
}

impl Catalog {
    /// Resolve introspected tables into a catalog.
    pub fn build(dialect: Dialect, raw: Vec<RawTable>, cfg: &CatalogConfig) -> Catalog {
        let state_prefix = format!("{}{}", cfg.prefix, STATE_TABLE_MARK);
        let raw: Vec<RawTable> = raw.into_iter().filter(|t| !t.name.starts_with(&state_prefix)).collect();
        let stripped: Vec<String> = raw.iter().map(|t| strip(&t.name, &cfg.prefix)).collect();
        let resources = resource_names(&raw, &stripped);
        let sensitive: Vec<String> = match &cfg.sensitive {
            Some(list) => list.clone(),
            None => DEFAULT_SENSITIVE.iter().map(|s| s.to_string()).collect(),
        };
        let mut tables: Vec<Table> = raw
            .iter()
            .zip(&stripped)
            .zip(resources)
            .map(|((t, s), resource)| make_table(t, s, resource, sensitive.contains(s)))
            .collect();
        let perfex = cfg.perfex_preset.unwrap_or_else(|| looks_like_perfex(&raw, &cfg.prefix));
        let specs = relation_specs(&raw, &stripped, cfg, perfex);
        add_relations(&mut tables, &stripped, &specs);
        let by_resource = tables.iter().enumerate().map(|(i, t)| (t.resource.clone(), i)).collect();
        Catalog { dialect, prefix: cfg.prefix.clone(), tables, perfex, by_resource }
    }
}

fn strip(name: &str, prefix: &str) -> String {
    match name.strip_prefix(prefix) {
        Some(rest) if !rest.is_empty() && !prefix.is_empty() => rest.to_string(),
        _ => name.to_string(),
    }
}

fn resource_names(raw: &[RawTable], stripped: &[String]) -> Vec<String> {
    let mut count: HashMap<&str, usize> = HashMap::new();
    for s in stripped {
        *count.entry(s.as_str()).or_default() += 1;
    }
    let full: HashSet<&str> = raw.iter().map(|t| t.name.as_str()).collect();
    raw.iter()
        .zip(stripped)
        .map(|(t, s)| {
            let renamed = s != &t.name;
            let clash = count[s.as_str()] > 1 || (renamed && full.contains(s.as_str()));
            if RESERVED.contains(&s.as_str()) || clash { t.name.clone() } else { s.clone() }
        })
        .collect()
}

fn make_table(t: &RawTable, stripped: &str, resource: String, sensitive: bool) -> Table {
    let columns: Vec<Column> = t
        .columns
        .iter()
        .map(|c| Column {
            name: c.name.clone(),
            kind: ColumnKind::from_sql_type(&c.sql_type),
            max_len: max_len_of(&c.sql_type),
            sql_type: c.sql_type.clone(),
            nullable: c.nullable,
            default: c.default.clone(),
            auto_increment: c.auto_increment,
            generated: c.generated,
            secret: policy::is_secret_column(stripped, &c.name),
            pii: crate::catalog::pii_kind(stripped, &c.name, ColumnKind::from_sql_type(&c.sql_type)),
        })
        .collect();
    let index = |n: &str| columns.iter().position(|c| c.name == n);
    let primary_key = t.primary_key.iter().filter_map(|n| index(n)).collect();
    let timestamp_col = TIMESTAMP_COLUMNS
        .iter()
        .find_map(|n| index(n).filter(|&i| matches!(columns[i].kind, ColumnKind::DateTime | ColumnKind::Date)));
    Table { name: t.name.clone(), resource, columns, primary_key, relations: Vec::new(), sensitive, timestamp_col }
}

fn looks_like_perfex(raw: &[RawTable], prefix: &str) -> bool {
    let has = |n: &str| raw.iter().any(|t| t.name == n);
    prefix == "tbl" && has("tblclients") && has("tbloptions")
}

/// All relation specs, with stripped table names.
fn relation_specs(
    raw: &[RawTable],
    stripped: &[String],
    cfg: &CatalogConfig,
    perfex: bool,
) -> Vec<(RelationSpec, RelOrigin)> {
    let by_name: HashMap<&str, usize> = raw.iter().enumerate().map(|(i, t)| (t.name.as_str(), i)).collect();
    let mut specs = Vec::new();
    for (i, t) in raw.iter().enumerate() {
        for fk in &t.foreign_keys {
            if let Some(&j) = by_name.get(fk.ref_table.as_str()) {
                let spec = RelationSpec {
                    from_table: stripped[i].clone(),
                    from_col: fk.column.clone(),
                    to_table: stripped[j].clone(),
                    to_col: fk.ref_column.clone(),
                    has_many_name: None,
                    condition: None,
                };
                specs.push((spec, RelOrigin::Declared));
            }
        }
    }
    if perfex {
        let has_column = |t: &str, c: &str| {
            stripped.iter().position(|s| s == t).is_some_and(|i| raw[i].columns.iter().any(|col| col.name == c))
        };
        specs.extend(perfex::preset(&has_column).into_iter().map(|s| (s, RelOrigin::Preset)));
        specs.extend(perfex::everywhere(stripped, &has_column).into_iter().map(|s| (s, RelOrigin::Preset)));
    }
    specs.extend(cfg.relations.iter().cloned().map(|s| (s, RelOrigin::Configured)));
    let mut seen = HashSet::new();
    specs.retain(|(s, _)| {
        seen.insert((s.from_table.clone(), s.from_col.clone(), s.to_table.clone(), s.condition.clone()))
    });
    specs
}

/// A spec resolved to indexes: (from table, from col, to table, to col).
struct Resolved<'a> {
    spec: &'a RelationSpec,
    origin: RelOrigin,
    from: usize,
    from_col: usize,
    to: usize,
    to_col: usize,
    condition: Option<(usize, String)>,
}

fn resolve<'a>(
    tables: &[Table],
    stripped: &[String],
    (s, origin): &'a (RelationSpec, RelOrigin),
) -> Option<Resolved<'a>> {
    let find = |name: &str| {
        stripped
            .iter()
            .position(|x| x == name)
            .or_else(|| tables.iter().position(|t| t.resource == name || t.name == name))
    };
    let from = find(&s.from_table)?;
    let to = find(&s.to_table)?;
    let from_col = tables[from].column_index(&s.from_col)?;
    let to_col = tables[to].column_index(&s.to_col)?;
    let condition = match &s.condition {
        Some((c, v)) => Some((tables[from].column_index(c)?, v.clone())),
        None => None,
    };
    Some(Resolved { spec: s, origin: *origin, from, from_col, to, to_col, condition })
}

fn add_relations(tables: &mut [Table], stripped: &[String], specs: &[(RelationSpec, RelOrigin)]) {
    let resolved: Vec<Resolved> = specs.iter().filter_map(|s| resolve(tables, stripped, s)).collect();
    let mut added: Vec<(usize, Relation)> = Vec::new();
    for r in &resolved {
        if r.condition.is_none() {
            let same_target =
                resolved.iter().filter(|o| o.from == r.from && o.to == r.to && o.condition.is_none()).count();
            let target_singular = singular(&tables[r.to].resource);
            let name = if same_target > 1 {
                format!("{}_{}", tables[r.from].columns[r.from_col].name, target_singular)
            } else {
                target_singular
            };
            added.push((
                r.from,
                Relation {
                    name,
                    kind: RelKind::BelongsTo,
                    origin: r.origin,
                    local_col: r.from_col,
                    target: r.to,
                    target_col: r.to_col,
                    condition: None,
                },
            ));
        }
        let same_source = resolved.iter().filter(|o| o.from == r.from && o.to == r.to).count();
        let source = &tables[r.from].resource;
        let name = match &r.spec.has_many_name {
            Some(n) => n.clone(),
            None if same_source > 1 => {
                format!("{}_by_{}", source, tables[r.from].columns[r.from_col].name)
            }
            None => source.clone(),
        };
        added.push((
            r.to,
            Relation {
                name,
                kind: RelKind::HasMany,
                origin: r.origin,
                local_col: r.to_col,
                target: r.from,
                target_col: r.from_col,
                condition: r.condition.clone(),
            },
        ));
    }
    for (table, mut rel) in added {
        let t = &tables[table];
        // A relation named like a column would shadow it in embedded output. The
        // one exception: a belongs-to named like its own key column (`contracts.client`
        // → `client`), where the embedded row carries that key anyway (SPEC §2).
        let own_key = rel.kind == RelKind::BelongsTo && t.columns[rel.local_col].name == rel.name;
        while (!own_key && t.column_index(&rel.name).is_some()) || t.relation(&rel.name).is_some() {
            rel.name.push_str("_rel");
        }
        tables[table].relations.push(rel);
    }
}

/// The singular of a resource name, for belongs-to relation names.
pub fn singular(name: &str) -> String {
    let irregular = [("staff", "staff"), ("leads_status", "leads_status"), ("tickets_status", "tickets_status")];
    if let Some((_, s)) = irregular.iter().find(|(p, _)| *p == name) {
        return s.to_string();
    }
    if let Some(stem) = name.strip_suffix("ies") {
        return format!("{stem}y");
    }
    for suffix in ["sses", "xes", "ches", "shes", "uses"] {
        if let Some(stem) = name.strip_suffix(suffix) {
            return format!("{stem}{}", &suffix[..suffix.len() - 2]);
        }
    }
    match name.strip_suffix('s') {
        Some(stem) if !stem.ends_with('s') && !stem.ends_with('u') && !stem.is_empty() => stem.to_string(),
        _ => name.to_string(),
    }
}
