//! Generators for contracts, expenses, tickets, custom field values, notes
//! and the activity log.

use super::data::{DAYS, Plan, RowRef, STAFF, Spec, date, id, int, money, office, office_in, txt, when};
use super::gen_people::{slug, staff_name};
use super::gen_projects::project_client;
use super::gen_quotes::acceptance;
use super::lookups::{CONTRACT_TYPE_COUNT, EXPENSE_CATEGORY_COUNT, INDUSTRY_FIELD, TAXES};
use super::rng::Rng;
use crate::sandbox::words::{EXPENSE_NAMES, FIRST_NAMES, INDUSTRIES, LAST_NAMES, SENTENCES, TICKET_SUBJECTS};
use crate::value::Value;

const SEED_CONTRACT: u64 = 0xC0_0001;
const SEED_EXPENSE: u64 = 0xE7_0001;
const SEED_TICKET: u64 = 0x71_0001;
const SEED_FIELD: u64 = 0xCF_0001;
const SEED_NOTE: u64 = 0x40_0001;
const SEED_ACTIVITY: u64 = 0xAC_0001;

#[rustfmt::skip]
const CONTRACT_COLUMNS: &[&str] = &[
    "id", "content", "description", "subject", "client", "datestart", "dateend", "contract_type",
    "project_id", "addedfrom", "dateadded", "isexpirynotified", "contract_value", "trash",
    "not_visible_to_client", "hash", "signed", "signature", "marked_as_signed",
    "acceptance_firstname", "acceptance_lastname", "acceptance_email", "acceptance_date",
    "acceptance_ip", "short_link",
];

fn contract_row(p: &Plan, at: RowRef) -> Vec<Value> {
    let mut r = Rng::for_row(SEED_CONTRACT, at.id);
    let start = r.range(0, DAYS - 1);
    let kind = r.id(CONTRACT_TYPE_COUNT);
    let signed = r.chance(40);
    let mut out = vec![
        id(at.id),
        txt(format!("<p>This agreement is made between the parties.</p><p>{}</p>", r.pick(SENTENCES))),
        when(r.chance(50), || txt(r.pick(SENTENCES))),
        txt(format!("Service agreement #{}", at.id)),
        id(r.id(p.clients)),
        date(start),
        when(r.chance(80), || date(start + 365)),
        id(kind),
        Value::Null,
        id(r.id(STAFF)),
        office_in(&mut r, start, -10, 0),
        int(0),
        when(r.chance(80), || money(r.range(500, 50_000) * 100)),
        int(i64::from(r.chance(2))),
        int(0),
        txt(r.hex(32)),
        int(i64::from(signed)),
        when(signed, || txt("signature.png")),
        int(i64::from(!signed && r.chance(10))),
    ];
    out.extend(acceptance(&mut r, signed, start - 1));
    out.push(Value::Null);
    out
}

#[rustfmt::skip]
const EXPENSE_COLUMNS: &[&str] = &[
    "id", "category", "currency", "amount", "tax", "tax2", "reference_no", "note", "expense_name",
    "clientid", "project_id", "billable", "invoiceid", "paymentmode", "date", "recurring_type",
    "repeat_every", "recurring", "cycles", "total_cycles", "custom_recurring",
    "last_recurring_date", "create_invoice_billable", "send_invoice_to_customer", "recurring_from",
    "dateadded", "addedfrom",
];

fn expense_row(p: &Plan, at: RowRef) -> Vec<Value> {
    let mut r = Rng::for_row(SEED_EXPENSE, at.id);
    let (client, project) = match r.weighted(&[50, 35, 15]) {
        0 => (0, 0),
        1 => (r.id(p.clients), 0),
        _ => {
            let project = r.id(p.projects);
            (project_client(p, project), project)
        }
    };
    let billable = client != 0 && r.chance(50);
    let d = r.range(0, DAYS - 1);
    vec![
        id(at.id),
        id(r.id(EXPENSE_CATEGORY_COUNT)),
        int(if r.chance(80) { 1 } else { 2 }),
        money(r.range(500, 200_000)),
        when(r.chance(50), || id(r.id(TAXES.len() as u64))),
        int(0),
        when(r.chance(50), || txt(format!("REF-{:06}", r.below(1_000_000)))),
        when(r.chance(30), || txt(r.pick(SENTENCES))),
        txt(r.pick(EXPENSE_NAMES)),
        id(client),
        id(project),
        int(i64::from(billable)),
        Value::Null,
        txt(r.range(1, 3).to_string()),
        date(d),
        Value::Null,
        Value::Null,
        int(0),
        int(0),
        int(0),
        int(0),
        Value::Null,
        when(billable, || int(0)),
        int(0),
        Value::Null,
        office(&mut r, d),
        id(r.id(STAFF)),
    ]
}

