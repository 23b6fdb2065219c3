//! Generators for the people tables: staff, leads, clients, their group
//! memberships and contacts.
//!
//! Lead ↔ client conversion is a fixed pairing (lead `2c` became client `c`
//! for every fourth client) so both directions agree without lookups.

use super::data::{
    DAYS, Fanout, Plan, RowRef, STAFF, Spec, date, datetime, id, int, money, office, office_secs, txt, when,
};
use super::lookups::{COUNTRIES, LEAD_SOURCES, LEAD_STATUSES};
use super::rng::Rng;
use crate::sandbox::words::{
    COMPANY_A, COMPANY_B, COMPANY_SUFFIX, FIRST_NAMES, JOB_TITLES, LAST_NAMES, PLACES, SENTENCES, STREET_KINDS, STREETS,
};
use crate::value::Value;

const SEED_STAFF: u64 = 0x57AF_F001;
const SEED_LEAD: u64 = 0x1EAD_0001;
const SEED_CLIENT: u64 = 0xC11E_0001;
const SEED_CLIENT_DAY: u64 = 0xC11E_0002;
const SEED_CONTACT: u64 = 0xC047_0001;
const SEED_CONTACT_COUNT: u64 = 0xC047_0002;
const SEED_GROUP: u64 = 0x6_0001;

/// Lowercase ASCII letters and digits of `s` (for e-mail local parts, slugs).
pub(crate) fn slug(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// A random person's (first, last) name.
fn person(r: &mut Rng) -> (&'static str, &'static str) {
    (r.pick(FIRST_NAMES), r.pick(LAST_NAMES))
}

/// The calling code of country `country`.
pub(crate) fn calling_code(country: u64) -> &'static str {
    let i = (country.saturating_sub(1) as usize).min(COUNTRIES.len() - 1);
    COUNTRIES[i].5
}

/// A company: name, place and street address.
pub(crate) struct Company {
    pub name: String,
    pub words: (&'static str, &'static str),
    /// (country id, city, state)
    pub place: (u64, &'static str, &'static str),
    pub street: String,
    pub zip: String,
}

impl Company {
    /// Draws a company (the first draws of a client's or lead's stream).
    fn draw(r: &mut Rng) -> Company {
        let place = r.pick(PLACES);
        let (a, b) = (r.pick(COMPANY_A), r.pick(COMPANY_B));
        let name = format!("{a} {b} {}", r.pick(COMPANY_SUFFIX));
        let street = format!("{} {} {}", r.range(1, 250), r.pick(STREETS), r.pick(STREET_KINDS));
        let zip = format!("{:05}", r.range(1_000, 99_999));
        Company { name, words: (a, b), place, street, zip }
    }
}

/// Client `c`'s company and address.
pub(crate) fn client_company(c: u64) -> Company {
    Company::draw(&mut Rng::for_row(SEED_CLIENT, c))
}

/// Client `c`'s country id (cheap: the first draw of its stream).
pub(crate) fn client_country(c: u64) -> u64 {
    Rng::for_row(SEED_CLIENT, c).pick(PLACES).0
}

/// The day client `c` was created (in 2021–2022, before every document).
pub(crate) fn client_day(c: u64) -> i64 {
    -730 + Rng::for_row(SEED_CLIENT_DAY, c).range(0, 720)
}

/// The lead client `c` was converted from, if any.
fn client_lead(p: &Plan, c: u64) -> Option<u64> {
    (c.is_multiple_of(4) && 2 * c <= p.leads).then_some(2 * c)
}

/// The client lead `l` was converted to, if any.
fn lead_client(p: &Plan, l: u64) -> Option<u64> {
    (l.is_multiple_of(8) && l / 2 <= p.clients).then_some(l / 2)
}

/// Staff member `s`'s (first, last) name.
pub(crate) fn staff_name(s: u64) -> (&'static str, &'static str) {
    person(&mut Rng::for_row(SEED_STAFF, s))
}

/// Lead `l`'s person name.
pub(crate) fn lead_name(l: u64) -> String {
    let (f, n) = person(&mut Rng::for_row(SEED_LEAD, l));
    format!("{f} {n}")
}

/// The number of contacts of client `c` (1–3).
pub(crate) fn contact_count(c: u64) -> u32 {
    1 + Rng::for_row(SEED_CONTACT_COUNT, c).weighted(&[30, 40, 30]) as u32
}

/// The columns of `tblstaff` the generator fills.
#[rustfmt::skip]
pub(crate) const STAFF_COLUMNS: &[&str] = &[
    "staffid", "email", "firstname", "lastname", "facebook", "linkedin", "phonenumber", "skype",
    "password", "datecreated", "profile_image", "last_ip", "last_login", "last_activity",
    "last_password_change", "new_pass_key", "new_pass_key_requested", "admin", "role", "active",
    "default_language", "direction", "media_path_slug", "is_not_staff", "hourly_rate",
    "two_factor_auth_enabled", "two_factor_auth_code", "two_factor_auth_code_requested",
    "email_signature", "google_auth_secret",
];

