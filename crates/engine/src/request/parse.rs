//! The REST query-string grammar (SPEC §3 "List parameters").
//!
//! ```
//! use databuilder_engine::request::{parse_list_query, Op};
//! let r = parse_list_query("fields=id,total&sort=-total&filter[status.in]=1,2&per_page=10").unwrap();
//! assert_eq!(r.fields.as_deref().unwrap(), ["id", "total"]);
//! assert!(r.sort[0].desc);
//! assert_eq!(r.filters[0].op, Op::In);
//! assert_eq!(r.per_page(), 10);
//! assert_eq!(parse_list_query("per_page=501").unwrap_err().param, "per_page");
//! ```

use std::collections::BTreeMap;

use super::{CountMode, Filter, Format, ListRequest, MAX_INCLUDE_DEPTH, MAX_PER_PAGE, Op, ParamError, SortKey};

/// Parameters with a meaning in the list grammar or elsewhere in the request path.
pub const KNOWN_PARAMS: &[&str] =
    &["fields", "sort", "filter", "or", "page", "per_page", "cursor", "since", "include", "count", "format"];

/// Longest identifier accepted in a parameter (longer is never a real column).
const MAX_IDENT: usize = 128;
/// Most OR branches.
const MAX_OR_BRANCHES: usize = 20;

/// Parse a raw query string (without `?`) into a [`ListRequest`].
pub fn parse_list_query(query: &str) -> Result<ListRequest, ParamError> {
    let mut req = ListRequest::default();
    let mut seen: Vec<&'static str> = Vec::new();
    let mut or_branches: BTreeMap<u32, Vec<Filter>> = BTreeMap::new();
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        let (key, value) = (key.as_ref(), value.as_ref());
        if let Some(inner) = bracket(key, "filter") {
            req.filters.push(filter_from_key(key, inner, value)?);
            continue;
        }
        if let Some(rest) = key.strip_prefix("or[") {
            let (n, f) = or_key(key, rest, value)?;
            or_branches.entry(n).or_default().push(f);
            continue;
        }
        let Some(name) = KNOWN_PARAMS.iter().find(|k| **k == key) else {
            req.extra.push((key.to_string(), value.to_string()));
            continue;
        };
        if *name == "filter" {
            req.filters.push(filter_string_form(value)?);
            continue;
        }
        if seen.contains(name) {
            return Err(ParamError::new(key, "given more than once"));
        }
        seen.push(name);
        scalar(&mut req, name, value)?;
    }
    if or_branches.len() > MAX_OR_BRANCHES {
        return Err(ParamError::new("or", format!("at most {MAX_OR_BRANCHES} branches")));
    }
    req.or_group = or_branches.into_values().collect();
    Ok(req)
}

fn scalar(req: &mut ListRequest, name: &str, value: &str) -> Result<(), ParamError> {
    match name {
        "fields" => req.fields = Some(ident_list(name, value)?),
        "sort" => req.sort = sort_keys(value)?,
        "page" => req.page = Some(number(name, value, 1, u32::MAX)?),
        "per_page" => req.per_page = Some(number(name, value, 1, MAX_PER_PAGE)?),
        "cursor" => req.cursor = Some(value.to_string()),
        "since" => req.since = Some(value.to_string()).filter(|s| !s.is_empty()),
        "include" => req.include = include_paths(value)?,
        "count" => {
            req.count = match value {
                "exact" => CountMode::Exact,
                "none" => CountMode::None,
                "estimated" => CountMode::Estimated,
                _ => return Err(ParamError::new(name, "must be `exact`, `estimated` or `none`")),
            }
        }
        "format" => {
            req.format = Some(
                Format::from_name(value).ok_or_else(|| ParamError::new(name, "must be `json`, `csv` or `ndjson`"))?,
            )
        }
        _ => req.extra.push((name.to_string(), value.to_string())),
    }
    Ok(())
}

/// `prefix[inner]` → `inner`.
fn bracket<'a>(key: &'a str, prefix: &str) -> Option<&'a str> {
    key.strip_prefix(prefix)?.strip_prefix('[')?.strip_suffix(']')
}

