//! From a GraphQL selection to the engine's request model, part of the GraphQL
//! front-end (`api/graphql/`). A root field's whole selection set (look-ahead)
//! becomes ONE [`ListRequest`]: `fields` = the selected columns, `nested` = the
//! selected relations, each an [`IncludeSpec`] with its own fields, filters and
//! alias. The planner then plans it once and the executor runs one query per
//! relation per level; child resolvers only read the embedded JSON. Errors are
//! [`PlanError`]s, so they read like REST's and map in one place (`errors.rs`).

use async_graphql::{SelectionField, Value};
use databuilder_engine::plan::PlanError;
use databuilder_engine::request::{CountMode, Filter, IncludeSpec, ListRequest, MAX_PER_PAGE, Op, parse_list_query};

use super::meta::{Meta, TableMeta};

/// Rows of a list when no `limit` is given.
pub const DEFAULT_LIMIT: i64 = 25;

/// One selected field with its arguments (variables already substituted).
#[derive(Debug, Clone, PartialEq)]
pub struct Sel {
    pub name: String,
    pub alias: Option<String>,
    pub args: Vec<(String, Value)>,
    pub children: Vec<Sel>,
}

impl Sel {
    /// The response key (alias, or name).
    pub fn key(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.name)
    }

    /// An argument, `None` when absent or null.
    pub fn arg(&self, name: &str) -> Option<&Value> {
        self.args.iter().find(|(n, _)| n == name).map(|(_, v)| v).filter(|v| !matches!(v, Value::Null))
    }

    /// The look-ahead of a resolver's field, `@skip`/`@include` on fields honoured.
    pub fn from_field(f: &SelectionField<'_>) -> async_graphql::Result<Sel> {
        let args = f.arguments()?.into_iter().map(|(n, v)| (n.to_string(), v)).collect();
        let mut children = Vec::new();
        for child in f.selection_set() {
            if included(&child)? {
                children.push(Sel::from_field(&child)?);
            }
        }
        Ok(Sel { name: f.name().to_string(), alias: f.alias().map(str::to_string), args, children })
    }
}

fn included(f: &SelectionField<'_>) -> async_graphql::Result<bool> {
    for d in f.directives()? {
        let cond = d.arguments.iter().find(|(n, _)| n.node == "if").map(|(_, v)| &v.node);
        match (d.name.node.as_str(), cond) {
            ("skip", Some(Value::Boolean(true))) | ("include", Some(Value::Boolean(false))) => return Ok(false),
            _ => {}
        }
    }
    Ok(true)
}

/// The page window of a list: the engine pages by number, GraphQL may also ask
/// for an `offset`; rows `skip..skip + take` of the fetched page are returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub page: u32,
    pub per_page: u32,
    pub skip: usize,
    pub take: usize,
}

fn int_arg(sel: &Sel, name: &str) -> Result<Option<i64>, PlanError> {
    match sel.arg(name) {
        None => Ok(None),
        Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| PlanError::param(name, "expected an integer")),
        Some(_) => Err(PlanError::param(name, "expected an integer")),
    }
}

/// `limit` (1..=500, default 25) with `offset` or `page`.
pub fn window(limit: Option<i64>, offset: Option<i64>, page: Option<i64>) -> Result<Window, PlanError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_PER_PAGE as i64).contains(&limit) {
        return Err(PlanError::param("limit", format!("must be between 1 and {MAX_PER_PAGE}")));
    }
    let take = limit as usize;
    match (offset, page) {
        (Some(_), Some(_)) => Err(PlanError::param("offset", "give `offset` or `page`, not both")),
        (None, Some(p)) if p < 1 || p > u32::MAX as i64 => Err(PlanError::param("page", "must be 1 or more")),
        (None, Some(p)) => Ok(Window { page: p as u32, per_page: limit as u32, skip: 0, take }),
        (None, None) => Ok(Window { page: 1, per_page: limit as u32, skip: 0, take }),
        (Some(o), None) if o < 0 => Err(PlanError::param("offset", "must be 0 or more")),
        (Some(o), None) => offset_window(o as u64, limit as u64)
            .ok_or_else(|| PlanError::param("offset", "use a multiple of `limit`, or `page`")),
    }
}

/// The smallest page size (up to 500) whose one page holds rows `offset..offset + limit`.
fn offset_window(offset: u64, limit: u64) -> Option<Window> {
    let per = (limit..=MAX_PER_PAGE as u64).find(|p| offset / p == (offset + limit - 1) / p)?;
    let page = u32::try_from(offset / per + 1).ok()?;
    Some(Window { page, per_page: per as u32, skip: (offset % per) as usize, take: limit as usize })
}

