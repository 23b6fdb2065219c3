//! Query limits, part of the GraphQL front-end (`api/graphql/`), checked over the
//! parsed document BEFORE anything executes (so no SQL runs for a rejected query).
//! async-graphql's dynamic schemas have no per-field complexity, so the cost is
//! computed here with the token's schema model:
//!
//! - **depth** counts fields on the deepest path (SPEC §6: `{ a { b } }` is 2);
//!   fragments add no level. `{ a { b { c { d { e } } } } }` (5) passes, 6 fails.
//! - **complexity** counts the rows (nodes) a query can return, the way GitHub's
//!   GraphQL API limits queries: a list field (plural root fields, has-many
//!   relations) asks for its `limit` argument (variables resolved) or 25 rows, a
//!   single object for 1, each once per row of its parent; the query costs the
//!   sum over every level. Leaf fields (columns) are free: a row costs the same
//!   with 2 columns or 40, as it does over REST. An aggregate root field counts
//!   its `limit` (100), a view its `limit` (25). So `{ clients(limit: 200) {
//!   userid invoices { clientid } } }` is 200 + 200 × 25 = 5,200 and
//!   `{ invoices(limit: 500) { items(limit: 500) { id } } }` is 250,500
//!   (`docs/aggregates.md`, "GraphQL cost", has more worked examples).
//! - **aliases** and **root fields** are counted with fragments expanded.
//! - **introspection** (`__schema`, `__type`) is an explicit error for tokens that
//!   are neither admin nor sandbox; for those that may, its subtree (the schema,
//!   never SQL) is exempt from depth and cost.
//!
//! Limits come from the `[graphql]` configuration section (or `DATABUILDER_GRAPHQL_<KEY>`).

use async_graphql::parser::types::{ExecutableDocument, Field, OperationType, Selection, SelectionSet};
use async_graphql::{Name, Pos, Positioned, ServerError, Value, Variables};

use super::errors::server;
use super::meta::{Meta, Root};
use super::translate::DEFAULT_LIMIT;

/// Most fields expanded while checking (fragment fan-out bombs stop here).
const MAX_VISITS: usize = 5_000;

/// Default `max_complexity`: every query whose REST equivalent is one allowed
/// call fits (500 rows: 500; 500 rows with a belongs-to and a has-many at the
/// default page: 13,500; three has-many levels at the default page: 16,275),
/// while 500 × 500 nested rows (250,500) do not.
pub const DEFAULT_MAX_NODES: u64 = 50_000;
/// Rows an aggregate root field returns without a `limit`.
const AGGREGATE_DEFAULT_ROWS: u64 = 100;

/// The configurable limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// `max_depth` (5).
    pub depth: usize,
    /// `max_complexity`: most rows (nodes) a query may ask for (50,000).
    pub complexity: u64,
    /// `max_aliases` (30).
    pub aliases: usize,
    /// `max_root_fields` (10).
    pub root_fields: usize,
    /// `max_directives` per field (5).
    pub directives: usize,
    /// `max_nesting`: brackets `{ ( [` open at once in the raw text (64),
    /// checked before parsing.
    pub nesting: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { depth: 5, complexity: DEFAULT_MAX_NODES, aliases: 30, root_fields: 10, directives: 5, nesting: 64 }
    }
}

impl Limits {
    /// The `[graphql]` section of the configuration (also `DATABUILDER_GRAPHQL_<KEY>`).
    pub fn from_config(c: &crate::config::GraphqlConfig) -> Limits {
        Limits {
            depth: c.max_depth,
            complexity: c.max_complexity,
            aliases: c.max_aliases,
            root_fields: c.max_root_fields,
            directives: c.max_directives,
            nesting: c.max_nesting,
        }
    }
}

/// The deepest bracket nesting of a query text (strings and comments skipped),
/// so absurd nesting is refused before the parser recurses into it.
pub fn nesting(query: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let mut chars = query.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '#' => {
                for c in chars.by_ref() {
                    if c == '\n' || c == '\r' {
                        break;
                    }
                }
            }
            '"' => skip_string(&mut chars),
            '{' | '(' | '[' => {
                depth += 1;
                max = max.max(depth);
            }
            '}' | ')' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    // `"` was consumed; a block string starts with two more.
    let block = chars.peek() == Some(&'"') && {
        chars.next();
        if chars.peek() == Some(&'"') {
            chars.next();
            true
        } else {
            return; // `""`: an empty string
        }
    };
    let mut quotes = 0;
    while let Some(c) = chars.next() {
        match (block, c) {
            (false, '\\') => {
                chars.next();
            }
            (false, '"') => return,
            (true, '"') => {
                quotes += 1;
                if quotes == 3 {
                    return;
                }
                continue;
            }
            _ => {}
        }
        quotes = 0;
    }
}

