//! Planner tests on a small hand-made catalog: each security rule is checked
//! here with no other layer helping (no HTTP, no scope verifier, no CLI).

use std::collections::BTreeMap;

use super::*;
use crate::catalog::raw::{RawColumn, RawTable};
use crate::catalog::{Catalog, CatalogConfig, Dialect};
use crate::principal::{Crud, Policy, Principal};
use crate::request::{IncludeSpec, ListRequest, parse_list_query};
use crate::sql::render_select;

fn col(name: &str, ty: &str, pk: bool) -> RawColumn {
    RawColumn {
        name: name.into(),
        sql_type: ty.into(),
        nullable: !pk,
        default: None,
        auto_increment: pk,
        generated: false,
    }
}

fn table(name: &str, pk: &str, cols: &[(&str, &str)]) -> RawTable {
    let mut columns = vec![col(pk, "int", true)];
    columns.extend(cols.iter().map(|(n, t)| col(n, t, false)));
    RawTable { name: name.into(), columns, primary_key: vec![pk.into()], foreign_keys: vec![] }
}

fn catalog(dialect: Dialect) -> Catalog {
    let raw = vec![
        table("tblclients", "userid", &[("company", "varchar(191)")]),
        table("tbloptions", "id", &[("name", "varchar(191)"), ("value", "longtext")]),
        table(
            "tblinvoices",
            "id",
            &[
                ("clientid", "int"),
                ("total", "decimal(15,2)"),
                ("hash", "varchar(32)"),
                ("sale_agent", "int"),
                ("date", "date"),
            ],
        ),
        table("tblstaff", "staffid", &[("email", "varchar(100)"), ("password", "varchar(250)")]),
        table("tbldata_builder_api_tokens", "id", &[("token_hash", "char(64)")]),
    ];
    Catalog::build(dialect, raw, &CatalogConfig { prefix: "tbl".into(), ..CatalogConfig::default() })
}

fn principal(policy: Policy) -> Principal {
    Principal { token_id: 1, name: "t".into(), policy }
}

fn all_tables() -> Policy {
    let mut tables = BTreeMap::new();
    tables.insert("*".to_string(), Crud::ALL);
    Policy { tables, scopes: crate::principal::Scopes { tables: true, views: true, write: true }, ..Policy::default() }
}

fn ctx<'a>(c: &'a Catalog, p: &'a Principal) -> Ctx<'a> {
    Ctx { catalog: c, principal: p, cursor_key: b"k" }
}

#[test]
fn catalog_marks_and_hides() {
    let c = catalog(Dialect::Sqlite);
    assert!(c.resource("data_builder_api_tokens").is_none() && c.resource("tbldata_builder_api_tokens").is_none());
    assert!(c.table(c.resource("staff").unwrap()).sensitive);
    assert!(c.table(c.resource("options").unwrap()).sensitive);
    assert!(!c.table(c.resource("invoices").unwrap()).sensitive);
    let inv = c.table(c.resource("invoices").unwrap());
    assert!(inv.columns[inv.column_index("hash").unwrap()].secret);
    assert!(c.perfex, "tblclients + tbloptions + prefix tbl → the Perfex preset");
    assert!(inv.relation("client").is_some());
    let staff = inv.relation("staff").expect("one relation to staff is named after its target");
    assert_eq!(c.table(staff.target).resource, "staff");
}

#[test]
fn planner_refuses_sensitive_tables_without_any_other_layer() {
    let c = catalog(Dialect::Sqlite);
    let everything = principal(all_tables());
    for resource in ["staff", "options"] {
        let err = plan_list(ctx(&c, &everything), resource, &ListRequest::default()).unwrap_err();
        assert!(matches!(err, PlanError::Forbidden(_)), "{resource}: {err:?}");
    }
    let admin = principal(Policy { admin: true, ..Policy::default() });
    assert!(matches!(plan_get(ctx(&c, &admin), "staff", "1", None, &[]), Err(PlanError::Forbidden(_))));
    // Through a relation.
    let rel = c
        .table(c.resource("invoices").unwrap())
        .relations
        .iter()
        .find(|r| c.table(r.target).resource == "staff")
        .unwrap()
        .name
        .clone();
    let req = ListRequest { nested: vec![IncludeSpec::new(&rel)], ..ListRequest::default() };
    assert!(matches!(plan_list(ctx(&c, &everything), "invoices", &req), Err(PlanError::Forbidden(_))));
    // A policy naming the table explicitly is still refused without allow_sensitive.
    let mut named = all_tables();
    named.tables.insert("staff".into(), Crud::READ);
    assert!(matches!(
        plan_list(ctx(&c, &principal(named.clone())), "staff", &ListRequest::default()),
        Err(PlanError::Forbidden(_))
    ));
    named.allow_sensitive = true;
    let plan = plan_list(ctx(&c, &principal(named)), "staff", &ListRequest::default()).unwrap();
    let names: Vec<&str> = plan.root.output.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["staffid", "email"], "granted, but never its secret columns");
}

