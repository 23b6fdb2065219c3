//! The front-end-neutral request model. REST query strings, GraphQL arguments
//! and saved views all become a [`ListRequest`]; the planner never sees HTTP.

mod parse;

pub use parse::{KNOWN_PARAMS, filter_from_key, parse_list_query};

use std::fmt;

/// A comparison operator of a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
    Like,
    In,
    NotIn,
    IsNull,
    Between,
    StartsWith,
    Contains,
}

impl Op {
    /// Every operator with its query-string name.
    pub const ALL: [(Op, &'static str); 13] = [
        (Op::Eq, "eq"),
        (Op::Ne, "ne"),
        (Op::Gt, "gt"),
        (Op::Gte, "gte"),
        (Op::Lt, "lt"),
        (Op::Lte, "lte"),
        (Op::Like, "like"),
        (Op::In, "in"),
        (Op::NotIn, "not_in"),
        (Op::IsNull, "is_null"),
        (Op::Between, "between"),
        (Op::StartsWith, "starts_with"),
        (Op::Contains, "contains"),
    ];

    /// The operator named `name`.
    pub fn from_name(name: &str) -> Option<Op> {
        Op::ALL.iter().find(|(_, n)| *n == name).map(|(op, _)| *op)
    }

    /// The query-string name.
    pub fn name(self) -> &'static str {
        Op::ALL.iter().find(|(op, _)| *op == self).map(|(_, n)| *n).unwrap_or("eq")
    }
}

/// One filter as written by the caller; the planner types `value` by the column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub column: String,
    pub op: Op,
    /// The raw value (`in`/`not_in`/`between` are comma-separated lists).
    pub value: String,
}

impl Filter {
    /// The `filter[...]` key of this filter.
    pub fn key(&self) -> String {
        match self.op {
            Op::Eq => self.column.clone(),
            op => format!("{}.{}", self.column, op.name()),
        }
    }
}

/// One sort key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    pub column: String,
    pub desc: bool,
}

/// Whether a list reports its total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CountMode {
    #[default]
    Exact,
    None,
}

/// The response format of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Json,
    Csv,
    Ndjson,
}

impl Format {
    /// The format named `name`.
    pub fn from_name(name: &str) -> Option<Format> {
        match name {
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            "ndjson" => Some(Format::Ndjson),
            _ => None,
        }
    }
}

/// Default and maximum page sizes (SPEC §3).
pub const DEFAULT_PER_PAGE: u32 = 25;
pub const MAX_PER_PAGE: u32 = 500;
/// Deepest `include` path.
pub const MAX_INCLUDE_DEPTH: usize = 3;

/// A list request against one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRequest {
    pub fields: Option<Vec<String>>,
    pub sort: Vec<SortKey>,
    /// ANDed filters.
    pub filters: Vec<Filter>,
    /// One OR group: the branches (each an AND of filters) of `or[n][...]`.
    pub or_group: Vec<Vec<Filter>>,
    /// `None` = not given (page 1); CSV/NDJSON without paging export every row.
    pub page: Option<u32>,
    pub per_page: Option<u32>,
    /// `Some("")` asks for the first keyset page; `Some(token)` continues.
    pub cursor: Option<String>,
    pub since: Option<String>,
    /// Relation paths, each at most [`MAX_INCLUDE_DEPTH`] long.
    pub include: Vec<Vec<String>>,
    pub count: CountMode,
    pub format: Option<Format>,
    /// Includes with their own fields and filters (GraphQL nesting, saved views);
    /// merged with `include` paths. Not part of the REST query string.
    pub nested: Vec<IncludeSpec>,
    /// Parameters the list grammar does not know (view parameters, `token`, …), in order.
    pub extra: Vec<(String, String)>,
}

impl Default for ListRequest {
    fn default() -> Self {
        ListRequest {
            fields: None,
            sort: Vec::new(),
            filters: Vec::new(),
            or_group: Vec::new(),
            page: None,
            per_page: None,
            cursor: None,
            since: None,
            include: Vec::new(),
            count: CountMode::Exact,
            format: None,
            nested: Vec::new(),
            extra: Vec::new(),
        }
    }
}