/// One `tblstaff` row; staff 1 is the administrator.
pub(crate) fn staff_row(_: &Plan, at: RowRef) -> Vec<Value> {
    let s = at.id;
    let mut r = Rng::for_row(SEED_STAFF, s);
    let (first, last) = person(&mut r);
    let email =
        if s == 1 { "admin@example.com".to_string() } else { format!("{}.{}{s}@example.com", slug(first), slug(last)) };
    let seen = DAYS - 1 - r.range(0, 30);
    let reset = r.chance(5);
    vec![
        id(s),
        txt(email),
        txt(first),
        txt(last),
        Value::Null,
        when(r.chance(30), || txt(format!("https://www.linkedin.com/in/{}-{}", slug(first), slug(last)))),
        txt(r.phone("49")),
        Value::Null,
        txt(r.phpass()),
        datetime(-900 + s as i64, 32_400),
        Value::Null,
        txt(r.ipv4()),
        office(&mut r, seen),
        office(&mut r, seen),
        Value::Null,
        when(reset, || txt(r.hex(32))),
        when(reset, || datetime(seen, 43_200)),
        int(i64::from(s == 1)),
        int(1),
        int(i64::from(!s.is_multiple_of(25))),
        when(s.is_multiple_of(2), || txt("english")),
        Value::Null,
        txt(format!("{}-{}", slug(first), slug(last))),
        int(0),
        money(r.range(40, 150) * 100),
        int(0),
        Value::Null,
        Value::Null,
        txt(format!("Best regards,\n{first} {last}")),
        when(s == 1, || txt("secret-2fa-JBSWY3DPEHPK3PXP")),
    ]
}

#[rustfmt::skip]
const LEAD_COLUMNS: &[&str] = &[
    "id", "hash", "name", "title", "company", "description", "country", "zip", "city", "state",
    "address", "assigned", "dateadded", "from_form_id", "status", "source", "lastcontact",
    "dateassigned", "last_status_change", "addedfrom", "email", "website", "leadorder",
    "phonenumber", "date_converted", "lost", "junk", "last_lead_status",
    "is_imported_from_email_integration", "email_integration_uid", "is_public", "default_language",
    "client_id", "lead_value",
];

fn lead_row(p: &Plan, at: RowRef) -> Vec<Value> {
    let l = at.id;
    let mut r = Rng::for_row(SEED_LEAD, l);
    let (first, last) = person(&mut r);
    let co = Company::draw(&mut r);
    let client = lead_client(p, l);
    let added = match client {
        Some(c) => client_day(c) - r.range(10, 120),
        None => r.range(-200, DAYS - 1),
    };
    let assigned = if r.chance(90) { r.id(STAFF) } else { 0 };
    let status = if client.is_some() { 1 } else { 1 + r.id(LEAD_STATUSES - 1) };
    let lost = client.is_none() && r.chance(8);
    let junk = client.is_none() && !lost && r.chance(3);
    let contacted = added + r.range(0, 45);
    vec![
        id(l),
        txt(r.hex(32)),
        txt(format!("{first} {last}")),
        when(r.chance(60), || txt(r.pick(JOB_TITLES))),
        when(r.chance(80), || txt(co.name.clone())),
        when(r.chance(30), || txt(r.pick(SENTENCES))),
        id(co.place.0),
        txt(co.zip),
        txt(co.place.1),
        txt(co.place.2),
        txt(co.street),
        id(assigned),
        office(&mut r, added),
        int(0),
        id(status),
        id(r.id(LEAD_SOURCES)),
        when(r.chance(60), || office(&mut r, contacted)),
        when(assigned != 0, || date(added)),
        office(&mut r, contacted),
        id(r.id(STAFF)),
        txt(format!("{}.{}{l}@example.org", slug(first), slug(last))),
        when(r.chance(30), || txt(format!("https://{}{}.example", slug(co.words.0), slug(co.words.1)))),
        id(l),
        txt(r.phone(calling_code(co.place.0))),
        when(client.is_some(), || datetime(added + 30, 50_000)),
        int(i64::from(lost)),
        int(i64::from(junk)),
        int(0),
        int(0),
        Value::Null,
        int(i64::from(r.chance(10))),
        Value::Null,
        id(client.unwrap_or(0)),
        when(r.chance(70), || money(r.range(50_000, 5_000_000))),
    ]
}

#[rustfmt::skip]
const CLIENT_COLUMNS: &[&str] = &[
    "userid", "company", "vat", "phonenumber", "country", "city", "zip", "state", "address",
    "website", "datecreated", "active", "leadid", "billing_street", "billing_city", "billing_state",
    "billing_zip", "billing_country", "shipping_street", "shipping_city", "shipping_state",
    "shipping_zip", "shipping_country", "longitude", "latitude", "default_language",
    "default_currency", "show_primary_contact", "stripe_id", "registration_confirmed", "addedfrom",
];