fn or_key(key: &str, rest: &str, value: &str) -> Result<(u32, Filter), ParamError> {
    let bad = || ParamError::new(key, "expected `or[N][column]` or `or[N][column.op]`");
    let (n, tail) = rest.split_once(']').ok_or_else(bad)?;
    let n: u32 = n.parse().map_err(|_| bad())?;
    if n as usize >= MAX_OR_BRANCHES {
        return Err(ParamError::new(key, format!("branch index must be below {MAX_OR_BRANCHES}")));
    }
    let inner = tail.strip_prefix('[').and_then(|t| t.strip_suffix(']')).ok_or_else(bad)?;
    Ok((n, filter_from_key(key, inner, value)?))
}

/// `col` or `col.op` (as inside `filter[...]`, or a saved definition's filter key) with its value.
pub fn filter_from_key(param: &str, inner: &str, value: &str) -> Result<Filter, ParamError> {
    let (column, op) = match inner.rsplit_once('.') {
        Some((col, op)) => {
            let op = Op::from_name(op).ok_or_else(|| ParamError::new(param, format!("unknown operator `{op}`")))?;
            (col, op)
        }
        None => (inner, Op::Eq),
    };
    ident(param, column)?;
    check_value(param, op, value)?;
    Ok(Filter { column: column.to_string(), op, value: value.to_string() })
}

/// The string form `filter=col:v` (also `col.op:v`).
fn filter_string_form(value: &str) -> Result<Filter, ParamError> {
    let (inner, v) = value.split_once(':').ok_or_else(|| ParamError::new("filter", "expected `column:value`"))?;
    filter_from_key("filter", inner, v)
}

fn check_value(param: &str, op: Op, value: &str) -> Result<(), ParamError> {
    match op {
        Op::IsNull if value != "true" && value != "false" => Err(ParamError::new(param, "must be `true` or `false`")),
        Op::Between if value.split(',').count() != 2 => {
            Err(ParamError::new(param, "expected two comma-separated values `low,high`"))
        }
        Op::In | Op::NotIn if value.split(',').count() > 1000 => Err(ParamError::new(param, "at most 1000 values")),
        _ => Ok(()),
    }
}

fn ident<'a>(param: &str, s: &'a str) -> Result<&'a str, ParamError> {
    if s.is_empty() {
        return Err(ParamError::new(param, "empty column name"));
    }
    if s.len() > MAX_IDENT || s.chars().any(|c| c.is_control()) {
        return Err(ParamError::new(param, "not a column name"));
    }
    Ok(s)
}

fn ident_list(param: &str, value: &str) -> Result<Vec<String>, ParamError> {
    value.split(',').map(|s| ident(param, s.trim()).map(str::to_string)).collect()
}

fn sort_keys(value: &str) -> Result<Vec<SortKey>, ParamError> {
    value
        .split(',')
        .map(|s| {
            let s = s.trim();
            let (desc, col) = match s.strip_prefix('-') {
                Some(c) => (true, c),
                None => (false, s.strip_prefix('+').unwrap_or(s)),
            };
            Ok(SortKey { column: ident("sort", col)?.to_string(), desc })
        })
        .collect()
}

fn include_paths(value: &str) -> Result<Vec<Vec<String>>, ParamError> {
    let paths: Vec<Vec<String>> =
        value.split(',').map(|p| ident_list("include", &p.replace('.', ","))).collect::<Result<_, _>>()?;
    if paths.iter().any(|p| p.len() > MAX_INCLUDE_DEPTH) {
        return Err(ParamError::new("include", format!("at most {MAX_INCLUDE_DEPTH} levels")));
    }
    Ok(paths)
}

