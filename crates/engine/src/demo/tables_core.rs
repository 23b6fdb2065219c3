//! Demo schema, part 1: system, staff, lookup, customer and lead tables.
//!
//! Column names, types, nullability and defaults are copied from Perfex CRM
//! 3.0's installer (`perfex-schema.md` §2); keep them exact, the relation
//! presets and secret lists are written against these names.

use super::schema::t::{DATE, DEC, DT, INT, LTEXT, MTEXT, TEXT, TINY, ch, vc};
use super::schema::{ColType, PrimaryKey, Table, auto, nn, null};

/// `tblmigrations`: the schema version (no PK).
pub(crate) const MIGRATIONS: Table =
    Table { name: "tblmigrations", pk: PrimaryKey::None, columns: &[nn("version", ColType::BigInt)] };

/// `tbloptions`: key/value settings.
pub(crate) const OPTIONS: Table =
    auto("tbloptions", "id", &[nn("id", INT), nn("name", vc(191)), nn("value", LTEXT), nn("autoload", TINY).def(1)]);

/// `tblroles`.
pub(crate) const ROLES: Table =
    auto("tblroles", "roleid", &[nn("roleid", INT), nn("name", vc(150)), null("permissions", LTEXT)]);

/// `tblstaff`: admin users.
pub(crate) const STAFF: Table = auto(
    "tblstaff",
    "staffid",
    &[
        nn("staffid", INT),
        nn("email", vc(100)),
        nn("firstname", vc(50)),
        nn("lastname", vc(50)),
        null("facebook", MTEXT),
        null("linkedin", MTEXT),
        null("phonenumber", vc(30)),
        null("skype", vc(50)),
        nn("password", vc(250)),
        nn("datecreated", DT),
        null("profile_image", vc(191)),
        null("last_ip", vc(40)),
        null("last_login", DT),
        null("last_activity", DT),
        null("last_password_change", DT),
        null("new_pass_key", vc(32)),
        null("new_pass_key_requested", DT),
        nn("admin", INT).def(0),
        null("role", INT),
        nn("active", INT).def(1),
        null("default_language", vc(40)),
        null("direction", vc(3)),
        null("media_path_slug", vc(191)),
        nn("is_not_staff", INT).def(0),
        nn("hourly_rate", DEC).def_num("0.00"),
        null("two_factor_auth_enabled", TINY).def(0),
        null("two_factor_auth_code", vc(100)),
        null("two_factor_auth_code_requested", DT),
        null("email_signature", TEXT),
        null("google_auth_secret", TEXT),
    ],
);

/// `tbldepartments`: ticket departments (with an IMAP password).
pub(crate) const DEPARTMENTS: Table = auto(
    "tbldepartments",
    "departmentid",
    &[
        nn("departmentid", INT),
        nn("name", vc(100)),
        null("imap_username", vc(191)),
        null("email", vc(100)),
        nn("email_from_header", TINY).def(0),
        null("host", vc(150)),
        null("password", MTEXT),
        null("encryption", vc(3)),
        nn("folder", vc(191)).def_str("INBOX"),
        nn("delete_after_import", INT).def(0),
        null("calendar_id", MTEXT),
        nn("hidefromclient", TINY).def(0),
    ],
);

/// `tblcountries`.
pub(crate) const COUNTRIES: Table = auto(
    "tblcountries",
    "country_id",
    &[
        nn("country_id", INT),
        null("iso2", ch(2)),
        nn("short_name", vc(80)).def_str(""),
        nn("long_name", vc(80)).def_str(""),
        null("iso3", ch(3)),
        null("numcode", vc(6)),
        null("un_member", vc(12)),
        null("calling_code", vc(8)),
        null("cctld", vc(5)),
    ],
);

/// `tblcurrencies`.
pub(crate) const CURRENCIES: Table = auto(
    "tblcurrencies",
    "id",
    &[
        nn("id", INT),
        nn("symbol", vc(10)),
        nn("name", vc(100)),
        null("decimal_separator", vc(5)),
        null("thousand_separator", vc(5)),
        null("placement", vc(10)),
        nn("isdefault", TINY).def(0),
    ],
);

/// `tbltaxes`.
pub(crate) const TAXES: Table = auto("tbltaxes", "id", &[nn("id", INT), nn("name", vc(100)), nn("taxrate", DEC)]);

/// `tblpayment_modes`.
pub(crate) const PAYMENT_MODES: Table = auto(
    "tblpayment_modes",
    "id",
    &[
        nn("id", INT),
        nn("name", vc(100)),
        null("description", TEXT),
        nn("show_on_pdf", INT).def(0),
        nn("invoices_only", INT).def(0),
        nn("expenses_only", INT).def(0),
        nn("selected_by_default", INT).def(1),
        nn("active", TINY).def(1),
    ],
);

/// `tblcustomers_groups`: customer group definitions.
pub(crate) const CUSTOMERS_GROUPS: Table = auto("tblcustomers_groups", "id", &[nn("id", INT), nn("name", vc(191))]);

/// `tblleads_status`.
pub(crate) const LEADS_STATUS: Table = auto(
    "tblleads_status",
    "id",
    &[
        nn("id", INT),
        nn("name", vc(50)),
        null("statusorder", INT),
        null("color", vc(10)).def_str("#28B8DA"),
        nn("isdefault", INT).def(0),
    ],
);

/// `tblleads_sources`.
pub(crate) const LEADS_SOURCES: Table = auto("tblleads_sources", "id", &[nn("id", INT), nn("name", vc(150))]);

/// `tbltickets_status`.
pub(crate) const TICKETS_STATUS: Table = auto(
    "tbltickets_status",
    "ticketstatusid",
    &[
        nn("ticketstatusid", INT),
        nn("name", vc(50)),
        nn("isdefault", INT).def(0),
        null("statuscolor", vc(7)),
        null("statusorder", INT),
    ],
);

