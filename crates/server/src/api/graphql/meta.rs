//! What one token's GraphQL schema contains, part of the GraphQL front-end
//! (`api/graphql/`). Built from the catalog with the planner's own permission
//! checks (`permissions::check_table`, `column_visible`), so a table the token
//! may not read, a sensitive table, a secret or out-of-list column simply does
//! not exist in its schema. `schema.rs` turns this into async-graphql types;
//! `translate.rs` and `limits.rs` read it to map fields back to columns and
//! relations. Nothing here depends on row filters: those are applied per request
//! by the planner, so tokens that differ only in row filters share a schema.

use std::collections::HashSet;

use databuilder_engine::catalog::{ColumnKind, Dialect, RelKind};
use databuilder_engine::plan::{Action, Ctx, permissions};

use super::names::{self, Names};
use super::types::{self, RESERVED_TYPES};

/// A column as a GraphQL field.
#[derive(Debug, Clone)]
pub struct ColumnMeta {
    /// GraphQL field name (sanitized).
    pub field: String,
    /// Real column name (the key in executor rows).
    pub column: String,
    pub kind: ColumnKind,
    /// Held in 64 bits (`BigInt`).
    pub big: bool,
    pub non_null: bool,
    /// Part of the create input (not generated, not an auto-increment key).
    pub create: bool,
    /// Part of the update input (not generated, not the key).
    pub update: bool,
}

/// A relation as a nested GraphQL field.
#[derive(Debug, Clone)]
pub struct RelMeta {
    pub field: String,
    /// The catalog relation name (`IncludeSpec.name`).
    pub relation: String,
    /// Index of the target in [`Meta::tables`].
    pub target: usize,
    /// Has-many (a list) or belongs-to (one object).
    pub many: bool,
}

/// A table the token may read or write.
#[derive(Debug, Clone)]
pub struct TableMeta {
    /// Catalog table index.
    pub idx: usize,
    pub resource: String,
    pub type_name: String,
    /// `Invoice` in `createInvoice`.
    pub pascal: String,
    pub readable: bool,
    pub create: bool,
    pub update: bool,
    pub delete: bool,
    /// Addressable by id (a single-column primary key).
    pub by_id: bool,
    pub columns: Vec<ColumnMeta>,
    pub relations: Vec<RelMeta>,
    /// Every real column name (visible or not), so include keys never collide with one.
    all_columns: HashSet<String>,
}

impl TableMeta {
    /// A column field by GraphQL name.
    pub fn column(&self, field: &str) -> Option<&ColumnMeta> {
        self.columns.iter().find(|c| c.field == field)
    }

    /// A relation field by GraphQL name.
    pub fn relation(&self, field: &str) -> Option<&RelMeta> {
        self.relations.iter().find(|r| r.field == field)
    }

    /// The real column behind a name given as a GraphQL field or as a column name.
    pub fn column_name(&self, name: &str) -> String {
        self.column(name).map(|c| c.column.clone()).unwrap_or_else(|| name.to_string())
    }

    /// The key an include is embedded under for a response key: the response key,
    /// moved aside (`@rel`, never a GraphQL name) while it equals a column name.
    pub fn include_key(&self, response_key: &str) -> String {
        let mut key = response_key.to_string();
        while self.all_columns.contains(&key) {
            key.push_str("@rel");
        }
        key
    }

    /// The column selected when a selection names no column (only relations or `__typename`).
    pub fn placeholder_column(&self) -> Option<&str> {
        self.columns.first().map(|c| c.column.as_str())
    }
}

/// A root field and what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Root {
    List(usize),
    One(usize),
    Count(usize),
    Create(usize),
    Update(usize),
    Delete(usize),
    /// `view_<slug>`: index into [`Meta::views`].
    View(usize),
    /// `report_<slug>`: index into [`Meta::reports`].
    Report(usize),
    /// `<plural>_aggregate`: ad-hoc aggregates over a table.
    Aggregate(usize),
}

