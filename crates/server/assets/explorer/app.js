// The Explorer's entry point: read the page config, choose the token (pasted,
// kept in sessionStorage; else the server's public sandbox token), load what
// the token may see, and route between the tabs with the URL fragment
// (#/resources/invoices) — which never holds the token.

import { call, getJson, loadStoredToken, onBusy, state, storeToken } from "./api.js";
import { reportPage, resourcePage, sidebar, viewColumns, viewPage } from "./browse.js";
import { download, el, replace } from "./dom.js";
import { renderGraphql } from "./graphql.js";

const $ = (id) => document.getElementById(id);
const data = { tables: [], openapi: null, views: [], reports: [], groups: [] };
let loads = 0;
let routes = 0;

function notice(...children) {
  const box = $("notice");
  box.hidden = children.length === 0;
  replace(box, ...children);
}

function noTokenHelp() {
  notice(
    el("h2", {}, "No token yet"),
    el("p", {}, "Paste a Data Builder token above (it stays in this tab only). To get one, run on the server:"),
    el("pre", { class: "snippet" }, "databuilder token create --name explorer --sandbox\n# or, for a try-out with demo data:\ndatabuilder serve --demo"),
    el("p", {}, "A sandbox token reads masked data and never writes. Setting ", el("code", {}, "[explorer] public_token"), " in the configuration lets visitors start without pasting one."),
  );
}

async function loadAll() {
  const mine = ++loads;
  document.body.dataset.ready = "0";
  const status = $("token-status");
  if (!state.token) {
    status.textContent = "no token";
    data.tables = [];
    noTokenHelp();
    await route();
    document.body.dataset.ready = "1";
    return;
  }
  let who;
  try {
    who = (await getJson("/auth/test")).data;
  } catch (e) {
    if (mine !== loads) return;
    state.who = null;
    status.textContent = "token refused";
    const r = e.response;
    notice(el("div", { class: "problem", role: "alert" }, el("strong", {}, "The API refused the token"), el("p", { class: "detail" }, e.message), r && r.json && r.json.request_id ? el("p", { class: "rid" }, "request_id: ", el("code", {}, r.json.request_id)) : null));
    data.tables = [];
    await route();
    document.body.dataset.ready = "1";
    return;
  }
  if (mine !== loads) return;
  state.who = who;
  notice();
  const w = state.who;
  status.textContent = `${state.pasted ? "your token" : "public sandbox token"} “${w.token_name}” · ${w.scopes.join(", ") || "no scopes"} · ${w.tables_count} resources`;
  const [tables, openapi, views, reports, groups] = await Promise.all([
    getJson("/tables").catch(() => ({ data: [] })),
    getJson("/openapi.json").catch(() => null),
    getJson("/views").catch(() => ({ data: [] })),
    getJson("/reports").catch(() => ({ data: [] })),
    getJson("/report-groups").catch(() => ({ data: [] })),
  ]);
  if (mine !== loads) return;
  data.tables = tables.data || [];
  data.openapi = openapi;
  data.views = views.data || [];
  data.reports = reports.data || [];
  data.groups = groups.data || [];
  await route();
  if (mine === loads) document.body.dataset.ready = "1";
}

function setTab(tab) {
  for (const b of document.querySelectorAll("[data-tab]")) b.setAttribute("aria-selected", String(b.dataset.tab === tab));
}

function graphqlExample() {
  const t = data.tables.find((x) => x.name === "clients") || data.tables[0];
  if (!t) return "{\n  __typename\n}";
  const cols = t.columns.slice(0, 3).map((c) => c.name).join(" ");
  return `{\n  ${t.name}(limit: 5) {\n    ${cols}\n  }\n}`;
}

/** Draw the page for the current fragment. `#content[data-page]` names it once drawn. */
async function route() {
  const gen = String(++routes);
  const page = await draw(gen);
  const main = $("content");
  if (main.dataset.gen === gen) main.dataset.page = page || "";
}

