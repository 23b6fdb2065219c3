//! What one token may do, computed once from the catalog, the planner's
//! permission checks and the saved definitions. The OpenAPI document and the
//! Postman collection are both renderings of a [`Surface`], so neither can
//! promise more (or less) than the other, or than the API grants.

use databuilder_engine::catalog::{Catalog, Table};
use databuilder_engine::plan::{Action, Ctx, permissions};
use databuilder_engine::principal::Principal;
use databuilder_engine::views::{self, GroupDef, ParamDef, ReportDef, ViewDef};

/// A list endpoint's shape: a resource, or a view over one.
#[derive(Debug, Clone)]
pub struct ListShape {
    pub table: usize,
    /// Columns that may be named in `fields`, `sort` and filters, in table order.
    pub columns: Vec<usize>,
    /// Relations `include` may name (their targets are readable).
    pub includes: Vec<String>,
    /// Whether `since` applies (the table has a timestamp column).
    pub since: bool,
}

/// One resource the token may touch.
#[derive(Debug, Clone)]
pub struct Resource {
    pub shape: ListShape,
    pub read: bool,
    pub create: bool,
    pub update: bool,
    pub delete: bool,
    /// Columns a write may set (visible, not generated; the primary key only
    /// when it is not auto-increment, and only on create).
    pub writable: Vec<usize>,
    /// Columns a create must give (not null, no default, not filled by the row filter).
    pub required: Vec<usize>,
    /// The single primary-key column, when rows are addressable by id.
    pub pk: Option<usize>,
}

/// A view the token may read.
#[derive(Debug, Clone)]
pub struct View {
    pub def: ViewDef,
    pub shape: ListShape,
}

/// Everything one token may do.
#[derive(Debug, Clone)]
pub struct Surface<'c> {
    pub catalog: &'c Catalog,
    pub resources: Vec<Resource>,
    pub views: Vec<View>,
    /// `None` without the `views` scope (the definition routes answer 403).
    pub reports: Option<Vec<ReportDef>>,
    pub groups: Vec<GroupDef>,
    pub admin: bool,
}

impl<'c> Surface<'c> {
    pub fn table(&self, idx: usize) -> &'c Table {
        self.catalog.table(idx)
    }

    pub fn definitions(&self) -> bool {
        self.reports.is_some()
    }
}

fn shape(ctx: Ctx<'_>, idx: usize, fields: Option<&[String]>, includes: Option<&[String]>) -> ListShape {
    let t = ctx.catalog.table(idx);
    let columns = permissions::visible_columns(ctx, t)
        .into_iter()
        .filter(|&i| fields.is_none_or(|f| f.iter().any(|n| n == &t.columns[i].name)))
        .collect();
    let includes = t
        .relations
        .iter()
        .filter(|r| permissions::check_table(ctx, r.target, Action::Read).is_ok())
        .filter(|r| includes.is_none_or(|inc| inc.iter().any(|p| p.split('.').next() == Some(r.name.as_str()))))
        .map(|r| r.name.clone())
        .collect();
    ListShape { table: idx, columns, includes, since: t.timestamp_col.is_some() }
}

fn resource(ctx: Ctx<'_>, idx: usize) -> Option<Resource> {
    let can = |a| permissions::check_table(ctx, idx, a).is_ok();
    let (read, create, update, delete) =
        (can(Action::Read), can(Action::Create), can(Action::Update), can(Action::Delete));
    if !(read || create || update || delete) {
        return None;
    }
    let t = ctx.catalog.table(idx);
    let shape = shape(ctx, idx, None, None);
    let filtered: Vec<&str> = ctx.principal.row_filter(&t.resource).iter().map(|(c, _)| c.as_str()).collect();
    let writable: Vec<usize> = shape
        .columns
        .iter()
        .copied()
        .filter(|&i| {
            let c = &t.columns[i];
            let auto_key = t.primary_key.contains(&i) && c.auto_increment;
            !(c.generated || auto_key || filtered.contains(&c.name.as_str()))
        })
        .collect();
    let required = t
        .columns
        .iter()
        .enumerate()
        .filter(|(i, c)| {
            !c.nullable
                && c.default.is_none()
                && !c.auto_increment
                && !c.generated
                && !c.secret
                && shape.columns.contains(i)
        })
        .filter(|(_, c)| !filtered.contains(&c.name.as_str()))
        .map(|(i, _)| i)
        .collect();
    Some(Resource { shape, read, create, update, delete, writable, required, pk: t.single_pk() })
}

/// A sample value for a declared parameter, to find out whether a report plans.
fn sample(p: &ParamDef) -> &'static str {
    match p.kind.as_str() {
        "int" | "decimal" => "1",
        "date" => "2024-01-01",
        "datetime" => "2024-01-01T00:00:00",
        "bool" => "true",
        _ => "x",
    }
}

fn report_plans(catalog: &Catalog, caller: &Principal, cursor_key: &[u8], def: &ReportDef, all: &[ViewDef]) -> bool {
    let view = match &def.view {
        Some(v) => match all.iter().find(|d| &d.slug == v) {
            Some(d) => Some(d.clone()),
            None => return false,
        },
        None => None,
    };
    let base = view.clone().unwrap_or_else(|| ViewDef {
        slug: def.slug.clone(),
        name: def.name.clone(),
        resource: def.resource.clone().unwrap_or_default(),
        fields: None,
        include: Vec::new(),
        sort: None,
        filter: Default::default(),
        params: Default::default(),
    });
    let Ok(principal) = views::view_principal(catalog, caller, &base, false) else { return false };
    let args: Vec<(String, String)> = def
        .params
        .iter()
        .chain(view.iter().flat_map(|v| v.params.iter()))
        .filter(|(_, p)| p.required)
        .map(|(n, p)| (n.clone(), sample(p).to_string()))
        .collect();
    let ctx = Ctx { catalog, principal: &principal, cursor_key };
    views::plan_report(ctx, def, view.as_ref(), &args).is_ok()
}

/// The surface of `caller`, given every saved definition.
pub fn surface<'c>(
    ctx: Ctx<'c>,
    all_views: &[ViewDef],
    all_reports: &[ReportDef],
    all_groups: &[GroupDef],
) -> Surface<'c> {
    let catalog = ctx.catalog;
    let caller = ctx.principal;
    let resources = (0..catalog.tables.len()).filter_map(|i| resource(ctx, i)).collect();
    let may = caller.policy.may_use_definitions();
    let views = all_views
        .iter()
        .filter_map(|v| {
            let principal = views::view_principal(catalog, caller, v, true).ok()?;
            let vctx = Ctx { catalog, principal: &principal, cursor_key: ctx.cursor_key };
            let idx = catalog.resource(&v.resource)?;
            permissions::check_table(vctx, idx, Action::Read).ok()?;
            let shape = shape(vctx, idx, v.fields.as_deref(), Some(&v.include));
            Some(View { def: v.clone(), shape })
        })
        .collect();
    let reports: Option<Vec<ReportDef>> = may.then(|| {
        all_reports.iter().filter(|r| report_plans(catalog, caller, ctx.cursor_key, r, all_views)).cloned().collect()
    });
    let groups = match &reports {
        Some(ok) => {
            all_groups.iter().filter(|g| g.reports.iter().all(|s| ok.iter().any(|r| &r.slug == s))).cloned().collect()
        }
        None => Vec::new(),
    };
    Surface { catalog, resources, views, reports, groups, admin: caller.policy.admin }
}
