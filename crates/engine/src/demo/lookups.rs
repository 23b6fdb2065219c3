//! The fixed data of the demo database: installer seed rows of Perfex CRM
//! (`perfex-schema.md` §4), countries, taxes, the item catalogue, a slice of
//! `tbloptions` and the other lookup lists. `gen_lookups.rs` turns them into
//! rows; the scaled generators refer to their ids.

/// `(iso2, short_name, long_name, iso3, numcode, calling_code, cctld)`; the
/// country id is the position + 1.
#[rustfmt::skip]
pub(crate) const COUNTRIES: &[(&str, &str, &str, &str, &str, &str, &str)] = &[
    ("US", "United States", "United States of America", "USA", "840", "1", ".us"),
    ("GB", "United Kingdom", "United Kingdom of Great Britain and Northern Ireland", "GBR", "826", "44", ".uk"),
    ("DE", "Germany", "Federal Republic of Germany", "DEU", "276", "49", ".de"),
    ("FR", "France", "French Republic", "FRA", "250", "33", ".fr"),
    ("IT", "Italy", "Italian Republic", "ITA", "380", "39", ".it"),
    ("ES", "Spain", "Kingdom of Spain", "ESP", "724", "34", ".es"),
    ("NL", "Netherlands", "Kingdom of the Netherlands", "NLD", "528", "31", ".nl"),
    ("BE", "Belgium", "Kingdom of Belgium", "BEL", "056", "32", ".be"),
    ("AT", "Austria", "Republic of Austria", "AUT", "040", "43", ".at"),
    ("CH", "Switzerland", "Swiss Confederation", "CHE", "756", "41", ".ch"),
    ("SE", "Sweden", "Kingdom of Sweden", "SWE", "752", "46", ".se"),
    ("NO", "Norway", "Kingdom of Norway", "NOR", "578", "47", ".no"),
    ("DK", "Denmark", "Kingdom of Denmark", "DNK", "208", "45", ".dk"),
    ("FI", "Finland", "Republic of Finland", "FIN", "246", "358", ".fi"),
    ("PL", "Poland", "Republic of Poland", "POL", "616", "48", ".pl"),
    ("PT", "Portugal", "Portuguese Republic", "PRT", "620", "351", ".pt"),
    ("IE", "Ireland", "Ireland", "IRL", "372", "353", ".ie"),
    ("GR", "Greece", "Hellenic Republic", "GRC", "300", "30", ".gr"),
    ("CZ", "Czech Republic", "Czech Republic", "CZE", "203", "420", ".cz"),
    ("CA", "Canada", "Canada", "CAN", "124", "1", ".ca"),
    ("MX", "Mexico", "United Mexican States", "MEX", "484", "52", ".mx"),
    ("BR", "Brazil", "Federative Republic of Brazil", "BRA", "076", "55", ".br"),
    ("AR", "Argentina", "Argentine Republic", "ARG", "032", "54", ".ar"),
    ("AU", "Australia", "Commonwealth of Australia", "AUS", "036", "61", ".au"),
    ("NZ", "New Zealand", "New Zealand", "NZL", "554", "64", ".nz"),
    ("JP", "Japan", "Japan", "JPN", "392", "81", ".jp"),
    ("IN", "India", "Republic of India", "IND", "356", "91", ".in"),
    ("SG", "Singapore", "Republic of Singapore", "SGP", "702", "65", ".sg"),
    ("ZA", "South Africa", "Republic of South Africa", "ZAF", "710", "27", ".za"),
    ("BG", "Bulgaria", "Republic of Bulgaria", "BGR", "100", "359", ".bg"),
];

/// `(name, rate in hundredths of a percent)`; the tax id is the position + 1.
pub(crate) const TAXES: &[(&str, i64)] = &[("VAT", 1900), ("VAT reduced", 700), ("Sales Tax", 1000), ("UK VAT", 2000)];

/// `(name, unit, group id, rate in cents)`; each base exists as a standard
/// item (ids 1–25) and a premium one (ids 26–50, twice the rate).
#[rustfmt::skip]
const ITEM_BASES: &[(&str, &str, u64, i64)] = &[
    ("Website Hosting", "month", 1, 2_900),
    ("Domain Registration", "year", 1, 1_500),
    ("SSL Certificate", "year", 1, 6_900),
    ("Email Account", "month", 1, 500),
    ("Cloud Backup", "month", 1, 1_200),
    ("Laptop", "pcs", 2, 109_900),
    ("Monitor 27\"", "pcs", 2, 32_900),
    ("Docking Station", "pcs", 2, 18_900),
    ("Network Switch", "pcs", 2, 24_500),
    ("Wireless Access Point", "pcs", 2, 14_900),
    ("Office Suite License", "seat", 3, 9_900),
    ("Antivirus License", "seat", 3, 3_900),
    ("CRM Add-on", "seat", 3, 4_900),
    ("Accounting Software", "seat", 3, 19_900),
    ("Design Tool License", "seat", 3, 24_000),
    ("Consulting", "hour", 4, 12_000),
    ("Web Development", "hour", 4, 9_500),
    ("Graphic Design", "hour", 4, 8_000),
    ("SEO Audit", "pcs", 4, 45_000),
    ("On-site Support", "hour", 4, 11_000),
    ("Remote Support", "hour", 4, 7_500),
    ("Training Session", "day", 4, 90_000),
    ("Project Management", "hour", 4, 10_500),
    ("Copywriting", "page", 4, 6_000),
    ("Maintenance Plan", "month", 4, 29_900),
];

