// Dashboard charts, drawn with the vendored Chart.js from the JSON data block
// the server renders into the page (#traffic-data).

function draw() {
  const el = document.getElementById("traffic-data");
  if (!el || typeof window.Chart === "undefined") return;
  const t = JSON.parse(el.textContent);
  const Chart = window.Chart;
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  const palette = ["#2f6fde", "#7a5af5", "#e0a100", "#d64545", "#2aa876", "#888"];

  new Chart(document.getElementById("chart-rpm"), {
    type: "bar",
    data: { labels: t.labels, datasets: [{ label: "requests", data: t.per_minute, backgroundColor: "#2f6fde" }] },
    options: { plugins: { legend: { display: false } }, scales: { x: { ticks: { maxTicksLimit: 12 } }, y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
  const status = Object.entries(t.status);
  new Chart(document.getElementById("chart-status"), {
    type: "doughnut",
    data: { labels: status.map((s) => s[0]), datasets: [{ data: status.map((s) => s[1]), backgroundColor: ["#2aa876", "#7a5af5", "#e0a100", "#d64545"] }] },
  });
  const stages = Object.entries(t.stages);
  new Chart(document.getElementById("chart-stages"), {
    type: "bar",
    data: { labels: stages.map((s) => s[0]), datasets: [{ label: "rejections", data: stages.map((s) => s[1]), backgroundColor: palette }] },
    options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
}

if (document.readyState === "complete") draw();
else window.addEventListener("load", draw);