#[rustfmt::skip]
const TICKET_COLUMNS: &[&str] = &[
    "ticketid", "adminreplying", "userid", "contactid", "merged_ticket_id", "email", "name",
    "department", "priority", "status", "service", "ticketkey", "subject", "message", "admin",
    "date", "project_id", "lastreply", "clientread", "adminread", "assigned", "staff_id_replying",
    "cc",
];

fn ticket_row(p: &Plan, at: RowRef) -> Vec<Value> {
    let mut r = Rng::for_row(SEED_TICKET, at.id);
    let guest = r.chance(15);
    let (client, contact) = if guest {
        (0, 0)
    } else {
        let c = r.id(p.clients);
        let k = r.below(u64::from(p.contacts_of(c)));
        (c, p.first_contact(c) + k)
    };
    let (first, last) = (r.pick(FIRST_NAMES), r.pick(LAST_NAMES));
    let status = 1 + r.weighted(&[20, 15, 20, 5, 40]) as i64;
    let d = r.range(0, DAYS - 1);
    vec![
        id(at.id),
        int(0),
        id(client),
        id(contact),
        Value::Null,
        when(guest, || txt(format!("{}.{}@example.net", slug(first), slug(last)))),
        when(guest, || txt(format!("{first} {last}"))),
        int(r.range(1, 4)),
        int(r.range(1, 3)),
        int(status),
        when(r.chance(70), || int(r.range(1, 4))),
        txt(r.hex(32)),
        txt(r.pick(TICKET_SUBJECTS)),
        txt(format!("<p>Hello,</p><p>{}</p>", r.pick(SENTENCES))),
        when(r.chance(20), || id(r.id(STAFF))),
        office(&mut r, d),
        int(0),
        when(status != 1, || office_in(&mut r, d, 0, 5)),
        int(i64::from(r.chance(60))),
        int(i64::from(r.chance(80))),
        if r.chance(70) { id(r.id(STAFF)) } else { int(0) },
        Value::Null,
        when(r.chance(5), || txt("accounts@example.com")),
    ]
}

fn field_value_row(_: &Plan, at: RowRef) -> Vec<Value> {
    let industry = Rng::for_row(SEED_FIELD, at.parent).pick(INDUSTRIES);
    vec![id(at.id), id(at.parent), id(INDUSTRY_FIELD), txt("customers"), txt(industry)]
}

#[rustfmt::skip]
const NOTE_COLUMNS: &[&str] =
    &["id", "rel_id", "rel_type", "description", "date_contacted", "addedfrom", "dateadded"];

fn note_row(p: &Plan, at: RowRef) -> Vec<Value> {
    let mut r = Rng::for_row(SEED_NOTE, at.id);
    let (rel_type, rel_id) = if r.chance(60) { ("customer", r.id(p.clients)) } else { ("lead", r.id(p.leads)) };
    let d = r.range(0, DAYS - 1);
    vec![
        id(at.id),
        id(rel_id),
        txt(rel_type),
        txt(r.pick(SENTENCES)),
        when(r.chance(50), || office(&mut r, d)),
        id(r.id(STAFF)),
        office(&mut r, d),
    ]
}

fn activity_row(p: &Plan, at: RowRef) -> Vec<Value> {
    let mut r = Rng::for_row(SEED_ACTIVITY, at.id);
    let description = match r.below(5) {
        0 => format!("New Invoice Created [ID: {}]", r.id(p.invoices)),
        1 => format!("Payment Recorded [ID: {}]", r.id(p.invoices)),
        2 => format!("New Client Created [ID: {}]", r.id(p.clients)),
        3 => format!("Lead Status Updated [LeadID: {}]", r.id(p.leads)),
        _ => format!("Staff Member Logged In [ID: {}]", r.id(STAFF)),
    };
    let staff = r.chance(90).then(|| staff_name(r.id(STAFF)));
    vec![
        id(at.id),
        txt(description),
        Value::Null,
        office_in(&mut r, 0, 0, DAYS - 1),
        staff.map_or(Value::Null, |(f, l)| txt(format!("{f} {l}"))),
    ]
}

/// Generators of the remaining business tables.
pub(crate) static SPECS: &[Spec] = &[
    Spec::one("tblcontracts", CONTRACT_COLUMNS, |p| p.contracts, contract_row),
    Spec::one("tblexpenses", EXPENSE_COLUMNS, |p| p.expenses, expense_row),
    Spec::one("tbltickets", TICKET_COLUMNS, |p| p.tickets, ticket_row),
    Spec::one("tblcustomfieldsvalues", &["id", "relid", "fieldid", "fieldto", "value"], |p| p.clients, field_value_row),
    Spec::one("tblnotes", NOTE_COLUMNS, |p| p.notes, note_row),
    Spec::one(
        "tblactivity_log",
        &["id", "description", "additional_data", "date", "staffid"],
        |p| p.activity,
        activity_row,
    ),
];
