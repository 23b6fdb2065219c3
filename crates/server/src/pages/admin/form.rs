//! `application/x-www-form-urlencoded` bodies and query strings, parsed by hand
//! (the router is built without axum's `form`/`query` extractors): repeated
//! fields keep every value, in order.

/// The fields of one form or query string.
#[derive(Debug, Default, Clone)]
pub struct Form(pub Vec<(String, String)>);

/// Parse a body or a raw query string.
pub fn parse(bytes: &[u8]) -> Form {
    Form(form_urlencoded::parse(bytes).map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
}

impl Form {
    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The first value of `name`, trimmed, when not empty.
    pub fn text(&self, name: &str) -> Option<String> {
        self.get(name).map(str::trim).filter(|v| !v.is_empty()).map(str::to_string)
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }

    /// Whether a checkbox named `name` was ticked.
    pub fn checked(&self, name: &str) -> bool {
        self.get(name).is_some_and(|v| !v.is_empty())
    }

    /// The non-empty lines of a textarea (also split on commas when `commas`).
    pub fn lines(&self, name: &str, commas: bool) -> Vec<String> {
        let v = self.get(name).unwrap_or_default();
        v.split(|c: char| c == '\n' || (commas && c == ','))
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    }
}
