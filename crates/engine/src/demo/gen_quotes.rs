//! Generators for estimates and proposals (documents without line items in
//! the demo: their amounts are drawn directly, still total = subtotal + tax).

use super::data::{DAYS, Plan, RowRef, STAFF, Spec, date, datetime, id, int, money, office, txt, when};
use super::gen_invoices::{billing, invoice_refs, no_shipping, tax_on};
use super::gen_people::{client_company, lead_name, slug};
use super::lookups::TAXES;
use super::rng::Rng;
use crate::sandbox::words::{FIRST_NAMES, LAST_NAMES, PROJECT_KINDS, SENTENCES};
use crate::value::Value;

const SEED_ESTIMATE: u64 = 0xE_5001;
const SEED_PROPOSAL: u64 = 0x9_0001;

/// `acceptance_firstname, _lastname, _email, _date, _ip` (NULL unless accepted).
pub(crate) fn acceptance(r: &mut Rng, accepted: bool, day: i64) -> [Value; 5] {
    if !accepted {
        return [Value::Null, Value::Null, Value::Null, Value::Null, Value::Null];
    }
    let (first, last) = (r.pick(FIRST_NAMES), r.pick(LAST_NAMES));
    let email = format!("{}.{}@example.com", slug(first), slug(last));
    [txt(first), txt(last), txt(email), office(r, day), txt(r.ipv4())]
}

/// A random (subtotal, tax) in cents for documents without line items.
fn quote_amounts(r: &mut Rng) -> (i64, i64) {
    let sub = r.range(100, 20_000) * 100;
    let rate = if r.chance(20) { 0 } else { r.pick(TAXES).1 };
    (sub, tax_on(sub, rate))
}

#[rustfmt::skip]
const ESTIMATE_COLUMNS: &[&str] = &[
    "id", "sent", "datesend", "clientid", "deleted_customer_name", "project_id", "number", "prefix",
    "number_format", "hash", "datecreated", "date", "expirydate", "currency", "subtotal",
    "total_tax", "total", "adjustment", "addedfrom", "status", "clientnote", "adminnote",
    "discount_percent", "discount_total", "discount_type", "invoiceid", "invoiced_date", "terms",
    "reference_no", "sale_agent", "billing_street", "billing_city", "billing_state", "billing_zip",
    "billing_country", "shipping_street", "shipping_city", "shipping_state", "shipping_zip",
    "shipping_country", "include_shipping", "show_shipping_on_estimate", "show_quantity_as",
    "pipeline_order", "is_expiry_notified", "acceptance_firstname", "acceptance_lastname",
    "acceptance_email", "acceptance_date", "acceptance_ip", "signature", "short_link",
];

fn estimate_row(p: &Plan, at: RowRef) -> Vec<Value> {
    let e = at.id;
    let mut r = Rng::for_row(SEED_ESTIMATE, e);
    let status = 1 + r.weighted(&[10, 30, 15, 30, 15]) as i64;
    let accepted = status == 4;
    let invoice = (accepted && r.chance(50)).then(|| r.id(p.invoices));
    let client = invoice.map_or_else(|| r.id(p.clients), |i| invoice_refs(p, i).0);
    let d = r.range(0, DAYS - 1);
    let (sub, tax) = quote_amounts(&mut r);
    let sent = status != 1;
    let mut out = vec![
        id(e),
        int(i64::from(sent)),
        when(sent, || office(&mut r, d)),
        id(client),
        Value::Null,
        int(0),
        id(e),
        txt("EST-"),
        int(1),
        txt(r.hex(32)),
        office(&mut r, d),
        date(d),
        when(r.chance(80), || date(d + 7)),
        int(if r.chance(80) { 1 } else { 2 }),
        money(sub),
        money(tax),
        money(sub + tax),
        when(r.chance(70), || money(0)),
        id(r.id(STAFF)),
        int(status),
        when(r.chance(20), || txt(r.pick(SENTENCES))),
        Value::Null,
        money(0),
        money(0),
        txt(""),
        invoice.map_or(Value::Null, id),
        when(invoice.is_some(), || datetime(d + 10, 40_000)),
        when(r.chance(30), || txt("This estimate is valid for 7 days.")),
        when(r.chance(30), || txt(format!("REF-{:05}", r.below(100_000)))),
        if r.chance(80) { id(r.id(STAFF)) } else { int(0) },
    ];
    out.extend(billing(client_company(client)));
    out.extend(no_shipping());
    out.extend([int(0), int(1), int(1), int(1), int(0)]);
    out.extend(acceptance(&mut r, accepted, d + 3));
    out.extend([when(accepted, || txt("signature.png")), Value::Null]);
    out
}

