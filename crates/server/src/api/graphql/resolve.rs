//! Resolvers, part of the GraphQL front-end (`api/graphql/`). Root fields plan
//! and run exactly like REST handlers (same planner, same executor, same
//! principal), so every scope, row filter, secret-column and sandbox rule holds
//! by construction. A root list translates its whole selection into one
//! `ListRequest` (see `translate.rs`); nested fields only read the JSON the
//! executor embedded in their parent — no SQL below the root.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_graphql::dynamic::{FieldFuture, FieldValue, ObjectAccessor, ResolverContext};
use async_graphql::{Error, Value};
use databuilder_engine::catalog::Catalog;
use databuilder_engine::exec::{self, Object as Row, WriteError};
use databuilder_engine::plan::{self, Ctx, PlanError};
use databuilder_engine::principal::Principal;
use databuilder_engine::request::MAX_PER_PAGE;
use serde_json::{Map, Value as J, json};

use super::errors;
use super::meta::{Meta, TableMeta};
use super::translate::{self, Sel};
use super::types::{to_gql, to_json};
use crate::app_state::Shared;

/// Per-request data every resolver reads: who asks, against which catalog snapshot.
pub struct Call {
    pub app: Shared,
    /// The snapshot the schema was built from (table indexes refer to it).
    pub catalog: Arc<Catalog>,
    pub principal: Arc<Principal>,
    /// Set when a mutation ran as a dry run (rolled back).
    pub dry_run: Arc<AtomicBool>,
}

impl Call {
    pub(super) fn ctx(&self) -> Ctx<'_> {
        self.app.ctx(&self.catalog, &self.principal)
    }
}

/// A resolver function, as async-graphql's dynamic `Field` takes it.
pub trait Resolver: for<'a> Fn(ResolverContext<'a>) -> FieldFuture<'a> + Send + Sync + 'static {}
impl<F: for<'a> Fn(ResolverContext<'a>) -> FieldFuture<'a> + Send + Sync + 'static> Resolver for F {}

