//! The workloads: what is requested, from which server, with which tokens.

use std::sync::Arc;

use axum::http::StatusCode;
use serde_json::Value as J;

use crate::servers::DataBuilder;
use crate::{API, CONCURRENCY, INVOICES};

/// The W2 query string (brackets percent-encoded, as a browser would send them).
const W2_QUERY: &str = "filter%5Bstatus%5D=2&sort=-date&count=exact";
const W2_NO_COUNT: &str = "filter%5Bstatus%5D=2&sort=-date&count=none";
const G1: &str = r#"{ invoices(limit: 25, filter: {status: 2}, sort: "-date") { id total date } }"#;
const G2: &str = r#"{ invoices(limit: 25, filter: {status: 2}, sort: "-date") { id total date client { company } } }"#;

/// What a workload asks for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Query {
    W1,
    W2,
    W2NoCount,
    W3,
    G1,
    G2,
    /// `--scale`: W2 `count=none`, the first page.
    FirstPage,
    /// `--scale`: a keyset page deep in the W2 order.
    Keyset,
    /// `--scale`: the same depth by `page=`.
    Offset,
}

impl Query {
    pub fn label(self) -> &'static str {
        match self {
            Query::W1 => "W1 get invoice by id",
            Query::W2 => "W2 list 25, count=exact",
            Query::W2NoCount => "W2 list 25, count=none",
            Query::W3 => "W3 W2 + include=client",
            Query::G1 => "G1 GraphQL invoices",
            Query::G2 => "G2 G1 + client { company }",
            Query::FirstPage => "first page (W2, count=none)",
            Query::Keyset => "keyset page, deep",
            Query::Offset => "offset page, same depth",
        }
    }

    fn slug(self) -> &'static str {
        match self {
            Query::W1 => "w1",
            Query::W2 => "w2",
            Query::W2NoCount => "w2-none",
            Query::W3 => "w3",
            Query::G1 => "g1",
            Query::G2 => "g2",
            Query::FirstPage => "first",
            Query::Keyset => "keyset",
            Query::Offset => "offset",
        }
    }

    fn graphql(self) -> Option<&'static str> {
        match self {
            Query::G1 => Some(G1),
            Query::G2 => Some(G2),
            _ => None,
        }
    }
}

/// Which server answers, and how it is authenticated.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Via {
    /// The bare axum + sqlx handler.
    Bare,
    /// The bare axum + rusqlite handler (SQLite only).
    Rusqlite,
    /// Data Builder's routes with the whole security pipeline off.
    Off,
    /// Data Builder, full pipeline, one token.
    OneToken,
    /// Data Builder, full pipeline, a different token of `TOKENS` per request.
    ManyTokens,
}

impl Via {
    pub fn label(self) -> &'static str {
        match self {
            Via::Bare => "bare axum + sqlx",
            Via::Rusqlite => "bare axum + rusqlite",
            Via::Off => "Data Builder, pipeline off",
            Via::OneToken => "Data Builder, 1 token",
            Via::ManyTokens => "Data Builder, 1,000 tokens",
        }
    }

    fn slug(self) -> &'static str {
        match self {
            Via::Bare => "bare",
            Via::Rusqlite => "rusqlite",
            Via::Off => "off",
            Via::OneToken => "token",
            Via::ManyTokens => "tokens",
        }
    }
}

/// The path of each request.
#[derive(Clone)]
pub enum Path {
    Fixed(String),
    /// `prefix` followed by a pseudo-random id in 1..=max.
    RandomId(String, u64),
}

#[derive(Clone)]
pub struct Workload {
    /// `sqlite` or `mariadb`.
    pub db: &'static str,
    pub query: Query,
    pub via: Via,
    pub origin: String,
    pub path: Path,
    /// A JSON body, sent with POST; `None` is a GET.
    pub body: Option<String>,
    /// Bearer tokens, one per request in turn; empty: none sent.
    pub tokens: Arc<Vec<String>>,
}

impl Workload {
    pub fn url(&self, rng: &mut Rng) -> String {
        match &self.path {
            Path::Fixed(path) => format!("{}{path}", self.origin),
            Path::RandomId(prefix, max) => format!("{}{prefix}{}", self.origin, rng.id(*max)),
        }
    }

    /// A file name for this workload's wrk script.
    pub fn slug(&self) -> String {
        format!("{}-{}-{}", self.db, self.query.slug(), self.via.slug())
    }

    pub fn name(&self) -> String {
        format!("{} ({})", self.query.label(), self.via.label())
    }
}

/// A workload on Data Builder.
pub fn data_builder(db: &'static str, server: &DataBuilder, query: Query, via: Via) -> Workload {
    let (origin, tokens) = match via {
        Via::Off => (&server.off_origin, Vec::new()),
        Via::OneToken => (&server.origin, vec![server.token.clone()]),
        Via::ManyTokens => (&server.origin, server.tokens.to_vec()),
        Via::Bare | Via::Rusqlite => unreachable!("not a Data Builder workload"),
    };
    let path = match query {
        Query::W1 => Path::RandomId(format!("{API}/invoices/"), INVOICES),
        Query::W2 => Path::Fixed(format!("{API}/invoices?{W2_QUERY}")),
        Query::W2NoCount => Path::Fixed(format!("{API}/invoices?{W2_NO_COUNT}")),
        Query::W3 => Path::Fixed(format!("{API}/invoices?{W2_QUERY}&include=client")),
        Query::G1 | Query::G2 => Path::Fixed(format!("{API}/graphql")),
        Query::FirstPage | Query::Keyset | Query::Offset => unreachable!("built by scale.rs"),
    };
    Workload {
        db,
        query,
        via,
        origin: origin.clone(),
        path,
        body: query.graphql().map(|q| serde_json::json!({ "query": q }).to_string()),
        tokens: Arc::new(tokens),
    }
}

