//! Which tables are sensitive and which columns are secret. These marks are made
//! once, in the catalog, so every front-end inherits them through the planner.

/// Tables (without prefix) that are sensitive by default.
pub const DEFAULT_SENSITIVE: &[&str] = &["staff", "contacts", "options", "sessions", "vault", "user_auto_login"];

/// Name of the Data Builder state tables, after the prefix. They are never exposed.
pub const STATE_TABLE_MARK: &str = "data_builder_";

/// Secret columns by table (without prefix), from the Perfex schema facts.
const PERFEX_SECRETS: &[(&str, &str)] = &[
    ("staff", "password"),
    ("contacts", "password"),
    ("staff", "new_pass_key"),
    ("contacts", "new_pass_key"),
    ("contacts", "email_verification_key"),
    ("staff", "two_factor_auth_code"),
    ("staff", "google_auth_secret"),
    ("vault", "password"),
    ("departments", "password"),
    ("invoices", "hash"),
    ("invoices", "token"),
    ("estimates", "hash"),
    ("proposals", "hash"),
    ("contracts", "hash"),
    ("leads", "hash"),
    ("tickets", "ticketkey"),
    ("subscriptions", "hash"),
    ("files", "attachment_key"),
    ("user_auto_login", "key_id"),
    ("sessions", "data"),
    ("user_api", "token"),
    ("api_usage_logs", "api_key"),
    ("api_webhooks", "secret"),
    ("options", "value"),
];

/// Substrings that make any column secret, whatever its table.
const SECRET_PATTERNS: &[&str] = &[
    "password",
    "passwd",
    "pass_key",
    "secret",
    "token",
    "salt",
    "api_key",
    "apikey",
    "private_key",
    "verification_key",
    "auth_code",
    "attachment_key",
];

/// Whether a column is secret. `stripped` is the table name without prefix.
pub fn is_secret_column(stripped: &str, column: &str) -> bool {
    let c = column.to_ascii_lowercase();
    if PERFEX_SECRETS.iter().any(|(t, col)| *t == stripped && *col == c) {
        return true;
    }
    c == "hash" || c.ends_with("_hash") || SECRET_PATTERNS.iter().any(|p| c.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets() {
        assert!(is_secret_column("staff", "password"));
        assert!(is_secret_column("invoices", "hash"));
        assert!(is_secret_column("invoices", "token"));
        assert!(is_secret_column("tickets", "ticketkey"));
        assert!(is_secret_column("anything", "stripe_webhook_secret"));
        assert!(is_secret_column("anything", "password_hash"));
        assert!(!is_secret_column("invoices", "total"));
        assert!(!is_secret_column("clients", "company"));
    }
}