async function draw(gen) {
  const [, tab = "resources", ...rest] = decodeURIComponent(location.hash.replace(/^#/, "")).split("/");
  const id = rest.join("/");
  const aside = $("sidebar");
  const main = $("content");
  main.dataset.gen = gen;
  delete main.dataset.page;
  setTab(tab === "groups" ? "reports" : tab);
  if (tab === "graphql") {
    if (!state.token) return replace(main, el("p", { class: "muted" }, "Paste a token to run GraphQL queries."), replace(aside)) && null;
    renderGraphql(aside, main, graphqlExample());
    return "graphql";
  }
  if (tab === "views") {
    sidebar(aside, "Views", data.views.map((v) => ({ id: v.slug, label: v.name || v.slug, note: v.resource, href: `#/views/${v.slug}` })), id, "No views for this token.");
    const v = data.views.find((x) => x.slug === id) || (!id && data.views[0]);
    if (!v) return replace(main, el("p", { class: "muted" }, "Choose a view.")) && null;
    const columns = await viewColumns(v);
    if (main.dataset.gen !== gen) return null;
    viewPage(main, v, columns);
    return `view:${v.slug}`;
  }
  if (tab === "reports" || tab === "groups") {
    const items = [
      ...data.reports.map((r) => ({ id: r.slug, label: r.name || r.slug, note: r.chart || "table", href: `#/reports/${r.slug}` })),
      ...data.groups.map((g) => ({ id: `group:${g.slug}`, label: g.name || g.slug, note: "group", href: `#/groups/${g.slug}` })),
    ];
    sidebar(aside, "Reports", items, tab === "groups" ? `group:${id}` : id, "No reports for this token (reports need the views scope).");
    if (tab === "groups") {
      const g = data.groups.find((x) => x.slug === id);
      if (!g) return replace(main, el("p", { class: "muted" }, "No such group.")) && null;
      reportPage(main, g, true);
      return `group:${g.slug}`;
    }
    const r = data.reports.find((x) => x.slug === id) || (!id && data.reports[0]);
    if (!r) return replace(main, el("p", { class: "muted" }, "Choose a report.")) && null;
    reportPage(main, r, false);
    return `report:${r.slug}`;
  }
  const items = data.tables.map((t) => ({ id: t.name, label: t.name, note: t.permissions && t.permissions.create ? "rw" : "r", href: `#/resources/${t.name}` }));
  sidebar(aside, "Resources", items, id, state.token ? "This token may read no resource." : "Paste a token to see its resources.");
  const t = data.tables.find((x) => x.name === id) || (!id && data.tables[0]);
  if (!t) return replace(main, el("p", { class: "muted" }, state.token ? "Choose a resource." : "")) && null;
  await resourcePage(main, t.name, data.openapi, () => main.dataset.gen !== gen);
  return `resource:${t.name}`;
}

async function exportDoc(name) {
  const r = await call("GET", `/${name}`);
  const msg = $("export-status");
  if (r.status === 404) {
    msg.textContent = `${name} is not served by this server version.`;
    return;
  }
  if (!r.ok) {
    msg.textContent = `${name}: ${(r.json && r.json.detail) || r.error || r.status}`;
    return;
  }
  msg.textContent = "";
  download(name, r.json ? JSON.stringify(r.json, null, 2) : r.text, "application/json");
}

function useToken(token, pasted) {
  state.token = token || null;
  state.pasted = Boolean(token) && pasted;
  loadAll();
}

async function init() {
  onBusy((on) => {
    $("busy").hidden = !on;
  });
  for (const b of document.querySelectorAll("[data-tab]")) {
    b.addEventListener("click", () => {
      location.hash = `#/${b.dataset.tab}`;
    });
  }
  $("token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const token = $("token-input").value.trim();
    state.secret = $("secret-input").value.trim() || null;
    $("token-input").value = "";
    $("secret-input").value = "";
    if (!token) return;
    storeToken(token);
    useToken(token, true);
  });
  $("token-clear").addEventListener("click", () => {
    storeToken(null);
    state.secret = null;
    useToken(state.publicToken, false);
  });
  $("dl-openapi").addEventListener("click", () => exportDoc("openapi.json"));
  $("dl-postman").addEventListener("click", () => exportDoc("postman.json"));
  window.addEventListener("hashchange", route);
  try {
    const cfg = await (await fetch("/api/data_builder/explorer/config", { credentials: "omit" })).json();
    state.base = cfg.base || state.base;
    state.publicToken = cfg.public_token || null;
  } catch {
    state.publicToken = null;
  }
  const stored = loadStoredToken();
  useToken(stored || state.publicToken, Boolean(stored));
}

init();