/// One embedded relation: its relation name, the key it appears under
/// (`alias`, GraphQL aliases), its own fields and filters, and deeper includes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IncludeSpec {
    pub name: String,
    pub alias: Option<String>,
    pub fields: Option<Vec<String>>,
    pub filters: Vec<Filter>,
    pub include: Vec<IncludeSpec>,
}

impl IncludeSpec {
    pub fn new(name: &str) -> IncludeSpec {
        IncludeSpec { name: name.to_string(), ..IncludeSpec::default() }
    }

    /// The key the embedded rows appear under.
    pub fn output_name(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.name)
    }
}

/// A list parameter that could not be parsed; the message names the parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError {
    pub param: String,
    pub detail: String,
}

impl ParamError {
    pub fn new(param: impl Into<String>, detail: impl Into<String>) -> Self {
        ParamError { param: param.into(), detail: detail.into() }
    }
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "parameter `{}`: {}", self.param, self.detail)
    }
}

impl ListRequest {
    /// Every include: the `include` paths merged, then the nested specs.
    pub fn include_specs(&self) -> Vec<IncludeSpec> {
        let mut specs = include_specs(&self.include);
        specs.extend(self.nested.iter().cloned());
        specs
    }

    /// The requested page (from 1).
    pub fn page(&self) -> u32 {
        self.page.unwrap_or(1)
    }

    /// The requested page size.
    pub fn per_page(&self) -> u32 {
        self.per_page.unwrap_or(DEFAULT_PER_PAGE)
    }

    /// Whether the caller asked for paging at all.
    pub fn paged(&self) -> bool {
        self.page.is_some() || self.per_page.is_some() || self.cursor.is_some()
    }

    /// The canonical query string of this request, with `page` replaced when given.
    /// Used for `links`; parsing it gives back the same request (a tested property).
    pub fn to_query(&self, page: Option<u32>) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        if let Some(f) = &self.fields {
            q.append_pair("fields", &f.join(","));
        }
        if !self.sort.is_empty() {
            let s: Vec<String> =
                self.sort.iter().map(|k| format!("{}{}", if k.desc { "-" } else { "" }, k.column)).collect();
            q.append_pair("sort", &s.join(","));
        }
        for f in &self.filters {
            q.append_pair(&format!("filter[{}]", f.key()), &f.value);
        }
        for (i, branch) in self.or_group.iter().enumerate() {
            for f in branch {
                q.append_pair(&format!("or[{i}][{}]", f.key()), &f.value);
            }
        }
        if !self.include.is_empty() {
            let inc: Vec<String> = self.include.iter().map(|p| p.join(".")).collect();
            q.append_pair("include", &inc.join(","));
        }
        if let Some(s) = &self.since {
            q.append_pair("since", s);
        }
        if self.count == CountMode::None {
            q.append_pair("count", "none");
        }
        match self.format {
            Some(Format::Json) => {
                q.append_pair("format", "json");
            }
            Some(Format::Csv) => {
                q.append_pair("format", "csv");
            }
            Some(Format::Ndjson) => {
                q.append_pair("format", "ndjson");
            }
            None => {}
        }
        for (k, v) in &self.extra {
            q.append_pair(k, v);
        }
        if let Some(c) = &self.cursor {
            q.append_pair("cursor", c);
        } else if let Some(p) = page.or(self.page) {
            q.append_pair("page", &p.to_string());
        }
        if let Some(pp) = self.per_page {
            q.append_pair("per_page", &pp.to_string());
        }
        q.finish()
    }
}

/// Include paths merged into specs: `client,client.country,items` →
/// [client {country}, items].
pub fn include_specs(paths: &[Vec<String>]) -> Vec<IncludeSpec> {
    let mut out: Vec<IncludeSpec> = Vec::new();
    for path in paths {
        let mut level = &mut out;
        for seg in path {
            let pos = match level.iter().position(|s| s.alias.is_none() && &s.name == seg) {
                Some(p) => p,
                None => {
                    level.push(IncludeSpec::new(seg));
                    level.len() - 1
                }
            };
            level = &mut level[pos].include;
        }
    }
    out
}
