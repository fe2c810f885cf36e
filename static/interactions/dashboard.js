// The dashboard's stacked bar chart: interactions per week by group. The data comes from
// the page's <script type="application/json" id="interactions-per-week-data"> (Django's
// json_script), so no script is written inline and a CSP can forbid inline script.
(function () {
  const canvas = document.getElementById("interactions-per-week");
  const source = document.getElementById("interactions-per-week-data");
  if (!canvas || !source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  // Bootstrap's palette, repeated when there are more groups than colours.
  const palette = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#dc3545", "#0dcaf0", "#ffc107", "#6c757d", "#d63384"];
  const datasets = data.datasets.map((dataset, index) => ({
    label: dataset.label,
    data: dataset.data,
    backgroundColor: palette[index % palette.length],
    borderWidth: 0,
  }));
  // Text and grid in the colours of the color mode (light or dark, static/crm/theme.js).
  const style = getComputedStyle(document.documentElement);
  Chart.defaults.color = style.getPropertyValue("--bs-secondary-color").trim() || Chart.defaults.color;
  Chart.defaults.borderColor = style.getPropertyValue("--bs-border-color-translucent").trim() || Chart.defaults.borderColor;
  new Chart(canvas, {
    type: "bar",
    data: { labels: data.labels, datasets },
    options: {
      responsive: true,
      // The box's shape is the stylesheet's (.chart-area): wide on a desktop, square on a phone.
      maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { position: "bottom" } },
      scales: {
        x: { stacked: true, title: { display: true, text: data.weekTitle } },
        y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: data.axisTitle } },
      },
    },
  });
})();
