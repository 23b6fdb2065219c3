//! Tests of the demo database: determinism, row counts, referential
//! consistency, agreement between rows and schema, and real loads.

use std::collections::{BTreeMap, HashMap, HashSet};

use rust_decimal::{Decimal, RoundingStrategy};

use super::schema::{ColType, PrimaryKey, table};
use super::*;

/// All rows of every table, keyed by table name.
struct Db {
    tables: HashMap<&'static str, (Vec<&'static str>, Vec<Vec<Value>>)>,
}

impl Db {
    fn generate(scale: f64) -> Db {
        let mut tables: HashMap<&'static str, (Vec<&'static str>, Vec<Vec<Value>>)> = HashMap::new();
        for b in batches(scale, 333) {
            let entry = tables.entry(b.table).or_insert_with(|| (b.columns.clone(), Vec::new()));
            assert_eq!(entry.0, b.columns, "columns change within {}", b.table);
            entry.1.extend(b.rows);
        }
        Db { tables }
    }

    /// The values of `column` in `table`.
    fn col(&self, table: &str, column: &str) -> Vec<&Value> {
        let (cols, rows) = &self.tables[table];
        let i = cols.iter().position(|c| *c == column).unwrap_or_else(|| panic!("{table}.{column}"));
        rows.iter().map(|r| &r[i]).collect()
    }

    fn ints(&self, table: &str, column: &str) -> Vec<i64> {
        self.col(table, column)
            .into_iter()
            .map(|v| match v {
                Value::Int(i) => *i,
                other => panic!("{table}.{column}: {other:?}"),
            })
            .collect()
    }

    fn decimals(&self, table: &str, column: &str) -> Vec<Decimal> {
        self.col(table, column)
            .into_iter()
            .map(|v| match v {
                Value::Decimal(d) => *d,
                other => panic!("{table}.{column}: {other:?}"),
            })
            .collect()
    }

    fn ids(&self, table: &str, column: &str) -> HashSet<i64> {
        self.ints(table, column).into_iter().collect()
    }
}

#[test]
fn deterministic() {
    let a: Vec<Batch> = batches(0.05, 500).collect();
    let b: Vec<Batch> = batches(0.05, 500).collect();
    assert!(!a.is_empty());
    assert_eq!(a, b);
    // Batch size does not change the data.
    let rows = |bs: Vec<Batch>| bs.into_iter().flat_map(|b| b.rows).collect::<Vec<_>>();
    assert_eq!(rows(a), rows(batches(0.05, 7).collect()));
}

#[test]
fn total_rows_matches_batches() {
    for scale in [0.05, 1.0] {
        let mut n = 0u64;
        for b in batches(scale, 1000) {
            assert!(!b.rows.is_empty() && b.rows.len() <= 1000);
            n += b.rows.len() as u64;
        }
        assert_eq!(total_rows(scale), n, "scale {scale}");
    }
    assert!(total_rows(0.0) > 0);
}

#[test]
fn tables_come_in_schema_order() {
    let mut seen: Vec<&str> = Vec::new();
    for b in batches(0.01, 10_000) {
        if seen.last() != Some(&b.table) {
            seen.push(b.table);
        }
    }
    assert_eq!(seen, table_names(), "every table has rows, in creation order");
    assert_eq!(table_names().len(), 44);
    assert!(table_names().iter().all(|t| t.starts_with(PREFIX)));
}

#[test]
fn rows_match_the_schema() {
    let db = Db::generate(0.05);
    for t in tables() {
        let (cols, rows) = &db.tables[t.name];
        let set: HashSet<&str> = cols.iter().copied().collect();
        assert_eq!(set.len(), cols.len(), "duplicate column in {}", t.name);
        for c in t.columns.iter().filter(|c| c.required()) {
            assert!(set.contains(c.name), "{}.{} is required but not filled", t.name, c.name);
        }
        if let Some(pk) = t.serial() {
            let ids = db.ints(t.name, pk);
            assert_eq!(ids, (1..=ids.len() as i64).collect::<Vec<_>>(), "{}.{pk}", t.name);
        }
        for row in rows {
            assert_eq!(row.len(), cols.len(), "row width in {}", t.name);
            for (name, v) in cols.iter().zip(row) {
                let col = t.column(name).unwrap_or_else(|| panic!("{}.{name} not in schema", t.name));
                let ok = match (col.ty, v) {
                    (_, Value::Null) => col.nullable,
                    (ColType::Int | ColType::UInt | ColType::TinyInt1 | ColType::BigInt, Value::Int(_)) => true,
                    (ColType::Decimal(_, s), Value::Decimal(d)) => d.scale() == u32::from(s),
                    (ColType::Varchar(n) | ColType::Char(n), Value::Text(s)) => s.chars().count() <= usize::from(n),
                    (ColType::Text | ColType::MediumText | ColType::LongText, Value::Text(_)) => true,
                    (ColType::Date, Value::Date(_)) => true,
                    (ColType::DateTime | ColType::Timestamp, Value::DateTime(_)) => true,
                    (ColType::Blob, Value::Bytes(_)) => true,
                    _ => false,
                };
                assert!(ok, "{}.{name} ({:?}, nullable {}) = {v:?}", t.name, col.ty, col.nullable);
            }
        }
    }
}

