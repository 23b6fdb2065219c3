//! The deterministic data generator's framework: row counts per scale, the
//! per-table generator specs and the batch iterator.
//!
//! Every row is a pure function of (table, row position): it draws from its
//! own `Rng::for_row` stream, so referenced facts (an invoice's client, its
//! total, a project's client…) are recomputed where needed instead of stored,
//! and the output is identical on every run.

use chrono::{Days, NaiveDate, NaiveDateTime, NaiveTime};
use rust_decimal::Decimal;

use super::rng::Rng;
use super::{Batch, gen_invoices, gen_lookups, gen_people, gen_projects, gen_quotes, gen_work};
use crate::value::Value;

/// Number of staff members (fixed; staff 1 is the admin).
pub(crate) const STAFF: u64 = 50;

/// The first business day of the demo period: day 0.
const EPOCH: NaiveDate = match NaiveDate::from_ymd_opt(2023, 1, 1) {
    Some(d) => d,
    None => panic!("valid epoch"),
};

/// Days from 2023-01-01 through 2026-10-31 (the period documents are dated in).
pub(crate) const DAYS: i64 = 1400;

/// Row counts of the scaled tables.
#[derive(Debug)]
pub(crate) struct Plan {
    pub clients: u64,
    pub leads: u64,
    pub projects: u64,
    pub tasks: u64,
    pub invoices: u64,
    pub estimates: u64,
    pub proposals: u64,
    pub contracts: u64,
    pub expenses: u64,
    pub tickets: u64,
    pub notes: u64,
    pub activity: u64,
    /// `contact_start[c - 1]` is the first contact id of client `c`; the last
    /// entry is one past the last contact id.
    contact_start: Vec<u64>,
}

/// The largest scale honoured (≈ 190 million rows); larger scales are clamped.
const MAX_SCALE: f64 = 1_000.0;

/// `base × scale`, rounded, at least 1 (NaN and negative scales give 1).
fn scaled(base: u64, scale: f64) -> u64 {
    let scale = if scale.is_nan() { 0.0 } else { scale.min(MAX_SCALE) };
    let n = (base as f64 * scale).round();
    if n >= 1.0 { n as u64 } else { 1 }
}

impl Plan {
    /// The counts for `scale` (1.0 ≈ 200,000 rows).
    pub(crate) fn new(scale: f64) -> Plan {
        let clients = scaled(2_000, scale);
        let mut contact_start = Vec::with_capacity(clients as usize + 1);
        let mut next = 1;
        for c in 1..=clients {
            contact_start.push(next);
            next += u64::from(gen_people::contact_count(c));
        }
        contact_start.push(next);
        Plan {
            clients,
            leads: scaled(5_000, scale),
            projects: scaled(1_000, scale),
            tasks: scaled(10_000, scale),
            invoices: scaled(20_000, scale),
            estimates: scaled(2_000, scale),
            proposals: scaled(500, scale),
            contracts: scaled(500, scale),
            expenses: scaled(1_000, scale),
            tickets: scaled(1_000, scale),
            notes: scaled(1_000, scale),
            activity: scaled(2_000, scale),
            contact_start,
        }
    }

    /// The first contact id of client `c` (its primary contact).
    pub(crate) fn first_contact(&self, c: u64) -> u64 {
        let i = (c as usize).saturating_sub(1);
        self.contact_start.get(i).copied().unwrap_or(1)
    }

    /// The number of contacts of client `c`.
    pub(crate) fn contacts_of(&self, c: u64) -> u32 {
        let i = c as usize;
        match (self.contact_start.get(i.wrapping_sub(1)), self.contact_start.get(i)) {
            (Some(a), Some(b)) => (b - a) as u32,
            _ => 0,
        }
    }
}

/// Which row is being generated: its id, its parent (the entity it hangs
/// off, or the id itself for top-level tables) and its index under that parent.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RowRef {
    pub id: u64,
    pub parent: u64,
    pub sub: u32,
}

/// How many rows each parent yields.
pub(crate) enum Fanout {
    /// The same number for every parent.
    Fixed(u32),
    /// A per-parent number (cheap to compute, used by `total_rows`).
    Var(fn(&Plan, u64) -> u32),
}

/// How to generate one table.
pub(crate) struct Spec {
    pub table: &'static str,
    /// The columns each row fills, in order.
    pub columns: &'static [&'static str],
    /// The number of parents.
    pub parents: fn(&Plan) -> u64,
    pub fanout: Fanout,
    /// One row; its values follow `columns`.
    pub row: fn(&Plan, RowRef) -> Vec<Value>,
}

impl Spec {
    /// A table with one row per parent.
    pub(crate) const fn one(
        table: &'static str,
        columns: &'static [&'static str],
        parents: fn(&Plan) -> u64,
        row: fn(&Plan, RowRef) -> Vec<Value>,
    ) -> Spec {
        Spec { table, columns, parents, fanout: Fanout::Fixed(1), row }
    }

    /// A table with `fanout` rows per parent.
    pub(crate) const fn per(
        table: &'static str,
        columns: &'static [&'static str],
        parents: fn(&Plan) -> u64,
        fanout: Fanout,
        row: fn(&Plan, RowRef) -> Vec<Value>,
    ) -> Spec {
        Spec { table, columns, parents, fanout, row }
    }

    fn fanout(&self, plan: &Plan, parent: u64) -> u32 {
        match self.fanout {
            Fanout::Fixed(k) => k,
            Fanout::Var(f) => f(plan, parent),
        }
    }

    /// The number of rows of this table.
    pub(crate) fn rows(&self, plan: &Plan) -> u64 {
        let parents = (self.parents)(plan);
        match self.fanout {
            Fanout::Fixed(k) => parents * u64::from(k),
            Fanout::Var(f) => (1..=parents).map(|p| u64::from(f(plan, p))).sum(),
        }
    }
}

