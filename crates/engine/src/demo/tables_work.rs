//! Demo schema, part 3: projects and tasks, contracts, expenses, tickets,
//! custom fields, notes, the activity log and the secret-bearing tables
//! (vault, auto-login keys, sessions).
//!
//! Exact Perfex CRM 3.0 columns (`perfex-schema.md` §2); `tblmilestones`,
//! `tblnotes` and `tblactivity_log` follow the installer's shape.

use super::schema::t::{DATE, DEC, DT, INT, LTEXT, MTEXT, TEXT, TINY, ch, vc};
use super::schema::{ColType, PrimaryKey, Table, auto, nn, null};

/// `tblcustomfields`: custom field definitions.
pub(crate) const CUSTOMFIELDS: Table = auto(
    "tblcustomfields",
    "id",
    &[
        nn("id", INT),
        null("fieldto", vc(30)),
        nn("name", vc(150)),
        nn("slug", vc(150)),
        nn("required", TINY).def(0),
        nn("type", vc(20)),
        null("options", MTEXT),
        nn("display_inline", TINY).def(0),
        null("field_order", INT).def(0),
        nn("active", INT).def(1),
        nn("show_on_pdf", INT).def(0),
        nn("show_on_ticket_form", TINY).def(0),
        nn("only_admin", TINY).def(0),
        nn("show_on_table", TINY).def(0),
        nn("show_on_client_portal", INT).def(0),
        nn("disalow_client_to_edit", INT).def(0),
        nn("bs_column", INT).def(12),
        null("default_value", TEXT),
    ],
);

/// `tblprojects`.
pub(crate) const PROJECTS: Table = auto(
    "tblprojects",
    "id",
    &[
        nn("id", INT),
        nn("name", vc(191)),
        null("description", TEXT),
        nn("status", INT).def(0),
        nn("clientid", INT),
        nn("billing_type", INT),
        nn("start_date", DATE),
        null("deadline", DATE),
        nn("project_created", DATE),
        null("date_finished", DT),
        null("progress", INT).def(0),
        nn("progress_from_tasks", INT).def(1),
        null("project_cost", DEC),
        null("project_rate_per_hour", DEC),
        null("estimated_hours", DEC),
        nn("addedfrom", INT),
        null("contact_notification", INT).def(1),
        null("notify_contacts", TEXT),
    ],
);

/// `tblproject_members`.
pub(crate) const PROJECT_MEMBERS: Table =
    auto("tblproject_members", "id", &[nn("id", INT), nn("project_id", INT), nn("staff_id", INT)]);

/// `tblmilestones`: project milestones.
pub(crate) const MILESTONES: Table = auto(
    "tblmilestones",
    "id",
    &[
        nn("id", INT),
        nn("name", vc(191)),
        null("description", TEXT),
        null("description_visible_to_customer", TINY).def(0),
        null("start_date", DATE),
        nn("due_date", DATE),
        nn("project_id", INT),
        null("color", vc(10)),
        nn("milestone_order", INT).def(0),
        nn("datecreated", DATE),
        null("hide_from_customer", INT).def(0),
    ],
);

/// `tbltasks`.
pub(crate) const TASKS: Table = auto(
    "tbltasks",
    "id",
    &[
        nn("id", INT),
        null("name", MTEXT),
        null("description", TEXT),
        null("priority", INT),
        nn("dateadded", DT),
        nn("startdate", DATE),
        null("duedate", DATE),
        null("datefinished", DT),
        nn("addedfrom", INT),
        nn("is_added_from_contact", TINY).def(0),
        nn("status", INT).def(0),
        null("recurring_type", vc(10)),
        null("repeat_every", INT),
        nn("recurring", INT).def(0),
        null("is_recurring_from", INT),
        nn("cycles", INT).def(0),
        nn("total_cycles", INT).def(0),
        nn("custom_recurring", TINY).def(0),
        null("last_recurring_date", DATE),
        null("rel_id", INT),
        null("rel_type", vc(30)),
        nn("is_public", TINY).def(0),
        nn("billable", TINY).def(0),
        nn("billed", TINY).def(0),
        nn("invoice_id", INT).def(0),
        nn("hourly_rate", DEC).def_num("0.00"),
        null("milestone", INT).def(0),
        null("kanban_order", INT).def(1),
        nn("milestone_order", INT).def(0),
        nn("visible_to_client", TINY).def(0),
        nn("deadline_notified", INT).def(0),
    ],
);

/// `tbltask_assigned`: task ↔ staff assignments.
pub(crate) const TASK_ASSIGNED: Table = auto(
    "tbltask_assigned",
    "id",
    &[
        nn("id", INT),
        nn("staffid", INT),
        nn("taskid", INT),
        nn("assigned_from", INT).def(0),
        nn("is_assigned_from_contact", TINY).def(0),
    ],
);