/// The request of a plural root field (`invoices(limit:, offset:, page:, sort:, filter:, or:)`).
pub fn list_request(meta: &Meta, t: &TableMeta, sel: &Sel) -> Result<(ListRequest, Window), PlanError> {
    let win = window(int_arg(sel, "limit")?, int_arg(sel, "offset")?, int_arg(sel, "page")?)?;
    let (fields, nested) = selection(meta, t, &sel.children)?;
    let req = ListRequest {
        fields: Some(fields),
        sort: sort(t, sel)?,
        filters: filters(t, sel.arg("filter"))?,
        or_group: or_group(t, sel)?,
        page: Some(win.page),
        per_page: Some(win.per_page),
        count: CountMode::None,
        nested,
        ..ListRequest::default()
    };
    Ok((req, win))
}

/// The request of a count field (`invoices_count(filter:, or:)`): one row and the total.
pub fn count_request(t: &TableMeta, sel: &Sel) -> Result<ListRequest, PlanError> {
    Ok(ListRequest {
        fields: Some(t.placeholder_column().map(str::to_string).into_iter().collect()),
        filters: filters(t, sel.arg("filter"))?,
        or_group: or_group(t, sel)?,
        per_page: Some(1),
        count: CountMode::Exact,
        ..ListRequest::default()
    })
}

/// Selected columns and relations of one level. Fields with the same response
/// key are merged (GraphQL merges them in the response too).
pub fn selection(meta: &Meta, t: &TableMeta, children: &[Sel]) -> Result<(Vec<String>, Vec<IncludeSpec>), PlanError> {
    let mut fields: Vec<String> = Vec::new();
    let mut nested: Vec<IncludeSpec> = Vec::new();
    for child in children {
        if let Some(c) = t.column(&child.name) {
            if !fields.contains(&c.column) {
                fields.push(c.column.clone());
            }
        } else if let Some(rel) = t.relation(&child.name) {
            let target = &meta.tables[rel.target];
            let (f, inc) = selection(meta, target, &child.children)?;
            let key = t.include_key(child.key());
            let spec = IncludeSpec {
                name: rel.relation.clone(),
                alias: (key != rel.relation).then_some(key),
                fields: Some(f),
                filters: filters(target, child.arg("filter"))?,
                include: inc,
            };
            merge(&mut nested, spec)?;
        }
    }
    if fields.is_empty()
        && let Some(c) = t.placeholder_column()
    {
        fields.push(c.to_string());
    }
    Ok((fields, nested))
}

fn merge(nested: &mut Vec<IncludeSpec>, spec: IncludeSpec) -> Result<(), PlanError> {
    let Some(prev) = nested.iter_mut().find(|s| s.output_name() == spec.output_name()) else {
        nested.push(spec);
        return Ok(());
    };
    if prev.name != spec.name || prev.filters != spec.filters {
        return Err(PlanError::param(spec.output_name(), "selected twice with different relations or filters"));
    }
    for f in spec.fields.unwrap_or_default() {
        let fields = prev.fields.get_or_insert_with(Vec::new);
        if !fields.contains(&f) {
            fields.push(f);
        }
    }
    for inc in spec.include {
        merge(&mut prev.include, inc)?;
    }
    Ok(())
}

/// `sort: "-total,date"` (column or field names).
fn sort(t: &TableMeta, sel: &Sel) -> Result<Vec<databuilder_engine::request::SortKey>, PlanError> {
    let Some(v) = sel.arg("sort") else {
        return Ok(Vec::new());
    };
    let Value::String(s) = v else {
        return Err(PlanError::param("sort", "expected a string like \"-total,date\""));
    };
    let q = form_urlencoded::Serializer::new(String::new()).append_pair("sort", s).finish();
    let mut keys = parse_list_query(&q)?.sort;
    for k in &mut keys {
        k.column = t.column_name(&k.column);
    }
    Ok(keys)
}

/// `or: [Filter]`: one OR group, each branch an AND of its filters.
fn or_group(t: &TableMeta, sel: &Sel) -> Result<Vec<Vec<Filter>>, PlanError> {
    match sel.arg("or") {
        None => Ok(Vec::new()),
        Some(Value::List(branches)) => branches.iter().map(|b| filters(t, Some(b))).collect(),
        Some(one) => Ok(vec![filters(t, Some(one))?]),
    }
}

/// The filters of a `filter` argument in any of its forms.
pub fn filters(t: &TableMeta, v: Option<&Value>) -> Result<Vec<Filter>, PlanError> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => string_form(t, s),
        Some(Value::List(items)) => {
            let mut out = Vec::new();
            for item in items {
                out.extend(filters(t, Some(item))?);
            }
            Ok(out)
        }
        Some(Value::Object(map)) => map.iter().map(|(k, v)| object_filter(t, k, v)).collect(),
        Some(_) => Err(PlanError::param("filter", "expected an object like {status: 2} or a string like \"status:2\"")),
    }
}

/// `"status:2"`, `"total.gte:1000"` — the REST string form, parsed by the REST grammar.
fn string_form(t: &TableMeta, s: &str) -> Result<Vec<Filter>, PlanError> {
    let q = form_urlencoded::Serializer::new(String::new()).append_pair("filter", s).finish();
    let mut out = parse_list_query(&q)?.filters;
    for f in &mut out {
        f.column = t.column_name(&f.column);
    }
    Ok(out)
}

