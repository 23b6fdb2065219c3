//! GraphQL naming, part of the GraphQL front-end (`api/graphql/`). Resource,
//! column and relation names come from the database and may contain anything;
//! GraphQL names must match `[_A-Za-z][_0-9A-Za-z]*` and may not start with `__`.
//! Everything here is deterministic, so a token sees the same schema on every
//! instance and after every rebuild; a name that still clashes is skipped by
//! the caller ([`Names::claim`] answers `false`).

use std::collections::HashSet;

/// A valid GraphQL name for `raw`: invalid characters become `_`, a leading digit
/// gets a `_` in front, and a leading `__` (reserved for introspection) loses one `_`.
pub fn sanitize(raw: &str) -> String {
    let mut s: String = raw.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    while s.starts_with("__") {
        s.remove(0);
    }
    s
}

/// `leads_status` → `LeadsStatus`, `invoice` → `Invoice` (always a valid name).
pub fn pascal(raw: &str) -> String {
    let mut out = String::new();
    for part in raw.split(|c: char| !c.is_ascii_alphanumeric()).filter(|p| !p.is_empty()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    sanitize(&out)
}

/// The plural root field of a resource: its name, plus `s` when it does not end in `s`.
pub fn plural(resource: &str) -> String {
    let s = sanitize(resource);
    if s.ends_with('s') { s } else { format!("{s}s") }
}

/// The singular root field: `singular(resource)`, or `<plural>_by_id` when both are equal.
pub fn singular_field(resource: &str) -> String {
    let plural = plural(resource);
    let one = sanitize(&databuilder_engine::catalog::singular(resource));
    if one == plural { format!("{plural}_by_id") } else { one }
}

/// One namespace (the fields of a type, or the type names of a schema).
#[derive(Debug, Default)]
pub struct Names {
    used: HashSet<String>,
}

impl Names {
    /// A namespace with some names taken already.
    pub fn with(reserved: &[&str]) -> Names {
        Names { used: reserved.iter().map(|s| s.to_string()).collect() }
    }

    /// Take `name` when it is free; `false` (skip it) when it clashes.
    pub fn claim(&mut self, name: &str) -> bool {
        self.used.insert(name.to_string())
    }

    /// Whether `name` is taken.
    pub fn taken(&self, name: &str) -> bool {
        self.used.contains(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_valid_graphql() {
        assert_eq!(sanitize("invoices"), "invoices");
        assert_eq!(sanitize("report-groups"), "report_groups");
        assert_eq!(sanitize("1st"), "_1st");
        assert_eq!(sanitize("__x"), "_x");
        assert_eq!(sanitize(""), "_");
        assert_eq!(sanitize("prix €"), "prix__");
        assert_eq!(pascal("leads_status"), "LeadsStatus");
        assert_eq!(pascal("invoice"), "Invoice");
        assert_eq!(pascal("9lives"), "_9lives");
        assert_eq!(plural("staff"), "staffs");
        assert_eq!(plural("invoices"), "invoices");
        assert_eq!(singular_field("invoices"), "invoice");
        assert_eq!(singular_field("staff"), "staff");
        assert_eq!(singular_field("leads_status"), "leads_status_by_id");
        let mut n = Names::with(&["Query"]);
        assert!(!n.claim("Query"));
        assert!(n.claim("Invoice"));
        assert!(!n.claim("Invoice"));
        assert!(n.taken("Invoice"));
    }
}