/// The number of catalogue items.
pub(crate) const ITEM_COUNT: u64 = 2 * ITEM_BASES.len() as u64;

/// One catalogue item.
pub(crate) struct Item {
    pub name: &'static str,
    pub premium: bool,
    pub unit: &'static str,
    pub group: u64,
    pub rate_cents: i64,
}

impl Item {
    /// `tblitems.description`.
    pub(crate) fn description(&self) -> String {
        if self.premium { format!("{} (Premium)", self.name) } else { self.name.to_string() }
    }
}

/// Catalogue item `k` (1-based; wraps around).
pub(crate) fn item(k: u64) -> Item {
    let n = ITEM_BASES.len() as u64;
    let i = k.saturating_sub(1) % ITEM_COUNT;
    let (name, unit, group, cents) = ITEM_BASES[(i % n) as usize];
    let premium = i >= n;
    Item { name, premium, unit, group, rate_cents: if premium { cents * 2 } else { cents } }
}

/// The `tbloptions` rows `(name, value)`; values starting with `secret-` are
/// the ones that must never leave the server. Empty `next_*_number` values are
/// filled in from the scale.
#[rustfmt::skip]
pub(crate) const OPTIONS: &[(&str, &str)] = &[
    ("companyname", "Demo Company Ltd"),
    ("company_info_format", "{company_name}<br />{address}<br />{city} {state}<br />{country_code} {zip_code}<br />{vat_number_with_label}"),
    ("invoice_company_address", "1 Demo Street"),
    ("invoice_company_city", "Berlin"),
    ("invoice_company_country_code", "DE"),
    ("invoice_company_postal_code", "10115"),
    ("company_vat", "DE123456789"),
    ("main_domain", "example.com"),
    ("default_timezone", "Europe/Berlin"),
    ("dateformat", "Y-m-d|%Y-%m-%d"),
    ("time_format", "24"),
    ("active_language", "english"),
    ("allowed_files", ".png,.jpg,.pdf,.doc,.docx,.xls,.xlsx,.zip,.rar,.txt"),
    ("decimal_separator", "."),
    ("thousand_separator", ","),
    ("number_padding_prefixes", "6"),
    ("invoice_prefix", "INV-"),
    ("estimate_prefix", "EST-"),
    ("credit_note_prefix", "CN-"),
    ("proposal_number_prefix", "PRO-"),
    ("invoice_number_format", "1"),
    ("estimate_number_format", "1"),
    ("invoice_due_after", "30"),
    ("estimate_due_after", "7"),
    ("show_sale_agent_on_invoices", "1"),
    ("default_tax", "a:0:{}"),
    ("allow_registration", "0"),
    ("clients_default_theme", "perfex"),
    ("default_leads_kanban_sort", "leadorder"),
    ("tasks_kanban_limit", "50"),
    ("email_protocol", "smtp"),
    ("smtp_host", "smtp.example.com"),
    ("smtp_port", "587"),
    ("smtp_encryption", "tls"),
    ("smtp_email", "noreply@example.com"),
    ("smtp_username", "noreply@example.com"),
    ("smtp_password", "secret-smtp-9f8e7d6c5b4a"),
    ("google_api_key", "secret-google-AIzaDemoKey000"),
    ("recaptcha_site_key", "secret-recaptcha-site-6Lc000"),
    ("recaptcha_secret_key", "secret-recaptcha-6Lc000secret"),
    ("pusher_app_key", "secret-pusher-key-0000"),
    ("pusher_app_secret", "secret-pusher-secret-0000"),
    ("dropbox_app_key", "secret-dropbox-0000"),
    ("bitly_access_token", "secret-bitly-0000"),
    ("stripe_webhook_signing_secret", "secret-whsec_demo0000"),
    ("purchase_key", "secret-purchase-0000-0000"),
    ("identification_key", "secret-identification-0000"),
    ("paymentmethod_stripe_api_publishable_key", "pk_test_demo0000"),
    ("paymentmethod_stripe_api_secret_key", "secret-sk_test_demo0000"),
    ("paymentmethod_paypal_username", "paypal@example.com"),
    ("paymentmethod_paypal_password", "secret-paypal-0000"),
    ("next_invoice_number", ""),
    ("next_estimate_number", ""),
];

