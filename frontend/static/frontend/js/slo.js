// One SLO: SLI, budget and burn-rate charts, thresholds and exemplar traces from its history API.
"use strict";
(function () {
  const { el, fmt } = IO;
  const { project, slo } = window.IO_PAGE;
  const status = document.querySelector("[data-status]");
  // An SLO is read over days: a week unless the link says otherwise.
  if (!IO.params().get("range") && !IO.params().get("start")) IO.setParams({ range: "7d" }, { replace: true });

  async function load() {
    delete document.body.dataset.loaded;
    status.replaceChildren(el("p", { class: "muted", text: "Loading…" }));
    let data;
    try { data = await IO.getJSON(`/api/v1/projects/${project}/slos/${slo}/history?${IO.params()}`); }
    catch (error) { IO.showError(status, error); return; }
    status.replaceChildren(data.evaluations.length ? "" : el("p", { text:
      "No evaluation in this window yet: the SLO is evaluated every minute once it has traffic in scope." }));
    const charts = document.querySelector("[data-charts]");
    charts.replaceChildren();
    for (const key of ["sli", "budget", "burn"]) {
      if (!data.figures[key]) continue;
      const div = el("div", { class: "chart", dataset: { chart: key } });
      charts.append(div);
      IO.plot(div, data.figures[key]);
    }
    const last = data.evaluations[data.evaluations.length - 1];
    const now = last ? Object.fromEntries(last.burn_windows.map((w, i) => [w, last.burn_rates[i]])) : {};
    document.querySelector("[data-thresholds] tbody").replaceChildren(...Object.entries(data.thresholds).map(([w, f]) =>
      el("tr", {}, el("th", { scope: "row", text: w }), el("td", { text: `${f}×` }),
        el("td", { class: (now[w] || 0) >= f ? "bad" : "good", text: now[w] === undefined ? "—" : `${now[w].toFixed(2)}×` }))));
    document.querySelector("[data-exemplars] tbody").replaceChildren(...(data.exemplars.length ? data.exemplars.map((x) =>
      el("tr", {}, el("td", {}, el("a", { href: `/projects/${project}/traces/${x.trace_id}?span=${x.span_id}`, text: x.name })),
        el("td", { text: x.service }), el("td", { text: fmt.ms(x.duration_ms) }),
        el("td", { class: x.error ? "bad" : "", text: x.error ? `✖ ${x.error_type || "error"}` : "slow" })))
      : [el("tr", {}, el("td", { colspan: 4, text: "No bad events in the last hour." }))]));
    document.body.dataset.loaded = "slo";
  }
  window.addEventListener("io:params", load);
  IO.alertsLive(project, (event) => { if (event.slo_id === slo) IO.announceChange(event); });
  load();
})();
