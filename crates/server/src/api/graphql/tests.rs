//! Unit tests of the GraphQL front-end against the demo catalog (SQLite): the
//! selection → `ListRequest` translation yields exactly one include per selected
//! relation per level (so the executor issues one query per relation per level,
//! whatever the row count), and the limits count as documented in `limits.rs`.

use std::sync::Arc;

use async_graphql::Variables;
use async_graphql::parser::parse_query;
use async_graphql::parser::types::{DocumentOperations, Field, Selection};
use databuilder_engine::catalog::{Catalog, CatalogConfig};
use databuilder_engine::exec::{self, Db};
use databuilder_engine::plan::{self, Ctx, Node};
use databuilder_engine::principal::{Crud, Policy, Principal};

use super::limits::{self, Limits};
use super::meta::{Meta, Root};
use super::translate::{self, Sel};

struct Demo {
    db: Db,
    catalog: Arc<Catalog>,
    _dir: std::path::PathBuf,
}

async fn demo() -> Demo {
    let dir = std::env::temp_dir().join(format!("dbgql_{}_{}", std::process::id(), rand::random::<u64>()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let db = Db::connect(&format!("sqlite://{}", dir.join("demo.sqlite").display()), 2).await.expect("connect");
    databuilder_engine::demo::load_demo(&db, 0.01, &|_| {}).await.expect("load demo");
    let cfg = CatalogConfig { prefix: "tbl".into(), ..CatalogConfig::default() };
    let catalog = Arc::new(databuilder_engine::exec::load_catalog(&db, &cfg).await.expect("catalog"));
    Demo { db, catalog, _dir: dir }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self._dir);
    }
}

fn principal(policy: Policy) -> Principal {
    Principal { token_id: 1, name: "t".into(), policy }
}

fn admin() -> Principal {
    principal(Policy { admin: true, ..Policy::default() })
}

fn ctx<'a>(catalog: &'a Catalog, p: &'a Principal) -> Ctx<'a> {
    Ctx { catalog, principal: p, cursor_key: b"test-key" }
}

/// The selection of a parsed field (no variables, no fragments: test queries only).
fn sel_of(f: &Field) -> Sel {
    Sel {
        name: f.name.node.to_string(),
        alias: f.alias.as_ref().map(|a| a.node.to_string()),
        args: f
            .arguments
            .iter()
            .map(|(n, v)| (n.node.to_string(), v.node.clone().into_const().expect("const")))
            .collect(),
        children: f
            .selection_set
            .node
            .items
            .iter()
            .filter_map(|i| match &i.node {
                Selection::Field(c) => Some(sel_of(&c.node)),
                _ => None,
            })
            .collect(),
    }
}

fn root_sel(query: &str) -> Sel {
    let doc = parse_query(query).expect("parse");
    let DocumentOperations::Single(op) = doc.operations else { panic!("one anonymous operation") };
    match &op.node.selection_set.node.items[0].node {
        Selection::Field(f) => sel_of(&f.node),
        _ => panic!("a field first"),
    }
}

/// SELECT statements the executor issues for a node: one, plus one per include per level.
fn queries(node: &Node) -> usize {
    1 + node.includes.iter().map(|i| queries(&i.node)).sum::<usize>()
}

fn list_table(meta: &Meta, name: &str) -> usize {
    match meta.root(false, name) {
        Some(Root::List(t)) => t,
        other => panic!("{name}: {other:?}"),
    }
}

#[tokio::test]
async fn one_plan_one_include_per_relation_per_level() {
    let d = demo().await;
    let p = admin();
    let meta = Meta::build(ctx(&d.catalog, &p));
    let sel = root_sel(
        r#"{ clients(limit: 20) { company invoices(filter: {status: 2}) { total items { qty rate } client { userid } }
             paid: invoices(filter: "status:2") { id } } }"#,
    );
    let t = list_table(&meta, "clients");
    let (req, _) = translate::list_request(&meta, &meta.tables[t], &sel).expect("translate");
    assert_eq!(req.fields.as_deref(), Some(&["company".to_string()][..]));
    assert_eq!(req.nested.len(), 2, "two selected relations (one aliased) → two includes");
    let plan = plan::plan_list(ctx(&d.catalog, &p), "clients", &req).expect("plan");
    let root = &plan.root;
    assert_eq!(root.includes.len(), 2);
    let invoices = root.includes.iter().find(|i| i.name == "invoices").expect("invoices include");
    let paid = root.includes.iter().find(|i| i.name == "paid").expect("aliased include");
    assert_eq!(invoices.node.includes.len(), 2, "items and client, once each");
    assert!(invoices.node.includes.iter().all(|i| i.node.includes.is_empty()));
    assert!(paid.node.includes.is_empty());
    assert_eq!(queries(root), 5, "root + invoices + items + client + paid, whatever the row count");
    // And it runs: the rows carry the embedded relations under their response keys.
    let page = exec::run_list(&d.db, &d.catalog, &plan, b"test-key").await.expect("run");
    assert_eq!(page.rows.len(), 20);
    let with_invoices = page.rows.iter().filter(|r| !r["invoices"].as_array().expect("array").is_empty()).count();
    assert!(with_invoices > 0);
    for r in &page.rows {
        for inv in r["invoices"].as_array().expect("array") {
            assert_eq!(inv["items"].as_array().expect("items").len(), 3);
            assert!(inv["client"].is_object());
        }
        assert_eq!(r["invoices"].as_array().map(Vec::len), r["paid"].as_array().map(Vec::len));
    }
}

