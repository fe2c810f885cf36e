// Interactions per month on the contact card; data comes from a json_script element.
(() => {
  const data = document.getElementById("interactions-per-month");
  const canvas = document.getElementById("interactions-per-month-chart");
  if (!data || !canvas || typeof Chart === "undefined") return;
  const series = JSON.parse(data.textContent);
  // Text and grid in the colours of the color mode (light or dark, static/crm/theme.js).
  const style = getComputedStyle(document.documentElement);
  Chart.defaults.color = style.getPropertyValue("--bs-secondary-color").trim() || Chart.defaults.color;
  Chart.defaults.borderColor = style.getPropertyValue("--bs-border-color-translucent").trim() || Chart.defaults.borderColor;
  new Chart(canvas, {
    type: "bar",
    data: { labels: series.labels, datasets: [{ label: canvas.dataset.label, data: series.values, backgroundColor: "#0d6efd" }] },
    // The box's shape is the stylesheet's (.chart-area), kept before the chart is drawn.
    options: { maintainAspectRatio: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
})();