#[rustfmt::skip]
const PROPOSAL_COLUMNS: &[&str] = &[
    "id", "subject", "content", "addedfrom", "datecreated", "total", "subtotal", "total_tax",
    "adjustment", "discount_percent", "discount_total", "discount_type", "show_quantity_as",
    "currency", "open_till", "date", "rel_id", "rel_type", "assigned", "hash", "proposal_to",
    "project_id", "country", "zip", "state", "city", "address", "email", "phone", "allow_comments",
    "status", "estimate_id", "invoice_id", "date_converted", "pipeline_order", "is_expiry_notified",
    "acceptance_firstname", "acceptance_lastname", "acceptance_email", "acceptance_date",
    "acceptance_ip", "signature", "short_link",
];

fn proposal_row(p: &Plan, at: RowRef) -> Vec<Value> {
    let mut r = Rng::for_row(SEED_PROPOSAL, at.id);
    let status = 1 + r.weighted(&[25, 10, 25, 25, 5, 10]) as i64;
    let accepted = status == 3;
    let d = r.range(0, DAYS - 1);
    let (sub, tax) = quote_amounts(&mut r);
    let kind = r.pick(PROJECT_KINDS);
    let mut out = vec![
        id(at.id),
        txt(format!("Proposal: {kind}")),
        txt(format!("<p>We are pleased to offer our {kind} services.</p><p>{}</p>", r.pick(SENTENCES))),
        id(r.id(STAFF)),
        office(&mut r, d),
        money(sub + tax),
        money(sub),
        money(tax),
        when(r.chance(70), || money(0)),
        money(0),
        money(0),
        txt(""),
        int(1),
        int(if r.chance(80) { 1 } else { 2 }),
        when(r.chance(80), || date(d + 14)),
        date(d),
    ];
    if r.chance(60) {
        let client = r.id(p.clients);
        let co = client_company(client);
        let email = format!("info@{}{}.example", slug(co.words.0), slug(co.words.1));
        out.extend([id(client), txt("customer"), id(r.id(STAFF)), txt(r.hex(32)), txt(co.name.clone())]);
        out.extend([Value::Null, id(co.place.0), txt(co.zip), txt(co.place.2), txt(co.place.1)]);
        out.extend([txt(co.street), txt(email), when(r.chance(50), || txt(r.phone("1")))]);
    } else {
        let lead = r.id(p.leads);
        out.extend([id(lead), txt("lead"), id(r.id(STAFF)), txt(r.hex(32)), txt(lead_name(lead))]);
        out.extend([Value::Null, int(0), Value::Null, Value::Null, Value::Null]);
        out.extend([Value::Null, Value::Null, Value::Null]);
    }
    out.extend([int(1), int(status), Value::Null, Value::Null, Value::Null, int(1), int(0)]);
    out.extend(acceptance(&mut r, accepted, d + 5));
    out.extend([when(accepted, || txt("signature.png")), Value::Null]);
    out
}

/// Generators of the estimate and proposal tables.
pub(crate) static SPECS: &[Spec] = &[
    Spec::one("tblestimates", ESTIMATE_COLUMNS, |p| p.estimates, estimate_row),
    Spec::one("tblproposals", PROPOSAL_COLUMNS, |p| p.proposals, proposal_row),
];
