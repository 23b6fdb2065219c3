// Browsing: the sidebar lists of resources, views, reports and report groups,
// and the page of one item — a resource's columns, relations and this token's
// permissions with a form per operation the token's OpenAPI document offers;
// a view with its parameters; a report or group with its chart.

import { call, encodeQuery, getJson, state } from "./api.js";
import { reportChart } from "./charts.js";
import { el, field, replace, table } from "./dom.js";
import { showResponse } from "./response.js";
import { listForm, rowForm, run } from "./tryit.js";

/** A filterable sidebar list; `items` are {id, label, note, href}. */
export function sidebar(aside, title, items, current, empty) {
  const filter = el("input", { type: "search", placeholder: `Filter ${title.toLowerCase()}`, "aria-label": `Filter ${title.toLowerCase()}` });
  const list = el(
    "ul",
    { class: "nav-list" },
    items.map((i) =>
      el("li", { dataset: { name: i.id.toLowerCase() } }, el("a", { href: i.href, "aria-current": i.id === current ? "page" : false }, i.label, i.note ? el("span", { class: "muted" }, ` ${i.note}`) : null)),
    ),
  );
  filter.addEventListener("input", () => {
    const q = filter.value.toLowerCase();
    for (const li of list.children) li.hidden = q && !li.dataset.name.includes(q);
  });
  replace(aside, el("h2", {}, title, el("span", { class: "count" }, ` ${items.length}`)), items.length > 8 ? filter : null, items.length ? list : el("p", { class: "muted" }, empty));
}

function perms(p) {
  const sandbox = state.who && state.who.scopes.includes("sandbox");
  return el(
    "ul",
    { class: "perms", "aria-label": "This token's permissions" },
    ["read", "create", "update", "delete"].map((k) => el("li", { class: p && p[k] ? "yes" : "no" }, `${k} ${p && p[k] ? "✓" : "✗"}`)),
    sandbox ? el("li", { class: "sandbox" }, "sandbox: personal data masked, writes rolled back") : null,
  );
}

/** The operations of a resource: from the OpenAPI paths, else from the permissions. */
function operations(name, openapi, permissions) {
  const paths = (openapi && openapi.paths) || {};
  const coll = paths[`/${name}`];
  const item = Object.entries(paths).find(([p]) => p.startsWith(`/${name}/{`) && p.split("/").length === 3);
  const has = (node, m) => (node ? Boolean(node[m]) : null);
  const ops = [];
  const pick = (label, method, hasId, fallback) => {
    const documented = has(hasId ? item && item[1] : coll, method.toLowerCase());
    if (documented ?? fallback) ops.push({ label, method, hasId });
  };
  pick("List", "GET", false, permissions.read);
  pick("Get one", "GET", true, permissions.read);
  pick("Create", "POST", false, permissions.create);
  pick("Update (PATCH)", "PATCH", true, permissions.update);
  pick("Replace (PUT)", "PUT", true, permissions.update);
  pick("Delete", "DELETE", true, permissions.delete);
  return ops;
}

/** One resource's page. */
export async function resourcePage(main, name, openapi, stale = () => false) {
  replace(main, el("div", { class: "pending", role: "status" }, el("span", { class: "spinner", "aria-hidden": "true" }), `Loading ${name}…`));
  let schema;
  try {
    schema = (await getJson(`/${encodeURIComponent(name)}/schema`)).data;
  } catch (e) {
    if (!stale()) replace(main, el("h2", {}, name), errorBox(e));
    return;
  }
  if (stale()) return;
  const out = el("div", { class: "response", "aria-live": "polite" });
  const formBox = el("div", { class: "form-box" });
  const ops = operations(name, openapi, schema.permissions || {});
  const tabs = el("div", { class: "op-tabs", role: "tablist", "aria-label": "Operations" });
  const choose = (op) => {
    for (const b of tabs.children) b.setAttribute("aria-selected", String(b.dataset.label === op.label));
    const form =
      op.method === "GET" && !op.hasId
        ? listForm({ path: `/${name}`, columns: schema.columns, relations: schema.relations, timestamp: schema.timestamp_column }, out)
        : rowForm({ method: op.method, path: `/${name}`, hasId: op.hasId, columns: schema.columns, relations: schema.relations }, out);
    replace(formBox, form);
  };
  for (const op of ops) tabs.append(el("button", { type: "button", role: "tab", dataset: { label: op.label }, onclick: () => choose(op) }, el("span", { class: `method m-${op.method.toLowerCase()}` }, op.method), ` ${op.label}`));
  const columns = table(
    ["column", "type", "sql type", "null", "key"],
    schema.columns.map((c) => [c.name, c.type, c.sql_type || "", c.nullable ? "yes" : "no", c.primary_key ? "primary" : c.auto_increment ? "auto" : ""]),
  );
  const relations = schema.relations.length
    ? table(
        ["relation", "kind", "resource", "on"],
        schema.relations.map((r) => [r.name, r.type, el("a", { href: `#/resources/${r.resource}` }, r.resource), `${r.local_column} → ${r.foreign_column}`]),
      )
    : el("p", { class: "muted" }, "No relations this token may follow.");
  replace(
    main,
    el("h2", {}, name, el("span", { class: "muted" }, schema.primary_key ? ` · key ${schema.primary_key}` : " · no single primary key")),
    perms(schema.permissions),
    el("details", { class: "schema" }, el("summary", {}, `Columns (${schema.columns.length}) and relations (${schema.relations.length})`), columns, relations),
    el("h3", {}, "Try it"),
    tabs,
    formBox,
    out,
  );
  if (ops.length) choose(ops[0]);
}