#[tokio::test]
async fn same_key_selected_twice_is_merged_into_one_include() {
    let d = demo().await;
    let p = admin();
    let meta = Meta::build(ctx(&d.catalog, &p));
    let sel = root_sel("{ invoices { client { company } client { userid } items { qty } } }");
    let t = list_table(&meta, "invoices");
    let (req, _) = translate::list_request(&meta, &meta.tables[t], &sel).expect("translate");
    assert_eq!(req.nested.len(), 2);
    let client = req.nested.iter().find(|s| s.name == "client").expect("client");
    assert_eq!(client.fields.as_deref(), Some(&["company".to_string(), "userid".to_string()][..]));
    let plan = plan::plan_list(ctx(&d.catalog, &p), "invoices", &req).expect("plan");
    assert_eq!(queries(&plan.root), 3);
}

fn check(meta: &Meta, query: &str) -> Vec<String> {
    let doc = parse_query(query).expect("parse");
    limits::check(&doc, &Variables::default(), meta, &Limits::default())
        .into_iter()
        .map(|e| {
            let code = e.extensions.as_ref().and_then(|x| x.get("code")).map(|c| c.to_string()).unwrap_or_default();
            code.trim_matches('"').to_string()
        })
        .collect()
}

#[tokio::test]
async fn depth_counts_fields_five_pass_six_fail() {
    let d = demo().await;
    let p = admin();
    let meta = Meta::build(ctx(&d.catalog, &p));
    let five = "{ invoices(limit: 1) { client { invoices(limit: 1) { client { company } } } } }";
    let six = "{ invoices(limit: 1) { client { invoices(limit: 1) { client { invoices(limit: 1) { id } } } } } }";
    assert!(check(&meta, five).is_empty(), "{:?}", check(&meta, five));
    assert_eq!(check(&meta, six), ["DEPTH_LIMIT"]);
    // Fragments add no level; they are expanded.
    let frag = "{ invoices(limit: 1) { ...A } } fragment A on Invoice { client { invoices(limit: 1) { client { company } } } }";
    assert!(check(&meta, frag).is_empty());
    let frag6 = "{ invoices(limit: 1) { ...A } } fragment A on Invoice { client { invoices(limit: 1) { client { invoices(limit: 1) { id } } } } }";
    assert_eq!(check(&meta, frag6), ["DEPTH_LIMIT"]);
}

#[tokio::test]
async fn complexity_counts_requested_rows_down_levels() {
    let d = demo().await;
    let p = admin();
    let meta = Meta::build(ctx(&d.catalog, &p));
    let cost = |q: &str, vars: serde_json::Value, limit: u64| {
        let doc = parse_query(q).expect("parse");
        limits::check(&doc, &Variables::from_json(vars), &meta, &Limits { complexity: limit, ..Limits::default() })
    };
    // Exactly at the boundary and one below it: 25 invoices + 25 × 25 items = 650.
    let q = "{ invoices { id items { qty rate } } }";
    assert!(cost(q, serde_json::json!({}), 650).is_empty());
    assert_eq!(cost(q, serde_json::json!({}), 649).len(), 1);
    // A belongs-to object is one row per parent row: 2 + 2 × 1 = 4; columns are free.
    let q = "{ invoices(limit: 2) { id total status client { company userid } } }";
    assert!(cost(q, serde_json::json!({}), 4).is_empty());
    assert_eq!(cost(q, serde_json::json!({}), 3).len(), 1);
    // Aggregates count their limit (100 by default), views theirs (25).
    assert!(cost("{ invoices_aggregate }", serde_json::json!({}), 100).is_empty());
    assert_eq!(cost("{ invoices_aggregate(limit: 1000) }", serde_json::json!({}), 999).len(), 1);
    // Variables (and their defaults) count.
    let q = "query($n: Int) { invoices(limit: $n) { items(limit: $n) { id } } }";
    assert!(cost(q, serde_json::json!({"n": 10}), 110).is_empty());
    assert_eq!(cost(q, serde_json::json!({"n": 10}), 109).len(), 1);
    let q = "query($n: Int = 400) { invoices(limit: $n) { items(limit: $n) { id } } }";
    assert_eq!(check(&meta, q), ["COMPLEXITY_LIMIT"], "defaults too");
}