fn client_row(p: &Plan, at: RowRef) -> Vec<Value> {
    let c = at.id;
    let mut r = Rng::for_row(SEED_CLIENT, c);
    let co = Company::draw(&mut r);
    let (country, city, state) = co.place;
    let iso2 = COUNTRIES[(country.saturating_sub(1) as usize).min(COUNTRIES.len() - 1)].0;
    let ship = r.chance(20);
    let mut out = vec![
        id(c),
        txt(co.name),
        when(r.chance(80), || txt(format!("{iso2}{:09}", r.below(1_000_000_000)))),
        txt(r.phone(calling_code(country))),
        id(country),
        txt(city),
        txt(co.zip.clone()),
        txt(state),
        txt(co.street.clone()),
        when(r.chance(70), || txt(format!("https://www.{}{}.example", slug(co.words.0), slug(co.words.1)))),
        office(&mut r, client_day(c)),
        int(i64::from(r.chance(95))),
        client_lead(p, c).map_or(Value::Null, id),
    ];
    out.extend([txt(co.street.clone()), txt(city), txt(state), txt(co.zip.clone()), id(country)]);
    if ship {
        out.extend([txt(co.street), txt(city), txt(state), txt(co.zip), id(country)]);
    } else {
        out.extend([Value::Null, Value::Null, Value::Null, Value::Null, int(0)]);
    }
    out.extend([
        Value::Null,
        Value::Null,
        when(r.chance(20), || txt("english")),
        int(i64::from(r.chance(20))),
        int(0),
        when(r.chance(10), || txt(format!("cus_{}", r.hex(14)))),
        int(1),
        id(r.id(STAFF)),
    ]);
    out
}

fn customer_group_row(_: &Plan, at: RowRef) -> Vec<Value> {
    let group = Rng::for_row(SEED_GROUP ^ 1, at.parent).id(4);
    vec![id(at.id), id(group), id(at.parent)]
}

#[rustfmt::skip]
const CONTACT_COLUMNS: &[&str] = &[
    "id", "userid", "is_primary", "firstname", "lastname", "email", "phonenumber", "title",
    "datecreated", "password", "new_pass_key", "new_pass_key_requested", "email_verified_at",
    "email_verification_key", "email_verification_sent_at", "last_ip", "last_login",
    "last_password_change", "active", "profile_image", "direction", "invoice_emails",
    "estimate_emails", "credit_note_emails", "contract_emails", "task_emails", "project_emails",
    "ticket_emails",
];

fn contact_row(_: &Plan, at: RowRef) -> Vec<Value> {
    let mut r = Rng::for_row(SEED_CONTACT, at.id);
    let (first, last) = person(&mut r);
    let country = client_country(at.parent);
    let created = client_day(at.parent) + i64::from(at.sub) * 30 + r.range(0, 29);
    let reset = r.chance(5);
    let seen = r.chance(60);
    let last_seen = r.range(DAYS - 200, DAYS - 1);
    let mut out = vec![
        id(at.id),
        id(at.parent),
        int(i64::from(at.sub == 0)),
        txt(first),
        txt(last),
        txt(format!("{}.{}{}@example.com", slug(first), slug(last), at.id)),
        txt(r.phone(calling_code(country))),
        when(r.chance(70), || txt(r.pick(JOB_TITLES))),
        office(&mut r, created),
        when(r.chance(90), || txt(r.phpass())),
        when(reset, || txt(r.hex(32))),
        when(reset, || datetime(last_seen, 40_000)),
        when(r.chance(80), || datetime(created, office_secs(&mut r))),
        Value::Null,
        Value::Null,
        when(seen, || txt(r.ipv4())),
        when(seen, || office(&mut r, last_seen)),
        Value::Null,
        int(i64::from(r.chance(95))),
        Value::Null,
        Value::Null,
    ];
    let quiet = r.chance(10);
    out.extend((0..7).map(|_| int(i64::from(!quiet))));
    out
}

/// Generators of the lead and customer tables.
pub(crate) static SPECS: &[Spec] = &[
    Spec::one("tblleads", LEAD_COLUMNS, |p| p.leads, lead_row),
    Spec::one("tblclients", CLIENT_COLUMNS, |p| p.clients, client_row),
    Spec::per(
        "tblcustomer_groups",
        &["id", "groupid", "customer_id"],
        |p| p.clients,
        Fanout::Var(|_, c| u32::from(Rng::for_row(SEED_GROUP, c).chance(40))),
        customer_group_row,
    ),
    Spec::per("tblcontacts", CONTACT_COLUMNS, |p| p.clients, Fanout::Var(|p, c| p.contacts_of(c)), contact_row),
];
