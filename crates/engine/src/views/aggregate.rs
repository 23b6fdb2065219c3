//! Ad-hoc aggregates (SPEC §3, REST `GET /{resource}/aggregate`, GraphQL
//! `<plural>_aggregate`): a report without a saved definition. It is planned by
//! the same code as a report ([`super::report::plan_shape`]) but for the caller
//! itself — no views grant — so it needs read on the resource and on every
//! column it names, exactly like a list.

use super::report::{Shape, plan_shape};
use crate::plan::ReportPlan;
use crate::plan::{Ctx, PlanError};
use crate::request::{ListRequest, Op};

/// Most `group_by` keys.
pub const MAX_GROUP_KEYS: usize = 8;
/// Most metrics.
pub const MAX_METRICS: usize = 20;
/// Rows when `limit` is not given, and the most `limit` may ask for.
pub const DEFAULT_AGGREGATE_ROWS: u32 = 100;
pub const MAX_AGGREGATE_ROWS: u32 = 1000;

/// An ad-hoc aggregate as its front end parsed it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AggregateRequest {
    /// Its `filters` and `or_group` restrict the rows (the list filters).
    pub base: ListRequest,
    pub group_by: Vec<String>,
    /// Empty means `count(*)`.
    pub metrics: Vec<String>,
    /// `having[sum(total).gt]=0` as (`sum(total).gt`, `0`).
    pub having: Vec<(String, String)>,
    /// `-sum(total),status`: groups and metrics by label.
    pub sort: Option<String>,
    pub limit: Option<u32>,
}

/// Split `status,month(date)` at the commas outside parentheses.
pub fn split_list(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut depth, mut cur) = (0i32, String::new());
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut cur).trim().to_string());
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur.trim().to_string());
    out.retain(|x| !x.is_empty());
    out
}

impl AggregateRequest {
    /// From a REST query string: the list filters plus `group_by`, `metrics`,
    /// `having[…]`, `sort`, `limit` (and `count`, `format`, left in `base`).
    /// Anything else is a 400 naming it.
    pub fn from_query(query: &str) -> Result<AggregateRequest, PlanError> {
        let mut base = crate::request::parse_list_query(query)?;
        let mut out = AggregateRequest::default();
        let mut seen: Vec<String> = Vec::new();
        for (k, v) in std::mem::take(&mut base.extra) {
            if let Some(inner) = k.strip_prefix("having[").and_then(|r| r.strip_suffix(']')) {
                out.having.push((inner.to_string(), v));
                continue;
            }
            if ["group_by", "metrics", "limit"].contains(&k.as_str()) {
                if seen.contains(&k) {
                    return Err(PlanError::param(k, "given more than once"));
                }
                seen.push(k.clone());
            }
            match k.as_str() {
                "group_by" => out.group_by = split_list(&v),
                "metrics" => out.metrics = split_list(&v),
                "limit" => {
                    out.limit = Some(v.parse().map_err(|_| {
                        PlanError::param("limit", format!("must be an integer from 1 to {MAX_AGGREGATE_ROWS}"))
                    })?)
                }
                "token" => {}
                _ => return Err(PlanError::param(k, "unknown parameter")),
            }
        }
        for (given, name) in [
            (base.fields.is_some(), "fields"),
            (!base.include.is_empty(), "include"),
            (base.page.is_some(), "page"),
            (base.per_page.is_some(), "per_page"),
            (base.cursor.is_some(), "cursor"),
            (base.since.is_some(), "since"),
        ] {
            if given {
                return Err(PlanError::param(name, "not a parameter of aggregates (use group_by, metrics, limit)"));
            }
        }
        if !base.sort.is_empty() {
            let keys: Vec<String> =
                base.sort.iter().map(|k| format!("{}{}", if k.desc { "-" } else { "" }, k.column)).collect();
            out.sort = Some(keys.join(","));
            base.sort.clear();
        }
        // An explicit `count=exact` asks for the number of groups; the list default does not.
        if !query.split('&').any(|p| p == "count=exact") {
            base.count = crate::request::CountMode::None;
        }
        out.base = base;
        Ok(out)
    }

    /// Whether the caller asked for `meta.total` (the number of groups; one more statement).
    pub fn wants_total(&self) -> bool {
        self.base.count == crate::request::CountMode::Exact
    }
}

/// Plan `req` over `resource` for the caller.
pub fn plan_aggregate(ctx: Ctx<'_>, resource: &str, req: &AggregateRequest) -> Result<ReportPlan, PlanError> {
    if req.group_by.len() > MAX_GROUP_KEYS {
        return Err(PlanError::param("group_by", format!("at most {MAX_GROUP_KEYS} keys")));
    }
    if req.metrics.len() > MAX_METRICS {
        return Err(PlanError::param("metrics", format!("at most {MAX_METRICS} metrics")));
    }
    let limit = req.limit.unwrap_or(DEFAULT_AGGREGATE_ROWS);
    if !(1..=MAX_AGGREGATE_ROWS).contains(&limit) {
        return Err(PlanError::param("limit", format!("must be an integer from 1 to {MAX_AGGREGATE_ROWS}")));
    }
    let dup = req.group_by.iter().enumerate().find(|(i, g)| req.group_by[..*i].contains(g));
    if let Some((_, g)) = dup {
        return Err(PlanError::param("group_by", format!("`{g}` is given twice")));
    }
    let count_all = ["count(*)".to_string()];
    let metrics: &[String] = if req.metrics.is_empty() { &count_all } else { &req.metrics };
    if let Some((_, m)) = metrics.iter().enumerate().find(|(i, m)| metrics[..*i].contains(m)) {
        return Err(PlanError::param("metrics", format!("`{m}` is given twice")));
    }
    for (key, _) in &req.having {
        // The `having` operators are the comparisons; name the parameter as written.
        if let Some((_, op)) = key.rsplit_once('.')
            && Op::from_name(op).is_none()
        {
            return Err(PlanError::param(format!("having[{key}]"), format!("unknown operator `{op}`")));
        }
    }
    let shape = Shape { group_by: &req.group_by, metrics, having: &req.having, sort: req.sort.as_deref() };
    let mut plan = plan_shape(ctx, resource, req.base.clone(), &shape)?;
    plan.limit = Some(limit as u64);
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_split_outside_parentheses() {
        assert_eq!(split_list("status, month(date),count(*)"), ["status", "month(date)", "count(*)"]);
        assert_eq!(split_list(""), Vec::<String>::new());
    }

    #[test]
    fn query_parameters() {
        let r = AggregateRequest::from_query(
            "group_by=status,month(date)&metrics=count(*),sum(total)&having[sum(total).gt]=0&sort=-sum(total)&limit=5&filter[clientid]=3",
        )
        .unwrap();
        assert_eq!(r.group_by, ["status", "month(date)"]);
        assert_eq!(r.metrics, ["count(*)", "sum(total)"]);
        assert_eq!(r.having, [("sum(total).gt".to_string(), "0".to_string())]);
        assert_eq!(r.sort.as_deref(), Some("-sum(total)"));
        assert_eq!(r.limit, Some(5));
        assert_eq!(r.base.filters.len(), 1);
        assert!(!r.wants_total());
        assert!(AggregateRequest::from_query("count=exact").unwrap().wants_total());
        for (q, param) in [("per_page=5", "per_page"), ("bogus=1", "bogus"), ("limit=x", "limit")] {
            match AggregateRequest::from_query(q) {
                Err(PlanError::BadParam { param: p, .. }) => assert_eq!(p, param, "{q}"),
                other => panic!("{q}: {other:?}"),
            }
        }
    }
}
