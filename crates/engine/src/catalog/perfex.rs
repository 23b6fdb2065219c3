//! The built-in Perfex relation preset. Perfex declares almost no foreign keys,
//! so the implicit relations of `perfex-schema.md` §3 are listed here and added
//! when the schema looks like Perfex (prefix `tbl`, tables `tblclients` and
//! `tbloptions`). Entries whose tables or columns are missing are skipped, so
//! the preset is safe on any Perfex version.

/// A declared relation `from_table.from_col → to_table.to_col` (names without prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelationSpec {
    pub from_table: String,
    pub from_col: String,
    pub to_table: String,
    pub to_col: String,
    /// Explicit name of the has-many side (polymorphic relations need one).
    pub has_many_name: Option<String>,
    /// Polymorphic discriminator on the `from` table: `(column, value)`.
    pub condition: Option<(String, String)>,
}

fn spec(from: &str, col: &str, to: &str, to_col: &str) -> RelationSpec {
    RelationSpec {
        from_table: from.into(),
        from_col: col.into(),
        to_table: to.into(),
        to_col: to_col.into(),
        has_many_name: None,
        condition: None,
    }
}

fn poly(from: &str, to: &str, rel_type: &str, name: &str) -> RelationSpec {
    RelationSpec {
        has_many_name: Some(name.into()),
        condition: Some(("rel_type".into(), rel_type.into())),
        ..spec(from, "rel_id", to, "id")
    }
}

/// Columns that point at a table's key wherever they appear.
const EVERYWHERE: &[(&str, &str, &str)] = &[
    ("addedfrom", "staff", "staffid"),
    ("currency", "currencies", "id"),
    ("country", "countries", "country_id"),
    ("billing_country", "countries", "country_id"),
    ("shipping_country", "countries", "country_id"),
];

const CLIENT_COLS: &[(&str, &str)] = &[
    ("contacts", "userid"),
    ("invoices", "clientid"),
    ("estimates", "clientid"),
    ("projects", "clientid"),
    ("creditnotes", "clientid"),
    ("subscriptions", "clientid"),
    ("expenses", "clientid"),
    ("contracts", "client"),
    ("tickets", "userid"),
    ("vault", "customer_id"),
    ("customer_groups", "customer_id"),
    ("leads", "client_id"),
];

const PAIRS: &[(&str, &str, &str, &str)] = &[
    ("tickets", "contactid", "contacts", "id"),
    ("customer_groups", "groupid", "customers_groups", "id"),
    ("clients", "leadid", "leads", "id"),
    ("invoices", "sale_agent", "staff", "staffid"),
    ("estimates", "sale_agent", "staff", "staffid"),
    ("leads", "assigned", "staff", "staffid"),
    ("tickets", "assigned", "staff", "staffid"),
    ("proposals", "assigned", "staff", "staffid"),
    ("staff", "role", "roles", "roleid"),
    ("task_assigned", "staffid", "staff", "staffid"),
    ("task_assigned", "taskid", "tasks", "id"),
    ("project_members", "staff_id", "staff", "staffid"),
    ("project_members", "project_id", "projects", "id"),
    ("clients", "default_currency", "currencies", "id"),
    ("leads", "status", "leads_status", "id"),
    ("leads", "source", "leads_sources", "id"),
    ("tickets", "department", "departments", "departmentid"),
    ("tickets", "priority", "tickets_priorities", "priorityid"),
    ("tickets", "status", "tickets_status", "ticketstatusid"),
    ("tickets", "service", "services", "serviceid"),
    ("items", "tax", "taxes", "id"),
    ("items", "tax2", "taxes", "id"),
    ("items", "group_id", "items_groups", "id"),
    ("expenses", "category", "expenses_categories", "id"),
    ("expenses", "tax", "taxes", "id"),
    ("expenses", "tax2", "taxes", "id"),
    ("expenses", "project_id", "projects", "id"),
    ("expenses", "invoiceid", "invoices", "id"),
    ("contracts", "contract_type", "contracts_types", "id"),
    ("invoicepaymentrecords", "invoiceid", "invoices", "id"),
    ("invoicepaymentrecords", "paymentmode", "payment_modes", "id"),
    ("invoices", "project_id", "projects", "id"),
    ("estimates", "project_id", "projects", "id"),
    ("tickets", "project_id", "projects", "id"),
    ("contracts", "project_id", "projects", "id"),
    ("tasks", "milestone", "milestones", "id"),
    ("tasks", "invoice_id", "invoices", "id"),
    ("estimates", "invoiceid", "invoices", "id"),
    ("proposals", "estimate_id", "estimates", "id"),
    ("proposals", "invoice_id", "invoices", "id"),
    ("customfieldsvalues", "fieldid", "customfields", "id"),
    ("milestones", "project_id", "projects", "id"),
    ("item_tax", "itemid", "itemable", "id"),
];

/// The preset relations, given the stripped table names and a column lookup.
pub fn preset(has_column: &dyn Fn(&str, &str) -> bool) -> Vec<RelationSpec> {
    let mut out = Vec::new();
    for (t, c) in CLIENT_COLS {
        out.push(spec(t, c, "clients", "userid"));
    }
    for (t, c, to, tc) in PAIRS {
        out.push(spec(t, c, to, tc));
    }
    out.push(poly("itemable", "invoices", "invoice", "items"));
    out.push(poly("itemable", "estimates", "estimate", "items"));
    out.push(poly("itemable", "proposals", "proposal", "items"));
    out.push(poly("itemable", "creditnotes", "credit_note", "items"));
    out.push(poly("tasks", "projects", "project", "tasks"));
    out.push(poly("notes", "clients", "customer", "notes"));
    out.push(poly("notes", "leads", "lead", "notes"));
    out.retain(|s| has_column(&s.from_table, &s.from_col) && has_column(&s.to_table, &s.to_col));
    out
}

/// The columns that point somewhere from any table (`addedfrom → staff`, `currency → currencies`, …).
pub fn everywhere(tables: &[String], has_column: &dyn Fn(&str, &str) -> bool) -> Vec<RelationSpec> {
    let mut out = Vec::new();
    for t in tables {
        for (col, to, to_col) in EVERYWHERE {
            let already = CLIENT_COLS.iter().any(|(a, b)| a == t && b == col)
                || PAIRS.iter().any(|(a, b, _, _)| a == t && b == col);
            if !already && t != to && has_column(t, col) && has_column(to, to_col) {
                out.push(spec(t, col, to, to_col));
            }
        }
    }
    out
}
