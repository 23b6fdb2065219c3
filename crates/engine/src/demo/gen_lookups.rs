//! Generators of the fixed tables: installer seed rows, lookups, options
//! and the few secret-bearing rows (vault, auto-login keys, sessions).
//!
//! These tables do not grow with the scale.

use super::data::{Plan, RowRef, STAFF, Spec, datetime, id, int, money, txt};
use super::gen_people;
use super::lookups::{
    COUNTRIES, CURRENCIES, CUSTOMFIELDS, DEPARTMENTS, EXPENSE_CATEGORIES, ITEM_COUNT, LEADS_STATUS, OPTIONS,
    PAYMENT_MODES, ROLES, TAXES, TICKETS_STATUS, item,
};
use super::rng::Rng;
use crate::value::Value;

/// Element `r.id` (1-based) of a non-empty fixed list.
fn nth<T: Copy>(list: &[T], r: RowRef) -> T {
    list[(r.id.saturating_sub(1) % list.len() as u64) as usize]
}

/// `text` or NULL when empty.
fn non_empty(text: &'static str) -> Value {
    if text.is_empty() { Value::Null } else { txt(text) }
}

/// A spec with one row per parent.
const fn fixed(
    table: &'static str,
    columns: &'static [&'static str],
    parents: fn(&Plan) -> u64,
    row: fn(&Plan, RowRef) -> Vec<Value>,
) -> Spec {
    Spec::one(table, columns, parents, row)
}

/// A spec for a table of `id, name` rows from `list`.
macro_rules! names {
    ($table:literal, $pk:literal, $list:path) => {
        fixed($table, &[$pk, "name"], |_| $list.len() as u64, |_, r| vec![id(r.id), txt(nth($list, r))])
    };
}

fn option_row(p: &Plan, r: RowRef) -> Vec<Value> {
    let (name, value) = nth(OPTIONS, r);
    let value = match name {
        "next_invoice_number" => (p.invoices + 1).to_string(),
        "next_estimate_number" => (p.estimates + 1).to_string(),
        _ => value.to_string(),
    };
    vec![id(r.id), txt(name), txt(value), int(i64::from(!r.id.is_multiple_of(7)))]
}

fn role_row(_: &Plan, r: RowRef) -> Vec<Value> {
    let (name, perms) = nth(ROLES, r);
    vec![id(r.id), txt(name), txt(perms)]
}

fn department_row(_: &Plan, r: RowRef) -> Vec<Value> {
    let name = nth(DEPARTMENTS, r);
    let mailbox = format!("{}@example.com", name.to_ascii_lowercase());
    let mut rng = Rng::for_row(0xDE9A, r.id);
    vec![
        id(r.id),
        txt(name),
        txt(mailbox.clone()),
        txt(mailbox),
        int(0),
        txt("imap.example.com"),
        txt(format!("secret-imap-{}", rng.hex(12))),
        txt("tls"),
        txt("INBOX"),
        int(0),
        Value::Null,
        int(i64::from(r.id == 4)),
    ]
}

fn country_row(_: &Plan, r: RowRef) -> Vec<Value> {
    let (iso2, short, long, iso3, num, calling, cctld) = nth(COUNTRIES, r);
    let text = [iso2, short, long, iso3, num, "yes", calling, cctld];
    std::iter::once(id(r.id)).chain(text.map(txt)).collect()
}

fn currency_row(_: &Plan, r: RowRef) -> Vec<Value> {
    let (symbol, name, dec, thousands, default) = nth(CURRENCIES, r);
    let text = [symbol, name, dec, thousands, "before"].map(txt);
    std::iter::once(id(r.id)).chain(text).chain([int(default)]).collect()
}

fn tax_row(_: &Plan, r: RowRef) -> Vec<Value> {
    let (name, rate) = nth(TAXES, r);
    vec![id(r.id), txt(name), money(rate)]
}

fn payment_mode_row(_: &Plan, r: RowRef) -> Vec<Value> {
    let (name, description) = nth(PAYMENT_MODES, r);
    let flags = [r.id == 1, false, false, r.id != 3, true].map(|f| int(i64::from(f)));
    [id(r.id), txt(name), non_empty(description)].into_iter().chain(flags).collect()
}

fn lead_status_row(_: &Plan, r: RowRef) -> Vec<Value> {
    let (name, color) = nth(LEADS_STATUS, r);
    let order = if r.id == 1 { 1000 } else { r.id as i64 };
    vec![id(r.id), txt(name), int(order), txt(color), int(i64::from(r.id == 1))]
}

fn ticket_status_row(_: &Plan, r: RowRef) -> Vec<Value> {
    let (name, color) = nth(TICKETS_STATUS, r);
    vec![id(r.id), txt(name), int(1), txt(color), id(r.id)]
}

fn item_row(_: &Plan, r: RowRef) -> Vec<Value> {
    let it = item(r.id);
    vec![
        id(r.id),
        txt(it.description()),
        if it.premium { txt("Includes priority support and extended warranty.") } else { Value::Null },
        money(it.rate_cents),
        if it.group == 4 { Value::Null } else { int(1) },
        Value::Null,
        txt(it.unit),
        id(it.group),
    ]
}

fn expense_category_row(_: &Plan, r: RowRef) -> Vec<Value> {
    vec![id(r.id), txt(nth(EXPENSE_CATEGORIES, r)), Value::Null]
}

