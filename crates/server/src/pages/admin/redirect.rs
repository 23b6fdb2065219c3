//! `?next=` targets (after sign-in, and anywhere else a console page redirects):
//! only a same-origin relative path survives — one `/` followed by something
//! other than `/` or `\` — checked on the percent-decoded text too, because a
//! browser (or a proxy) may decode it before resolving. Everything else lands
//! on the console home, so a link can never bounce an admin to another site.

use percent_encoding::percent_decode_str;

/// The console home, where refused targets land.
pub const HOME: &str = "/api/data_builder/admin/";

/// Whether one decoding of `s` still reads as a safe relative path.
fn safe_form(s: &str) -> bool {
    let b = s.as_bytes();
    // Browsers drop tabs and newlines inside URLs (`/\t/x` becomes `//x`), and
    // treat `\` as `/`: both are refused outright.
    b.first() == Some(&b'/')
        && !matches!(b.get(1), Some(b'/') | Some(b'\\'))
        && !s.chars().any(|c| c.is_control() || c == '\\')
}

/// `next` when it is a safe same-origin path, else [`HOME`].
pub fn safe_next(next: Option<&str>) -> String {
    let Some(raw) = next.map(str::trim_end) else {
        return HOME.to_string();
    };
    if raw.is_empty() || raw.len() > 2048 || !raw.bytes().all(|b| b.is_ascii_graphic()) {
        return HOME.to_string();
    }
    // Decode until stable (bounded): `%252F%252F` is `//` two decodings later.
    let mut current = raw.to_string();
    for _ in 0..4 {
        if !safe_form(&current) {
            return HOME.to_string();
        }
        let decoded = percent_decode_str(&current).decode_utf8_lossy().into_owned();
        if decoded == current {
            return raw.to_string();
        }
        current = decoded;
    }
    HOME.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_relative_paths_survive() {
        assert_eq!(safe_next(Some("/api/data_builder/admin/tokens")), "/api/data_builder/admin/tokens");
        assert_eq!(safe_next(Some("/api/data_builder/admin/views?x=1%202")), "/api/data_builder/admin/views?x=1%202");
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "javascript:alert(1)",
            "%2F%2Fevil",
            "/%2F%2Fevil",
            "/%5Cevil",
            "/%252F%252Fevil",
            "/\t/evil",
            "",
            "evil",
        ] {
            assert_eq!(safe_next(Some(bad)), HOME, "{bad:?}");
        }
        assert_eq!(safe_next(None), HOME);
    }
}
