// The definition editor: live preview of a draft (rows, and the chart of a
// report) through POST /admin/api/preview, and TOML import from a file.
import { call } from "./admin.js";

const form = document.getElementById("def-form");
const text = document.getElementById("def-toml");
const error = document.getElementById("def-error");
const status = document.getElementById("preview-status");
const table = document.getElementById("preview-table");
const chartBox = document.getElementById("preview-chart-box");
let chart = null;

function cell(tag, value) {
  const el = document.createElement(tag);
  el.textContent = value === null || value === undefined ? "" : typeof value === "object" ? JSON.stringify(value) : String(value);
  return el;
}

function renderRows(rows) {
  table.replaceChildren();
  if (!rows.length) return;
  const cols = Object.keys(rows[0]);
  const head = document.createElement("thead");
  const hr = document.createElement("tr");
  cols.forEach((c) => hr.appendChild(cell("th", c)));
  head.appendChild(hr);
  const body = document.createElement("tbody");
  for (const r of rows) {
    const tr = document.createElement("tr");
    cols.forEach((c) => tr.appendChild(cell("td", r[c])));
    body.appendChild(tr);
  }
  table.append(head, body);
}

function renderChart(meta, rows) {
  if (chart) {
    chart.destroy();
    chart = null;
  }
  const kind = meta && meta.chart;
  if (!kind || kind === "table" || !meta.columns || typeof window.Chart === "undefined") {
    chartBox.hidden = true;
    return;
  }
  const dims = meta.columns.filter((c) => c.role === "dimension").map((c) => c.name);
  const metrics = meta.columns.filter((c) => c.role === "metric").map((c) => c.name);
  const label = (r) => dims.map((d) => r[d]).join(" · ");
  const type = { bar: "bar", line: "line", pie: "pie", doughnut: "doughnut", area: "line", funnel: "bar" }[kind] || "bar";
  chartBox.hidden = false;
  chart = new window.Chart(document.getElementById("preview-chart"), {
    type,
    data: {
      labels: rows.map(label),
      datasets: metrics.map((m, i) => ({ label: m, data: rows.map((r) => Number(r[m])), fill: kind === "area", backgroundColor: ["#2f6fde", "#e0a100", "#2aa876", "#d64545"][i % 4] })),
    },
    options: { animation: false, maintainAspectRatio: false, indexAxis: kind === "funnel" ? "y" : "x" },
  });
}

async function preview() {
  status.textContent = "Running…";
  const params = document.getElementById("def-params").value;
  const { status: code, body } = await call("/api/data_builder/admin/api/preview", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ kind: form.dataset.kind, toml: text.value, params }),
  });
  if (code === 200) {
    error.hidden = true;
    error.textContent = "";
    const rows = body.data || [];
    status.textContent = `${rows.length} row(s)` + (body.meta && body.meta.chart ? ` · chart: ${body.meta.chart}` : "");
    renderRows(Array.isArray(rows) ? rows : []);
    renderChart(body.meta, rows);
  } else {
    const errs = (body && body.errors) || {};
    const msg = (errs.toml || errs.params || [body ? body.detail : `HTTP ${code}`])[0];
    error.textContent = msg;
    error.hidden = false;
    status.textContent = "The draft has an error (nothing was saved).";
    table.replaceChildren();
    chartBox.hidden = true;
  }
}

document.getElementById("def-preview").addEventListener("click", preview);
document.getElementById("def-import").addEventListener("change", async (e) => {
  const file = e.target.files && e.target.files[0];
  if (file) text.value = await file.text();
});