/// What REST admits in one call, GraphQL admits under the default limits; what
/// is far beyond it is refused (SPEC §4).
#[tokio::test]
async fn default_limits_admit_what_rest_admits() {
    let d = demo().await;
    let p = admin();
    let meta = Meta::build(ctx(&d.catalog, &p));
    let inv = &meta.tables[list_table(&meta, "invoices")];
    let all: Vec<&str> = inv.columns.iter().map(|c| c.field.as_str()).collect();
    assert!(all.len() >= 20, "{all:?}");
    let cols = all.join(" ");
    for q in [
        format!("{{ invoices(limit: 500) {{ {cols} }} }}"),
        format!("{{ invoices(limit: 500) {{ {cols} client {{ userid company }} items {{ id qty rate }} }} }}"),
        "{ clients(limit: 200) { userid invoices { clientid } } }".to_string(),
        "{ clients { invoices { items { id } } } }".to_string(),
        "{ invoices(limit: 500) { client { invoices { client { company } } } } }".to_string(),
        "{ a: invoices_aggregate(limit: 1000) b: invoices(limit: 500) { id } }".to_string(),
    ] {
        assert!(check(&meta, &q).is_empty(), "{q}: {:?}", check(&meta, &q));
    }
    for q in [
        "{ invoices(limit: 500) { items(limit: 500) { id } } }".to_string(),
        "{ clients(limit: 500) { invoices { items { id } } } }".to_string(),
        (0..10).map(|i| format!("a{i}: invoices(limit: 500) {{ items(limit: 25) {{ id }} }} ")).collect::<String>(),
    ] {
        let q = if q.starts_with('{') { q } else { format!("{{ {q} }}") };
        assert_eq!(check(&meta, &q), ["COMPLEXITY_LIMIT"], "{q}");
    }
}

#[tokio::test]
async fn aliases_root_fields_introspection_and_fragment_bombs() {
    let d = demo().await;
    let p = admin();
    let meta = Meta::build(ctx(&d.catalog, &p));
    let aliases: String = (0..31).map(|i| format!("a{i}: id ")).collect();
    assert_eq!(check(&meta, &format!("{{ invoices(limit: 1) {{ {aliases} }} }}")), ["TOO_MANY_ALIASES"]);
    let roots: String = (0..11).map(|i| format!("r{i}: invoices_count ")).collect();
    assert_eq!(check(&meta, &format!("{{ {roots} }}")), ["TOO_MANY_ROOT_FIELDS"]);
    assert!(check(&meta, "{ __schema { types { fields { type { ofType { ofType { name } } } } } } }").is_empty());
    let reader = principal(Policy { tables: [("invoices".to_string(), Crud::READ)].into(), ..Policy::default() });
    let narrow = Meta::build(ctx(&d.catalog, &reader));
    assert_eq!(check(&narrow, "{ __schema { types { name } } }"), ["INTROSPECTION_DISABLED"]);
    assert_eq!(check(&narrow, "{ __type(name: \"Invoice\") { name } }"), ["INTROSPECTION_DISABLED"]);
    assert!(check(&narrow, "{ __typename }").is_empty());
    // A cycle terminates; exponential fan-out stops at the expansion budget.
    assert!(check(&meta, "{ invoices { ...A } } fragment A on Invoice { id ...A }").is_empty());
    let mut bomb = String::from("{ invoices { ...F0 } } ");
    for i in 0..12 {
        bomb.push_str(&format!("fragment F{i} on Invoice {{ id ...F{n} ...F{n} ...F{n} }} ", n = i + 1));
    }
    bomb.push_str("fragment F12 on Invoice { id }");
    assert!(check(&meta, &bomb).contains(&"QUERY_TOO_LARGE".to_string()));
}

#[tokio::test]
async fn what_a_token_sees() {
    let d = demo().await;
    let p = admin();
    let meta = Meta::build(ctx(&d.catalog, &p));
    let names: Vec<&str> = meta.query.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.contains(&"invoices") && names.contains(&"invoice") && names.contains(&"invoices_count"));
    assert!(names.contains(&"leads_status_by_id"), "singular == plural → <plural>_by_id");
    assert!(!names.contains(&"staffs") && !names.contains(&"contacts"), "sensitive tables are absent even for admin");
    let inv = &meta.tables[list_table(&meta, "invoices")];
    assert!(inv.column("hash").is_none() && inv.column("token").is_none(), "secret columns");
    assert!(inv.relation("sale_agent_staff").is_none() && inv.relation("client").is_some());
    assert!(inv.column("id").is_some_and(|c| !c.create && !c.update), "auto-increment key not writable");
    assert!(meta.hidden.contains("staff") && meta.hidden.contains("sale_agent_staff"));
    assert!(!meta.hidden.contains("invoices"));
    let msg =
        super::errors::scrub_message("Unknown field \"staffs\" on type \"Query\". Did you mean \"staff\"?", &meta);
    assert!(!msg.contains("staff") && !msg.contains("Did you mean"), "{msg}");
    assert!(!super::errors::scrub_message("this mentions sale_agent_staff", &meta).contains("staff"));
    let reader = principal(Policy { tables: [("invoices".to_string(), Crud::READ)].into(), ..Policy::default() });
    let narrow = Meta::build(ctx(&d.catalog, &reader));
    assert_eq!(
        narrow.query.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        ["invoices", "invoice", "invoices_count", "invoices_aggregate"]
    );
    assert!(narrow.mutation.is_empty());
    assert!(narrow.tables[0].relations.is_empty(), "no relation into tables it may not read");
    assert!(narrow.hidden.contains("clients") && narrow.hidden.contains("client"));
}