/// All generators, in the order of `schema::TABLES`.
pub(crate) fn specs() -> impl Iterator<Item = &'static Spec> {
    gen_lookups::SPECS
        .iter()
        .chain(gen_people::SPECS)
        .chain(gen_projects::SPECS)
        .chain(gen_invoices::SPECS)
        .chain(gen_quotes::SPECS)
        .chain(gen_work::SPECS)
        .chain(gen_lookups::SECRET_SPECS)
}

/// The batch iterator behind `demo::batches`.
pub(crate) struct Batches {
    plan: Plan,
    batch_rows: usize,
    specs: Vec<&'static Spec>,
    spec: usize,
    parent: u64,
    sub: u32,
    next_id: u64,
}

impl Batches {
    pub(crate) fn new(scale: f64, batch_rows: usize) -> Batches {
        Batches {
            plan: Plan::new(scale),
            batch_rows: batch_rows.max(1),
            specs: specs().collect(),
            spec: 0,
            parent: 1,
            sub: 0,
            next_id: 1,
        }
    }
}

impl Iterator for Batches {
    type Item = Batch;

    fn next(&mut self) -> Option<Batch> {
        while let Some(spec) = self.specs.get(self.spec).copied() {
            let parents = (spec.parents)(&self.plan);
            let mut rows = Vec::with_capacity(self.batch_rows.min(4096));
            let mut fanout = spec.fanout(&self.plan, self.parent);
            while rows.len() < self.batch_rows && self.parent <= parents {
                if self.sub < fanout {
                    let at = RowRef { id: self.next_id, parent: self.parent, sub: self.sub };
                    rows.push((spec.row)(&self.plan, at));
                    self.next_id += 1;
                    self.sub += 1;
                } else {
                    self.parent += 1;
                    self.sub = 0;
                    fanout = spec.fanout(&self.plan, self.parent);
                }
            }
            if self.parent > parents {
                self.spec += 1;
                self.parent = 1;
                self.sub = 0;
                self.next_id = 1;
            }
            if !rows.is_empty() {
                return Some(Batch { table: spec.table, columns: spec.columns.to_vec(), rows });
            }
        }
        None
    }
}

/// The total number of rows at `scale`.
pub(crate) fn total_rows(scale: f64) -> u64 {
    let plan = Plan::new(scale);
    specs().map(|s| s.rows(&plan)).sum()
}

// ---- value helpers shared by the generators ----

/// An integer value.
pub(crate) fn int(v: i64) -> Value {
    Value::Int(v)
}

/// An id (or any count) as an integer value.
pub(crate) fn id(v: u64) -> Value {
    Value::Int(v as i64)
}

/// A text value.
pub(crate) fn txt(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

/// An exact money value from cents (scale 2).
pub(crate) fn money(cents: i64) -> Value {
    Value::Decimal(Decimal::new(cents, 2))
}

/// `v` when `cond` holds, else NULL.
pub(crate) fn when(cond: bool, v: impl FnOnce() -> Value) -> Value {
    if cond { v() } else { Value::Null }
}

/// The date `day` days after 2023-01-01 (negative: before).
pub(crate) fn day(day: i64) -> NaiveDate {
    let shifted = if day >= 0 {
        EPOCH.checked_add_days(Days::new(day.unsigned_abs()))
    } else {
        EPOCH.checked_sub_days(Days::new(day.unsigned_abs()))
    };
    shifted.unwrap_or(EPOCH)
}

/// A date value.
pub(crate) fn date(d: i64) -> Value {
    Value::Date(day(d))
}

/// The moment `secs` seconds into day `d`.
pub(crate) fn moment(d: i64, secs: u64) -> NaiveDateTime {
    let time = NaiveTime::from_num_seconds_from_midnight_opt((secs % 86_400) as u32, 0).unwrap_or(NaiveTime::MIN);
    day(d).and_time(time)
}

/// A datetime value `secs` seconds into day `d`.
pub(crate) fn datetime(d: i64, secs: u64) -> Value {
    Value::DateTime(moment(d, secs))
}

/// A random second within office hours (08:00–18:00).
pub(crate) fn office_secs(r: &mut Rng) -> u64 {
    8 * 3600 + r.below(10 * 3600)
}

/// A datetime value at a random office-hours time on day `d`.
pub(crate) fn office(r: &mut Rng, d: i64) -> Value {
    let secs = office_secs(r);
    datetime(d, secs)
}

/// A datetime value at office hours on a random day in `base + lo ..= base + hi`.
pub(crate) fn office_in(r: &mut Rng, base: i64, lo: i64, hi: i64) -> Value {
    let d = base + r.range(lo, hi);
    office(r, d)
}
