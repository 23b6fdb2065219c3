//! Generators for invoices with their line items, item taxes and payments.
//!
//! An invoice's status, tax, date, client and lines each come from their own
//! small stream, so line items, item taxes and payments recompute exactly what
//! the invoice row contains: subtotal = Σ qty × rate, total = subtotal +
//! total_tax, payments never exceed the total.

use super::data::{DAYS, Fanout, Plan, RowRef, STAFF, Spec, date, id, int, money, office, office_in, txt, when};
use super::gen_people::{Company, client_company};
use super::gen_projects::project_client;
use super::lookups::{ITEM_COUNT, TAXES, item};
use super::rng::Rng;
use crate::sandbox::words::SENTENCES;
use crate::value::Value;

const SEED_INV_PLAN: u64 = 0x1_4001;
const SEED_INV_LINES: u64 = 0x1_4002;
const SEED_INV_REFS: u64 = 0x1_4003;
const SEED_INVOICE: u64 = 0x1_4004;
const SEED_LINE: u64 = 0x1_4005;
const SEED_PAYMENT: u64 = 0x1_4006;

/// Line items per invoice.
pub(crate) const LINES: u32 = 3;

/// The cheap facts of one invoice.
pub(crate) struct InvoicePlan {
    /// 1 unpaid, 2 paid, 3 partially paid, 4 overdue, 5 cancelled, 6 draft.
    pub status: i64,
    /// The number of payment records.
    pub payments: u32,
    /// Index into `TAXES` of the tax on every line, if taxed.
    pub tax: Option<usize>,
    /// The invoice date (days after 2023-01-01).
    pub day: i64,
    pub currency: i64,
}

/// The status, payment count, tax, date and currency of invoice `i`.
pub(crate) fn invoice_plan(i: u64) -> InvoicePlan {
    let mut r = Rng::for_row(SEED_INV_PLAN, i);
    let status = 1 + r.weighted(&[20, 42, 10, 15, 5, 8]) as i64;
    let payments = match status {
        2 => 1 + u32::from(r.chance(40)),
        3 => 1 + u32::from(r.chance(50)),
        _ => 0,
    };
    let tax = (!r.chance(20)).then(|| r.below(TAXES.len() as u64) as usize);
    let day = if status == 4 { r.range(0, DAYS - 31) } else { r.range(0, DAYS - 1) };
    let currency = if r.chance(80) { 1 } else { 2 };
    InvoicePlan { status, payments, tax, day, currency }
}

/// The (catalogue item, integer quantity) of each line of invoice `i`.
pub(crate) fn invoice_lines(i: u64) -> [(u64, i64); LINES as usize] {
    let mut r = Rng::for_row(SEED_INV_LINES, i);
    [(); LINES as usize].map(|_| (r.id(ITEM_COUNT), r.range(1, 12)))
}

/// The tax in cents on `cents` at `rate` hundredths of a percent, rounded half up.
pub(crate) fn tax_on(cents: i64, rate: i64) -> i64 {
    (cents * rate + 5_000) / 10_000
}

/// Invoice `i`'s (subtotal, total tax) in cents.
pub(crate) fn invoice_amounts(i: u64, plan: &InvoicePlan) -> (i64, i64) {
    let rate = plan.tax.map_or(0, |t| TAXES[t].1);
    invoice_lines(i).iter().fold((0, 0), |(sub, tax), &(k, qty)| {
        let line = qty * item(k).rate_cents;
        (sub + line, tax + tax_on(line, rate))
    })
}

/// Invoice `i`'s (client, project or 0); a tenth belong to a project.
pub(crate) fn invoice_refs(p: &Plan, i: u64) -> (u64, u64) {
    let mut r = Rng::for_row(SEED_INV_REFS, i);
    if r.chance(10) {
        let project = r.id(p.projects);
        (project_client(p, project), project)
    } else {
        (r.id(p.clients), 0)
    }
}

/// The billing address (street, city, state, zip, country) of a company.
pub(crate) fn billing(co: Company) -> [Value; 5] {
    [txt(co.street), txt(co.place.1), txt(co.place.2), txt(co.zip), id(co.place.0)]
}

/// No shipping address (street, city, state, zip, country).
pub(crate) fn no_shipping() -> [Value; 5] {
    [Value::Null, Value::Null, Value::Null, Value::Null, Value::Null]
}

#[rustfmt::skip]
const INVOICE_COLUMNS: &[&str] = &[
    "id", "sent", "datesend", "clientid", "deleted_customer_name", "number", "prefix",
    "number_format", "datecreated", "date", "duedate", "currency", "subtotal", "total_tax", "total",
    "adjustment", "addedfrom", "hash", "status", "clientnote", "adminnote", "last_overdue_reminder",
    "last_due_reminder", "cancel_overdue_reminders", "allowed_payment_modes", "token",
    "discount_percent", "discount_total", "discount_type", "recurring", "recurring_type",
    "custom_recurring", "cycles", "total_cycles", "is_recurring_from", "last_recurring_date",
    "terms", "sale_agent", "billing_street", "billing_city", "billing_state", "billing_zip",
    "billing_country", "shipping_street", "shipping_city", "shipping_state", "shipping_zip",
    "shipping_country", "include_shipping", "show_shipping_on_invoice", "show_quantity_as",
    "project_id", "subscription_id", "short_link",
];

