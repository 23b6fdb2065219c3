//! `<plural>_aggregate(filter:, or:, group_by:, metrics:, having:, sort:, limit:,
//! total:)` root fields, part of the GraphQL front-end (`api/graphql/`). The
//! arguments become the engine's `AggregateRequest` and are planned and run by
//! the same code as REST `GET /{resource}/aggregate`, so the answer is the same
//! JSON object, under the same rules.

use std::sync::Arc;

use async_graphql::Value;
use async_graphql::dynamic::{Field, FieldFuture, FieldValue, InputValue, TypeRef};
use databuilder_engine::request::{CountMode, ListRequest};
use databuilder_engine::views::{self, AggregateRequest, MAX_AGGREGATE_ROWS};

use super::errors;
use super::meta::{Meta, TableMeta};
use super::resolve::Call;
use super::translate::{self, Sel};
use super::types::{self, to_gql};

/// The field `name` over table `i` of `meta`.
pub fn field(meta: Arc<Meta>, i: usize, name: &str) -> Field {
    let resource = meta.tables[i].resource.clone();
    let list = || TypeRef::named_nn_list(TypeRef::STRING);
    let f = Field::new(name, TypeRef::named(types::JSON), move |ctx| {
        let meta = meta.clone();
        FieldFuture::new(async move {
            let call = ctx.data::<Call>()?;
            let t = &meta.tables[i];
            let sel = Sel::from_field(&ctx.field())?;
            let req = request(t, &sel).map_err(errors::plan)?;
            let plan = views::plan_aggregate(call.ctx(), &t.resource, &req).map_err(errors::plan)?;
            let (_, _, body) =
                crate::api::aggregate::answer(&call.app.db, &call.catalog, &plan, &t.resource, req.wants_total())
                    .await
                    .map_err(errors::db)?;
            Ok(Some(FieldValue::value(to_gql(&body))))
        })
    })
    .argument(
        InputValue::new("group_by", list()).description("Columns and date buckets: [\"status\", \"month(date)\"]."),
    )
    .argument(
        InputValue::new("metrics", list())
            .description("count(*), count(col), count_distinct(col), sum, avg, min, max; default count(*)."),
    )
    .argument(
        InputValue::new("having", TypeRef::named(types::JSON))
            .description("Metric conditions: [\"sum(total).gt:0\"], or {\"sum(total).gt\": 0} from variables."),
    )
    .argument(InputValue::new("sort", TypeRef::named(TypeRef::STRING)).description("Labels: \"-sum(total),status\"."))
    .argument(
        InputValue::new("limit", TypeRef::named(TypeRef::INT))
            .description(format!("Rows, 1 to {MAX_AGGREGATE_ROWS} (100).")),
    )
    .argument(InputValue::new("total", TypeRef::named(TypeRef::BOOLEAN)).description("Add `meta.total`, the groups."));
    super::schema::filter_args(f).description(format!("Ad-hoc aggregates over `{resource}`: `{{data, meta}}` as JSON."))
}

/// A GraphQL column name inside `month(date)`, `sum(total)` or alone → the real column.
fn real(t: &TableMeta, expr: &str) -> String {
    match expr.trim().split_once('(') {
        Some((f, rest)) => match rest.strip_suffix(')') {
            Some(arg) if arg.trim() != "*" => format!("{}({})", f.trim(), t.column_name(arg.trim())),
            _ => expr.trim().to_string(),
        },
        None => t.column_name(expr.trim()),
    }
}

fn strings(sel: &Sel, name: &str) -> Result<Vec<String>, databuilder_engine::plan::PlanError> {
    match sel.arg(name) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::List(items)) => items.iter().map(|v| scalar(name, v)).collect(),
        Some(Value::String(s)) => Ok(views::split_list(s)),
        Some(_) => Err(databuilder_engine::plan::PlanError::param(name, "expected a list of strings")),
    }
}

fn scalar(name: &str, v: &Value) -> Result<String, databuilder_engine::plan::PlanError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Boolean(b) => Ok(b.to_string()),
        _ => Err(databuilder_engine::plan::PlanError::param(name, "expected a string or a number")),
    }
}

/// `"sum(total).gt:0"`, the REST `filter=col:v` string form for a metric.
fn having_string(t: &TableMeta, v: &Value) -> Result<(String, String), databuilder_engine::plan::PlanError> {
    let s = scalar("having", v)?;
    let (key, value) = s
        .rsplit_once(':')
        .ok_or_else(|| databuilder_engine::plan::PlanError::param("having", "expected `metric.op:value`"))?;
    Ok((real(t, key), value.to_string()))
}

/// The field's arguments as the engine's request.
fn request(t: &TableMeta, sel: &Sel) -> Result<AggregateRequest, databuilder_engine::plan::PlanError> {
    use databuilder_engine::plan::PlanError;
    let filters = translate::filters(t, sel.arg("filter"))?;
    let or_group = match sel.arg("or") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::List(branches)) => {
            branches.iter().map(|b| translate::filters(t, Some(b))).collect::<Result<_, _>>()?
        }
        Some(one) => vec![translate::filters(t, Some(one))?],
    };
    let having = match sel.arg("having") {
        None | Some(Value::Null) => Vec::new(),
        // From variables: `{"sum(total).gt": 0}` (GraphQL literals cannot spell such keys).
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| Ok((real(t, k.as_str()), scalar(&format!("having[{k}]"), v)?)))
            .collect::<Result<_, PlanError>>()?,
        Some(Value::List(items)) => items.iter().map(|v| having_string(t, v)).collect::<Result<_, _>>()?,
        Some(one @ Value::String(_)) => vec![having_string(t, one)?],
        Some(_) => return Err(PlanError::param("having", "expected [\"sum(total).gt:0\"] or an object")),
    };
    let limit =
        match sel.arg("limit") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => Some(n.as_u64().and_then(|n| u32::try_from(n).ok()).ok_or_else(|| {
                PlanError::param("limit", format!("must be an integer from 1 to {MAX_AGGREGATE_ROWS}"))
            })?),
            Some(_) => return Err(PlanError::param("limit", "expected an integer")),
        };
    let sort = match sel.arg("sort") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(
            s.split(',')
                .map(|k| match k.trim().strip_prefix('-') {
                    Some(l) => format!("-{}", real(t, l)),
                    None => real(t, k),
                })
                .collect::<Vec<_>>()
                .join(","),
        ),
        Some(_) => return Err(PlanError::param("sort", "expected a string")),
    };
    let total = matches!(sel.arg("total"), Some(Value::Boolean(true)));
    let base = ListRequest {
        filters,
        or_group,
        count: if total { CountMode::Exact } else { CountMode::None },
        ..ListRequest::default()
    };
    Ok(AggregateRequest {
        base,
        group_by: strings(sel, "group_by")?.iter().map(|g| real(t, g)).collect(),
        metrics: strings(sel, "metrics")?.iter().map(|m| real(t, m)).collect(),
        having,
        sort,
        limit,
    })
}
