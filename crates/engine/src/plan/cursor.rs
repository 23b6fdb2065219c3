//! Keyset cursors: opaque, signed with the master key (HMAC-SHA256), bound to the
//! resource and sort they were made for. A forged or edited cursor is a 400.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde_json::Value as J;
use sha2::Sha256;

use super::{CmpOp, Cond, OrderKey, PlanError};
use crate::catalog::Table;
use crate::value::Value;

/// Identifies a resource and sort, e.g. `invoices:-total,id`.
pub fn signature(resource: &str, t: &Table, order: &[OrderKey]) -> String {
    let keys: Vec<String> =
        order.iter().map(|k| format!("{}{}", if k.desc { "-" } else { "" }, t.columns[k.col].name)).collect();
    format!("{resource}:{}", keys.join(","))
}

fn mac(key: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(payload);
    m.finalize().into_bytes()[..16].to_vec()
}

/// Encode the sort values of the last row of a page.
pub fn encode(key: &[u8], signature: &str, values: &[J]) -> String {
    let payload = serde_json::to_vec(&(signature, values)).unwrap_or_default();
    format!("{}.{}", URL_SAFE_NO_PAD.encode(&payload), URL_SAFE_NO_PAD.encode(mac(key, &payload)))
}

/// Verify and decode a cursor made for `signature`.
pub fn decode(key: &[u8], token: &str, signature: &str) -> Result<Vec<J>, PlanError> {
    let bad = |d: &str| PlanError::param("cursor", d);
    let (p, m) = token.split_once('.').ok_or_else(|| bad("malformed cursor"))?;
    let payload = URL_SAFE_NO_PAD.decode(p).map_err(|_| bad("malformed cursor"))?;
    let given = URL_SAFE_NO_PAD.decode(m).map_err(|_| bad("malformed cursor"))?;
    let mut check = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    check.update(&payload);
    check.verify_truncated_left(&given).map_err(|_| bad("cursor signature does not verify"))?;
    let (sig, values): (String, Vec<J>) = serde_json::from_slice(&payload).map_err(|_| bad("malformed cursor"))?;
    if sig != signature {
        return Err(bad("cursor was made for another resource or sort"));
    }
    Ok(values)
}

/// Rows strictly after `values` in `order` (ascending: NULLs first; descending:
/// NULLs last): the OR-expansion `k1 > v1 OR (k1 = v1 AND k2 > v2) …`, behind a
/// bound on the first key (`k1 >= v1`, or `k1 <= v1` descending when the column
/// is NOT NULL). The bound is what an index on the sort columns seeks to, so a
/// page deep in the table costs what the first page costs; the expansion alone
/// is only a filter to most planners.
pub fn after(t: &Table, order: &[OrderKey], values: &[J]) -> Result<Cond, PlanError> {
    if values.len() != order.len() {
        return Err(PlanError::param("cursor", "cursor does not match the sort"));
    }
    let typed: Vec<Value> = order
        .iter()
        .zip(values)
        .map(|(k, v)| Value::from_json(t.columns[k.col].kind, v))
        .collect::<Result<_, _>>()
        .map_err(|_| PlanError::param("cursor", "cursor does not match the sort"))?;
    let mut branches = Vec::new();
    for i in 0..order.len() {
        let mut all: Vec<Cond> = (0..i).map(|j| equal(order[j].col, &typed[j])).collect();
        all.push(beyond(t, order[i], &typed[i]));
        branches.push(Cond::And(all));
    }
    let expansion = Cond::Or(branches);
    match bound(t, order[0], &typed[0]) {
        Some(b) if order.len() > 1 => Ok(Cond::And(vec![b, expansion])),
        _ => Ok(expansion),
    }
}

/// A range on the first key implied by the expansion, when one exists.
fn bound(t: &Table, k: OrderKey, v: &Value) -> Option<Cond> {
    let col = k.col;
    match (k.desc, v) {
        (_, Value::Null) => None,
        (false, v) => Some(Cond::Cmp { col, op: CmpOp::Gte, value: v.clone() }),
        // Descending, the NULLs come after every value: no single range holds them.
        (true, _) if t.columns[col].nullable => None,
        (true, v) => Some(Cond::Cmp { col, op: CmpOp::Lte, value: v.clone() }),
    }
}

fn equal(col: usize, v: &Value) -> Cond {
    match v {
        Value::Null => Cond::IsNull { col, negated: false },
        v => Cond::Cmp { col, op: CmpOp::Eq, value: v.clone() },
    }
}

fn beyond(t: &Table, k: OrderKey, v: &Value) -> Cond {
    let col = k.col;
    match (k.desc, v) {
        (false, Value::Null) => Cond::IsNull { col, negated: true },
        (false, v) => Cond::Cmp { col, op: CmpOp::Gt, value: v.clone() },
        (true, Value::Null) => Cond::False,
        (true, v) if !t.columns[col].nullable => Cond::Cmp { col, op: CmpOp::Lt, value: v.clone() },
        (true, v) => {
            Cond::Or(vec![Cond::Cmp { col, op: CmpOp::Lt, value: v.clone() }, Cond::IsNull { col, negated: false }])
        }
    }
}