fn invoice_row(p: &Plan, at: RowRef) -> Vec<Value> {
    let i = at.id;
    let plan = invoice_plan(i);
    let (sub, tax) = invoice_amounts(i, &plan);
    let (client, project) = invoice_refs(p, i);
    let mut r = Rng::for_row(SEED_INVOICE, i);
    let d = plan.day;
    let sent = plan.status != 6 && r.chance(85);
    let mut out = vec![
        id(i),
        int(i64::from(sent)),
        when(sent, || office_in(&mut r, d, 0, 2)),
        id(client),
        Value::Null,
        id(i),
        txt("INV-"),
        int(1),
        office(&mut r, d),
        date(d),
        date(d + 30),
        int(plan.currency),
        money(sub),
        money(tax),
        money(sub + tax),
        when(r.chance(70), || money(0)),
        id(r.id(STAFF)),
        txt(r.hex(32)),
        int(plan.status),
        when(r.chance(20), || txt(r.pick(SENTENCES))),
        when(r.chance(10), || txt(r.pick(SENTENCES))),
        when(plan.status == 4 && r.chance(50), || date(d + 31 + r.range(0, 10))),
        Value::Null,
        int(0),
        txt("a:2:{i:0;s:1:\"1\";i:1;s:1:\"2\";}"),
        when(r.chance(5), || txt(r.hex(32))),
        money(0),
        money(0),
        txt(""),
        int(0),
        Value::Null,
        int(0),
        int(0),
        int(0),
        Value::Null,
        Value::Null,
        when(r.chance(30), || txt("Payment is due within 30 days.")),
        if r.chance(80) { id(r.id(STAFF)) } else { int(0) },
    ];
    out.extend(billing(client_company(client)));
    out.extend(no_shipping());
    out.extend([int(0), int(1), int(1), id(project), int(0), Value::Null]);
    out
}

#[rustfmt::skip]
const LINE_COLUMNS: &[&str] = &[
    "id", "rel_id", "rel_type", "description", "long_description", "qty", "rate", "unit", "item_order",
];

fn line_row(_: &Plan, at: RowRef) -> Vec<Value> {
    let (k, qty) = invoice_lines(at.parent)[at.sub as usize % LINES as usize];
    let it = item(k);
    let mut r = Rng::for_row(SEED_LINE, at.id);
    vec![
        id(at.id),
        id(at.parent),
        txt("invoice"),
        txt(it.description()),
        when(r.chance(25), || txt(r.pick(SENTENCES))),
        money(qty * 100),
        money(it.rate_cents),
        txt(it.unit),
        int(i64::from(at.sub) + 1),
    ]
}

/// The invoice a line item (by `tblitemable.id`) belongs to.
fn line_invoice(line: u64) -> u64 {
    (line - 1) / u64::from(LINES) + 1
}

fn item_tax_row(_: &Plan, at: RowRef) -> Vec<Value> {
    let invoice = line_invoice(at.parent);
    let (name, rate) = invoice_plan(invoice).tax.map_or(("", 0), |t| TAXES[t]);
    vec![id(at.id), id(at.parent), id(invoice), txt("invoice"), money(rate), txt(name)]
}

#[rustfmt::skip]
const PAYMENT_COLUMNS: &[&str] = &[
    "id", "invoiceid", "amount", "paymentmode", "paymentmethod", "date", "daterecorded", "note",
    "transactionid",
];

fn payment_row(_: &Plan, at: RowRef) -> Vec<Value> {
    let plan = invoice_plan(at.parent);
    let (sub, tax) = invoice_amounts(at.parent, &plan);
    let total = sub + tax;
    let k = i64::from(plan.payments.max(1));
    let amount = match (plan.status, k, at.sub) {
        (2, 1, _) => total,
        (2, _, 0) => total / 2,
        (2, _, _) => total - total / 2,
        _ => total / (k + 2),
    };
    let mut r = Rng::for_row(SEED_PAYMENT, at.id);
    let d = plan.day + 3 + 12 * i64::from(at.sub) + r.range(0, 10);
    let mode = r.range(1, 3);
    vec![
        id(at.id),
        id(at.parent),
        money(amount),
        txt(mode.to_string()),
        when(r.chance(20), || txt("Wire transfer")),
        date(d),
        office(&mut r, d),
        when(r.chance(10), || txt(r.pick(SENTENCES))),
        when(mode == 3, || txt(format!("ch_{}", r.hex(24)))),
    ]
}

/// Generators of the invoice tables.
pub(crate) static SPECS: &[Spec] = &[
    Spec::one("tblinvoices", INVOICE_COLUMNS, |p| p.invoices, invoice_row),
    Spec::per("tblitemable", LINE_COLUMNS, |p| p.invoices, Fanout::Fixed(LINES), line_row),
    Spec::per(
        "tblitem_tax",
        &["id", "itemid", "rel_id", "rel_type", "taxrate", "taxname"],
        |p| p.invoices * u64::from(LINES),
        Fanout::Var(|_, line| u32::from(invoice_plan(line_invoice(line)).tax.is_some())),
        item_tax_row,
    ),
    Spec::per(
        "tblinvoicepaymentrecords",
        PAYMENT_COLUMNS,
        |p| p.invoices,
        Fanout::Var(|_, i| invoice_plan(i).payments),
        payment_row,
    ),
];