fn number(param: &str, value: &str, min: u32, max: u32) -> Result<u32, ParamError> {
    let n: u64 = value.parse().map_err(|_| ParamError::new(param, "must be a positive integer"))?;
    if n < min as u64 || n > max as u64 {
        return Err(ParamError::new(param, format!("must be between {min} and {max}")));
    }
    Ok(n as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_form() {
        let r = parse_list_query(
            "filter[status]=2&filter[total.gte]=10.5&filter=clientid:3&or[0][status]=1&or[1][status.in]=4,5&or[1][total.lt]=9&include=client,items.x&count=none&format=csv&cursor=&since=2024-01-01&view_param=7",
        )
        .unwrap();
        assert_eq!(r.filters.len(), 3);
        assert_eq!(r.filters[1], Filter { column: "total".into(), op: Op::Gte, value: "10.5".into() });
        assert_eq!(r.filters[2].column, "clientid");
        assert_eq!(r.or_group.len(), 2);
        assert_eq!(r.or_group[1].len(), 2);
        assert_eq!(r.include, vec![vec!["client".to_string()], vec!["items".into(), "x".into()]]);
        assert_eq!(r.count, CountMode::None);
        assert_eq!(r.format, Some(Format::Csv));
        assert_eq!(r.cursor.as_deref(), Some(""));
        assert_eq!(r.extra, vec![("view_param".to_string(), "7".to_string())]);
    }

    #[test]
    fn errors_name_the_parameter() {
        for (q, param) in [
            ("per_page=0", "per_page"),
            ("per_page=abc", "per_page"),
            ("page=-1", "page"),
            ("filter[total.foo]=1", "filter[total.foo]"),
            ("filter[x.is_null]=maybe", "filter[x.is_null]"),
            ("filter[x.between]=1", "filter[x.between]"),
            ("filter=nocolon", "filter"),
            ("or[x][a]=1", "or[x][a]"),
            ("or[0]a=1", "or[0]a"),
            ("include=a.b.c.d", "include"),
            ("count=some", "count"),
            ("format=xml", "format"),
            ("sort=", "sort"),
            ("fields=a,,b", "fields"),
            ("page=1&page=2", "page"),
        ] {
            assert_eq!(parse_list_query(q).unwrap_err().param, param, "{q}");
        }
    }

    fn ident_strategy() -> impl Strategy<Value = String> {
        "[a-z_][a-z0-9_]{0,10}"
    }

    fn filter_strategy() -> impl Strategy<Value = Filter> {
        (ident_strategy(), 0..13usize, "[a-zA-Z0-9 %&=+:._-]{0,12}").prop_map(|(c, i, v)| {
            let op = Op::ALL[i].0;
            let value = match op {
                Op::IsNull => "true".into(),
                Op::Between => format!("{v},{v}"),
                _ => v,
            };
            Filter { column: c, op, value }
        })
    }

    prop_compose! {
        fn request()(
            fields in proptest::option::of(proptest::collection::vec(ident_strategy(), 1..4)),
            sort in proptest::collection::vec((ident_strategy(), any::<bool>()), 0..3),
            filters in proptest::collection::vec(filter_strategy(), 0..4),
            or_group in proptest::collection::vec(proptest::collection::vec(filter_strategy(), 1..3), 0..3),
            page in proptest::option::of(1u32..1000), per_page in proptest::option::of(1u32..=500),
            include in proptest::collection::vec(proptest::collection::vec(ident_strategy(), 1..=3), 0..3),
            none in any::<bool>(),
        ) -> ListRequest {
            ListRequest {
                fields,
                sort: sort.into_iter().map(|(column, desc)| SortKey { column, desc }).collect(),
                filters, or_group, page, per_page, include,
                count: if none { CountMode::None } else { CountMode::Exact },
                ..ListRequest::default()
            }
        }
    }

    proptest! {
        #[test]
        fn never_panics(s in ".{0,200}") {
            let _ = parse_list_query(&s);
        }

        #[test]
        fn never_panics_on_bracket_soup(s in "[\\[\\]a-z0-9=&.,:%-]{0,120}") {
            let _ = parse_list_query(&s);
        }

        #[test]
        fn canonical_query_round_trips(r in request()) {
            let q = r.to_query(None);
            prop_assert_eq!(parse_list_query(&q).unwrap(), r);
        }
    }
}
