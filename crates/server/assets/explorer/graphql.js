// The GraphQL tab: a query editor with variables, the token's schema as a
// browsable type and field list (from introspection, which only admin and
// sandbox tokens may run), and a history of queries kept in this browser tab.

import { call, state } from "./api.js";
import { el, replace } from "./dom.js";
import { showResponse } from "./response.js";

const HISTORY_KEY = "databuilder.explorer.graphql";

const INTROSPECTION = `query Schema {
  __schema {
    queryType { name }
    mutationType { name }
    types {
      name kind description
      fields { name description args { name type { ...T } } type { ...T } }
      inputFields { name type { ...T } }
    }
  }
}
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }`;

function typeName(t) {
  if (!t) return "";
  if (t.kind === "NON_NULL") return `${typeName(t.ofType)}!`;
  if (t.kind === "LIST") return `[${typeName(t.ofType)}]`;
  return t.name;
}

function history() {
  try {
    return JSON.parse(sessionStorage.getItem(HISTORY_KEY) || "[]");
  } catch {
    return [];
  }
}

function remember(query, variables) {
  const list = history().filter((h) => h.query !== query);
  list.unshift({ query, variables, at: new Date().toISOString() });
  try {
    sessionStorage.setItem(HISTORY_KEY, JSON.stringify(list.slice(0, 20)));
  } catch {
    // No storage: history is simply not kept.
  }
}

/** The schema list into `aside`; `insert(text)` adds a field to the editor. */
async function loadSchema(aside, insert) {
  replace(aside, el("p", { class: "muted" }, "Loading the schema…"));
  const r = await call("POST", "/graphql", { body: { query: INTROSPECTION } });
  const schema = r.json && r.json.data && r.json.data.__schema;
  if (!schema) {
    const scopes = (state.who && state.who.scopes) || [];
    const why =
      scopes.includes("admin") || scopes.includes("sandbox")
        ? `The schema could not be read: ${(r.json && r.json.errors && r.json.errors[0] && r.json.errors[0].message) || r.error || r.status}.`
        : "Introspection is only open to admin and sandbox tokens, so this token's schema is not shown. Queries still run: name the plural resource fields (for example clients { userid company }).";
    replace(aside, el("h2", {}, "Schema"), el("p", { class: "notice-inline" }, why));
    return;
  }
  const roots = [schema.queryType && schema.queryType.name, schema.mutationType && schema.mutationType.name].filter(Boolean);
  const types = schema.types.filter((t) => !t.name.startsWith("__") && (t.kind === "OBJECT" || t.kind === "INPUT_OBJECT"));
  types.sort((a, b) => (roots.includes(b.name) ? 1 : 0) - (roots.includes(a.name) ? 1 : 0) || a.name.localeCompare(b.name));
  const filter = el("input", { type: "search", placeholder: "Filter types", "aria-label": "Filter types" });
  const list = el(
    "div",
    { class: "type-list" },
    types.map((t) =>
      el(
        "details",
        { open: t.name === (schema.queryType && schema.queryType.name), dataset: { type: t.name.toLowerCase() } },
        el("summary", {}, t.name, el("span", { class: "muted" }, ` ${t.kind === "INPUT_OBJECT" ? "input" : roots.includes(t.name) ? "root" : "type"}`)),
        el(
          "ul",
          {},
          (t.fields || t.inputFields || []).map((f) =>
            el(
              "li",
              {},
              el("button", { type: "button", class: "linkish", title: "Insert into the query", onclick: () => insert(f.name) }, f.name),
              f.args && f.args.length ? el("span", { class: "muted", title: f.args.map((a) => `${a.name}: ${typeName(a.type)}`).join(", ") }, `(${f.args.map((a) => a.name).join(", ")})`) : null,
              el("span", { class: "type" }, `: ${typeName(f.type)}`),
            ),
          ),
        ),
      ),
    ),
  );
  filter.addEventListener("input", () => {
    const q = filter.value.toLowerCase();
    for (const d of list.children) d.hidden = q && !d.dataset.type.includes(q);
  });
  replace(aside, el("h2", {}, "Schema"), filter, list);
}

/** Render the GraphQL tab into `aside` (schema) and `main` (editor). */
export function renderGraphql(aside, main, example) {
  const last = history()[0];
  const query = el("textarea", { id: "gql-query", rows: 12, spellcheck: "false", class: "code", "aria-label": "GraphQL query" }, last ? last.query : example);
  const variables = el("textarea", { id: "gql-variables", rows: 4, spellcheck: "false", class: "code", "aria-label": "Variables (JSON)" }, last ? last.variables : "{}");
  const out = el("div", { class: "response", id: "gql-response" });
  const error = el("p", { class: "form-error", role: "alert" });
  const hist = el("ol", { class: "history" });
  const send = el("button", { type: "submit", class: "primary" }, "Run query");
  const drawHistory = () =>
    replace(
      hist,
      history().map((h) =>
        el(
          "li",
          {},
          el(
            "button",
            {
              type: "button",
              class: "linkish",
              onclick: () => {
                query.value = h.query;
                variables.value = h.variables;
                query.focus();
              },
            },
            h.query.replace(/\s+/g, " ").slice(0, 80),
          ),
        ),
      ),
    );
  const form = el(
    "form",
    {
      class: "op-form",
      onsubmit: async (e) => {
        e.preventDefault();
        error.textContent = "";
        let vars = {};
        try {
          vars = variables.value.trim() ? JSON.parse(variables.value) : {};
        } catch (err) {
          error.textContent = `Variables are not JSON: ${err.message}`;
          variables.focus();
          return;
        }
        send.disabled = true;
        replace(out, el("div", { class: "pending", role: "status" }, el("span", { class: "spinner", "aria-hidden": "true" }), "Waiting for the API…"));
        try {
          const r = await call("POST", "/graphql", { body: { query: query.value, variables: vars } });
          remember(query.value, variables.value);
          drawHistory();
          showResponse(out, r, () => {});
        } finally {
          send.disabled = false;
        }
      },
    },
    el("label", { for: "gql-query" }, "Query"),
    query,
    el("label", { for: "gql-variables" }, "Variables (JSON)"),
    variables,
    error,
    el("div", { class: "actions" }, send, el("span", { class: "muted" }, " Ctrl+Enter runs the query")),
  );
  query.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) form.requestSubmit();
  });
  const insert = (name) => {
    const at = query.selectionStart ?? query.value.length;
    query.value = `${query.value.slice(0, at)}${name} ${query.value.slice(at)}`;
    query.focus();
  };
  replace(main, el("h2", {}, "GraphQL"), form, out, el("h3", {}, "History (this tab)"), hist);
  drawHistory();
  loadSchema(aside, insert);
}
