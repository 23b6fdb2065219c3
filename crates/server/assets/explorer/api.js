// The Explorer's only way to the API: same-origin fetch with the token in the
// Authorization header (never in a URL), the HMAC signature when the visitor
// gave a signing secret (SPEC §6.3, WebCrypto), timing, and a busy counter
// that drives the spinner so the page never looks frozen.

const TOKEN_KEY = "databuilder.explorer.token";

export const state = {
  base: "/api/data_builder/v1",
  publicToken: null,
  token: null, // what requests use
  pasted: false, // the visitor's own token (not the public one)
  secret: null, // HMAC secret, in memory only
  who: null, // /auth/test data
};

const busyListeners = new Set();
let busy = 0;

export function onBusy(fn) {
  busyListeners.add(fn);
}

function setBusy(delta) {
  busy += delta;
  for (const fn of busyListeners) fn(busy > 0);
}

export function loadStoredToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function storeToken(token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // Storage may be off (private mode); the token then lives in memory only.
  }
}

async function sha256Hex(bytes) {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return hex(digest);
}

function hex(buffer) {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function signature(method, path, query, bodyBytes, ts) {
  if (!crypto.subtle) throw new Error("request signing needs a secure context (https or 127.0.0.1)");
  const message = `${method}\n${path}\n${query}\n${await sha256Hex(bodyBytes)}\n${ts}`;
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(state.secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return hex(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(message)));
}

/** Split "/api/…?a=b" into [path, query]. */
export function splitUrl(url) {
  const i = url.indexOf("?");
  return i < 0 ? [url, ""] : [url.slice(0, i), url.slice(i + 1)];
}

/**
 * Call the API. `path` is relative to the base ("/invoices") or absolute
 * ("/api/data_builder/v1/…"); `query` is a raw query string.
 * Resolves to {status, ok, headers, ms, text, json, contentType, method, path, query, body}.
 */
export async function call(method, path, { query = "", body = null, signal, accept } = {}) {
  const full = path.startsWith("/api/") ? path : state.base + path;
  const bodyText = body === null || body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body);
  const headers = {};
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  if (bodyText) headers["Content-Type"] = "application/json";
  if (accept) headers.Accept = accept;
  setBusy(1);
  const started = performance.now();
  try {
    if (state.secret && state.token) {
      const ts = String(Math.floor(Date.now() / 1000));
      const nonce = hex(crypto.getRandomValues(new Uint8Array(16)));
      headers["X-Timestamp"] = ts;
      headers["X-Nonce"] = nonce;
      headers["X-Signature"] = await signature(method, full, query, new TextEncoder().encode(bodyText), ts);
    }
    const url = query ? `${full}?${query}` : full;
    const res = await fetch(url, { method, headers, body: bodyText || undefined, signal, credentials: "omit" });
    const text = await res.text();
    const ms = performance.now() - started;
    const contentType = res.headers.get("content-type") || "";
    let json = null;
    if (contentType.includes("json") && !contentType.includes("ndjson")) {
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
    }
    return { status: res.status, ok: res.ok, headers: res.headers, ms, text, json, contentType, method, path: full, query, body: bodyText };
  } catch (e) {
    const ms = performance.now() - started;
    const aborted = e && e.name === "AbortError";
    return {
      status: 0,
      ok: false,
      headers: new Headers(),
      ms,
      text: "",
      json: null,
      contentType: "",
      method,
      path: full,
      query,
      body: bodyText,
      error: aborted ? "request cancelled" : String(e && e.message ? e.message : e),
    };
  } finally {
    setBusy(-1);
  }
}

/** GET a JSON document; throws an Error carrying the problem detail on failure. */
export async function getJson(path, query = "") {
  const r = await call("GET", path, { query });
  if (!r.ok || !r.json) {
    const detail = r.json && r.json.detail ? r.json.detail : r.error || `HTTP ${r.status}`;
    const err = new Error(detail);
    err.response = r;
    throw err;
  }
  return r.json;
}

/** Encode a list of [key, value] pairs as a query string (brackets percent-encoded). */
export function encodeQuery(pairs) {
  return pairs
    .filter(([k]) => k)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v ?? "")}`)
    .join("&");
}