/// The whole per-token model.
#[derive(Debug, Clone)]
pub struct Meta {
    pub tables: Vec<TableMeta>,
    /// Query root fields, in schema order.
    pub query: Vec<(String, Root)>,
    /// Mutation root fields, in schema order.
    pub mutation: Vec<(String, Root)>,
    /// Admin and sandbox tokens may introspect.
    pub introspection: bool,
    /// Lower-case names of what this token may not see (error texts must not carry them).
    pub hidden: HashSet<String>,
    /// Saved views this token may read (root fields `view_<slug>`).
    pub views: Vec<databuilder_engine::views::ViewDef>,
    /// Reports this token may run (root fields `report_<slug>`).
    pub reports: Vec<databuilder_engine::views::ReportDef>,
}

impl Meta {
    /// What the principal of `ctx` sees in the catalog of `ctx`.
    pub fn build(ctx: Ctx<'_>) -> Meta {
        let mut tables = exposed_tables(ctx);
        let positions: Vec<Option<usize>> =
            (0..ctx.catalog.tables.len()).map(|i| tables.iter().position(|t| t.idx == i && t.readable)).collect();
        for t in &mut tables {
            t.relations = relations(ctx, t, &positions);
        }
        let query = query_roots(&tables);
        let mutation = mutation_roots(&tables);
        let p = &ctx.principal.policy;
        let mut meta = Meta {
            tables,
            query,
            mutation,
            introspection: p.admin || p.sandbox,
            hidden: HashSet::new(),
            views: Vec::new(),
            reports: Vec::new(),
        };
        meta.hidden = hidden_names(ctx, &meta);
        meta
    }

    /// Add the saved views and reports the principal may read as root fields
    /// (`view_<slug>`, `report_<slug>`; names sanitized, clashes skipped).
    pub fn with_definitions(mut self, ctx: Ctx<'_>, defs: &crate::app_state::Definitions) -> Meta {
        use databuilder_engine::views::view_principal;
        let mut taken: HashSet<String> = self.query.iter().map(|(n, _)| n.clone()).collect();
        for v in &defs.views {
            let name = names::sanitize(&format!("view_{}", v.slug));
            // A definition the schema no longer supports is left out (`api/broken.rs`).
            let fits = crate::api::broken::view(ctx.catalog, v).is_none();
            if fits && view_principal(ctx.catalog, ctx.principal, v, true).is_ok() && taken.insert(name.clone()) {
                self.query.push((name, Root::View(self.views.len())));
                self.views.push(v.clone());
            }
        }
        if ctx.principal.policy.may_use_definitions() {
            for r in &defs.reports {
                let name = names::sanitize(&format!("report_{}", r.slug));
                let over = r.view.as_ref().and_then(|s| defs.views.iter().find(|v| &v.slug == s));
                let fits = crate::api::broken::check_report(ctx.catalog, r, over).is_ok();
                if fits && taken.insert(name.clone()) {
                    self.query.push((name, Root::Report(self.reports.len())));
                    self.reports.push(r.clone());
                }
            }
        }
        self
    }

    /// A root field by name (`mutation` selects the mutation root).
    pub fn root(&self, mutation: bool, name: &str) -> Option<Root> {
        let roots = if mutation { &self.mutation } else { &self.query };
        roots.iter().find(|(n, _)| n == name).map(|(_, r)| *r)
    }

    /// A table type by GraphQL type name.
    pub fn by_type(&self, type_name: &str) -> Option<usize> {
        self.tables.iter().position(|t| t.type_name == type_name)
    }
}