/// What a level of the walk is a selection of.
#[derive(Debug, Clone, Copy)]
enum Parent {
    Root {
        mutation: bool,
    },
    Table(usize),
    /// A leaf root field that returns rows as JSON (aggregates, views).
    Rows,
    Other,
}

/// Depth and cost of a selection.
#[derive(Debug, Clone, Copy, Default)]
struct Stats {
    depth: usize,
    cost: u64,
}

struct Walk<'a> {
    doc: &'a ExecutableDocument,
    meta: &'a Meta,
    vars: &'a Variables,
    defaults: Vec<(Name, Value)>,
    fragments: Vec<&'a str>,
    visits: usize,
    aliases: usize,
    introspection: Option<Pos>,
}

/// Every limit violation of a document (empty: it may run).
pub fn check(doc: &ExecutableDocument, vars: &Variables, meta: &Meta, limits: &Limits) -> Vec<ServerError> {
    let mut errors = Vec::new();
    let mut walk = Walk {
        doc,
        meta,
        vars,
        defaults: Vec::new(),
        fragments: Vec::new(),
        visits: 0,
        aliases: 0,
        introspection: None,
    };
    let mut worst = Stats::default();
    let mut roots = 0;
    for (_, op) in doc.operations.iter() {
        walk.defaults = op
            .node
            .variable_definitions
            .iter()
            .filter_map(|d| Some((d.node.name.node.clone(), d.node.default_value.as_ref()?.node.clone())))
            .collect();
        let parent = Parent::Root { mutation: op.node.ty == OperationType::Mutation };
        let fields = walk.flatten(&op.node.selection_set.node);
        roots = roots.max(fields.iter().filter(|f| f.node.name.node != "__typename").count());
        let s = walk.set(parent, &fields);
        worst = Stats { depth: worst.depth.max(s.depth), cost: worst.cost.max(s.cost) };
    }
    if let Some(pos) = walk.introspection.filter(|_| !meta.introspection) {
        errors.push(server("introspection is disabled for this token", "INTROSPECTION_DISABLED", Some(pos)));
    }
    if walk.visits > MAX_VISITS {
        errors.push(server(format!("the query expands to more than {MAX_VISITS} fields"), "QUERY_TOO_LARGE", None));
        return errors;
    }
    if roots > limits.root_fields {
        let msg = format!("{roots} root fields; at most {} per request", limits.root_fields);
        errors.push(server(msg, "TOO_MANY_ROOT_FIELDS", None));
    }
    if walk.aliases > limits.aliases {
        let msg = format!("{} aliases; at most {} per request", walk.aliases, limits.aliases);
        errors.push(server(msg, "TOO_MANY_ALIASES", None));
    }
    if worst.depth > limits.depth {
        let msg =
            format!("the query is {} fields deep; at most {} (`{{ a {{ b }} }}` is 2)", worst.depth, limits.depth);
        errors.push(server(msg, "DEPTH_LIMIT", None));
    }
    if worst.cost > limits.complexity {
        let msg = format!(
            "the query asks for up to {} rows; at most {} (a list asks for its `limit`, default {DEFAULT_LIMIT}, \
             once per row of its parent)",
            worst.cost, limits.complexity
        );
        errors.push(server(msg, "COMPLEXITY_LIMIT", None));
    }
    errors
}