/// One object entry: `column` (equality) or `column_op`.
fn object_filter(t: &TableMeta, key: &str, v: &Value) -> Result<Filter, PlanError> {
    let param = format!("filter.{key}");
    let (field, op) = split_key(t, key);
    let (op, value) = filter_value(op, v).map_err(|d| PlanError::param(&param, d))?;
    Ok(Filter { column: t.column_name(field), op, value })
}

/// `total_gte` → (`total`, gte); a field named exactly `key` wins over a suffix.
fn split_key<'k>(t: &TableMeta, key: &'k str) -> (&'k str, Op) {
    if t.column(key).is_some() {
        return (key, Op::Eq);
    }
    let mut ops = Op::ALL.to_vec();
    ops.sort_by_key(|(_, n)| std::cmp::Reverse(n.len()));
    for (op, name) in ops {
        if let Some(field) = key.strip_suffix(name).and_then(|k| k.strip_suffix('_'))
            && !field.is_empty()
        {
            return (field, op);
        }
    }
    (key, Op::Eq)
}

/// A filter value as the engine's text form, checked per operator.
fn filter_value(op: Op, v: &Value) -> Result<(Op, String), String> {
    match (op, v) {
        (Op::Eq, Value::Null) => Ok((Op::IsNull, "true".into())),
        (Op::Ne, Value::Null) => Ok((Op::IsNull, "false".into())),
        (Op::IsNull, Value::Boolean(b)) => Ok((op, b.to_string())),
        (Op::IsNull, Value::String(s)) if s == "true" || s == "false" => Ok((op, s.clone())),
        (Op::IsNull, _) => Err("expected true or false".into()),
        (Op::In | Op::NotIn | Op::Between, Value::List(items)) => {
            let parts: Vec<String> = items.iter().map(scalar_text).collect::<Result<_, _>>()?;
            check_list(op, parts.len())?;
            Ok((op, parts.join(",")))
        }
        (Op::In | Op::NotIn | Op::Between, Value::String(s)) => {
            check_list(op, s.split(',').count())?;
            Ok((op, s.clone()))
        }
        (_, v) => Ok((op, scalar_text(v)?)),
    }
}

fn check_list(op: Op, n: usize) -> Result<(), String> {
    match op {
        Op::Between if n != 2 => Err("expected two values [low, high]".into()),
        _ if n == 0 => Err("expected at least one value".into()),
        _ if n > 1000 => Err("at most 1000 values".into()),
        _ => Ok(()),
    }
}

fn scalar_text(v: &Value) -> Result<String, String> {
    match v {
        Value::Number(n) => Ok(n.to_string()),
        Value::String(s) => Ok(s.clone()),
        Value::Boolean(b) => Ok(b.to_string()),
        Value::Enum(e) => Ok(e.to_string()),
        Value::Null => Err("null is allowed only as `column: null` (is null) or `column_ne: null`".into()),
        _ => Err("expected a single value".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_and_page_windows() {
        assert_eq!(window(None, None, None).unwrap(), Window { page: 1, per_page: 25, skip: 0, take: 25 });
        assert_eq!(window(Some(10), None, Some(3)).unwrap(), Window { page: 3, per_page: 10, skip: 0, take: 10 });
        assert_eq!(window(Some(10), Some(20), None).unwrap(), Window { page: 3, per_page: 10, skip: 0, take: 10 });
        let w = window(Some(10), Some(5), None).unwrap();
        assert_eq!((w.page - 1) as usize * w.per_page as usize + w.skip, 5);
        assert!(w.skip + w.take <= w.per_page as usize);
        for (limit, offset) in [(7, 1001), (3, 98), (500, 0), (1, 123456), (250, 250)] {
            let w = window(Some(limit), Some(offset), None).unwrap();
            assert_eq!((w.page as i64 - 1) * w.per_page as i64 + w.skip as i64, offset, "{limit} {offset}");
            assert!(w.skip + w.take <= w.per_page as usize && w.per_page <= 500);
        }
        assert!(window(Some(0), None, None).is_err());
        assert!(window(Some(501), None, None).is_err());
        assert!(window(None, Some(1), Some(1)).is_err());
        assert!(window(None, Some(-1), None).is_err());
        assert!(window(None, None, Some(0)).is_err());
    }

    #[test]
    fn filter_values() {
        let v = |s: &str| Value::String(s.into());
        assert_eq!(filter_value(Op::Eq, &Value::Null).unwrap(), (Op::IsNull, "true".into()));
        assert_eq!(filter_value(Op::In, &Value::List(vec![Value::from(1), Value::from(4)])).unwrap().1, "1,4");
        assert!(filter_value(Op::Between, &Value::List(vec![Value::from(1)])).is_err());
        assert!(filter_value(Op::IsNull, &v("yes")).is_err());
        assert_eq!(filter_value(Op::Gte, &v("2026-05-01")).unwrap(), (Op::Gte, "2026-05-01".into()));
        assert!(filter_value(Op::Gt, &Value::List(vec![])).is_err());
    }
}
