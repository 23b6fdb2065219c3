//! The query string as the audit log stores it: secret-named parameters and
//! anything carrying a `dba_` token are replaced by [`REDACTED`].

use std::borrow::Cow;

use percent_encoding::percent_decode_str;

/// What replaces the value of a secret query parameter.
pub const REDACTED: &str = "REDACTED";

/// Parameter names whose values are always redacted.
const SECRET_NAMES: [&str; 3] = ["token", "access_token", "signature"];
/// Name fragments (case-insensitive) that mark a parameter as secret.
const SECRET_PARTS: [&str; 11] =
    ["password", "passwd", "secret", "token", "api_key", "apikey", "key", "hash", "salt", "signature", "auth"];
/// Data Builder tokens start with this; a value carrying one is redacted whatever its name.
const TOKEN_MARK: &str = "dba_";

/// Whether a (decoded) query parameter name is a secret's: `token`,
/// `access_token`, `signature`, or any name containing `password`, `passwd`,
/// `secret`, `token`, `api_key`, `apikey`, `key`, `hash`, `salt`, `signature` or
/// `auth`, in any case (so `filter[password]` is one).
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_lowercase();
    SECRET_NAMES.contains(&n.as_str()) || SECRET_PARTS.iter().any(|p| n.contains(p))
}

/// Percent- and `+`-decoding of one query component.
fn decode(s: &str) -> String {
    percent_decode_str(&s.replace('+', " ")).decode_utf8_lossy().into_owned()
}

fn carries_token(raw: &str) -> bool {
    decode(raw).contains(TOKEN_MARK)
}

/// Decides, from a parameter's decoded name and value, whether its value is
/// personal data (PII) to be replaced by [`REDACTED`] too.
pub type Personal<'a> = &'a dyn Fn(&str, &str) -> bool;

/// One `name=value` piece of a query, redacted when secret or personal.
fn redact_pair<'q>(pair: &'q str, personal: Personal<'_>) -> Cow<'q, str> {
    let (name, value) = match pair.split_once('=') {
        Some((n, v)) => (n, Some(v)),
        None => (pair, None),
    };
    if carries_token(name) {
        return Cow::Borrowed(REDACTED);
    }
    match value {
        Some(v) if is_secret_name(&decode(name)) || carries_token(v) || personal(&decode(name), &decode(v)) => {
            Cow::Owned(format!("{name}={REDACTED}"))
        }
        _ => Cow::Borrowed(pair),
    }
}

/// The path to store: `path`, plus `?query` with the value of every secret
/// parameter (see [`is_secret_name`]) and of anything carrying a `dba_` token
/// replaced by [`REDACTED`]. Names, order and the other values are kept as sent.
pub fn redact_path(path: &str, query: Option<&str>) -> String {
    redact_path_with(path, query, &|_, _| false)
}

/// [`redact_path`], also replacing the values that `personal` says are
/// personal data (the request logger asks the catalog, SPEC §8).
pub fn redact_path_with(path: &str, query: Option<&str>, personal: Personal<'_>) -> String {
    match query.filter(|q| !q.is_empty()) {
        None => path.to_string(),
        Some(q) => {
            let pairs: Vec<Cow<'_, str>> = q.split('&').map(|p| redact_pair(p, personal)).collect();
            format!("{path}?{}", pairs.join("&"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_secret_values_and_keeps_the_rest() {
        let out = redact_path("/api/v1/x", Some("a=1&token=dba_abc&filter%5Bpassword%5D=p&Api_Key=k&b=2&flag&x=dba_z"));
        assert_eq!(
            out,
            "/api/v1/x?a=1&token=REDACTED&filter%5Bpassword%5D=REDACTED&Api_Key=REDACTED&b=2&flag&x=REDACTED"
        );
        assert_eq!(redact_path("/p", None), "/p");
        assert_eq!(redact_path("/p", Some("")), "/p");
        assert_eq!(redact_path("/p", Some("dba_bare")), "/p?REDACTED");
        assert!(is_secret_name("filter[password]") && is_secret_name("X-AUTH") && !is_secret_name("limit"));
    }

    #[test]
    fn personal_values_are_redacted_by_decoded_name() {
        let personal = |n: &str, v: &str| n == "filter[email]" && v.contains('@');
        let out = redact_path_with("/x", Some("filter%5Bemail%5D=a%40b.c&filter[email]=nobody&page=2"), &personal);
        assert_eq!(out, "/x?filter%5Bemail%5D=REDACTED&filter[email]=nobody&page=2");
    }
}
