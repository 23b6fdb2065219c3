//! Personal data in the catalog: each column's PII kind, detected once by name
//! and type when the catalog is built, next to the secret-column marks of
//! `policy.rs`. The sandbox masks by these kinds; the audit log redacts
//! parameter values on these columns.

use super::ColumnKind;

/// Kinds of personal data the sandbox replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pii {
    Email,
    Phone,
    FirstName,
    LastName,
    FullName,
    Company,
    Address,
    City,
    Zip,
    State,
    Country,
    Vat,
    Website,
    Ip,
    Iban,
    Card,
    NationalId,
    BirthDate,
    Username,
    Notes,
    Amount,
    Latitude,
    Longitude,
    JobTitle,
    Image,
    Signature,
    SocialHandle,
    Identifier,
}

/// The PII kind of a column, from its name (and type: numeric ids are not PII).
pub fn pii_kind(table: &str, column: &str, kind: ColumnKind) -> Option<Pii> {
    let c = column.to_ascii_lowercase();
    if let ColumnKind::Decimal { .. } = kind {
        return Some(Pii::Amount);
    }
    if matches!(kind, ColumnKind::Date | ColumnKind::DateTime) {
        return ["dob", "date_of_birth", "birthday", "birth_date"].contains(&c.as_str()).then_some(Pii::BirthDate);
    }
    if kind != ColumnKind::Text {
        return None;
    }
    let is = |names: &[&str]| names.contains(&c.as_str());
    let has = |parts: &[&str]| parts.iter().any(|p| c.contains(p));
    Some(match () {
        _ if has(&["email"]) || c == "cc" => Pii::Email,
        _ if has(&["phone", "mobile"]) || c == "fax" => Pii::Phone,
        _ if has(&["firstname", "first_name"]) => Pii::FirstName,
        _ if has(&["lastname", "last_name"]) => Pii::LastName,
        _ if is(&["proposal_to", "deleted_customer_name", "creator_name", "full_name", "fullname", "contact_name"]) => {
            Pii::FullName
        }
        _ if c == "name" && is_person_table(table) => Pii::FullName,
        _ if has(&["company"]) => Pii::Company,
        _ if has(&["address", "street"]) => Pii::Address,
        _ if has(&["city"]) => Pii::City,
        _ if has(&["zip", "postal", "postcode"]) => Pii::Zip,
        _ if c == "state" || c.ends_with("_state") => Pii::State,
        _ if c == "country" || c.ends_with("_country") => Pii::Country,
        _ if c == "vat" || has(&["vat_number", "tax_id"]) => Pii::Vat,
        _ if has(&["website", "url"]) => Pii::Website,
        _ if c == "ip" || c.ends_with("_ip") || c == "ip_address" => Pii::Ip,
        _ if has(&["iban"]) => Pii::Iban,
        _ if has(&["card_number", "cc_number", "creditcard"]) => Pii::Card,
        _ if has(&["national_id", "ssn", "passport", "id_number"]) => Pii::NationalId,
        _ if has(&["username", "user_name"]) || c == "login" => Pii::Username,
        _ if is(&["skype", "facebook", "linkedin", "twitter"]) => Pii::SocialHandle,
        _ if is(&[
            "note",
            "notes",
            "clientnote",
            "adminnote",
            "message",
            "description",
            "email_signature",
            "additional_data",
        ]) =>
        {
            Pii::Notes
        }
        _ if c == "latitude" || c == "lat" => Pii::Latitude,
        _ if c == "longitude" || c == "lng" || c == "lon" => Pii::Longitude,
        _ if c == "title" && is_person_table(table) => Pii::JobTitle,
        _ if has(&["profile_image", "avatar", "photo"]) => Pii::Image,
        _ if c == "signature" => Pii::Signature,
        _ if is(&["stripe_id", "customer_id_external"]) => Pii::Identifier,
        _ => return None,
    })
}

fn is_person_table(table: &str) -> bool {
    ["leads", "contacts", "staff", "tickets", "ticket_replies", "vault"].contains(&table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection() {
        assert_eq!(pii_kind("clients", "company", ColumnKind::Text), Some(Pii::Company));
        assert_eq!(pii_kind("contacts", "email", ColumnKind::Text), Some(Pii::Email));
        assert_eq!(pii_kind("leads", "name", ColumnKind::Text), Some(Pii::FullName));
        assert_eq!(pii_kind("items", "name", ColumnKind::Text), None);
        assert_eq!(pii_kind("clients", "country", ColumnKind::Int), None, "a country id is not PII");
        assert_eq!(pii_kind("invoices", "total", ColumnKind::Decimal { scale: Some(2) }), Some(Pii::Amount));
        assert_eq!(pii_kind("contacts", "last_ip", ColumnKind::Text), Some(Pii::Ip));
        assert_eq!(pii_kind("invoices", "id", ColumnKind::Int), None);
    }
}
