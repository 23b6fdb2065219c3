// "Try it": one form per operation. A form turns its fields into the REST
// query string (fields, filter[col.op], or[n][col.op], sort, include, page,
// per_page, cursor, since, count, format, view parameters, dry_run) and a JSON
// body for writes, sends it, and shows the answer with its snippets.

import { call, encodeQuery } from "./api.js";
import { el, field, replace, select } from "./dom.js";
import { showResponse } from "./response.js";

export const OPERATORS = ["eq", "ne", "gt", "gte", "lt", "lte", "like", "in", "not_in", "is_null", "between", "starts_with", "contains"];
const GROUPS = [
  ["and", "AND"],
  ["0", "OR 1"],
  ["1", "OR 2"],
  ["2", "OR 3"],
];

/** Run a request and show it in `out`; following a link runs the same way. */
export async function run(out, method, path, query, body, controls) {
  const controller = new AbortController();
  const spinner = el("div", { class: "pending", role: "status" }, el("span", { class: "spinner", "aria-hidden": "true" }), "Waiting for the API… ", el("button", { type: "button", onclick: () => controller.abort() }, "Cancel"));
  replace(out, spinner);
  if (controls) controls.disabled = true;
  try {
    const r = await call(method, path, { query, body, signal: controller.signal });
    showResponse(out, r, (m, p, q) => run(out, m, p, q, null, controls));
    return r;
  } finally {
    if (controls) controls.disabled = false;
  }
}

function filterRow(columns, list) {
  const col = select(columns, columns[0], { "aria-label": "Filter column", class: "f-col" });
  const op = select(OPERATORS, "eq", { "aria-label": "Operator", class: "f-op" });
  const value = el("input", { type: "text", "aria-label": "Filter value", class: "f-val", placeholder: "value (in: a,b · between: a,b · is_null: true)" });
  const group = select(GROUPS, "and", { "aria-label": "Combine", class: "f-group" });
  const row = el("div", { class: "filter-row" }, group, col, op, value, el("button", { type: "button", class: "remove", "aria-label": "Remove filter", onclick: () => row.remove() }, "×"));
  list.append(row);
  col.focus();
  return row;
}

function filterPairs(list) {
  const pairs = [];
  for (const row of list.querySelectorAll(".filter-row")) {
    const col = row.querySelector(".f-col").value;
    const op = row.querySelector(".f-op").value;
    const value = row.querySelector(".f-val").value;
    const group = row.querySelector(".f-group").value;
    const key = op === "eq" ? col : `${col}.${op}`;
    pairs.push([group === "and" ? `filter[${key}]` : `or[${group}][${key}]`, value]);
  }
  return pairs;
}

function input(name, attrs = {}) {
  return el("input", { type: "text", name, autocomplete: "off", spellcheck: "false", ...attrs });
}

/** Extra raw parameters ("a=1&b=2") appended as typed. */
function extraPairs(text) {
  return text
    .split("&")
    .filter(Boolean)
    .map((p) => {
      const i = p.indexOf("=");
      return i < 0 ? [p, ""] : [p.slice(0, i), p.slice(i + 1)];
    });
}

function relationHint(relations) {
  if (!relations.length) return "no relations";
  const names = relations.map((r) => r.name);
  return `relations: ${names.slice(0, 5).join(", ")}${names.length > 5 ? `, … (${names.length - 5} more)` : ""}`;
}

/**
 * A list form: `path` ("/invoices" or "/views/slug"), the visible columns, the
 * relations, the timestamp column, and declared view parameters.
 */
