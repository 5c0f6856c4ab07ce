// Symptom and function trends (Chart.js). Data comes from the page's json_script block.
(function () {
  "use strict";
  const source = document.getElementById("trend-data");
  if (!source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);

  const BAND_COLOURS = {
    "": "rgba(25, 135, 84, 0.08)",
    mild: "rgba(255, 193, 7, 0.10)",
    moderate: "rgba(253, 126, 20, 0.14)",
    severe: "rgba(220, 53, 69, 0.16)",
  };
  const LINE_COLOURS = [
    "#1b4f72", "#b03a2e", "#117a65", "#7d3c98", "#b9770e",
    "#2e4053", "#a93226", "#148f77", "#6c3483", "#566573",
  ];

  // Shades each severity band behind the lines (the bands come from the instrument).
  const severityBands = {
    id: "severityBands",
    beforeDatasetsDraw(chart, _args, options) {
      const bands = options.bands || [];
      const { ctx, chartArea, scales } = chart;
      if (!bands.length || !chartArea) return;
      ctx.save();
      bands.forEach((band) => {
        const top = scales.y.getPixelForValue(Math.min(band.high + 0.5, scales.y.max));
        const bottom = scales.y.getPixelForValue(Math.max(band.low - 0.5, scales.y.min));
        ctx.fillStyle = BAND_COLOURS[band.severity || ""] || BAND_COLOURS[""];
        ctx.fillRect(chartArea.left, top, chartArea.right - chartArea.left, bottom - top);
        ctx.fillStyle = "rgba(33, 37, 41, 0.7)";
        ctx.font = "11px sans-serif";
        ctx.fillText(band.label, chartArea.left + 4, top + 12);
      });
      ctx.restore();
    },
  };

  // The dates come from the server in the program's time zone, written as the report table
  // writes them; the browser's own zone would put a late-evening report on the next day.
  const datesOf = (chartData) => chartData.dates || chartData.labels;

  const esasCanvas = document.getElementById("esas-chart");
  if (esasCanvas && data.esas && data.esas.labels.length) {
    new Chart(esasCanvas, {
      type: "line",
      data: {
        labels: datesOf(data.esas),
        datasets: data.esas.series.map((s, i) => ({
          label: s.label,
          data: s.values,
          borderColor: LINE_COLOURS[i % LINE_COLOURS.length],
          backgroundColor: LINE_COLOURS[i % LINE_COLOURS.length],
          spanGaps: true,
          pointRadius: data.esas.labels.length > 60 ? 0 : 2,
          borderWidth: 1.5,
          // A symptom severe in a recent report is always drawn; of the rest, the first few.
          hidden: s.shown === undefined ? i > 2 : !s.shown,
        })),
      },
      options: {
        animation: false,
        scales: { y: { min: 0, max: 10, ticks: { stepSize: 1 }, title: { display: true, text: "0 best – 10 worst" } } },
        plugins: { severityBands: { bands: data.esas.bands }, legend: { position: "bottom" } },
      },
      plugins: [severityBands],
    });
  }

  const fnCanvas = document.getElementById("function-chart");
  if (fnCanvas && data.function) {
    const labels = data.function.labels;
    new Chart(fnCanvas, {
      type: "line",
      data: {
        labels: datesOf(data.function),
        datasets: data.function.series.map((s, i) => {
          const byDate = new Map(s.points.map((p) => [p.x, p.y]));
          return {
            label: s.label,
            data: labels.map((x) => (byDate.has(x) ? byDate.get(x) : null)),
            spanGaps: true,
            borderColor: LINE_COLOURS[i],
            backgroundColor: LINE_COLOURS[i],
            stepped: true,
            borderWidth: 2,
          };
        }),
      },
      options: {
        animation: false,
        scales: { y: { min: 0, max: 100, ticks: { stepSize: 10 }, title: { display: true, text: "%" } } },
        plugins: { legend: { position: "bottom" } },
      },
    });
  }

  // Sparklines in lists: <canvas class="sparkline" data-values="[..]">.
  document.querySelectorAll("canvas.sparkline[data-values]").forEach((canvas) => {
    const values = JSON.parse(canvas.dataset.values);
    new Chart(canvas, {
      type: "line",
      data: { labels: values.map((_v, i) => i), datasets: [{ data: values, borderColor: "#1b4f72", borderWidth: 1.5, pointRadius: 0 }] },
      options: {
        animation: false, responsive: false, events: [],
        scales: { x: { display: false }, y: { display: false, min: 0, max: 90 } },
        plugins: { legend: { display: false }, tooltip: { enabled: false } },
      },
    });
  });
})();