function errorBox(e) {
  const r = e.response;
  const json = r && r.json;
  return el(
    "div",
    { class: "problem", role: "alert" },
    el("strong", {}, json ? `${json.status} ${json.title}` : "Error"),
    el("p", { class: "detail" }, e.message),
    json && json.request_id ? el("p", { class: "rid" }, "request_id: ", el("code", {}, json.request_id)) : null,
  );
}

/** One view's page: its definition, its parameters and a list form. */
export function viewPage(main, view, columns) {
  const out = el("div", { class: "response", "aria-live": "polite" });
  const cols = columns && columns.length ? columns : (view.fields || []).map((name) => ({ name }));
  replace(
    main,
    el("h2", {}, view.name || view.slug, el("span", { class: "muted" }, ` · view over ${view.resource}`)),
    el("p", {}, "GET ", el("code", {}, `/views/${view.slug}`), view.fields ? [" · fields ", el("code", {}, view.fields.join(", "))] : null),
    listForm({ path: `/views/${encodeURIComponent(view.slug)}`, columns: cols, params: view.params || {} }, out),
    out,
  );
}

function paramForm(params, onRun, label) {
  const inputs = Object.entries(params || {}).map(([name, p]) => {
    const i = el("input", { type: "text", placeholder: p && p.default !== undefined ? String(p.default) : (p && p.type) || "", dataset: { param: name } });
    return field(`${name}${p && p.required ? " (required)" : ""}`, i, p && p.type ? `type ${p.type}` : "");
  });
  const send = el("button", { type: "submit", class: "primary" }, label);
  const form = el(
    "form",
    {
      class: "op-form",
      onsubmit: (e) => {
        e.preventDefault();
        const pairs = [...form.querySelectorAll("[data-param]")].filter((i) => i.value !== "").map((i) => [i.dataset.param, i.value]);
        onRun(encodeQuery(pairs), send);
      },
    },
    inputs.length ? el("div", { class: "grid" }, inputs) : null,
    el("div", { class: "actions" }, send),
  );
  return form;
}

/** A report (or a group of reports): run it and draw the charts. */
export function reportPage(main, item, isGroup) {
  const charts = el("div", { class: "charts", "aria-live": "polite" });
  const out = el("div", { class: "response" });
  const path = `/${isGroup ? "report-groups" : "reports"}/${encodeURIComponent(item.slug)}`;
  const go = async (query, button) => {
    replace(charts);
    const r = await run(out, "GET", path, query, null, button);
    if (!r || !r.ok || !r.json) return;
    const reports = isGroup ? Object.values(r.json.data || {}) : [r.json];
    replace(charts, reports.map((rep) => reportChart(rep)));
  };
  replace(
    main,
    el("h2", {}, item.name || item.slug, el("span", { class: "muted" }, isGroup ? ` · group of ${(item.reports || []).length}` : ` · ${item.chart || "table"} chart`)),
    el("p", {}, "GET ", el("code", {}, path)),
    paramForm(item.params, go, isGroup ? "Run the group" : "Run the report"),
    charts,
    el("details", { class: "raw" }, el("summary", {}, "Request, response and snippets"), out),
  );
  go("", null);
}

/** The columns of a view's base resource (for its filter rows), if readable. */
export async function viewColumns(view) {
  const r = await call("GET", `/${encodeURIComponent(view.resource)}/schema`);
  if (!r.ok || !r.json) return null;
  const cols = r.json.data.columns;
  return view.fields ? cols.filter((c) => view.fields.includes(c.name)) : cols;
}

export { showResponse };
