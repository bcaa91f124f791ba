// One trace: the waterfall (virtualised: only the rows in view exist in the DOM, so 10,000 spans stay
// fast), the critical path, the per-step breakdown, span details and the GPU lanes.
"use strict";
(function () {
  const { el, fmt } = IO;
  const { project, trace } = window.IO_PAGE;
  const ROW_H = 26;
  const KIND_LABEL = { agent: "agent", llm: "LLM", tool: "tool", retrieval: "retrieval", embedding: "embed",
    guardrail: "guard", http: "HTTP", other: "span" };
  const state = { spans: [], byId: new Map(), children: new Map(), collapsed: new Set(), visible: [], selected: null,
    t0: 0, total: 1 };
  const viewport = document.querySelector("[data-viewport]");
  const spacer = document.querySelector("[data-spacer]");
  const tree = document.querySelector("[data-waterfall]");
  const status = document.querySelector("[data-status]");

  document.querySelectorAll("[data-copy]").forEach((b) => b.addEventListener("click", () =>
    navigator.clipboard && navigator.clipboard.writeText(b.dataset.copy)));

  function build(data) {
    state.spans = data.spans;
    state.t0 = data.start_ns;
    state.total = Math.max(data.end_ns - data.start_ns, 1);
    for (const s of data.spans) { state.byId.set(s.span_id, s); state.children.set(s.span_id, []); }
    const roots = [];
    for (const s of data.spans) {
      const parent = s.parent_id && state.byId.has(s.parent_id) ? state.children.get(s.parent_id) : roots;
      parent.push(s);
    }
    // Depth-first order by start time, computed once (iteratively: deep traces must not overflow).
    state.order = [];
    const placed = new Set();
    const walk = (starts) => {
      const stack = starts.slice().reverse().map((s) => [s, 0]);
      while (stack.length) {
        const [span, depth] = stack.pop();
        if (placed.has(span.span_id)) continue;
        placed.add(span.span_id);
        span.depth = depth;
        state.order.push(span);
        const kids = state.children.get(span.span_id);
        for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i], depth + 1]);
      }
    };
    walk(roots);
    // Spans whose parents form a cycle (broken instrumentation) are still shown, as roots.
    walk(data.spans.filter((s) => !placed.has(s.span_id)));
  }

  function computeVisible() {
    state.visible = [];
    let hiddenBelow = Infinity;
    for (const span of state.order) {
      if (span.depth > hiddenBelow) continue;
      hiddenBelow = Infinity;
      state.visible.push(span);
      if (state.collapsed.has(span.span_id)) hiddenBelow = span.depth;
    }
    spacer.style.height = `${state.visible.length * ROW_H}px`;
    // Short traces get a short box; long ones scroll inside at most 60% of the window.
    viewport.style.height = `${Math.min(state.visible.length * ROW_H + 4, Math.max(window.innerHeight * 0.6, 200))}px`;
  }

  function row(span, index) {
    const kids = state.children.get(span.span_id).length;
    const collapsed = state.collapsed.has(span.span_id);
    const left = ((span.start_ns - state.t0) / state.total) * 100;
    const width = Math.max((span.duration_ns / state.total) * 100, 0.15);
    const classes = ["wf-row", `wf-kind-${span.span_class}`, span.critical ? "critical" : "", span.is_error ? "error" : "",
      state.selected === span.span_id ? "selected" : ""].filter(Boolean).join(" ");
    return el("div", { class: classes, role: "treeitem", "aria-level": span.depth + 1,
      "aria-expanded": kids ? String(!collapsed) : null, "aria-selected": String(state.selected === span.span_id),
      style: `top:${index * ROW_H}px`, dataset: { spanId: span.span_id }, onclick: () => select(span.span_id, true) },
    el("div", { class: "wf-label", style: `padding-left:${Math.min(span.depth, 40) * 14}px` },
      kids ? el("button", { type: "button", class: "wf-toggle", "aria-label": collapsed ? "Expand" : "Collapse",
        text: collapsed ? "▸" : "▾", onclick: (ev) => { ev.stopPropagation(); toggle(span.span_id); } })
        : el("span", { class: "wf-toggle-space" }),
      el("span", { class: `kind kind-${span.span_class}`, text: KIND_LABEL[span.span_class] || "span" }),
      span.critical ? el("span", { class: "critical-mark", title: "on the critical path", text: "◆" }) : null,
      span.is_error ? el("span", { class: "bad", title: "error", text: "✖" }) : null,
      el("span", { class: "wf-name", text: span.name }),
      el("span", { class: "muted wf-service", text: span.service_name }),
      span.gpu_id ? el("span", { class: "gpu-tag", text: `GPU ${span.host}/${span.gpu_id}` }) : null),
    el("div", { class: "wf-track" },
      el("div", { class: "wf-bar", style: `left:${left}%;width:${width}%`,
        title: `${span.name}: ${fmt.durationNs(span.duration_ns)}` }),
      el("span", { class: "wf-dur", style: `left:${Math.min(left + width, 92)}%`, text: fmt.durationNs(span.duration_ns) })));
  }

  function paint() {
    const first = Math.max(Math.floor(viewport.scrollTop / ROW_H) - 10, 0);
    const last = Math.min(first + Math.ceil(viewport.clientHeight / ROW_H) + 20, state.visible.length);
    const rows = [];
    for (let i = first; i < last; i++) rows.push(row(state.visible[i], i));
    spacer.replaceChildren(...rows);
  }
  viewport.addEventListener("scroll", () => requestAnimationFrame(paint));

  function toggle(spanId) {
    if (state.collapsed.has(spanId)) state.collapsed.delete(spanId); else state.collapsed.add(spanId);
    computeVisible();
    // A selection hidden inside the collapsed subtree moves up to the collapsed span.
    if (!state.visible.some((s) => s.span_id === state.selected)) state.selected = spanId;
    paint();
    tree.focus({ preventScroll: true });  // the clicked button is gone; keep the keys working
  }

  function select(spanId, open) {
    state.selected = spanId;
    const index = state.visible.findIndex((s) => s.span_id === spanId);
    if (index >= 0) {
      const top = index * ROW_H;
      if (top < viewport.scrollTop || top > viewport.scrollTop + viewport.clientHeight - ROW_H) viewport.scrollTop = top - ROW_H * 3;
    }
    paint();
    if (open) showDetail(spanId);
    IO.setParams({ span: spanId }, { replace: true });
  }

  tree.addEventListener("keydown", (ev) => {
    if (ev.target.closest("button")) return;  // Enter/Space on a toggle button is that button's
    const index = state.visible.findIndex((s) => s.span_id === state.selected);
    const span = state.visible[index];
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      const next = state.visible[Math.min(Math.max(index + (ev.key === "ArrowDown" ? 1 : -1), 0), state.visible.length - 1)];
      if (next) select(next.span_id, false);
    } else if (span && (ev.key === "ArrowLeft" || ev.key === "ArrowRight")) {
      const collapsed = state.collapsed.has(span.span_id);
      if ((ev.key === "ArrowLeft") !== collapsed && state.children.get(span.span_id).length) toggle(span.span_id);
    } else if (span && ev.key === "Enter") {
      showDetail(span.span_id);
    } else return;
    ev.preventDefault();
  });

  function axis() {
    const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => el("span", { style: `left:${f * 100}%`,
      text: fmt.durationNs(f * state.total) }));
    document.querySelector("[data-axis]").replaceChildren(el("div", { class: "wf-label", text: "Span" }),
      el("div", { class: "wf-track" }, ...ticks));
  }

  // -- details -----------------------------------------------------------------------------------------
  function kv(label, value) { return [el("dt", { text: label }), el("dd", { text: value })]; }

  let detailFor = null;
  async function showDetail(spanId) {
    const box = document.querySelector("[data-detail]");
    const span = state.byId.get(spanId);
    detailFor = spanId;
    box.hidden = false;
    box.replaceChildren(el("p", { class: "muted", text: "Loading span…" }));
    let detail;
    try { detail = await IO.getJSON(`/api/v1/projects/${project}/traces/${trace}/spans/${spanId}`); }
    catch (error) { IO.showError(box, error); return; }
    if (detailFor !== spanId) return;  // another span was opened meanwhile
    const search = el("input", { type: "search", placeholder: "Filter attributes", "aria-label": "Filter attributes" });
    const attrRows = Object.entries({ ...detail.resource_attributes, ...detail.span_attributes }).sort();
    const attrBody = el("tbody");
    const paintAttrs = () => attrBody.replaceChildren(...attrRows
      .filter(([k, v]) => !search.value || `${k} ${v}`.toLowerCase().includes(search.value.toLowerCase()))
      .map(([k, v]) => el("tr", {}, el("th", { scope: "row", class: "mono", text: k }), el("td", { class: "mono", text: v }))));
    search.addEventListener("input", paintAttrs);
    paintAttrs();
    box.replaceChildren(
      el("h2", {}, el("span", { class: `kind kind-${span.span_class}`, text: KIND_LABEL[span.span_class] }), " ", span.name),
      el("p", {}, el("span", { class: "mono", text: spanId }), " ",
        el("button", { type: "button", text: "Copy span id", onclick: () => navigator.clipboard && navigator.clipboard.writeText(spanId) })),
      el("dl", { class: "facts" },
        kv("Service", span.service_name), kv("Duration", fmt.durationNs(span.duration_ns)),
        kv("Status", span.is_error ? `✖ error ${span.error_type || ""} ${span.status_message || ""}` : "✔ ok"),
        span.model ? kv("Model", `${span.model} (${span.provider})`) : [],
        span.input_tokens || span.output_tokens ? kv("Tokens", `input ${span.input_tokens} (cache read ${span.cache_read_tokens}, cache write ${span.cache_write_tokens}) · output ${span.output_tokens} (reasoning ${span.reasoning_tokens})`) : [],
        span.ttft_ns ? kv("Time to first token", fmt.durationNs(span.ttft_ns)) : [],
        span.pricing ? kv("Cost", `${fmt.usd(span.cost)} · ${span.pricing.method === "gpu_time" ? "GPU time" : span.pricing.method}` +
          `${span.pricing.price_ref ? ` (${span.pricing.price_ref})` : ""} · price version v${span.pricing.price_version}`) : [],
        span.guardrail_verdict ? kv("Guardrail", `${span.guardrail_verdict}${span.guardrail_action ? ` → ${span.guardrail_action}` : ""}`) : [],
        span.host ? kv("Host / GPU", `${span.host}${span.gpu_id ? ` · GPU ${span.gpu_id}` : ""}`) : [],
        kv("Critical path", span.critical ? "◆ yes" : "no"), kv("Instrumentation", `${detail.scope_name} ${detail.scope_version} (${detail.dialect})`)),
      el("h3", { text: "Attributes" }), search, el("table", { class: "data attrs" }, attrBody),
      el("h3", { text: `Events (${detail.event_names.length})` }),
      el("ol", {}, ...detail.event_names.map((name, i) => el("li", {},
        el("strong", { text: name }), ` +${fmt.durationNs(detail.event_times_ns[i] - span.start_ns)} `,
        el("span", { class: "mono", text: JSON.stringify(detail.event_attributes[i]) })))));
  }

  // -- breakdown and GPU lanes -------------------------------------------------------------------------
  function breakdown(rows) {
    document.querySelector("[data-breakdown] tbody").replaceChildren(...rows.map((r) => el("tr", {},
      el("th", { scope: "row", text: r.step }), el("td", { text: fmt.durationNs(r.critical_path_ns) }),
      el("td", {}, el("span", { class: "share", style: `width:${Math.round(r.critical_path_share * 100)}px` }),
        ` ${(r.critical_path_share * 100).toFixed(1)} %`),
      el("td", { text: r.span_time_ns ? fmt.durationNs(r.span_time_ns) : "—" }), el("td", { text: fmt.count(r.tokens) }),
      el("td", { text: r.cost ? fmt.usd(r.cost) : "—" }),
      el("td", { text: r.cost_share === null ? "—" : `${(r.cost_share * 100).toFixed(1)} %` }))));
  }

  const LANE_METRICS = [["gpu.utilization", "GPU util", 100], ["gpu.sm_active", "SM active", 100],
    ["inference.kv_cache.utilization", "KV cache", 100], ["gpu.throttled", "throttled", 100]];
  const LANE_RIGHT = [["inference.requests.waiting", "waiting requests"], ["inference.requests.running", "running requests"],
    ["gpu.temperature", "temperature °C"]];

  function lanes(data) {
    const box = document.querySelector("[data-gpu-lanes]");
    if (!data.gpu_lanes.length) return;
    box.replaceChildren();
    for (const lane of data.gpu_lanes) {
      const div = el("div", { class: "chart lane", dataset: { lane: lane.key } });
      box.append(el("h3", { text: `${lane.host} · GPU ${lane.gpu_id} — ${lane.models.join(", ")}` }), div);
      const traces = [];
      for (const [name, label, scale] of LANE_METRICS) {
        const m = lane.metrics[name];
        if (m) traces.push({ type: "scatter", mode: "lines+markers", name: `${label} %`, x: m.t, y: m.v.map((v) => v * scale) });
      }
      for (const [name, label] of LANE_RIGHT) {
        const m = lane.metrics[name];
        if (m) traces.push({ type: "scatter", mode: "lines+markers", name: label, x: m.t, y: m.v, yaxis: "y2", line: { dash: "dot" } });
      }
      const shapes = lane.span_ids.map((id) => state.byId.get(id)).map((s) => ({ type: "rect", xref: "x", yref: "paper",
        x0: new Date(s.start_ns / 1e6).toISOString(), x1: new Date((s.start_ns + s.duration_ns) / 1e6).toISOString(),
        y0: 0, y1: 1, fillcolor: "#0072B2", opacity: 0.12, line: { width: 0 } }));
      if (!traces.length) { div.append(el("p", { class: "muted", text: "No metrics from this GPU in the trace's window." })); continue; }
      IO.plot(div, { data: traces, layout: { height: 240, margin: { l: 48, r: 56, t: 10, b: 30 }, shapes,
        xaxis: { type: "date" }, yaxis: { title: { text: "%" }, range: [0, 100] },
        yaxis2: { overlaying: "y", side: "right", rangemode: "tozero" }, legend: { orientation: "h", y: -0.2 },
        hovermode: "x unified" } });
    }
  }

  function summary(data) {
    const root = data.spans.find((s) => !s.parent_id) || data.spans[0];
    document.querySelector("[data-trace-title]").textContent = root ? root.name : "Trace";
    const errors = data.spans.filter((s) => s.is_error).length;
    const tokens = data.spans.reduce((n, s) => n + s.input_tokens + s.output_tokens, 0);
    document.querySelector("[data-summary]").replaceChildren(el("dl", { class: "facts" },
      kv("Started", fmt.time(new Date(data.start_ns / 1e6).toISOString())), kv("Duration", fmt.durationNs(data.end_ns - data.start_ns)),
      kv("Spans", `${data.span_count}${data.truncated ? " (truncated)" : ""}`), kv("Errors", errors ? `✖ ${errors}` : "✔ none"),
      kv("Tokens", fmt.count(tokens)),
      kv("Cost", data.spans.some((s) => s.cost !== null) ? fmt.usd(data.spans.reduce((n, s) => n + (s.cost || 0), 0)) : "not costed yet"),
      kv("Services", [...new Set(data.spans.map((s) => s.service_name))].join(", "))));
  }

  async function load() {
    let data;
    try { data = await IO.getJSON(`/api/v1/projects/${project}/traces/${trace}`); }
    catch (error) { IO.showError(status, error); return; }
    status.replaceChildren();
    build(data);
    summary(data);
    breakdown(data.breakdown);
    axis();
    computeVisible();
    const wanted = IO.params().get("span");
    state.selected = wanted && state.byId.has(wanted) ? wanted : (state.visible[0] || {}).span_id;
    paint();
    if (wanted && state.byId.has(wanted)) select(wanted, true);
    lanes(data);
    document.body.dataset.loaded = "trace";
  }
  load();
})();