fn fail<'a>(e: Error) -> FieldFuture<'a> {
    FieldFuture::new(async move { Err::<Option<FieldValue<'a>>, Error>(e) })
}

/// A column of the parent row.
pub fn column(name: String) -> impl Resolver {
    move |ctx| {
        let v = ctx.parent_value.downcast_ref::<Row>().and_then(|r| r.get(&name)).map(to_gql).unwrap_or(Value::Null);
        FieldFuture::from_value(Some(v))
    }
}

/// A relation embedded in the parent row by the executor (`limit` trims a list).
pub fn relation(meta: Arc<Meta>, table: usize, many: bool) -> impl Resolver {
    move |ctx| {
        let field = ctx.field();
        let key = meta.tables[table].include_key(field.alias().unwrap_or(field.name()));
        let parent: &FieldValue<'_> = ctx.parent_value;
        let value = parent.downcast_ref::<Row>().and_then(|r| r.get(&key));
        if !many {
            return FieldFuture::Value(value.and_then(J::as_object).map(|m| FieldValue::borrowed_any(m)));
        }
        let limit = match nested_limit(&ctx) {
            Ok(l) => l,
            Err(e) => return fail(e),
        };
        let items: Vec<FieldValue<'_>> = value
            .and_then(J::as_array)
            .map(|a| a.iter().filter_map(J::as_object).take(limit).map(|m| FieldValue::borrowed_any(m)).collect())
            .unwrap_or_default();
        FieldFuture::Value(Some(FieldValue::list(items)))
    }
}

fn nested_limit(ctx: &ResolverContext<'_>) -> async_graphql::Result<usize> {
    match ctx.args.get("limit").filter(|v| !v.is_null()).map(|v| v.i64()).transpose()? {
        None => Ok(usize::MAX),
        Some(n) if (1..=MAX_PER_PAGE as i64).contains(&n) => Ok(n as usize),
        Some(_) => Err(errors::plan(PlanError::param("limit", format!("must be between 1 and {MAX_PER_PAGE}")))),
    }
}

/// A plural root field: one plan, one run (one query per relation per level).
pub fn list(meta: Arc<Meta>, table: usize) -> impl Resolver {
    move |ctx| {
        let meta = meta.clone();
        FieldFuture::new(async move {
            let call = ctx.data::<Call>()?;
            let t = &meta.tables[table];
            let sel = Sel::from_field(&ctx.field())?;
            let (req, win) = translate::list_request(&meta, t, &sel).map_err(errors::plan)?;
            let plan = plan::plan_list(call.ctx(), &t.resource, &req).map_err(errors::plan)?;
            let page =
                exec::run_list(&call.app.db, &call.catalog, &plan, &call.app.cursor_key).await.map_err(errors::db)?;
            let rows = page.rows.into_iter().skip(win.skip).take(win.take).map(FieldValue::owned_any);
            Ok(Some(FieldValue::list(rows)))
        })
    }
}

/// A singular root field: the row by id, or null (missing, or outside the row filter).
pub fn one(meta: Arc<Meta>, table: usize) -> impl Resolver {
    move |ctx| {
        let meta = meta.clone();
        FieldFuture::new(async move {
            let call = ctx.data::<Call>()?;
            let t = &meta.tables[table];
            let id = id_arg(&ctx)?;
            let sel = Sel::from_field(&ctx.field())?;
            Ok(get(call, &meta, t, &id, &sel).await?.map(FieldValue::owned_any))
        })
    }
}

async fn get(call: &Call, meta: &Meta, t: &TableMeta, id: &str, sel: &Sel) -> async_graphql::Result<Option<Row>> {
    let (fields, nested) = translate::selection(meta, t, &sel.children).map_err(errors::plan)?;
    let node = match plan::plan_get(call.ctx(), &t.resource, id, Some(&fields), &nested) {
        Err(PlanError::NotFound { .. }) => return Ok(None),
        other => other.map_err(errors::plan)?,
    };
    Ok(exec::run_node(&call.app.db, &call.catalog, &node).await.map_err(errors::db)?.into_iter().next())
}

/// `<plural>_count(filter:, or:)`: the total the planner counts under the row filter.
pub fn count(meta: Arc<Meta>, table: usize) -> impl Resolver {
    move |ctx| {
        let meta = meta.clone();
        FieldFuture::new(async move {
            let call = ctx.data::<Call>()?;
            let t = &meta.tables[table];
            let req = translate::count_request(t, &Sel::from_field(&ctx.field())?).map_err(errors::plan)?;
            let plan = plan::plan_list(call.ctx(), &t.resource, &req).map_err(errors::plan)?;
            let page =
                exec::run_list(&call.app.db, &call.catalog, &plan, &call.app.cursor_key).await.map_err(errors::db)?;
            Ok(Some(FieldValue::value(page.total.unwrap_or(0))))
        })
    }
}

fn id_arg(ctx: &ResolverContext<'_>) -> async_graphql::Result<String> {
    match ctx.args.try_get("id")?.as_value() {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(errors::bad_argument("`id` must be a string or a number")),
    }
}

/// `dry_run: true` asks for a rolled-back write; the planner decides (sandbox
/// tokens always roll back).
fn dry_run(ctx: &ResolverContext<'_>) -> async_graphql::Result<bool> {
    Ok(ctx.args.get("dry_run").filter(|v| !v.is_null()).map(|v| v.boolean()).transpose()?.unwrap_or(false))
}

fn note_dry_run(call: &Call, dry: bool) {
    if dry {
        call.dry_run.store(true, Ordering::Relaxed);
    }
}

/// The `input` object with real column names, as the REST body would be.
fn input_row(t: &TableMeta, input: &ObjectAccessor<'_>) -> Map<String, J> {
    input.iter().map(|(name, v)| (t.column_name(name.as_str()), to_json(v.as_value()))).collect()
}

/// `createX(input:, dry_run:)`: planned and validated by `plan_create`, like `POST`.
pub fn create(meta: Arc<Meta>, table: usize) -> impl Resolver {
    move |ctx| {
        let meta = meta.clone();
        FieldFuture::new(async move {
            let call = ctx.data::<Call>()?;
            let t = &meta.tables[table];
            let row = input_row(t, &ctx.args.try_get("input")?.object()?);
            let plan =
                plan::plan_create(call.ctx(), &t.resource, &[row], false, dry_run(&ctx)?).map_err(errors::plan)?;
            let written = exec::run_create(&call.app.db, &call.catalog, &plan).await.map_err(errors::write)?;
            let dry = plan.rollback;
            note_dry_run(call, dry);
            let row = written.into_iter().next().unwrap_or_default();
            let row = with_relations(call, &meta, t, &Sel::from_field(&ctx.field())?, row, dry).await;
            Ok(Some(FieldValue::owned_any(row)))
        })
    }
}

/// `updateX(id:, input:, dry_run:)`: planned and validated by `plan_update`, like `PATCH`.
pub fn update(meta: Arc<Meta>, table: usize) -> impl Resolver {
    move |ctx| {
        let meta = meta.clone();
        FieldFuture::new(async move {
            let call = ctx.data::<Call>()?;
            let t = &meta.tables[table];
            let id = id_arg(&ctx)?;
            let body = input_row(t, &ctx.args.try_get("input")?.object()?);
            let plan = plan::plan_update(call.ctx(), &t.resource, &id, &body, dry_run(&ctx)?).map_err(errors::plan)?;
            let row = exec::run_update(&call.app.db, &call.catalog, &plan, None).await.map_err(errors::write)?;
            let dry = plan.rollback;
            note_dry_run(call, dry);
            let row = with_relations(call, &meta, t, &Sel::from_field(&ctx.field())?, row, dry).await;
            Ok(Some(FieldValue::owned_any(row)))
        })
    }
}

/// `deleteX(id:, dry_run:) { success message dry_run }`; a missing row is `success: false`.
pub fn delete(meta: Arc<Meta>, table: usize) -> impl Resolver {
    move |ctx| {
        let meta = meta.clone();
        FieldFuture::new(async move {
            let call = ctx.data::<Call>()?;
            let t = &meta.tables[table];
            let id = id_arg(&ctx)?;
            let asked = dry_run(&ctx)?;
            let dry = plan::rolls_back(call.ctx(), asked);
            let missing = format!("no row `{id}` in `{}`", t.resource);
            let plan = match plan::plan_delete(call.ctx(), &t.resource, &id, asked) {
                Err(PlanError::NotFound { .. }) => return Ok(Some(delete_result(false, &missing, dry))),
                other => other.map_err(errors::plan)?,
            };
            match exec::run_delete(&call.app.db, &call.catalog, &plan, None).await {
                Ok(_) => {
                    note_dry_run(call, dry);
                    let msg = if dry { "deleted (dry run: rolled back)" } else { "deleted" };
                    Ok(Some(delete_result(true, msg, dry)))
                }
                Err(WriteError::NotFound) => Ok(Some(delete_result(false, &missing, dry))),
                Err(e) => Err(errors::write(e)),
            }
        })
    }
}

fn delete_result(success: bool, message: &str, dry: bool) -> FieldValue<'static> {
    let row: Row = match json!({"success": success, "message": message, "dry_run": dry}) {
        J::Object(m) => m,
        _ => Row::new(),
    };
    FieldValue::owned_any(row)
}

/// A written row with its selected relations, read back through the planner once
/// committed. A dry run (or a token that may not read the table) answers the
/// written columns only; its relation fields are empty.
async fn with_relations(call: &Call, meta: &Meta, t: &TableMeta, sel: &Sel, row: Row, dry: bool) -> Row {
    let wants = sel.children.iter().any(|c| t.relation(&c.name).is_some());
    let pk = call.catalog.table(t.idx).single_pk().map(|p| call.catalog.table(t.idx).columns[p].name.clone());
    let id = pk.and_then(|pk| match row.get(&pk) {
        Some(J::Number(n)) => Some(n.to_string()),
        Some(J::String(s)) => Some(s.clone()),
        _ => None,
    });
    match id {
        Some(id) if wants && !dry => get(call, meta, t, &id, sel).await.ok().flatten().unwrap_or(row),
        _ => row,
    }
}

/// `params: {name: value}` as the query-string pairs views and reports take.
fn params(ctx: &ResolverContext<'_>) -> async_graphql::Result<Vec<(String, String)>> {
    let Some(v) = ctx.args.get("params") else { return Ok(Vec::new()) };
    match to_json(&v.as_value().clone()) {
        J::Object(m) => Ok(m
            .into_iter()
            .map(|(k, v)| match v {
                J::String(s) => (k, s),
                other => (k, other.to_string()),
            })
            .collect()),
        J::Null => Ok(Vec::new()),
        _ => Err(errors::bad_argument("`params` must be an object of parameter values")),
    }
}

/// `view_<slug>(params:, limit:, page:, sort:)`: the saved view for the caller,
/// narrowed like `GET /views/{slug}` (same planner, same grants).
pub fn view(meta: Arc<Meta>, i: usize) -> impl Resolver {
    move |ctx| {
        let meta = meta.clone();
        FieldFuture::new(async move {
            use databuilder_engine::request::{CountMode, ListRequest, parse_list_query};
            use databuilder_engine::views;
            let call = ctx.data::<Call>()?;
            let def = &meta.views[i];
            let args = params(&ctx)?;
            let int = |name: &str| {
                ctx.args.get(name).and_then(|v| v.i64().ok()).map(|n| n.clamp(1, MAX_PER_PAGE as i64) as u32)
            };
            let mut caller = match ctx.args.get("sort").and_then(|v| v.string().ok().map(str::to_string)) {
                Some(s) => {
                    parse_list_query(&form_urlencoded::Serializer::new(String::new()).append_pair("sort", &s).finish())
                        .map_err(|e| errors::plan(e.into()))?
                }
                None => ListRequest::default(),
            };
            caller.per_page = int("limit");
            caller.page = int("page");
            caller.count = CountMode::None;
            let plan = views::plan_view(call.ctx(), def, &args, &caller).map_err(errors::plan)?;
            let page =
                exec::run_list(&call.app.db, &call.catalog, &plan, &call.app.cursor_key).await.map_err(errors::db)?;
            Ok(Some(FieldValue::value(to_gql(&J::Array(page.rows.into_iter().map(J::Object).collect())))))
        })
    }
}

/// `report_<slug>(params:)`: the report for the caller, as `GET /reports/{slug}` answers it.
pub fn report(meta: Arc<Meta>, i: usize) -> impl Resolver {
    move |ctx| {
        let meta = meta.clone();
        FieldFuture::new(async move {
            let call = ctx.data::<Call>()?;
            let args = params(&ctx)?;
            let out = crate::api::views::run_report(&call.app, &call.principal, &meta.reports[i].slug, &args, true)
                .await
                .map_err(errors::problem)?;
            Ok(Some(FieldValue::value(to_gql(&out))))
        })
    }
}