/// `tblcontracts` (the client column is `client`).
pub(crate) const CONTRACTS: Table = auto(
    "tblcontracts",
    "id",
    &[
        nn("id", INT),
        null("content", LTEXT),
        null("description", TEXT),
        null("subject", vc(191)),
        nn("client", INT),
        null("datestart", DATE),
        null("dateend", DATE),
        null("contract_type", INT),
        null("project_id", INT),
        nn("addedfrom", INT),
        nn("dateadded", DT),
        nn("isexpirynotified", INT).def(0),
        null("contract_value", DEC),
        null("trash", TINY).def(0),
        nn("not_visible_to_client", TINY).def(0),
        null("hash", vc(32)),
        nn("signed", TINY).def(0),
        null("signature", vc(40)),
        nn("marked_as_signed", TINY).def(0),
        null("acceptance_firstname", vc(50)),
        null("acceptance_lastname", vc(50)),
        null("acceptance_email", vc(100)),
        null("acceptance_date", DT),
        null("acceptance_ip", vc(40)),
        null("short_link", vc(100)),
    ],
);

/// `tblexpenses`.
pub(crate) const EXPENSES: Table = auto(
    "tblexpenses",
    "id",
    &[
        nn("id", INT),
        nn("category", INT),
        nn("currency", INT),
        nn("amount", DEC),
        null("tax", INT),
        nn("tax2", INT).def(0),
        null("reference_no", vc(100)),
        null("note", TEXT),
        null("expense_name", vc(191)),
        nn("clientid", INT),
        nn("project_id", INT).def(0),
        null("billable", INT).def(0),
        null("invoiceid", INT),
        null("paymentmode", vc(50)),
        nn("date", DATE),
        null("recurring_type", vc(10)),
        null("repeat_every", INT),
        nn("recurring", INT).def(0),
        nn("cycles", INT).def(0),
        nn("total_cycles", INT).def(0),
        nn("custom_recurring", INT).def(0),
        null("last_recurring_date", DATE),
        null("create_invoice_billable", TINY),
        nn("send_invoice_to_customer", TINY),
        null("recurring_from", INT),
        nn("dateadded", DT),
        nn("addedfrom", INT),
    ],
);

/// `tbltickets` (PK `ticketid`).
pub(crate) const TICKETS: Table = auto(
    "tbltickets",
    "ticketid",
    &[
        nn("ticketid", INT),
        nn("adminreplying", INT).def(0),
        nn("userid", INT),
        nn("contactid", INT).def(0),
        null("merged_ticket_id", INT),
        null("email", TEXT),
        null("name", TEXT),
        nn("department", INT),
        nn("priority", INT),
        nn("status", INT),
        null("service", INT),
        nn("ticketkey", vc(32)),
        nn("subject", vc(191)),
        null("message", TEXT),
        null("admin", INT),
        nn("date", DT),
        nn("project_id", INT).def(0),
        null("lastreply", DT),
        nn("clientread", INT).def(0),
        nn("adminread", INT).def(0),
        nn("assigned", INT).def(0),
        null("staff_id_replying", INT),
        null("cc", vc(191)),
    ],
);

/// `tblcustomfieldsvalues`: custom field values (`relid` per `fieldto`).
pub(crate) const CUSTOMFIELDSVALUES: Table = auto(
    "tblcustomfieldsvalues",
    "id",
    &[nn("id", INT), nn("relid", INT), nn("fieldid", INT), nn("fieldto", vc(15)), nn("value", TEXT)],
);

/// `tblnotes`: notes on customers, leads, … (`rel_type`/`rel_id`).
pub(crate) const NOTES: Table = auto(
    "tblnotes",
    "id",
    &[
        nn("id", INT),
        nn("rel_id", INT),
        nn("rel_type", vc(20)),
        null("description", TEXT),
        null("date_contacted", DT),
        nn("addedfrom", INT),
        nn("dateadded", DT),
    ],
);

/// `tblactivity_log` (`staffid` holds the staff member's full name).
pub(crate) const ACTIVITY_LOG: Table = auto(
    "tblactivity_log",
    "id",
    &[nn("id", INT), nn("description", LTEXT), null("additional_data", TEXT), nn("date", DT), null("staffid", vc(100))],
);

/// `tblvault`: stored customer server credentials.
pub(crate) const VAULT: Table = auto(
    "tblvault",
    "id",
    &[
        nn("id", INT),
        nn("customer_id", INT),
        nn("server_address", vc(191)),
        null("port", INT),
        nn("username", vc(191)),
        nn("password", TEXT),
        null("description", TEXT),
        nn("creator", INT),
        null("creator_name", vc(100)),
        nn("visibility", TINY).def(1),
        nn("share_in_projects", TINY).def(0),
        null("last_updated", DT),
        null("last_updated_from", vc(100)),
        nn("date_created", DT),
    ],
);

/// `tbluser_auto_login`: "remember me" keys (no PK).
pub(crate) const USER_AUTO_LOGIN: Table = Table {
    name: "tbluser_auto_login",
    pk: PrimaryKey::None,
    columns: &[
        nn("key_id", ch(32)),
        nn("user_id", INT),
        nn("user_agent", vc(150)),
        nn("last_ip", vc(40)),
        nn("last_login", ColType::Timestamp).def_now(),
        nn("staff", INT),
    ],
};

/// `tblsessions`: PHP sessions (PK `id varchar(128)`, not generated).
pub(crate) const SESSIONS: Table = Table {
    name: "tblsessions",
    pk: PrimaryKey::Natural("id"),
    columns: &[
        nn("id", vc(128)),
        nn("ip_address", vc(45)),
        nn("timestamp", ColType::UInt).def(0),
        nn("data", ColType::Blob),
    ],
};