export function listForm({ path, columns, relations = [], timestamp = null, params = {} }, out) {
  const names = columns.map((c) => c.name || c);
  const filters = el("div", { class: "filters" });
  const f = {
    fields: input("fields", { placeholder: names.slice(0, 4).join(",") }),
    sort: input("sort", { placeholder: `-${names[0] || "id"}` }),
    include: input("include", { placeholder: relations.map((r) => r.name).slice(0, 2).join(",") }),
    page: input("page", { inputmode: "numeric", placeholder: "1" }),
    per_page: input("per_page", { inputmode: "numeric", placeholder: "25", value: "10" }),
    cursor: select([["", "off"], ["start", "start (cursor=)"], ["value", "value below"]], "", { name: "cursor_mode" }),
    cursorValue: input("cursor", { placeholder: "cursor from links.next" }),
    since: input("since", { placeholder: timestamp ? "2024-01-01 or unix seconds" : "this table has no timestamp column", disabled: !timestamp }),
    count: select([["", "exact (default)"], ["none", "none"]], ""),
    format: select(["json", "csv", "ndjson"], "json", { name: "format" }),
    extra: input("extra", { placeholder: "more=parameters&as=typed" }),
  };
  const paramInputs = Object.entries(params || {}).map(([name, p]) => {
    const i = input(`param-${name}`, { placeholder: p && p.default !== undefined ? String(p.default) : p && p.type ? p.type : "" });
    i.dataset.param = name;
    return field(`${name}${p && p.required ? " (required)" : ""}`, i, p && p.type ? `type ${p.type}` : "");
  });
  const send = el("button", { type: "submit", class: "primary" }, "Send");
  const form = el(
    "form",
    {
      class: "op-form",
      onsubmit: (e) => {
        e.preventDefault();
        const pairs = [];
        for (const i of form.querySelectorAll("[data-param]")) if (i.value !== "") pairs.push([i.dataset.param, i.value]);
        for (const k of ["fields", "sort", "include", "page", "per_page", "since"]) if (f[k].value.trim()) pairs.push([k, f[k].value.trim()]);
        pairs.push(...filterPairs(filters));
        if (f.cursor.value === "start") pairs.push(["cursor", ""]);
        if (f.cursor.value === "value") pairs.push(["cursor", f.cursorValue.value.trim()]);
        if (f.count.value) pairs.push(["count", f.count.value]);
        if (f.format.value !== "json") pairs.push(["format", f.format.value]);
        pairs.push(...extraPairs(f.extra.value.trim()));
        run(out, "GET", path, encodeQuery(pairs), null, send);
      },
    },
    paramInputs.length ? el("fieldset", {}, el("legend", {}, "Parameters"), paramInputs) : null,
    el(
      "div",
      { class: "grid" },
      field("fields", f.fields, "comma-separated columns"),
      field("sort", f.sort, "-col for descending"),
      field("include", f.include, relationHint(relations)),
      field("page", f.page),
      field("per_page", f.per_page, "at most 500"),
      field("cursor", f.cursor, "keyset pagination"),
      field("cursor value", f.cursorValue),
      field("since", f.since, timestamp ? `on ${timestamp}` : ""),
      field("count", f.count),
      field("format", f.format),
    ),
    el(
      "fieldset",
      { class: "filter-set" },
      el("legend", {}, "Filters"),
      el("p", { class: "muted" }, "AND rows all apply; rows in the same OR group are alternatives."),
      filters,
      el("button", { type: "button", class: "add-filter", disabled: !names.length, onclick: () => filterRow(names, filters) }, "+ Add filter"),
    ),
    field("more parameters", f.extra),
    el("div", { class: "actions" }, send),
  );
  return form;
}

/** An example body for a write: writable columns with a typed placeholder. */
export function exampleBody(columns) {
  const sample = { integer: 1, boolean: false, decimal: "0.00", number: 0, date: "2026-01-01", datetime: "2026-01-01 00:00:00", time: "00:00:00" };
  const writable = columns.filter((c) => !c.primary_key && !c.auto_increment && !c.generated);
  const first = writable.filter((c) => !c.nullable && c.default === null).concat(writable.filter((c) => c.nullable || c.default !== null));
  const body = {};
  for (const c of first.slice(0, 6)) body[c.name] = c.type in sample ? sample[c.type] : "example";
  return JSON.stringify(body, null, 2);
}

/** A form for one row operation: get, create, update (PATCH/PUT) or delete. */
export function rowForm({ method, path, hasId, columns, relations = [] }, out) {
  const id = hasId ? input("id", { placeholder: "1", value: "1", required: true }) : null;
  const fields = method === "GET" ? input("fields") : null;
  const include = method === "GET" ? input("include", { placeholder: relations.map((r) => r.name).slice(0, 2).join(",") }) : null;
  const withBody = method === "POST" || method === "PUT" || method === "PATCH";
  const body = withBody ? el("textarea", { rows: 8, spellcheck: "false", class: "code" }, exampleBody(columns)) : null;
  const dry = method !== "GET" ? el("input", { type: "checkbox", checked: true }) : null;
  const send = el("button", { type: "submit", class: "primary" }, "Send");
  const error = el("p", { class: "form-error", role: "alert" });
  const form = el(
    "form",
    {
      class: "op-form",
      onsubmit: (e) => {
        e.preventDefault();
        error.textContent = "";
        let parsed = null;
        if (body) {
          try {
            parsed = JSON.parse(body.value);
          } catch (err) {
            error.textContent = `The body is not JSON: ${err.message}`;
            body.focus();
            return;
          }
        }
        const pairs = [];
        if (fields && fields.value.trim()) pairs.push(["fields", fields.value.trim()]);
        if (include && include.value.trim()) pairs.push(["include", include.value.trim()]);
        if (dry && dry.checked) pairs.push(["dry_run", "true"]);
        const target = hasId ? `${path}/${encodeURIComponent(id.value.trim())}` : path;
        run(out, method, target, encodeQuery(pairs), parsed, send);
      },
    },
    el(
      "div",
      { class: "grid" },
      id ? field("id", id, "primary key") : null,
      fields ? field("fields", fields) : null,
      include ? field("include", include) : null,
    ),
    body ? field("JSON body", body, method === "POST" ? "an object, or an array of at most 1000" : "the columns to change") : null,
    dry ? el("label", { class: "check" }, dry, " dry run (rolled back; shows what would be written)") : null,
    error,
    el("div", { class: "actions" }, send),
  );
  return form;
}