#[test]
fn secret_columns_cannot_be_selected_filtered_sorted_or_written() {
    let c = catalog(Dialect::Sqlite);
    let p = principal(all_tables());
    for q in ["fields=hash", "sort=hash", "filter[hash]=x", "or[0][hash]=x"] {
        let req = parse_list_query(q).unwrap();
        assert!(matches!(plan_list(ctx(&c, &p), "invoices", &req), Err(PlanError::BadParam { .. })), "{q}");
    }
    let row: serde_json::Map<String, serde_json::Value> = serde_json::from_str(r#"{"hash":"x","clientid":1}"#).unwrap();
    match plan_create(ctx(&c, &p), "invoices", &[row], false, false) {
        Err(PlanError::Invalid(e)) => assert_eq!(e["hash"], ["unknown column"]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn row_filters_are_part_of_every_plan() {
    let c = catalog(Dialect::Postgres);
    let mut pol = all_tables();
    pol.row_filters.insert("invoices".into(), vec![("clientid".into(), "42".into())]);
    pol.row_filters.insert("clients".into(), vec![("userid".into(), "42".into())]);
    let p = principal(pol);
    let plan =
        plan_list(ctx(&c, &p), "invoices", &parse_list_query("or[0][clientid]=7&or[1][total.gt]=5").unwrap()).unwrap();
    let sql = render_select(&c, &plan.root.select);
    assert!(sql.text().starts_with("SELECT \"id\", \"clientid\", \"total\", \"sale_agent\", \"date\" FROM \"tblinvoices\" WHERE \"clientid\" = $1 AND ("), "{}", sql.text());
    let get = plan_get(ctx(&c, &p), "invoices", "5", None, &[]).unwrap();
    assert_eq!(
        render_select(&c, &get.select).text(),
        "SELECT \"id\", \"clientid\", \"total\", \"sale_agent\", \"date\" FROM \"tblinvoices\" WHERE \"clientid\" = $1 AND \"id\" = $2 ORDER BY \"id\" ASC"
    );
    let clients = plan_list(ctx(&c, &p), "clients", &parse_list_query("include=invoices").unwrap()).unwrap();
    let inc = &clients.root.includes[0].node.select;
    assert_eq!(inc.filter.len(), 1, "the include carries the target's row filter");
    let upd: serde_json::Map<String, serde_json::Value> = serde_json::from_str(r#"{"clientid":7}"#).unwrap();
    assert!(
        matches!(plan_update(ctx(&c, &p), "invoices", "5", &upd, false), Err(PlanError::Invalid(_))),
        "cannot move a row out"
    );
}

#[test]
fn rendered_sql_per_dialect() {
    let req =
        parse_list_query("fields=id,total&filter[total.gte]=10&filter[clientid.in]=1,2&sort=-total&per_page=10&page=3")
            .unwrap();
    let expected = [
        (
            Dialect::Sqlite,
            "SELECT \"id\", \"total\" FROM \"tblinvoices\" WHERE \"total\" >= ? AND \"clientid\" IN (?, ?) ORDER BY \"total\" DESC, \"id\" ASC LIMIT ? OFFSET ?",
        ),
        (
            Dialect::MySql,
            "SELECT `id`, `total` FROM `tblinvoices` WHERE `total` >= ? AND `clientid` IN (?, ?) ORDER BY `total` DESC, `id` ASC LIMIT ? OFFSET ?",
        ),
        (
            Dialect::Postgres,
            "SELECT \"id\", \"total\" FROM \"tblinvoices\" WHERE \"total\" >= $1 AND \"clientid\" IN ($2, $3) ORDER BY \"total\" DESC NULLS LAST, \"id\" ASC LIMIT $4 OFFSET $5",
        ),
    ];
    for (d, text) in expected {
        let c = catalog(d);
        let p = principal(all_tables());
        let plan = plan_list(ctx(&c, &p), "invoices", &req).unwrap();
        let sql = render_select(&c, &plan.root.select);
        assert_eq!(sql.text(), text, "{d}");
        assert_eq!(sql.params().len(), 5, "every value bound, LIMIT and OFFSET too");
    }
}

#[test]
fn relations_say_where_they_come_from() {
    use crate::catalog::RelOrigin;
    use crate::catalog::perfex::RelationSpec;
    use crate::catalog::raw::RawForeignKey;
    let mut raw = vec![
        table("tblclients", "userid", &[("company", "varchar(191)")]),
        table("tbloptions", "id", &[("name", "varchar(191)")]),
        table("tblinvoices", "id", &[("clientid", "int"), ("sale_agent", "int")]),
        table("tblstaff", "staffid", &[("email", "varchar(100)")]),
        table("tblnotes", "id", &[("invoice", "int"), ("author", "int")]),
    ];
    raw[4].foreign_keys.push(RawForeignKey {
        column: "invoice".into(),
        ref_table: "tblinvoices".into(),
        ref_column: "id".into(),
    });
    let configured = RelationSpec {
        from_table: "notes".into(),
        from_col: "author".into(),
        to_table: "clients".into(),
        to_col: "userid".into(),
        has_many_name: None,
        condition: None,
    };
    let cfg = CatalogConfig { prefix: "tbl".into(), relations: vec![configured], ..CatalogConfig::default() };
    let c = Catalog::build(Dialect::Sqlite, raw, &cfg);
    let origin = |resource: &str, rel: &str| {
        let t = c.table(c.resource(resource).unwrap());
        t.relation(rel).map(|r| r.origin).unwrap_or_else(|| panic!("{resource}.{rel}: {:?}", t.relations))
    };
    assert_eq!(origin("invoices", "client"), RelOrigin::Preset, "the Perfex preset");
    assert_eq!(origin("notes", "invoice"), RelOrigin::Declared, "a declared foreign key");
    assert_eq!(origin("invoices", "notes"), RelOrigin::Declared);
    assert_eq!(origin("notes", "client"), RelOrigin::Configured, "[[catalog.relations]]");
}