/// Tables the token may read or write, with their type names and columns.
fn exposed_tables(ctx: Ctx<'_>) -> Vec<TableMeta> {
    let mut type_names = Names::with(RESERVED_TYPES);
    let mut out = Vec::new();
    for (idx, t) in ctx.catalog.tables.iter().enumerate() {
        let can = |a| permissions::check_table(ctx, idx, a).is_ok();
        let (readable, create, update, delete) =
            (can(Action::Read), can(Action::Create), can(Action::Update), can(Action::Delete));
        if !(readable || create || update || delete) {
            continue;
        }
        let columns = columns(ctx, idx);
        if columns.is_empty() {
            continue;
        }
        let pascal = names::pascal(&databuilder_engine::catalog::singular(&t.resource));
        let Some(type_name) = type_name(&mut type_names, &pascal, &t.resource) else {
            continue;
        };
        out.push(TableMeta {
            idx,
            resource: t.resource.clone(),
            type_name,
            pascal,
            readable,
            create,
            update,
            delete,
            by_id: t.single_pk().is_some(),
            columns,
            relations: Vec::new(),
            all_columns: t.columns.iter().map(|c| c.name.clone()).collect(),
        });
    }
    out
}

/// The first free type name (with its two input names free too), or none: skipped.
fn type_name(used: &mut Names, pascal: &str, resource: &str) -> Option<String> {
    let base = names::pascal(resource);
    let candidates = [pascal.to_string(), base.clone(), format!("{base}Row"), format!("{base}Table")];
    for c in candidates {
        let all = [c.clone(), format!("{c}CreateInput"), format!("{c}UpdateInput")];
        if all.iter().all(|n| !used.taken(n)) {
            for n in &all {
                used.claim(n);
            }
            return Some(c);
        }
    }
    None
}

/// The visible columns of a table as fields, in table order. Names that are valid
/// GraphQL already are claimed first, so a sanitized name (`unit price` →
/// `unit_price`) never displaces a real one; a sanitized name that clashes is skipped.
fn columns(ctx: Ctx<'_>, idx: usize) -> Vec<ColumnMeta> {
    let t = ctx.catalog.table(idx);
    let visible = permissions::visible_columns(ctx, t);
    let mut fields = Names::default();
    let mut named: Vec<(usize, String)> = Vec::new();
    for valid in [true, false] {
        for &i in &visible {
            let field = names::sanitize(&t.columns[i].name);
            if (field == t.columns[i].name) == valid && fields.claim(&field) {
                named.push((i, field));
            }
        }
    }
    named.sort_by_key(|(i, _)| *i);
    named.into_iter().map(|(i, field)| column_meta(ctx, idx, i, field)).collect()
}

fn column_meta(ctx: Ctx<'_>, idx: usize, i: usize, field: String) -> ColumnMeta {
    let t = ctx.catalog.table(idx);
    let c = &t.columns[i];
    let pk = t.primary_key.contains(&i);
    // MySQL answers zero dates (`0000-00-00`) as null even in NOT NULL columns.
    let zero_date = ctx.catalog.dialect == Dialect::MySql && matches!(c.kind, ColumnKind::Date | ColumnKind::DateTime);
    ColumnMeta {
        field,
        column: c.name.clone(),
        kind: c.kind,
        big: types::is_64bit(&c.sql_type),
        non_null: !c.nullable && !zero_date,
        create: !(c.generated || (pk && c.auto_increment)),
        update: !c.generated && !pk,
    }
}

/// Relations to readable tables, named after the relation (`_rel` on a clash with a column).
fn relations(ctx: Ctx<'_>, t: &TableMeta, positions: &[Option<usize>]) -> Vec<RelMeta> {
    let table = ctx.catalog.table(t.idx);
    let mut fields = Names::default();
    for c in &t.columns {
        fields.claim(&c.field);
    }
    let mut out = Vec::new();
    for rel in &table.relations {
        let Some(target) = positions.get(rel.target).copied().flatten() else {
            continue;
        };
        let mut field = names::sanitize(&rel.name);
        if fields.taken(&field) {
            field.push_str("_rel");
        }
        if !fields.claim(&field) {
            continue;
        }
        out.push(RelMeta { field, relation: rel.name.clone(), target, many: rel.kind == RelKind::HasMany });
    }
    out
}

