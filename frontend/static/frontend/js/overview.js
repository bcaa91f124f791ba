// The overview dashboard: tiles, Plotly charts and the per-group table from /api/v1/projects/<id>/overview.
"use strict";
(function () {
  const { el, fmt } = IO;
  const project = window.IO_PAGE.project;
  const form = document.querySelector("[data-filters]");
  const status = document.querySelector("[data-status]");
  const chartOrder = ["rate", "errors", "latency", "latency_by_group", "ttft", "tpot", "tokens", "cost"];

  function syncForm() {
    const p = IO.params();
    form.querySelectorAll("select").forEach((s) => { s.value = p.get(s.name) || ""; });
    if (!form.group_by.value) form.group_by.value = "service";
  }
  form.addEventListener("change", (ev) => IO.setParams({ [ev.target.name]: ev.target.value || null }));

  async function loadDimensions() {
    const data = await IO.getJSON(`/api/v1/projects/${project}/dimensions?${windowQuery()}`);
    form.querySelectorAll("[data-dimension]").forEach((select) => {
      const chosen = IO.params().get(select.name) || "";
      const values = data.dimensions[select.name] || [];
      select.replaceChildren(el("option", { value: "", text: "any" }),
        ...[...new Set([chosen, ...values].filter(Boolean))].map((v) => el("option", { value: v, text: v })));
      select.value = chosen;
    });
  }
  function windowQuery() {
    const p = IO.params(); const q = new URLSearchParams();
    for (const k of ["range", "start", "end"]) if (p.get(k)) q.set(k, p.get(k));
    return q;
  }

  function tile(label, value, hint) {
    return el("div", { class: "tile" }, el("div", { class: "tile-label", text: label }),
      el("div", { class: "tile-value", text: value }), hint ? el("div", { class: "tile-hint", text: hint }) : null);
  }

  function render(data) {
    const t = data.totals;
    const noun = data.scope === "llm_calls" ? "LLM calls" : "Requests";
    document.querySelector("[data-empty]").hidden = Boolean(t);
    document.querySelector("[data-charts]").hidden = !t;
    document.querySelector("[data-groups-section]").hidden = !t;
    document.querySelector("[data-group-label]").textContent = data.group_by;
    document.querySelector("[data-tiles]").replaceChildren(...(t ? [
      tile(`${noun}/s`, fmt.count(t.requests_per_s), `${fmt.count(t.requests)} in window`),
      tile("Errors", fmt.pct(t.error_pct), `${fmt.count(t.errors)} failed`),
      tile("Latency p50", fmt.ms(t.duration_p50_ms)), tile("p95", fmt.ms(t.duration_p95_ms)),
      tile("p99", fmt.ms(t.duration_p99_ms)), tile("TTFT p95", fmt.ms(t.ttft_p95_ms)),
      tile("Time per output token p95", fmt.ms(t.tpot_p95_ms)),
      tile("Tokens/s", fmt.count(t.tokens_per_s), `${fmt.count(t.llm_calls)} LLM calls`),
      tile("Cost/hour", fmt.usd(t.cost_per_hour), `${fmt.usd(t.cost)} in window`),
    ] : []));
    const charts = document.querySelector("[data-charts]");
    for (const key of chartOrder) {
      let div = charts.querySelector(`[data-chart="${key}"]`);
      if (!div) { div = el("div", { class: "chart", dataset: { chart: key } }); charts.append(div); }
      if (t) IO.plot(div, data.figures[key]); else div.replaceChildren();
    }
    const body = document.querySelector("[data-groups] tbody");
    body.replaceChildren(...data.groups.map((g) => el("tr", {},
      el("th", { scope: "row", text: g.grp || "(none)" }), el("td", { text: fmt.count(g.requests_per_s) }),
      el("td", { text: fmt.pct(g.error_pct) }), el("td", { text: fmt.ms(g.duration_p50_ms) }),
      el("td", { text: fmt.ms(g.duration_p95_ms) }), el("td", { text: fmt.ms(g.duration_p99_ms) }),
      el("td", { text: fmt.ms(g.ttft_p95_ms) }), el("td", { text: fmt.ms(g.tpot_p95_ms) }),
      el("td", { text: fmt.count(g.tokens_per_s) }), el("td", { text: fmt.usd(g.cost_per_hour) }))));
    if (data.hidden_groups) body.append(el("tr", {}, el("td", { colspan: 10, class: "muted",
      text: `${data.hidden_groups} smaller groups are not charted; filter to see them.` })));
  }

  let loading = null;
  async function load() {
    delete document.body.dataset.loaded;
    syncForm();
    status.replaceChildren(el("p", { class: "muted", text: "Loading…" }));
    const query = IO.params();
    document.querySelector("[data-csv]").href = `/api/v1/projects/${project}/overview.csv?${query}`;
    const token = (loading = {});
    try {
      const data = await IO.getJSON(`/api/v1/projects/${project}/overview?${query}`);
      if (token !== loading) return;
      status.replaceChildren();
      render(data);
      document.body.dataset.loaded = "overview";
    } catch (error) { IO.showError(status, error); }
  }
  window.addEventListener("io:params", () => { load(); loadDimensions().catch(() => {}); });
  // Live: relative windows refresh when new data lands (at most every 5 s).
  IO.live && IO.live(project, { onCommitted: () => { if (IO.currentWindow().range) load(); }, minIntervalMs: 5000 });
  load();
  loadDimensions().catch((e) => IO.showError(status, e));
})();
