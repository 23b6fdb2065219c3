// The answer panel: status, time, headers (rate limit and request id first),
// the pretty body, problem details, clickable pagination links, downloads, and
// the snippets of the request on screen (made by the server, POST /snippets).

import { call, splitUrl } from "./api.js";
import { copy, download, el, replace } from "./dom.js";

const FIRST_HEADERS = ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after", "x-request-id", "content-type", "etag"];

function statusClass(status) {
  if (status >= 200 && status < 300) return "ok";
  if (status >= 400 && status < 500) return "warn";
  return "bad";
}

function headerTable(headers) {
  const rows = [];
  for (const [k, v] of headers.entries()) rows.push([k, v]);
  rows.sort((a, b) => {
    const ia = FIRST_HEADERS.indexOf(a[0]);
    const ib = FIRST_HEADERS.indexOf(b[0]);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a[0].localeCompare(b[0]);
  });
  return el(
    "dl",
    { class: "headers" },
    rows.map(([k, v]) => [el("dt", { class: k.startsWith("x-ratelimit") ? "rate" : "" }, k), el("dd", {}, v)]),
  );
}

function problemBox(json) {
  const errors = json.errors && typeof json.errors === "object" ? Object.entries(json.errors) : [];
  return el(
    "div",
    { class: "problem", role: "alert" },
    el("strong", {}, `${json.status || ""} ${json.title || "Error"}`),
    el("p", { class: "detail" }, json.detail || ""),
    errors.length ? el("ul", {}, errors.map(([k, v]) => el("li", {}, el("code", {}, k), ": ", [].concat(v).join("; ")))) : null,
    json.request_id ? el("p", { class: "rid" }, "request_id: ", el("code", {}, json.request_id)) : null,
  );
}

function extension(r) {
  if (r.contentType.includes("csv")) return ["csv", "text/csv"];
  if (r.contentType.includes("ndjson")) return ["ndjson", "application/x-ndjson"];
  return ["json", "application/json"];
}

/**
 * Show response `r` in `box`. `rerun(method, path, query)` follows a link.
 * Also fetches and shows the snippets of the same request.
 */
export function showResponse(box, r, rerun) {
  if (r.status === 0) {
    replace(box, el("div", { class: "problem", role: "alert" }, el("strong", {}, "No answer"), el("p", {}, r.error)));
    return;
  }
  const [ext, type] = extension(r);
  const links = r.json && r.json.links && typeof r.json.links === "object" ? r.json.links : null;
  const nav = links
    ? el(
        "div",
        { class: "links" },
        ["first", "prev", "next", "last"].map((name) =>
          el(
            "button",
            {
              type: "button",
              class: `link-${name}`,
              disabled: !links[name],
              onclick: () => {
                const [path, query] = splitUrl(links[name]);
                rerun(r.method, path, query);
              },
            },
            name,
          ),
        ),
      )
    : null;
  const meta = r.json && r.json.meta && r.json.meta.total !== undefined ? ` · total ${r.json.meta.total}` : "";
  const body = r.json ? JSON.stringify(r.json, null, 2) : r.text;
  const snippetBox = el("div", { class: "snippets" });
  replace(
    box,
    el(
      "div",
      { class: "status-line" },
      el("span", { class: `status ${statusClass(r.status)}`, "data-status": r.status }, String(r.status)),
      el("span", {}, `${r.method} ${r.path}${r.query ? "?" + r.query : ""}`),
      el("span", { class: "ms" }, `${r.ms.toFixed(0)} ms · ${r.text.length} bytes${meta}`),
    ),
    r.json && r.json.detail && r.status >= 400 ? problemBox(r.json) : null,
    nav,
    el(
      "div",
      { class: "actions" },
      el("button", { type: "button", onclick: () => download(`response.${ext}`, r.text, type) }, `Download ${ext.toUpperCase()}`),
    ),
    el("details", {}, el("summary", {}, "Response headers"), headerTable(r.headers)),
    el("pre", { class: "body", tabindex: "0", "aria-label": "Response body" }, body),
    snippetBox,
  );
  showSnippets(snippetBox, r);
}

const LANGS = [
  ["curl", "cURL"],
  ["javascript", "JavaScript"],
  ["php", "PHP"],
  ["python", "Python"],
];

/** The snippets of one request, from the server. */
export async function showSnippets(box, r) {
  replace(box, el("p", { class: "muted" }, "Loading snippets…"));
  let body = null;
  if (r.body) {
    try {
      body = JSON.parse(r.body);
    } catch {
      body = null;
    }
  }
  const res = await call("POST", "/snippets", { body: { method: r.method, path: r.path, query: r.query, body } });
  if (!res.ok || !res.json || !res.json.data) {
    replace(box, el("p", { class: "muted" }, `No snippets: ${(res.json && res.json.detail) || res.error || res.status}`));
    return;
  }
  const s = res.json.data;
  const pre = el("pre", { class: "snippet", tabindex: "0", "aria-label": "Snippet" });
  const tabs = el("div", { class: "snippet-tabs", role: "tablist", "aria-label": "Snippet language" });
  const show = (lang) => {
    pre.textContent = s[lang];
    pre.dataset.lang = lang;
    for (const b of tabs.children) b.setAttribute("aria-selected", String(b.dataset.lang === lang));
  };
  for (const [lang, label] of LANGS) {
    tabs.append(el("button", { type: "button", role: "tab", dataset: { lang }, onclick: () => show(lang) }, label));
  }
  const note = el("span", { class: "muted" }, "");
  replace(
    box,
    el("h3", {}, "Snippets"),
    el(
      "p",
      { class: "muted" },
      "Run with the token in ",
      el("code", {}, "DATABUILDER_TOKEN"),
      s.signed ? [" and the signing secret in ", el("code", {}, "DATABUILDER_HMAC_SECRET")] : "",
      ".",
    ),
    tabs,
    pre,
    el(
      "button",
      {
        type: "button",
        onclick: async () => {
          note.textContent = (await copy(pre.textContent, pre)) ? " copied" : " selected: press Ctrl+C";
        },
      },
      "Copy",
    ),
    note,
  );
  show("curl");
}