/// Plural lists first, then get-by-id fields, counts and aggregates; a clash is skipped.
fn query_roots(tables: &[TableMeta]) -> Vec<(String, Root)> {
    let mut used = Names::with(&["_empty"]);
    let mut out = Vec::new();
    let readable = || tables.iter().enumerate().filter(|(_, t)| t.readable);
    for (i, t) in readable() {
        push_root(&mut out, &mut used, names::plural(&t.resource), Root::List(i));
    }
    for (i, t) in readable().filter(|(_, t)| t.by_id) {
        push_root(&mut out, &mut used, names::singular_field(&t.resource), Root::One(i));
    }
    for (i, t) in readable() {
        push_root(&mut out, &mut used, format!("{}_count", names::plural(&t.resource)), Root::Count(i));
    }
    for (i, t) in readable() {
        push_root(&mut out, &mut used, format!("{}_aggregate", names::plural(&t.resource)), Root::Aggregate(i));
    }
    out
}

/// `createX`, `updateX`, `deleteX` for what the token may write.
fn mutation_roots(tables: &[TableMeta]) -> Vec<(String, Root)> {
    let mut used = Names::default();
    let mut out = Vec::new();
    for (i, t) in tables.iter().enumerate() {
        if t.create && t.columns.iter().any(|c| c.create) {
            push_root(&mut out, &mut used, format!("create{}", t.pascal), Root::Create(i));
        }
        if t.update && t.by_id && t.columns.iter().any(|c| c.update) {
            push_root(&mut out, &mut used, format!("update{}", t.pascal), Root::Update(i));
        }
        if t.delete && t.by_id {
            push_root(&mut out, &mut used, format!("delete{}", t.pascal), Root::Delete(i));
        }
    }
    out
}

fn push_root(out: &mut Vec<(String, Root)>, used: &mut Names, name: String, root: Root) {
    if used.claim(&name) {
        out.push((name, root));
    }
}

/// Names of unreadable tables and of relations into them, minus anything visible.
fn hidden_names(ctx: Ctx<'_>, meta: &Meta) -> HashSet<String> {
    let mut hidden = HashSet::new();
    let readable = |idx: usize| meta.tables.iter().any(|m| m.idx == idx && m.readable);
    for (idx, t) in ctx.catalog.tables.iter().enumerate() {
        if readable(idx) {
            continue;
        }
        let one = databuilder_engine::catalog::singular(&t.resource);
        for n in [
            t.resource.clone(),
            t.name.clone(),
            names::plural(&t.resource),
            names::singular_field(&t.resource),
            names::pascal(&one),
            names::pascal(&t.resource),
        ] {
            hidden.insert(n.to_ascii_lowercase());
        }
    }
    for m in &meta.tables {
        for rel in &ctx.catalog.table(m.idx).relations {
            if !readable(rel.target) {
                hidden.insert(rel.name.to_ascii_lowercase());
                hidden.insert(names::sanitize(&rel.name).to_ascii_lowercase());
            }
        }
    }
    for visible in visible_names(meta) {
        hidden.remove(&visible.to_ascii_lowercase());
    }
    hidden
}

/// Every name the token's schema shows.
fn visible_names(meta: &Meta) -> Vec<String> {
    let mut out: Vec<String> = meta.query.iter().chain(&meta.mutation).map(|(n, _)| n.clone()).collect();
    for t in &meta.tables {
        out.extend([t.type_name.clone(), t.resource.clone(), t.pascal.clone()]);
        out.extend(t.columns.iter().flat_map(|c| [c.field.clone(), c.column.clone()]));
        out.extend(t.relations.iter().flat_map(|r| [r.field.clone(), r.relation.clone()]));
    }
    out
}
