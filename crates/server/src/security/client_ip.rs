//! The client IP: the socket peer, or — only when the peer is a trusted proxy —
//! the rightmost `X-Forwarded-For` entry that is not itself a trusted proxy. A
//! client cannot spoof its address by sending the header directly.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request};
use axum::http::HeaderMap;
use ipnet::IpNet;

/// Parse CIDRs or bare addresses; invalid entries are skipped (and reported by `check`).
pub fn parse_nets(list: &[String]) -> Vec<IpNet> {
    list.iter().filter_map(|s| s.parse::<IpNet>().ok().or_else(|| s.parse::<IpAddr>().ok().map(IpNet::from))).collect()
}

/// Whether `ip` is in any of `nets` (IPv4-mapped IPv6 compared as IPv4).
pub fn in_nets(ip: IpAddr, nets: &[IpNet]) -> bool {
    let ip = ip.to_canonical();
    nets.iter().any(|n| n.contains(&ip))
}

/// The client address of a request.
pub fn client_ip(req: &Request, trusted: &[IpNet]) -> IpAddr {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    client_ip_of(peer, req.headers(), trusted)
}

/// The same rule from a peer address and headers (handlers that hold no `Request`).
pub fn client_ip_of(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let peer = peer.map(|ip| ip.to_canonical()).unwrap_or(IpAddr::from([127, 0, 0, 1]));
    if trusted.is_empty() || !in_nets(peer, trusted) {
        return peer;
    }
    let forwarded =
        headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>().join(",");
    forwarded
        .rsplit(',')
        .filter_map(|s| s.trim().parse::<IpAddr>().ok())
        .map(|ip| ip.to_canonical())
        .find(|ip| !in_nets(*ip, trusted))
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn req(peer: &str, xff: Option<&str>) -> Request {
        let mut r = Request::new(Body::empty());
        r.extensions_mut().insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        if let Some(x) = xff {
            r.headers_mut().insert("x-forwarded-for", x.parse().unwrap());
        }
        r
    }

    #[test]
    fn forwarded_only_from_trusted_proxies() {
        let trusted = parse_nets(&["10.0.0.0/8".into()]);
        assert_eq!(
            client_ip(&req("1.2.3.4:5", Some("9.9.9.9")), &trusted).to_string(),
            "1.2.3.4",
            "spoofed header ignored"
        );
        assert_eq!(client_ip(&req("10.0.0.2:5", Some("9.9.9.9, 8.8.8.8")), &trusted).to_string(), "8.8.8.8");
        assert_eq!(client_ip(&req("10.0.0.2:5", Some("8.8.8.8, 10.0.0.7")), &trusted).to_string(), "8.8.8.8");
        assert_eq!(client_ip(&req("[::ffff:10.0.0.2]:5", Some("7.7.7.7")), &trusted).to_string(), "7.7.7.7");
        assert_eq!(client_ip(&req("10.0.0.2:5", None), &trusted).to_string(), "10.0.0.2");
    }
}
