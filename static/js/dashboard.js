/* The home page's charts, drawn with the vendored Chart.js from the JSON the
 * page embeds (json_script). The same figures are in tables beside them. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var source = document.getElementById("dashboard-data");
    if (!source || !window.Chart) return;
    var data = JSON.parse(source.textContent);
    var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    var symbol = data.currency || "";
    function money(v) { return symbol + Number(v).toLocaleString("en-US", { maximumFractionDigits: 0 }); }
    var common = {
      responsive: true, maintainAspectRatio: false, animation: reduced ? false : { duration: 400 },
      plugins: { legend: { display: false }, tooltip: { callbacks: { label: function (c) { return money(c.parsed.y !== undefined ? c.parsed.y : c.parsed.x); } } } },
      scales: { y: { ticks: { callback: function (v) { return money(v); } }, grid: { color: "#eef2f6" } }, x: { grid: { display: false } } }
    };
    var stages = document.getElementById("chart-stages");
    if (stages && data.stages.length) {
      new Chart(stages, {
        type: "bar",
        data: {
          labels: data.stages.map(function (s) { return s.label + " (" + s.count + ")"; }),
          datasets: [{ data: data.stages.map(function (s) { return s.amount; }), backgroundColor: data.stages.map(function (s) { return s.colour; }), borderRadius: 6 }]
        },
        options: common
      });
    }
    var months = document.getElementById("chart-months");
    if (months && data.months.length) {
      new Chart(months, {
        type: "bar",
        data: {
          labels: data.months.map(function (m) { return m.label; }),
          datasets: [{ data: data.months.map(function (m) { return m.amount; }), backgroundColor: "#e4572e", borderRadius: 6 }]
        },
        options: common
      });
    }
  });
})();
