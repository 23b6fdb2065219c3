//! Plans: the statements Data Builder renders for a list, a sorted list, a
//! cursor page, an include and `since` are run through `EXPLAIN` on each
//! dialect, and the plan must read through the index that exists for them.
//! The statements are planned and rendered by the engine exactly as a request
//! would be (the cursor comes from a real response), so a change to the SQL that
//! stops an index from serving it fails here.
//!
//! The test tables are small (200 invoices), and a planner may rightly prefer a
//! scan for so few rows. What is checked is that the index *can* serve the
//! statement: on PostgreSQL sequential scans and full sorts are made unattractive
//! (`enable_seqscan`, `enable_sort` off in the transaction), so a plan still
//! holding a scan or a full sort means nothing else was possible; MariaDB and
//! SQLite choose the index on these tables by themselves.

use databuilder_engine::catalog::{Dialect, Table};
use databuilder_engine::exec::Tx;
use databuilder_engine::plan::{Cond, Node, plan_list};
use databuilder_engine::principal::{Policy, Principal};
use databuilder_engine::request::parse_list_query;
use databuilder_engine::sql::{Sql, render_explain, render_select};
use databuilder_engine::value::Value;
use serde_json::Value as J;

use crate::each_dialect;
use crate::helpers::TestApp;

/// One table's line of a plan, normalised across dialects.
#[derive(Debug)]
struct Access {
    table: String,
    /// The index read, if any (PostgreSQL: `… using <index> on <table>`).
    index: Option<String>,
    /// The whole plan text of this table (conditions, sort notes).
    detail: String,
}

/// The plan of a statement, and whether it sorts every row it reads.
#[derive(Debug)]
struct Plan {
    accesses: Vec<Access>,
    full_sort: bool,
    text: String,
}

impl Plan {
    fn on(&self, table: &str) -> &Access {
        self.accesses
            .iter()
            .find(|a| a.table == table)
            .unwrap_or_else(|| panic!("{table} not in the plan:\n{}", self.text))
    }

    /// `table` is read through `index`.
    fn assert_index(&self, table: &str, index: &str, what: &str) {
        let a = self.on(table);
        assert_eq!(a.index.as_deref(), Some(index), "{what}: {table} read through {index}:\n{}", self.text);
    }
}

fn admin() -> Principal {
    Principal { token_id: 0, name: "explain".into(), policy: Policy { admin: true, ..Policy::default() } }
}

