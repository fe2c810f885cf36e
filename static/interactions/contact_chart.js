// Interactions per month on the contact card; data comes from a json_script element.
(() => {
  const data = document.getElementById("interactions-per-month");
  const canvas = document.getElementById("interactions-per-month-chart");
  if (!data || !canvas || typeof Chart === "undefined") return;
  const series = JSON.parse(data.textContent);
  new Chart(canvas, {
    type: "bar",
    data: { labels: series.labels, datasets: [{ label: canvas.dataset.label, data: series.values, backgroundColor: "#0d6efd" }] },
    options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
})();