#[test]
fn references_are_consistent() {
    let db = Db::generate(0.05);
    let clients = db.ids("tblclients", "userid");
    let staff = db.ids("tblstaff", "staffid");
    let invoices = db.ids("tblinvoices", "id");
    let projects = db.ids("tblprojects", "id");
    assert!(db.ints("tblinvoices", "clientid").iter().all(|c| clients.contains(c)));
    assert!(db.ints("tblinvoices", "addedfrom").iter().all(|s| staff.contains(s)));
    assert!(db.ints("tblinvoices", "sale_agent").iter().all(|s| *s == 0 || staff.contains(s)));
    assert!(db.ints("tblitemable", "rel_id").iter().all(|i| invoices.contains(i)));
    assert!(db.ints("tblinvoicepaymentrecords", "invoiceid").iter().all(|i| invoices.contains(i)));
    assert!(db.ints("tblcontacts", "userid").iter().all(|c| clients.contains(c)));
    assert!(db.ints("tblprojects", "clientid").iter().all(|c| clients.contains(c)));
    assert!(db.ints("tbltasks", "rel_id").iter().all(|p| projects.contains(p)));
    assert!(db.ints("tblcontracts", "client").iter().all(|c| clients.contains(c)));
    assert_eq!(db.ids("tbltask_assigned", "taskid"), db.ids("tbltasks", "id"));

    // Every invoice belonging to a project has that project's client.
    let project_client: HashMap<i64, i64> =
        db.ints("tblprojects", "id").into_iter().zip(db.ints("tblprojects", "clientid")).collect();
    for (project, client) in db.ints("tblinvoices", "project_id").into_iter().zip(db.ints("tblinvoices", "clientid")) {
        assert!(project == 0 || project_client[&project] == client);
    }

    // Lead ↔ client conversion agrees in both directions.
    let lead_client: HashMap<i64, i64> =
        db.ints("tblleads", "id").into_iter().zip(db.ints("tblleads", "client_id")).collect();
    for (client, lead) in db.ints("tblclients", "userid").into_iter().zip(db.col("tblclients", "leadid")) {
        if let Value::Int(lead) = lead {
            assert_eq!(lead_client[lead], client);
        }
    }

    // Every client has exactly one primary contact; tickets name real contacts of their client.
    let mut primaries: BTreeMap<i64, i64> = BTreeMap::new();
    for (client, primary) in db.ints("tblcontacts", "userid").into_iter().zip(db.ints("tblcontacts", "is_primary")) {
        *primaries.entry(client).or_default() += primary;
    }
    assert_eq!(primaries.len(), clients.len());
    assert!(primaries.values().all(|n| *n == 1));
    let contact_client: HashMap<i64, i64> =
        db.ints("tblcontacts", "id").into_iter().zip(db.ints("tblcontacts", "userid")).collect();
    for (client, contact) in db.ints("tbltickets", "userid").into_iter().zip(db.ints("tbltickets", "contactid")) {
        assert!(contact == 0 || contact_client[&contact] == client);
    }

    // Money: subtotal = Σ qty × rate; total = subtotal + total_tax; Σ item taxes = total_tax.
    let mut line_sum: HashMap<i64, Decimal> = HashMap::new();
    let mut line_of: HashMap<i64, (i64, Decimal)> = HashMap::new();
    let lines = db.ints("tblitemable", "id");
    let rel = db.ints("tblitemable", "rel_id");
    let (qty, rate) = (db.decimals("tblitemable", "qty"), db.decimals("tblitemable", "rate"));
    for (((line, inv), q), r) in lines.into_iter().zip(rel).zip(qty).zip(rate) {
        *line_sum.entry(inv).or_default() += q * r;
        line_of.insert(line, (inv, q * r));
    }
    let mut tax_sum: HashMap<i64, Decimal> = HashMap::new();
    let tax_rates = db.decimals("tblitem_tax", "taxrate");
    for (line, rate) in db.ints("tblitem_tax", "itemid").into_iter().zip(tax_rates) {
        let (inv, amount) = line_of[&line];
        let tax =
            (amount * rate / Decimal::from(100)).round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        *tax_sum.entry(inv).or_default() += tax;
    }
    let ids = db.ints("tblinvoices", "id");
    let subtotal = db.decimals("tblinvoices", "subtotal");
    let tax = db.decimals("tblinvoices", "total_tax");
    let total = db.decimals("tblinvoices", "total");
    let status = db.ints("tblinvoices", "status");
    let mut totals = HashMap::new();
    for i in 0..ids.len() {
        assert_eq!(subtotal[i], line_sum[&ids[i]], "invoice {}", ids[i]);
        assert_eq!(total[i], subtotal[i] + tax[i]);
        assert_eq!(tax[i], tax_sum.get(&ids[i]).copied().unwrap_or_default(), "tax of {}", ids[i]);
        totals.insert(ids[i], (total[i], status[i]));
    }

    // Payments: only on paid / partially paid invoices; paid ones sum to the total.
    let mut paid: HashMap<i64, Decimal> = HashMap::new();
    let amounts = db.decimals("tblinvoicepaymentrecords", "amount");
    for (inv, amount) in db.ints("tblinvoicepaymentrecords", "invoiceid").into_iter().zip(amounts) {
        assert!(amount > Decimal::ZERO);
        *paid.entry(inv).or_default() += amount;
    }
    for (inv, sum) in &paid {
        let (total, status) = totals[inv];
        match status {
            2 => assert_eq!(*sum, total),
            3 => assert!(*sum < total),
            other => panic!("payment on invoice {inv} with status {other}"),
        }
    }
}