/// EXPLAIN one statement; on PostgreSQL with sequential scans disabled and,
/// when the order is what is checked, full sorts too.
async fn explain_as(app: &TestApp, sql: &Sql, order_checked: bool) -> Plan {
    let d = app.dialect;
    let mut tx: Tx = app.state.db.begin().await.unwrap();
    if d == Dialect::Postgres {
        tx.execute(&Sql::fixed(d, "SET LOCAL enable_seqscan = off", vec![])).await.unwrap();
        if order_checked {
            tx.execute(&Sql::fixed(d, "SET LOCAL enable_sort = off", vec![])).await.unwrap();
        }
    }
    let rows = tx.fetch_all(&render_explain(sql, d), &[]).await.unwrap_or_else(|e| panic!("{}: {e}", sql.text()));
    tx.rollback().await.unwrap();
    let text_of = |v: &J| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
    match d {
        Dialect::Postgres => {
            let lines: Vec<String> = rows.iter().map(|r| text_of(&r[0])).collect();
            let text = lines.join("\n");
            let mut accesses = Vec::new();
            for (i, line) in lines.iter().enumerate() {
                let Some(pos) = line.find(" on ") else { continue };
                let head = &line[..pos];
                if !head.contains("Scan") {
                    continue;
                }
                let table = line[pos + 4..].split_whitespace().next().unwrap_or("").trim_matches('"').to_string();
                let index = head.split(" using ").nth(1).map(|s| s.trim().trim_matches('"').to_string());
                let index = index.or_else(|| {
                    // A bitmap heap scan names its index on the next `Bitmap Index Scan on …` line.
                    lines[i + 1..].iter().find_map(|l| {
                        l.split("Bitmap Index Scan on ")
                            .nth(1)
                            .map(|s| s.split_whitespace().next().unwrap_or("").to_string())
                    })
                });
                let detail = lines[i..].iter().take_while(|l| !l.contains("->") || *l == line).cloned().collect();
                accesses.push(Access { table, index, detail });
            }
            let full_sort = lines.iter().any(|l| {
                let l = l.trim_start().trim_start_matches("->").trim_start();
                l.starts_with("Sort  (")
            });
            Plan { accesses, full_sort, text }
        }
        Dialect::MySql => {
            // id, select_type, table, [partitions,] type, possible_keys, key, key_len, ref, rows, [filtered,] Extra
            let shift = usize::from(rows.first().is_some_and(|r| r.len() >= 12));
            let accesses = rows
                .iter()
                .map(|r| Access {
                    table: text_of(&r[2]),
                    index: r[5 + shift].as_str().map(str::to_string),
                    detail: format!("type={} extra={}", text_of(&r[3 + shift]), text_of(&r[r.len() - 1])),
                })
                .collect::<Vec<_>>();
            let full_sort = accesses.iter().any(|a| a.detail.contains("filesort"));
            let text = rows.iter().map(|r| J::Array(r.clone()).to_string()).collect::<Vec<_>>().join("\n");
            Plan { accesses, full_sort, text }
        }
        Dialect::Sqlite => {
            let lines: Vec<String> = rows.iter().map(|r| text_of(&r[3])).collect();
            let accesses = lines
                .iter()
                .filter(|l| l.starts_with("SEARCH ") || l.starts_with("SCAN "))
                .map(|l| {
                    let mut words = l.split_whitespace().skip(1);
                    let table = words.next().unwrap_or("").to_string();
                    // A rowid table is its primary key's b-tree: a plain SCAN reads it in key order.
                    let index = if l.contains("USING INTEGER PRIMARY KEY") || !l.contains(" USING ") {
                        Some("rowid".to_string())
                    } else {
                        l.split(" INDEX ").nth(1).map(|s| s.split_whitespace().next().unwrap_or("").to_string())
                    };
                    Access { table, index, detail: l.clone() }
                })
                .collect();
            let full_sort = lines.iter().any(|l| l == "USE TEMP B-TREE FOR ORDER BY");
            Plan { accesses, full_sort, text: lines.join("\n") }
        }
    }
}

async fn explain(app: &TestApp, sql: &Sql) -> Plan {
    explain_as(app, sql, true).await
}

/// The root statement of a list request, planned for an admin.
fn list_node(app: &TestApp, query: &str) -> Node {
    let catalog = app.state.catalog();
    let req = parse_list_query(query).unwrap();
    let p = admin();
    plan_list(app.state.ctx(&catalog, &p), "invoices", &req).unwrap_or_else(|e| panic!("{query}: {e}")).root
}

fn root_sql(app: &TestApp, query: &str) -> Sql {
    render_select(&app.state.catalog(), &list_node(app, query).select)
}

/// The statement the executor runs for include `n` of `query`, for these parent keys.
fn include_sql(app: &TestApp, query: &str, n: usize, keys: Vec<Value>) -> Sql {
    let catalog = app.state.catalog();
    let node = list_node(app, query);
    let inc = &node.includes[n];
    let mut select = inc.node.select.clone();
    select.filter.push(Cond::In { col: inc.child_key_col, values: keys, negated: false });
    render_select(&catalog, &select)
}

fn pk_index(app: &TestApp, table: &Table) -> String {
    match app.dialect {
        Dialect::Postgres => format!("{}_pkey", table.name),
        Dialect::MySql => "PRIMARY".into(),
        Dialect::Sqlite => "rowid".into(),
    }
}

async fn prepare(app: &TestApp) {
    // InnoDB appends the primary key to every index: (status, date DESC) is
    // (status, date DESC, id ASC), the order of `sort=-date` with its ascending
    // tie-break. PostgreSQL and SQLite read (status, date) backwards.
    app.sql(match app.dialect {
        Dialect::MySql => "CREATE INDEX idx_inv_status_date ON tblinvoices (status, date DESC)",
        _ => "CREATE INDEX idx_inv_status_date ON tblinvoices (status, date)",
    })
    .await;
    app.sql(match app.dialect {
        Dialect::MySql => "CREATE INDEX idx_inv_datecreated ON tblinvoices (datecreated DESC)",
        _ => "CREATE INDEX idx_inv_datecreated ON tblinvoices (datecreated)",
    })
    .await;
    match app.dialect {
        Dialect::Postgres => app.sql("ANALYZE").await,
        Dialect::MySql => app.sql("ANALYZE TABLE tblinvoices, tblclients, tblitemable").await,
        Dialect::Sqlite => {}
    }
}