/// W1, W2, W3, G1 or G2 on the bare floor.
pub fn bare(db: &'static str, origin: &str, query: Query) -> Workload {
    let path = match query {
        Query::W1 => Path::RandomId("/invoices/".into(), INVOICES),
        Query::W2 => Path::Fixed("/invoices?status=2".into()),
        Query::W3 => Path::Fixed("/invoices?status=2&include=client".into()),
        Query::G1 => Path::Fixed("/graphql".into()),
        Query::G2 => Path::Fixed("/graphql?client=1".into()),
        other => unreachable!("the bare server does not serve {other:?}"),
    };
    let body = query.graphql().map(|q| serde_json::json!({ "query": q }).to_string());
    Workload { db, query, via: Via::Bare, origin: origin.to_string(), path, body, tokens: Arc::new(Vec::new()) }
}

/// Every measured workload of one database, in running order: each of W1–W3,
/// G1, G2 on the bare floor and pipeline off back to back, then the pipeline
/// runs.
/// On SQLite, W1, W2 and G1 also run on the rusqlite floor (`rusqlite_origin`).
pub fn all(db: &'static str, server: &DataBuilder, bare_origin: &str, rusqlite_origin: Option<&str>) -> Vec<Workload> {
    let mut out = Vec::new();
    for q in [Query::W1, Query::W2, Query::W3, Query::G1, Query::G2] {
        out.push(bare(db, bare_origin, q));
        if let (Some(origin), Query::W1 | Query::W2 | Query::G1) = (rusqlite_origin, q) {
            let mut w = bare(db, origin, q);
            w.via = Via::Rusqlite;
            out.push(w);
        }
        out.push(data_builder(db, server, q, Via::Off));
    }
    for q in [Query::W1, Query::W2] {
        for via in [Via::OneToken, Via::ManyTokens] {
            out.push(data_builder(db, server, q, via));
        }
    }
    out.push(data_builder(db, server, Query::W2NoCount, Via::OneToken));
    out.push(data_builder(db, server, Query::W3, Via::OneToken));
    out.push(data_builder(db, server, Query::G1, Via::OneToken));
    out.push(data_builder(db, server, Query::G2, Via::OneToken));
    out
}

/// One request per workload before measuring: each must answer 200 with what it
/// asked for, and every W2 variant of one database must report the same total.
pub async fn check(client: &reqwest::Client, workloads: &[Workload]) {
    let mut totals: Vec<(String, J)> = Vec::new();
    for w in workloads {
        let token = w.tokens.first().map(String::as_str);
        let (status, body) = send_json(client, w, &mut Rng::new(0), token).await;
        if status != StatusCode::OK.as_u16() {
            panic!("{} on {}: answered {status}: {body}", w.name(), w.db);
        }
        match w.query {
            Query::G1 | Query::G2 => {
                let rows = body.pointer("/data/invoices").and_then(J::as_array);
                let nested_ok = rows.is_some_and(|r| {
                    r.iter().all(|inv| w.query == Query::G1 || inv.pointer("/client/company").is_some())
                });
                if body.get("errors").is_some() || rows.map_or(0, Vec::len) != 25 || !nested_ok {
                    panic!("{} on {}: unexpected answer: {body}", w.name(), w.db);
                }
            }
            Query::W2 | Query::W3 => {
                let total = body.pointer("/meta/total").or_else(|| body.get("total")).cloned().unwrap_or(J::Null);
                totals.push((w.name(), total));
            }
            _ => {}
        }
    }
    if totals.windows(2).any(|p| p[0].1 != p[1].1) {
        panic!("{}: the W2 totals differ: {totals:?}", workloads[0].db);
    }
    if let (Some(w), Some((_, total))) = (workloads.first(), totals.first()) {
        eprintln!("checked {} workloads on {}; every W2 variant reports total {total}", workloads.len(), w.db);
    }
}

pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .http1_only()
        .no_proxy()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .expect("build the HTTP client")
}

/// The request of `w`, with `token` as its bearer.
pub fn request(client: &reqwest::Client, w: &Workload, rng: &mut Rng, token: Option<&str>) -> reqwest::RequestBuilder {
    let url = w.url(rng);
    let req = match &w.body {
        Some(body) => client.post(url).header("content-type", "application/json").body(body.clone()),
        None => client.get(url),
    };
    match token {
        Some(t) => req.bearer_auth(t),
        None => req,
    }
}

pub async fn send_json(client: &reqwest::Client, w: &Workload, rng: &mut Rng, token: Option<&str>) -> (u16, J) {
    let resp = request(client, w, rng, token).send().await.unwrap_or_else(|e| panic!("{}: {e}", w.name()));
    let status = resp.status().as_u16();
    let body = resp.json::<J>().await.unwrap_or(J::Null);
    (status, body)
}

/// A small deterministic generator (SplitMix64) for W1 ids.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn id(&mut self, max: u64) -> u64 {
        1 + self.next() % max
    }
}