/// `tblcustomers_groups` names.
pub(crate) const CUSTOMERS_GROUPS: &[&str] = &["VIP", "Wholesale", "Retail", "Partners"];
/// `tblleads_sources` names (1 Google and 2 Facebook are installer rows).
#[rustfmt::skip]
pub(crate) const LEADS_SOURCES: &[&str] = &["Google", "Facebook", "LinkedIn", "Referral", "Website", "Trade Show"];
/// `tblleads_status` (name, color); 1 "Customer" is the installer row.
#[rustfmt::skip]
pub(crate) const LEADS_STATUS: &[(&str, &str)] = &[
    ("Customer", "#7cb342"), ("New", "#28B8DA"), ("Contacted", "#03a9f4"),
    ("Qualified", "#ff6f00"), ("Proposal Sent", "#84c529"), ("Negotiation", "#c53da9"),
];
/// The number of lead statuses (status 1 is "Customer").
pub(crate) const LEAD_STATUSES: u64 = LEADS_STATUS.len() as u64;
/// The number of lead sources.
pub(crate) const LEAD_SOURCES: u64 = LEADS_SOURCES.len() as u64;
/// `tbltickets_status` (name, color): the installer rows 1–5.
#[rustfmt::skip]
pub(crate) const TICKETS_STATUS: &[(&str, &str)] = &[
    ("Open", "#ff2d42"), ("In progress", "#22c55e"), ("Answered", "#2563eb"),
    ("On Hold", "#64748b"), ("Closed", "#03a9f4"),
];
/// `tbltickets_priorities`: the installer rows 1–3.
pub(crate) const PRIORITIES: &[&str] = &["Low", "Medium", "High"];
/// `tblservices` names.
pub(crate) const SERVICES: &[&str] = &["Hosting", "Web Design", "SEO", "Maintenance"];
/// `tblitems_groups` names (ids match `ITEM_BASES` groups).
pub(crate) const ITEMS_GROUPS: &[&str] = &["Hosting", "Hardware", "Software", "Services"];
/// `tblcontracts_types` names.
#[rustfmt::skip]
pub(crate) const CONTRACT_TYPES: &[&str] = &["Maintenance", "Hosting", "Consulting", "Support", "License"];
/// The number of contract types.
pub(crate) const CONTRACT_TYPE_COUNT: u64 = CONTRACT_TYPES.len() as u64;
/// `tblexpenses_categories` names.
#[rustfmt::skip]
pub(crate) const EXPENSE_CATEGORIES: &[&str] = &["Travel", "Office Supplies", "Software", "Rent", "Utilities", "Marketing"];
/// The number of expense categories.
pub(crate) const EXPENSE_CATEGORY_COUNT: u64 = EXPENSE_CATEGORIES.len() as u64;
/// `tbldepartments` names.
pub(crate) const DEPARTMENTS: &[&str] = &["Sales", "Support", "Billing", "Development"];
/// `tblpayment_modes` (name, description); 1 "Bank" is the installer row.
pub(crate) const PAYMENT_MODES: &[(&str, &str)] =
    &[("Bank", "IBAN DE00 1234 5678 9012 3456 78"), ("Cash", ""), ("Credit Card", "")];
/// `tblroles` (name, serialized permissions); 1 "Employee" is the installer row.
#[rustfmt::skip]
pub(crate) const ROLES: &[(&str, &str)] = &[
    ("Employee", "a:0:{}"),
    ("Manager", "a:1:{s:9:\"customers\";a:2:{i:0;s:4:\"view\";i:1;s:6:\"create\";}}"),
    ("Accountant", "a:1:{s:8:\"invoices\";a:1:{i:0;s:4:\"view\";}}"),
];
/// `tblcurrencies` (symbol, name, decimal and thousand separators, isdefault): the installer rows.
pub(crate) const CURRENCIES: &[(&str, &str, &str, &str, i64)] = &[("$", "USD", ".", ",", 1), ("€", "EUR", ",", ".", 0)];
/// `tblcustomfields` `(fieldto, name, slug, type, options)`; field 2 is the
/// customers' industry.
#[rustfmt::skip]
pub(crate) const CUSTOMFIELDS: &[(&str, &str, &str, &str, &str)] = &[
    ("customers", "Customer Since", "customers_customer_since", "date_picker", ""),
    ("customers", "Industry", "customers_industry", "select",
     "Retail,Manufacturing,Healthcare,Finance,Education,Hospitality,Construction,Logistics,Technology,Agriculture,Media,Non-profit"),
    ("invoice", "PO Number", "invoice_po_number", "input", ""),
    ("leads", "Budget", "leads_budget", "number", ""),
];
/// The id of the customers' "Industry" custom field.
pub(crate) const INDUSTRY_FIELD: u64 = 2;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_wraps() {
        assert_eq!(item(1).description(), "Website Hosting");
        assert_eq!(item(26).description(), "Website Hosting (Premium)");
        assert_eq!(item(26).rate_cents, 5_800);
        assert_eq!(item(ITEM_COUNT).name, "Maintenance Plan");
        assert!(OPTIONS.len() >= 50);
    }
}