fn customfield_row(_: &Plan, r: RowRef) -> Vec<Value> {
    let (to, name, slug, ty, options) = nth(CUSTOMFIELDS, r);
    let head = [id(r.id), txt(to), txt(name), txt(slug), int(0), txt(ty), non_empty(options)];
    head.into_iter().chain([id(r.id), int(1), int(1), int(6)]).collect()
}

fn vault_row(p: &Plan, r: RowRef) -> Vec<Value> {
    let mut rng = Rng::for_row(0x7A17, r.id);
    let creator = rng.id(STAFF);
    let (first, last) = gen_people::staff_name(creator);
    let name = format!("{first} {last}");
    vec![
        id(r.id),
        id((r.id - 1) % p.clients + 1),
        txt(format!("srv{}.example.net", r.id)),
        int(22),
        txt("deploy"),
        txt(format!("secret-vault-{}", rng.hex(16))),
        txt("Production server"),
        id(creator),
        txt(name.clone()),
        int(1),
        int(0),
        datetime(1200, 36_000),
        txt(name),
        datetime(900, 36_000),
    ]
}

fn auto_login_row(_: &Plan, r: RowRef) -> Vec<Value> {
    let mut rng = Rng::for_row(0xA070, r.id);
    vec![
        txt(rng.hex(32)),
        id(r.id),
        txt("Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"),
        txt(rng.ipv4()),
        datetime(1390, 30_000 + r.id * 60),
        int(1),
    ]
}

fn session_row(_: &Plan, r: RowRef) -> Vec<Value> {
    let mut rng = Rng::for_row(0x5E55, r.id);
    let stamp = 1_790_000_000 + r.id * 3_600;
    let data = format!("__ci_last_regenerate|i:{stamp};staff_user_id|s:1:\"{}\";staff_logged_in|b:1;", r.id);
    vec![txt(rng.hex(40)), txt(rng.ipv4()), id(stamp), Value::Bytes(data.into_bytes())]
}

/// Generators of the fixed tables created before the customers.
#[rustfmt::skip]
pub(crate) static SPECS: &[Spec] = &[
    fixed("tblmigrations", &["version"], |_| 1, |_, _| vec![int(300)]),
    fixed("tbloptions", &["id", "name", "value", "autoload"], |_| OPTIONS.len() as u64, option_row),
    fixed("tblroles", &["roleid", "name", "permissions"], |_| ROLES.len() as u64, role_row),
    fixed("tblstaff", gen_people::STAFF_COLUMNS, |_| STAFF, gen_people::staff_row),
    fixed("tbldepartments", &["departmentid", "name", "imap_username", "email", "email_from_header", "host",
        "password", "encryption", "folder", "delete_after_import", "calendar_id", "hidefromclient"],
        |_| DEPARTMENTS.len() as u64, department_row),
    fixed("tblcountries", &["country_id", "iso2", "short_name", "long_name", "iso3", "numcode", "un_member",
        "calling_code", "cctld"], |_| COUNTRIES.len() as u64, country_row),
    fixed("tblcurrencies", &["id", "symbol", "name", "decimal_separator", "thousand_separator", "placement",
        "isdefault"], |_| CURRENCIES.len() as u64, currency_row),
    fixed("tbltaxes", &["id", "name", "taxrate"], |_| TAXES.len() as u64, tax_row),
    fixed("tblpayment_modes", &["id", "name", "description", "show_on_pdf", "invoices_only", "expenses_only",
        "selected_by_default", "active"], |_| PAYMENT_MODES.len() as u64, payment_mode_row),
    names!("tblcustomers_groups", "id", super::lookups::CUSTOMERS_GROUPS),
    fixed("tblleads_status", &["id", "name", "statusorder", "color", "isdefault"],
        |_| LEADS_STATUS.len() as u64, lead_status_row),
    names!("tblleads_sources", "id", super::lookups::LEADS_SOURCES),
    fixed("tbltickets_status", &["ticketstatusid", "name", "isdefault", "statuscolor", "statusorder"],
        |_| TICKETS_STATUS.len() as u64, ticket_status_row),
    names!("tbltickets_priorities", "priorityid", super::lookups::PRIORITIES),
    names!("tblservices", "serviceid", super::lookups::SERVICES),
    names!("tblitems_groups", "id", super::lookups::ITEMS_GROUPS),
    fixed("tblitems", &["id", "description", "long_description", "rate", "tax", "tax2", "unit", "group_id"],
        |_| ITEM_COUNT, item_row),
    names!("tblcontracts_types", "id", super::lookups::CONTRACT_TYPES),
    fixed("tblexpenses_categories", &["id", "name", "description"],
        |_| EXPENSE_CATEGORIES.len() as u64, expense_category_row),
    fixed("tblcustomfields", &["id", "fieldto", "name", "slug", "required", "type", "options", "field_order",
        "active", "show_on_table", "bs_column"], |_| CUSTOMFIELDS.len() as u64, customfield_row),
];

/// Generators of the secret-bearing tables, created last.
#[rustfmt::skip]
pub(crate) static SECRET_SPECS: &[Spec] = &[
    fixed("tblvault", &["id", "customer_id", "server_address", "port", "username", "password", "description",
        "creator", "creator_name", "visibility", "share_in_projects", "last_updated", "last_updated_from",
        "date_created"], |_| 5, vault_row),
    fixed("tbluser_auto_login", &["key_id", "user_id", "user_agent", "last_ip", "last_login", "staff"],
        |_| 3, auto_login_row),
    fixed("tblsessions", &["id", "ip_address", "timestamp", "data"], |_| 5, session_row),
];
