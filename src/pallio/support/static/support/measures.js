// The support line's measures as bar charts (Chart.js); the figures come from the page's
// json_script block and are also in its tables.
(function () {
  "use strict";
  const source = document.getElementById("line-measures-data");
  if (!source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const bars = (canvas, labels, values, title) => {
    if (!canvas) return;
    new Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: [{ label: title, data: values, backgroundColor: "#1b4f72" }] },
      options: {
        animation: false,
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { display: false } },
      },
    });
  };
  bars(document.getElementById("hour-chart"), data.hours.labels, data.hours.values, "Calls");
  bars(document.getElementById("reason-chart"), data.reasons.labels, data.reasons.values, "Calls");
})();
