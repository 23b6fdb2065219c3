// Report charts from the report's hint: bar, line and pie with the vendored
// Chart.js (global `Chart`, loaded by index.html from /assets/vendor), and
// `table` as an HTML table. Every chart also has its data table underneath.

import { el, table } from "./dom.js";

const COLORS = ["#2563eb", "#16a34a", "#d97706", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#9333ea", "#ea580c"];

function num(v) {
  if (v === null || v === undefined) return null;
  const n = typeof v === "number" ? v : parseFloat(v);
  return Number.isFinite(n) ? n : null;
}

/** Draw one report answer ({data, meta:{chart, columns, name}}) into a new element. */
export function reportChart(report) {
  const meta = report.meta || {};
  const rows = Array.isArray(report.data) ? report.data : [];
  const columns = Array.isArray(meta.columns) && meta.columns.length ? meta.columns : Object.keys(rows[0] || {}).map((name) => ({ name, role: "dimension" }));
  const dims = columns.filter((c) => c.role === "dimension").map((c) => c.name);
  const metrics = columns.filter((c) => c.role === "metric").map((c) => c.name);
  const kind = ["bar", "line", "pie"].includes(meta.chart) ? meta.chart : "table";
  const names = columns.map((c) => c.name);
  const data = table(names, rows.map((r) => names.map((n) => r[n])));
  const box = el("figure", { class: "report", dataset: { chart: kind, slug: meta.slug || "" } }, el("figcaption", {}, meta.name || meta.slug || "Report", el("span", { class: "muted" }, ` · ${kind} · ${rows.length} rows`)));
  if (kind === "table" || !metrics.length || typeof window.Chart !== "function") {
    if (kind !== "table" && typeof window.Chart !== "function") box.append(el("p", { class: "muted" }, "Chart.js did not load; showing the table."));
    box.append(data);
    return box;
  }
  const canvas = el("canvas", { role: "img", "aria-label": `${kind} chart of ${meta.name || meta.slug}` });
  box.append(el("div", { class: "chart-box" }, canvas), el("details", {}, el("summary", {}, "Data"), data));
  const labels = rows.map((r) => (dims.length ? dims.map((d) => r[d] ?? "—").join(" · ") : ""));
  const series = kind === "pie" ? metrics.slice(0, 1) : metrics;
  const datasets = series.map((m, i) => ({
    label: m,
    data: rows.map((r) => num(r[m])),
    backgroundColor: kind === "pie" ? rows.map((_, j) => COLORS[j % COLORS.length]) : COLORS[i % COLORS.length],
    borderColor: kind === "pie" ? "#fff" : COLORS[i % COLORS.length],
    yAxisID: kind === "pie" ? undefined : i === 0 ? "y" : "y1",
  }));
  const scales =
    kind === "pie"
      ? {}
      : {
          y: { beginAtZero: true, position: "left" },
          ...(series.length > 1 ? { y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false } } } : {}),
        };
  // Drawn after insertion, when the box has its size.
  requestAnimationFrame(() => {
    new window.Chart(canvas, {
      type: kind,
      data: { labels, datasets },
      options: { responsive: true, maintainAspectRatio: false, animation: false, scales, plugins: { legend: { position: "bottom" } } },
    });
  });
  return box;
}
