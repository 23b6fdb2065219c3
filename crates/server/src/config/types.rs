//! Typed configuration values, parsed when the configuration is loaded: a bad
//! value stops the start with its key and the reason (toml names the key;
//! these say what is wrong), never a silent default. Each serializes back to
//! the text it was written as, so `--dump-config` round-trips.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use ipnet::IpNet;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Implements `Serialize`/`Deserialize` through `Display`/`FromStr`.
macro_rules! text_value {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

/// A duration written like `500ms`, `10s`, `15m`, `2h`, `90d`, `1w`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dur(pub Duration);

impl FromStr for Dur {
    type Err = String;
    fn from_str(s: &str) -> Result<Dur, String> {
        super::parse_duration(s)
            .map(Dur)
            .ok_or_else(|| format!("{s:?} is not a duration (write 500ms, 10s, 15m, 2h or 90d)"))
    }
}

impl fmt::Display for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (ms, s) = (self.0.as_millis(), self.0.as_secs());
        match () {
            _ if ms % 1000 != 0 => write!(f, "{ms}ms"),
            _ if s != 0 && s % 86_400 == 0 => write!(f, "{}d", s / 86_400),
            _ if s != 0 && s % 3600 == 0 => write!(f, "{}h", s / 3600),
            _ if s != 0 && s % 60 == 0 => write!(f, "{}m", s / 60),
            _ => write!(f, "{s}s"),
        }
    }
}
text_value!(Dur);

/// A listen address, `host:port`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listen(pub SocketAddr);

impl FromStr for Listen {
    type Err = String;
    fn from_str(s: &str) -> Result<Listen, String> {
        let s = s.trim();
        let s = s.strip_prefix("localhost:").map(|p| format!("127.0.0.1:{p}")).unwrap_or_else(|| s.to_string());
        s.parse().map(Listen).map_err(|_| format!("{s:?} is not an address like 127.0.0.1:8080"))
    }
}

impl fmt::Display for Listen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
text_value!(Listen);

/// A network: a CIDR (`10.0.0.0/8`) or a bare address (a /32 or /128).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Net(pub IpNet);

impl FromStr for Net {
    type Err = String;
    fn from_str(s: &str) -> Result<Net, String> {
        let t = s.trim();
        t.parse::<IpNet>()
            .or_else(|_| t.parse::<std::net::IpAddr>().map(IpNet::from))
            .map(Net)
            .map_err(|_| format!("{s:?} is not a CIDR or an IP address"))
    }
}

impl fmt::Display for Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
text_value!(Net);

/// An allowed browser origin: `*`, or `scheme://host[:port]` without a path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin(String);

impl Origin {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this entry admits `origin` (`*` admits every origin).
    pub fn admits(&self, origin: &str) -> bool {
        self.0 == "*" || self.0 == origin
    }
}

impl FromStr for Origin {
    type Err = String;
    fn from_str(s: &str) -> Result<Origin, String> {
        let lower = s.trim().trim_end_matches('/').to_ascii_lowercase();
        let t = lower.as_str();
        if t == "*" {
            return Ok(Origin(t.into()));
        }
        let bad = || format!("{s:?} is not an origin like https://app.example or http://127.0.0.1:3000");
        let (scheme, rest) = t.split_once("://").ok_or_else(bad)?;
        let host_ok = !rest.is_empty()
            && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
            && !rest.starts_with(':');
        if !matches!(scheme, "http" | "https") || !host_ok {
            return Err(bad());
        }
        Ok(Origin(lower))
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
text_value!(Origin);

/// Whether the built-in Perfex relation preset applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// When the schema looks like Perfex (prefix `tbl`, `tblclients`, `tbloptions`).
    Auto,
    On,
    Off,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_and_print_back() {
        for s in ["500ms", "10s", "15m", "2h", "90d"] {
            assert_eq!(s.parse::<Dur>().unwrap().to_string(), s);
        }
        assert_eq!("10x".parse::<Dur>().unwrap_err(), "\"10x\" is not a duration (write 500ms, 10s, 15m, 2h or 90d)");
        assert_eq!("localhost:80".parse::<Listen>().unwrap().to_string(), "127.0.0.1:80");
        assert!("8080".parse::<Listen>().is_err());
        assert_eq!("10.1.0.0/16".parse::<Net>().unwrap().to_string(), "10.1.0.0/16");
        assert_eq!("::1".parse::<Net>().unwrap().to_string(), "::1/128");
        assert!("10.0.0.0/33".parse::<Net>().is_err());
        assert_eq!("HTTPS://App.example/".parse::<Origin>().unwrap().as_str(), "https://app.example");
        for bad in ["app.example", "ftp://x", "https://", "https://a/b", "javascript:alert(1)"] {
            assert!(bad.parse::<Origin>().is_err(), "{bad}");
        }
    }
}
