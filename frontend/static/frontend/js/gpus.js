// The GPU fleet page: tables of latest values, one chart per metric, and "which requests ran here".
"use strict";
(function () {
  const { el, fmt } = IO;
  const project = window.IO_PAGE.project;
  const status = document.querySelector("[data-status]");
  const ran = document.querySelector("[data-ran-here]");
  const num = (v, digits = 1) => (v === null || v === undefined ? "—" : Number(v).toFixed(digits));
  let ranQuery = null;

  function ranButton(host, gpu) {
    return el("button", { type: "button", class: "link", text: "Requests", title: `Which requests ran on ${host} ${gpu}`,
      onclick: () => showRequests(host, gpu, null) });
  }

  async function showRequests(host, gpu, after) {
    ranQuery = { host, gpu };
    const q = IO.params(); q.set("host", host); if (gpu) q.set("gpu", gpu); if (after) q.set("after", after);
    ran.hidden = false;
    ran.querySelector("[data-ran-where]").textContent = gpu ? `${host} · GPU ${gpu}` : host;
    const body = ran.querySelector("tbody");
    try {
      const data = await IO.getJSON(`/api/v1/projects/${project}/gpus/spans?${q}`);
      const rows = data.spans.map((s) => el("tr", {},
        el("td", {}, el("a", { href: `/projects/${project}/traces/${s.trace_id}?span=${s.span_id}`, text: s.name })),
        el("td", { text: s.service_name }), el("td", { text: s.model }), el("td", { text: fmt.time(s.started) }),
        el("td", { text: fmt.durationNs(s.duration_ns) }), el("td", { text: s.ttft_ns ? fmt.durationNs(s.ttft_ns) : "—" }),
        el("td", { text: `${fmt.count(s.input_tokens)} / ${fmt.count(s.output_tokens)}` }),
        el("td", { text: s.is_error ? "✖ error" : "✔ ok" })));
      if (after) body.append(...rows); else body.replaceChildren(...rows);
      if (!after && !rows.length) body.append(el("tr", {}, el("td", { colspan: 8, text: "No spans were served here in this window." })));
      const more = ran.querySelector("[data-ran-more]");
      more.hidden = !data.next_cursor;
      more.onclick = () => showRequests(host, gpu, data.next_cursor);
      ran.scrollIntoView({ block: "nearest" });
    } catch (error) { IO.showError(body, error); }
  }

  function charts(container, figures, prefix) {
    container.replaceChildren();
    for (const [key, figure] of Object.entries(figures)) {
      if (!key.startsWith(prefix)) continue;
      const div = el("div", { class: "chart", dataset: { chart: key } });
      container.append(div);
      IO.plot(div, figure, { onClick: (ev) => { const [host, gpu] = ev.points[0].customdata; showRequests(host, gpu, null); } });
    }
  }

  async function load() {
    delete document.body.dataset.loaded;
    status.replaceChildren(el("p", { class: "muted", text: "Loading…" }));
    document.querySelectorAll("[data-csv]").forEach((a) => {
      const q = IO.params(); q.set("table", a.dataset.csv);
      a.href = `/api/v1/projects/${project}/gpus.csv?${q}`;
    });
    try {
      const data = await IO.getJSON(`/api/v1/projects/${project}/gpus?${IO.params()}`);
      status.replaceChildren(data.gpus.length || data.servers.length ? "" :
        el("p", { text: "No GPU or inference-server metrics in this window. Point DCGM-exporter, the OTel hw.gpu receiver or vLLM/SGLang metrics at the OTLP endpoint." }));
      document.querySelector("[data-gpus] tbody").replaceChildren(...data.gpus.map((g) => el("tr", {},
        el("th", { scope: "row", text: g.entity }), el("td", { text: g.gpu_model }), el("td", { text: num(g.utilization) }),
        el("td", { text: num(g.sm_active) }), el("td", { text: num(g.memory_used) }), el("td", { text: num(g.power, 0) }),
        el("td", { text: num(g.temperature, 0) }), el("td", { text: num(g.throttled) }), el("td", { text: num(g.xid, 0) }),
        el("td", {}, ranButton(g.host, g.gpu_id)))));
      document.querySelector("[data-servers] tbody").replaceChildren(...data.servers.map((s) => el("tr", {},
        el("th", { scope: "row", text: s.entity }), el("td", { text: s.host }), el("td", { text: num(s.running) }),
        el("td", { text: num(s.waiting) }), el("td", { text: num(s.kv_cache) }), el("td", { text: num(s.prefix_hit) }),
        el("td", {}, ranButton(s.host, "")))));
      charts(document.querySelector("[data-gpu-charts]"), data.figures, "gpu_");
      charts(document.querySelector("[data-server-charts]"), data.figures, "server_");
      if (ranQuery) showRequests(ranQuery.host, ranQuery.gpu, null);
      document.body.dataset.loaded = "gpus";
    } catch (error) { IO.showError(status, error); }
  }
  window.addEventListener("io:params", load);
  load();
})();
