// The SLO list's sparklines, and a reload when an alert fires or resolves (ws/projects/<id>/alerts).
"use strict";
(function () {
  const figures = JSON.parse(document.getElementById("sparklines").textContent);
  document.querySelectorAll("[data-sparkline]").forEach((div) => {
    const figure = figures[div.dataset.sparkline];
    if (figure && window.Plotly) window.Plotly.newPlot(div, figure.data, figure.layout, { staticPlot: true });
    else div.textContent = "—";
  });
  IO.alertsLive(window.IO_PAGE.project, IO.announceChange);
  document.body.dataset.loaded = "slos";
})();
