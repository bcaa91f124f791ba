// The trace explorer: a search form held in the URL, results with sortable columns and keyset pages.
"use strict";
(function () {
  const { el, fmt } = IO;
  const project = window.IO_PAGE.project;
  const form = document.querySelector("[data-search]");
  const status = document.querySelector("[data-status]");
  const attrList = form.querySelector("[data-attr-list]");
  const FIELDS = ["service", "endpoint", "model", "provider", "tenant", "host", "status", "min_duration_ms",
    "max_duration_ms", "min_tokens", "max_tokens"];

  function attrInput(value) {
    const input = el("input", { name: "attr", value: value || "", size: 40, placeholder: "tenant.id = acme-corp",
      "aria-label": "Attribute filter" });
    return el("div", { class: "attr" }, input,
      el("button", { type: "button", text: "✕", "aria-label": "Remove filter", onclick: (ev) => ev.target.parentNode.remove() }));
  }
  form.querySelector("[data-attr-add]").addEventListener("click", () => attrList.append(attrInput("")));

  function syncForm() {
    const p = IO.params();
    for (const name of FIELDS) form.elements[name].value = p.get(name) || "";
    attrList.replaceChildren(...(p.getAll("attr").length ? p.getAll("attr") : [""]).map(attrInput));
  }
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const changes = { after: null };
    for (const name of FIELDS) changes[name] = form.elements[name].value.trim() || null;
    changes.attr = [...attrList.querySelectorAll("input")].map((i) => i.value.trim()).filter(Boolean);
    IO.setParams(changes);
  });
  document.querySelectorAll("[data-sort]").forEach((btn) => btn.addEventListener("click", () => {
    const p = IO.params();
    const same = (p.get("sort") || "start") === btn.dataset.sort;
    const order = same && (p.get("order") || "desc") === "desc" ? "asc" : "desc";
    IO.setParams({ sort: btn.dataset.sort, order, after: null });
  }));
  document.querySelector("[data-first]").addEventListener("click", (ev) => { ev.preventDefault(); IO.setParams({ after: null }); });

  function row(t) {
    return el("tr", {},
      el("td", { text: fmt.time(t.started) }),
      el("td", {}, el("a", { href: `/projects/${project}/traces/${t.trace_id}`, text: t.root_name || t.trace_id }),
        el("div", { class: "muted mono", text: t.trace_id.slice(0, 16) })),
      el("td", { text: t.trace_services.join(", ") }), el("td", { text: t.trace_models.join(", ") }),
      el("td", { text: fmt.durationNs(t.duration_ns) }), el("td", { text: fmt.count(t.spans) }),
      el("td", { text: `${fmt.count(t.input_tokens)} / ${fmt.count(t.output_tokens)}` }),
      el("td", { text: fmt.usd(t.cost) }),
      el("td", { class: t.errors ? "bad" : "good", text: t.errors ? `✖ ${t.errors} error${t.errors > 1 ? "s" : ""}` : "✔ ok" }));
  }

  let current = null;
  async function load() {
    delete document.body.dataset.loaded;
    const token = (current = {});
    syncForm();
    const p = IO.params();
    document.querySelectorAll("[data-sort]").forEach((b) => {
      const active = (p.get("sort") || "start") === b.dataset.sort;
      b.closest("th").setAttribute("aria-sort", active ? ((p.get("order") || "desc") === "desc" ? "descending" : "ascending") : "none");
    });
    const everything = new URLSearchParams(p);
    everything.delete("after");
    document.querySelector("[data-csv]").href = `/api/v1/projects/${project}/traces.csv?${everything}`;
    status.replaceChildren(el("p", { class: "muted", text: "Searching…" }));
    const body = document.querySelector("[data-results] tbody");
    try {
      const data = await IO.getJSON(`/api/v1/projects/${project}/traces?${p}`);
      if (token !== current) return;  // a newer search is under way
      status.replaceChildren(data.traces.length ? "" : el("p", { text:
        "No trace matches. Widen the time range or remove a filter (each attribute filter must hold on one span)." }));
      body.replaceChildren(...data.traces.map(row));
      const next = document.querySelector("[data-next]");
      next.hidden = !data.next_cursor;
      next.onclick = (ev) => { ev.preventDefault(); IO.setParams({ after: data.next_cursor }); window.scrollTo(0, 0); };
      document.body.dataset.loaded = "traces";
    } catch (error) { IO.showError(status, error); body.replaceChildren(); }
  }
  IO.getJSON(`/api/v1/projects/${project}/dimensions?range=24h`).then((data) => {
    for (const [dim, values] of Object.entries(data.dimensions)) {
      const list = document.getElementById(`values-${dim}`);
      if (list) list.replaceChildren(...values.map((v) => el("option", { value: v })));
    }
  }).catch(() => {});
  window.addEventListener("io:params", load);
  load();
})();