#[test]
fn scale_one_counts() {
    let plan = data::Plan::new(1.0);
    let counts: HashMap<&str, u64> = data::specs().map(|s| (s.table, s.rows(&plan))).collect();
    assert_eq!(counts["tblclients"], 2_000);
    assert_eq!(counts["tblinvoices"], 20_000);
    assert_eq!(counts["tblitemable"], 60_000);
    assert_eq!(counts["tblstaff"], 50);
    assert!((3_800..4_200).contains(&counts["tblcontacts"]));
    assert!((13_000..16_000).contains(&counts["tblinvoicepaymentrecords"]));
    assert!(counts["tbloptions"] >= 50);
}

#[test]
fn serial_tables_cover_auto_keys() {
    let serial = serial_tables();
    assert!(serial.contains(&("tblclients", "userid")));
    assert!(serial.contains(&("tbltickets", "ticketid")));
    assert!(!serial.iter().any(|(t, _)| *t == "tblsessions" || *t == "tbluser_auto_login"));
    assert_eq!(table("tblsessions").map(|t| t.pk), Some(PrimaryKey::Natural("id")));
}

/// FNV-1a over a canonical encoding of every batch (independent of `Debug`).
fn fingerprint(scale: f64) -> u64 {
    struct Fnv(u64);
    impl Fnv {
        fn eat(&mut self, tag: u8, bytes: &[u8]) {
            for b in std::iter::once(&tag).chain(bytes) {
                self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
            }
        }
    }
    use chrono::Datelike;
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    for b in batches(scale, 1000) {
        h.eat(0xfe, b.table.as_bytes());
        for c in &b.columns {
            h.eat(0xfd, c.as_bytes());
        }
        for v in b.rows.iter().flatten() {
            match v {
                Value::Null => h.eat(0, &[]),
                Value::Bool(x) => h.eat(1, &[u8::from(*x)]),
                Value::Int(i) => h.eat(2, &i.to_le_bytes()),
                Value::Float(f) => h.eat(3, &f.to_bits().to_le_bytes()),
                Value::Decimal(d) => {
                    h.eat(4, &d.mantissa().to_le_bytes());
                    h.eat(5, &d.scale().to_le_bytes());
                }
                Value::Text(s) => h.eat(6, s.as_bytes()),
                Value::Date(d) => h.eat(7, &d.num_days_from_ce().to_le_bytes()),
                Value::DateTime(t) => h.eat(8, &t.and_utc().timestamp().to_le_bytes()),
                Value::Bytes(x) => h.eat(9, x),
            }
        }
    }
    h.0
}

/// The data is pinned: any change to the generator, word lists or PRNG shows
/// up here (update the constant deliberately when changing the demo data).
#[test]
fn data_is_pinned() {
    assert_eq!(fingerprint(0.01), fingerprint(0.01));
    assert_eq!(format!("{:#018x}", fingerprint(0.01)), "0x28c5706c4b0daaaa");
}