impl<'a> Walk<'a> {
    /// The fields of a selection set with fragments expanded (a fragment cycle stops).
    fn flatten(&mut self, set: &'a SelectionSet) -> Vec<&'a Positioned<Field>> {
        let mut out = Vec::new();
        for item in &set.items {
            if self.visits > MAX_VISITS {
                break;
            }
            match &item.node {
                Selection::Field(f) => {
                    self.visits += 1;
                    out.push(f);
                }
                Selection::InlineFragment(i) => out.extend(self.flatten(&i.node.selection_set.node)),
                Selection::FragmentSpread(s) => {
                    let name = s.node.fragment_name.node.as_str();
                    let Some(frag) = self.doc.fragments.get(name) else { continue };
                    if self.fragments.contains(&name) {
                        continue;
                    }
                    self.fragments.push(name);
                    out.extend(self.flatten(&frag.node.selection_set.node));
                    self.fragments.pop();
                }
            }
        }
        out
    }

    fn set(&mut self, parent: Parent, fields: &[&'a Positioned<Field>]) -> Stats {
        let mut s = Stats::default();
        for f in fields {
            let c = self.field(parent, &f.node, f.pos);
            s.depth = s.depth.max(c.depth);
            s.cost = s.cost.saturating_add(c.cost);
        }
        s
    }

    fn field(&mut self, parent: Parent, f: &'a Field, pos: Pos) -> Stats {
        if self.visits > MAX_VISITS {
            return Stats::default();
        }
        if f.alias.is_some() {
            self.aliases += 1;
        }
        let name = f.name.node.as_str();
        if name == "__schema" || name == "__type" {
            self.introspection.get_or_insert(pos);
            return Stats { depth: 1, cost: 1 };
        }
        let (next, rows) = self.classify(parent, f);
        let children = self.flatten(&f.selection_set.node);
        if children.is_empty() {
            // A column is free; a JSON root field (aggregate, view) returns `rows` rows.
            return Stats { depth: 1, cost: if matches!(next, Parent::Rows) { rows } else { 0 } };
        }
        let c = self.set(next, &children);
        Stats { depth: c.depth + 1, cost: rows.saturating_mul(c.cost.saturating_add(1)) }
    }

    /// The level a field's selection belongs to, and how many rows it asks for.
    fn classify(&self, parent: Parent, f: &Field) -> (Parent, u64) {
        let name = f.name.node.as_str();
        match parent {
            Parent::Root { mutation } => match self.meta.root(mutation, name) {
                Some(Root::List(t)) => (Parent::Table(t), self.rows(f)),
                Some(Root::One(t) | Root::Create(t) | Root::Update(t)) => (Parent::Table(t), 1),
                Some(Root::Aggregate(_)) => (Parent::Rows, self.rows_or(f, AGGREGATE_DEFAULT_ROWS)),
                Some(Root::View(_)) => (Parent::Rows, self.rows(f)),
                _ => (Parent::Other, 1),
            },
            Parent::Table(t) => match self.meta.tables[t].relation(name) {
                Some(rel) if rel.many => (Parent::Table(rel.target), self.rows(f)),
                Some(rel) => (Parent::Table(rel.target), 1),
                None => (Parent::Other, 1),
            },
            Parent::Rows | Parent::Other => (Parent::Other, 1),
        }
    }

    /// The `limit` argument, variables resolved; 25 when absent; at least 1.
    fn rows(&self, f: &Field) -> u64 {
        self.rows_or(f, DEFAULT_LIMIT as u64)
    }

    /// The `limit` argument, variables resolved; `default` when absent; at least 1.
    fn rows_or(&self, f: &Field, default: u64) -> u64 {
        let Some(arg) = f.get_argument("limit") else {
            return default;
        };
        let value = arg.node.clone().into_const_with(|name| {
            let v = self.vars.get(&name).cloned();
            let d = || self.defaults.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone());
            Ok::<_, ()>(v.or_else(d).unwrap_or(Value::Null))
        });
        match value {
            Ok(Value::Number(n)) => n.as_u64().unwrap_or(1).max(1),
            Ok(Value::Null) => default,
            _ => 1,
        }
    }
}

/// The response keys of the root fields of the operation that will run, in query
/// order, each with whether it may be absent (`@skip`/`@include` on it or its fragment).
pub fn root_keys(doc: &ExecutableDocument, operation: Option<&str>) -> Vec<(Name, bool)> {
    let op = doc.operations.iter().find(|(name, _)| match operation {
        Some(wanted) => name.is_some_and(|n| n.as_str() == wanted),
        None => true,
    });
    let mut out = Vec::new();
    if let Some((_, op)) = op {
        keys_of(doc, &op.node.selection_set.node, &mut out, 0, false);
    }
    out
}

fn keys_of(doc: &ExecutableDocument, set: &SelectionSet, out: &mut Vec<(Name, bool)>, depth: usize, cond: bool) {
    for item in &set.items {
        match &item.node {
            Selection::Field(f) => {
                let key = f.node.response_key().node.clone();
                let optional = cond || !f.node.directives.is_empty();
                match out.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, o)) => *o = *o && optional,
                    None => out.push((key, optional)),
                }
            }
            Selection::InlineFragment(i) if depth < 8 => {
                let cond = cond || !i.node.directives.is_empty();
                keys_of(doc, &i.node.selection_set.node, out, depth + 1, cond)
            }
            Selection::FragmentSpread(s) if depth < 8 => {
                if let Some(f) = doc.fragments.get(&s.node.fragment_name.node) {
                    let cond = cond || !s.node.directives.is_empty();
                    keys_of(doc, &f.node.selection_set.node, out, depth + 1, cond);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_skips_strings_and_comments() {
        assert_eq!(nesting("{ a { b } }"), 2);
        assert_eq!(nesting("{ a(f: \"{{{{\") { b } }"), 2);
        assert_eq!(nesting("{ a # {{{{\n { b } }"), 2);
        assert_eq!(nesting("{ a(f: \"\"\" {{{ \"\" \"\"\") }"), 2);
        assert_eq!(nesting("{ a(f: \"\") { b(x: [[1]]) } }"), 5);
        assert_eq!(nesting("{ a(f: \"\\\"{\") }"), 2);
        assert_eq!(nesting(&format!("{}{}", "{a".repeat(100), "}".repeat(100))), 100);
    }
}