/// `tbltickets_priorities`.
pub(crate) const TICKETS_PRIORITIES: Table =
    auto("tbltickets_priorities", "priorityid", &[nn("priorityid", INT), nn("name", vc(50))]);

/// `tblservices`: ticket services.
pub(crate) const SERVICES: Table = auto("tblservices", "serviceid", &[nn("serviceid", INT), nn("name", vc(50))]);

/// `tblitems_groups`.
pub(crate) const ITEMS_GROUPS: Table = auto("tblitems_groups", "id", &[nn("id", INT), nn("name", vc(50))]);

/// `tblitems`: the product/service catalogue.
pub(crate) const ITEMS: Table = auto(
    "tblitems",
    "id",
    &[
        nn("id", INT),
        nn("description", MTEXT),
        null("long_description", TEXT),
        nn("rate", DEC),
        null("tax", INT),
        null("tax2", INT),
        null("unit", vc(40)),
        nn("group_id", INT).def(0),
    ],
);

/// `tblcontracts_types`.
pub(crate) const CONTRACTS_TYPES: Table = auto("tblcontracts_types", "id", &[nn("id", INT), nn("name", MTEXT)]);

/// `tblexpenses_categories`.
pub(crate) const EXPENSES_CATEGORIES: Table =
    auto("tblexpenses_categories", "id", &[nn("id", INT), nn("name", vc(191)), null("description", TEXT)]);

/// `tblleads`.
pub(crate) const LEADS: Table = auto(
    "tblleads",
    "id",
    &[
        nn("id", INT),
        null("hash", vc(65)),
        nn("name", vc(191)),
        null("title", vc(100)),
        null("company", vc(191)),
        null("description", TEXT),
        nn("country", INT).def(0),
        null("zip", vc(15)),
        null("city", vc(100)),
        null("state", vc(50)),
        null("address", vc(100)),
        nn("assigned", INT).def(0),
        nn("dateadded", DT),
        nn("from_form_id", INT).def(0),
        nn("status", INT),
        nn("source", INT),
        null("lastcontact", DT),
        null("dateassigned", DATE),
        null("last_status_change", DT),
        nn("addedfrom", INT),
        null("email", vc(100)),
        null("website", vc(150)),
        null("leadorder", INT).def(1),
        null("phonenumber", vc(50)),
        null("date_converted", DT),
        nn("lost", TINY).def(0),
        nn("junk", INT).def(0),
        nn("last_lead_status", INT).def(0),
        nn("is_imported_from_email_integration", TINY).def(0),
        null("email_integration_uid", vc(30)),
        nn("is_public", TINY).def(0),
        null("default_language", vc(40)),
        nn("client_id", INT).def(0),
        null("lead_value", DEC),
    ],
);

/// `tblclients`: the customer companies (PK `userid`).
pub(crate) const CLIENTS: Table = auto(
    "tblclients",
    "userid",
    &[
        nn("userid", INT),
        null("company", vc(191)),
        null("vat", vc(50)),
        null("phonenumber", vc(30)),
        nn("country", INT).def(0),
        null("city", vc(100)),
        null("zip", vc(15)),
        null("state", vc(50)),
        null("address", vc(191)),
        null("website", vc(150)),
        nn("datecreated", DT),
        nn("active", INT).def(1),
        null("leadid", INT),
        null("billing_street", vc(200)),
        null("billing_city", vc(100)),
        null("billing_state", vc(100)),
        null("billing_zip", vc(100)),
        null("billing_country", INT).def(0),
        null("shipping_street", vc(200)),
        null("shipping_city", vc(100)),
        null("shipping_state", vc(100)),
        null("shipping_zip", vc(100)),
        null("shipping_country", INT).def(0),
        null("longitude", vc(191)),
        null("latitude", vc(191)),
        null("default_language", vc(40)),
        nn("default_currency", INT).def(0),
        nn("show_primary_contact", INT).def(0),
        null("stripe_id", vc(40)),
        nn("registration_confirmed", INT).def(1),
        nn("addedfrom", INT).def(0),
    ],
);

/// `tblcustomer_groups`: the client ↔ group pivot.
pub(crate) const CUSTOMER_GROUPS: Table =
    auto("tblcustomer_groups", "id", &[nn("id", INT), nn("groupid", INT), nn("customer_id", INT)]);

/// `tblcontacts`: people of a client (client-portal logins).
pub(crate) const CONTACTS: Table = auto(
    "tblcontacts",
    "id",
    &[
        nn("id", INT),
        nn("userid", INT),
        nn("is_primary", INT).def(1),
        nn("firstname", vc(191)),
        nn("lastname", vc(191)),
        nn("email", vc(100)),
        nn("phonenumber", vc(100)),
        null("title", vc(100)),
        nn("datecreated", DT),
        null("password", vc(255)),
        null("new_pass_key", vc(32)),
        null("new_pass_key_requested", DT),
        null("email_verified_at", DT),
        null("email_verification_key", vc(32)),
        null("email_verification_sent_at", DT),
        null("last_ip", vc(40)),
        null("last_login", DT),
        null("last_password_change", DT),
        nn("active", TINY).def(1),
        null("profile_image", vc(191)),
        null("direction", vc(3)),
        nn("invoice_emails", TINY).def(1),
        nn("estimate_emails", TINY).def(1),
        nn("credit_note_emails", TINY).def(1),
        nn("contract_emails", TINY).def(1),
        nn("task_emails", TINY).def(1),
        nn("project_emails", TINY).def(1),
        nn("ticket_emails", TINY).def(1),
    ],
);