async fn plans_use_the_indexes(app: &TestApp) {
    prepare(app).await;
    let catalog = app.state.catalog();
    let invoices = catalog.tables.iter().find(|t| t.name == "tblinvoices").unwrap().clone();
    let clients = catalog.tables.iter().find(|t| t.name == "tblclients").unwrap().clone();
    let status_date = "idx_inv_status_date";

    // A plain list: the primary key gives the order, nothing is sorted.
    let plan = explain(app, &root_sql(app, "")).await;
    plan.assert_index("tblinvoices", &pk_index(app, &invoices), "list");
    assert!(!plan.full_sort, "list: no sort:\n{}", plan.text);

    // Status 2, newest first: the (status, date) index, read backwards.
    let sorted = "filter[status]=2&sort=-date";
    let plan = explain(app, &root_sql(app, sorted)).await;
    plan.assert_index("tblinvoices", status_date, "sorted list");
    assert!(!plan.full_sort, "sorted list: no sort of every match:\n{}", plan.text);
    let text = root_sql(app, sorted).text().to_string();
    assert!(!text.contains("NULLS"), "NOT NULL columns get no NULL-order clause: {text}");

    // A cursor page deep in that order: the index seeks to the cursor's date.
    let first = app.get(&format!("/invoices?{sorted}&fields=id&per_page=60&cursor=")).await.json();
    let next = first["links"]["next"].as_str().expect("a next page").to_string();
    let query = next.split_once('?').unwrap().1.to_string();
    let plan = explain(app, &root_sql(app, &query)).await;
    plan.assert_index("tblinvoices", status_date, "cursor page");
    let seeks = match app.dialect {
        Dialect::Postgres => plan.on("tblinvoices").detail.contains("date <="),
        Dialect::MySql => plan.on("tblinvoices").detail.contains("type=range"),
        Dialect::Sqlite => plan.on("tblinvoices").detail.contains("date<"),
    };
    assert!(seeks, "cursor page: a range on date in the index, not a filter:\n{}", plan.text);
    assert!(!plan.full_sort, "cursor page: no full sort:\n{}", plan.text);

    // Includes: one statement per relation, through the key's index.
    let keys = (1..=5).map(Value::Int).collect::<Vec<_>>();
    let inc = "filter[status]=2&sort=-date&include=client,items";
    let plan = explain_as(app, &include_sql(app, inc, 0, keys.clone()), false).await;
    plan.assert_index("tblclients", &pk_index(app, &clients), "include=client");
    let plan = explain_as(app, &include_sql(app, inc, 1, keys), false).await;
    plan.assert_index("tblitemable", "idx_tblitemable_rel_type_rel_id", "include=items");

    // since: a range on the timestamp, newest first.
    let plan = explain(app, &root_sql(app, "since=2024-06-01")).await;
    plan.assert_index("tblinvoices", "idx_inv_datecreated", "since");
    assert!(!plan.full_sort, "since: no full sort:\n{}", plan.text);
}

/// A nullable sort column keeps its documented NULL order on PostgreSQL, and an
/// index declared `NULLS FIRST` serves it in both directions.
async fn nullable_sorts_use_a_nulls_first_index(app: &TestApp) {
    let stmt = match app.dialect {
        Dialect::Postgres => "CREATE INDEX idx_inv_datesend ON tblinvoices (datesend NULLS FIRST)",
        _ => "CREATE INDEX idx_inv_datesend ON tblinvoices (datesend)",
    };
    app.sql(stmt).await;
    if app.dialect == Dialect::MySql {
        app.sql("ANALYZE TABLE tblinvoices").await;
    }
    for sort in ["datesend", "-datesend"] {
        let sql = root_sql(app, &format!("sort={sort}"));
        if app.dialect == Dialect::Postgres {
            let clause = if sort.starts_with('-') { "DESC NULLS LAST" } else { "ASC NULLS FIRST" };
            assert!(sql.text().contains(clause), "{}", sql.text());
        }
        let plan = explain(app, &sql).await;
        if app.dialect != Dialect::MySql {
            // MariaDB picks a scan and a sort of 200 rows over 200 index lookups.
            plan.assert_index("tblinvoices", "idx_inv_datesend", sort);
        }
    }
}

each_dialect!(plans_use_the_indexes, nullable_sorts_use_a_nulls_first_index);
