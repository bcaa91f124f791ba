// Shared page helpers: safe DOM building, humanised units, the URL-held time range, API fetches and
// Plotly rendering. Every piece of user-supplied text goes into the page through textContent, never
// through innerHTML, so span names and attributes are shown as text and never run.
"use strict";
(function () {
  const IO = {};

  IO.el = function (tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = String(value);
      else if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  };

  // -- units (UI.md): 850 µs · 12.4 ms · 3.2 s; 1.2k tokens; $0.000153; 12.3 % ------------------------
  IO.fmt = {
    durationNs(ns) {
      if (ns === null || ns === undefined) return "—";
      if (ns < 1e3) return `${Math.round(ns)} ns`;
      if (ns < 1e6) return `${(ns / 1e3).toPrecision(3).replace(/\.0+$/, "")} µs`;
      if (ns < 1e9) return `${(ns / 1e6).toPrecision(3).replace(/\.0+$/, "")} ms`;
      if (ns < 60e9) return `${(ns / 1e9).toPrecision(3).replace(/\.0+$/, "")} s`;
      return `${Math.floor(ns / 60e9)} min ${Math.round((ns % 60e9) / 1e9)} s`;
    },
    ms(ms) { return ms === null || ms === undefined ? "—" : IO.fmt.durationNs(ms * 1e6); },
    // Dollars and cents from a dollar up; below, three significant figures (one call costs fractions of a cent).
    usd(value) {
      if (value === null || value === undefined) return "—";
      return Math.abs(value) >= 1 || value === 0 ? `$${value.toFixed(2)}` : `$${value.toPrecision(3)}`;
    },
    count(n) {
      if (n === null || n === undefined) return "—";
      const abs = Math.abs(n);
      if (abs >= 1e9) return `${(n / 1e9).toPrecision(3)}B`;
      if (abs >= 1e6) return `${(n / 1e6).toPrecision(3)}M`;
      if (abs >= 1e3) return `${(n / 1e3).toPrecision(3)}k`;
      if (abs > 0 && abs < 10) return `${Number(n.toPrecision(2))}`;
      return `${Math.round(n)}`;
    },
    pct(x) { return x === null || x === undefined ? "—" : `${x.toFixed(1)} %`; },
    rate(x, unit) { return x === null || x === undefined ? "—" : `${IO.fmt.count(x)} ${unit}`; },
    time(iso) {
      if (!iso) return "—";
      const d = new Date(iso);
      return IO.utc ? d.toISOString().replace("T", " ").slice(0, 19) + " UTC"
        : `${IO.localStamp(d)} ${IO.tzName}`;
    },
  };
  // Times show in UTC unless the URL says tz=local (the browser's zone), so a pasted link shows the
  // same clock to everyone who opens it.
  IO.tzName = Intl.DateTimeFormat().resolvedOptions().timeZone || "local";
  IO.syncTz = () => { IO.utc = new URLSearchParams(window.location.search).get("tz") !== "local"; };
  IO.syncTz();
  window.addEventListener("io:params", IO.syncTz);
  // "YYYY-MM-DD HH:MM:SS" on the browser's clock.
  IO.localStamp = function (d) {
    const pad = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  };

  // -- the time range lives in the URL ---------------------------------------------------------------
  IO.params = () => new URLSearchParams(window.location.search);
  IO.setParams = function (changes, { replace = false } = {}) {
    const params = IO.params();
    // A page cursor belongs to one query: any other change starts again from the first page.
    if (Object.keys(changes).some((key) => key !== "after" && key !== "span")) params.delete("after");
    for (const [key, value] of Object.entries(changes)) {
      params.delete(key);
      for (const v of [].concat(value)) if (v !== null && v !== undefined && v !== "") params.append(key, v);
    }
    const url = `${window.location.pathname}?${params}`;
    (replace ? history.replaceState : history.pushState).call(history, null, "", url);
    window.dispatchEvent(new Event("io:params"));
  };
  IO.RANGES = { "15m": 9e5, "1h": 36e5, "6h": 216e5, "24h": 864e5, "7d": 6048e5, "30d": 2592e6 };

  IO.currentWindow = function () {
    const p = IO.params();
    if (p.get("start")) {
      const end = p.get("end") ? new Date(p.get("end")) : new Date();
      return { start: new Date(p.get("start")), end, range: "" };
    }
    const range = IO.RANGES[p.get("range")] ? p.get("range") : "1h";
    const end = new Date();
    return { start: new Date(end - IO.RANGES[range]), end, range };
  };

  IO.timePicker = function (root) {
    const ranges = root.querySelector("[data-ranges]");
    for (const name of Object.keys(IO.RANGES)) {
      ranges.append(IO.el("button", { type: "button", text: name, dataset: { range: name },
        onclick: () => IO.setParams({ range: name, start: null, end: null }) }));
    }
    root.querySelectorAll("[data-step]").forEach((btn) => btn.addEventListener("click", () => {
      const w = IO.currentWindow();
      const span = w.end - w.start;
      const shift = span * Number(btn.dataset.step);
      IO.setParams({ range: null, start: new Date(+w.start + shift).toISOString(),
        end: new Date(+w.end + shift).toISOString() });
    }));
    root.querySelector("[data-custom-apply]").addEventListener("click", () => {
      const s = root.querySelector("[data-custom-start]").value;
      const e = root.querySelector("[data-custom-end]").value;
      const instant = (v) => (IO.utc ? `${v}Z` : new Date(v).toISOString());
      if (s && e) IO.setParams({ range: null, start: instant(s), end: instant(e) });
    });
    const tz = root.querySelector("[data-tz]");
    tz.addEventListener("click", () => IO.setParams({ tz: IO.utc ? "local" : null }));
    const label = root.querySelector("[data-window-label]");
    const refresh = () => {
      const w = IO.currentWindow();
      ranges.querySelectorAll("button").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.range === w.range)));
      const zone = IO.utc ? "UTC" : IO.tzName;
      tz.textContent = IO.utc ? `Show ${IO.tzName} time` : "Show UTC";
      tz.setAttribute("aria-pressed", String(!IO.utc));
      root.querySelectorAll("[data-zone]").forEach((z) => { z.textContent = zone; });
      label.textContent = w.range ? `last ${w.range} · ${zone}` : `${IO.fmt.time(w.start.toISOString())} → ${IO.fmt.time(w.end.toISOString())}`;
    };
    window.addEventListener("io:params", refresh);
    window.addEventListener("popstate", () => window.dispatchEvent(new Event("io:params")));
    refresh();
  };

  // -- API --------------------------------------------------------------------------------------------
  IO.getJSON = async function (url) {
    const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.detail || `${response.status} ${response.statusText}`);
    return body;
  };
  IO.csrf = () => (document.cookie.match(/(?:^|; )csrftoken=([^;]+)/) || [])[1] || "";

  IO.showError = function (box, error) {
    box.replaceChildren(IO.el("p", { class: "error", role: "alert", text: error.message || String(error) }));
  };

  // -- charts: Plotly from the figure dicts the API returns; drag to zoom sets an absolute window -------
  // Charts get UTC times from the server; on the local clock their date axes are shifted here.
  function onLocalClock(figure) {
    if (IO.utc || figure.layout?.xaxis?.type !== "date") return figure;
    const shift = (x) => (typeof x === "string" && /^\d{4}-\d\d-\d\d[T ]\d/.test(x)
      ? IO.localStamp(new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(x) ? x : `${x.replace(" ", "T")}Z`)) : x);
    // Markers (anomalies) sit on the time axis too.
    const layout = figure.layout || {};
    const shapes = (layout.shapes || []).map((s) => (s.xref === "x" ? { ...s, x0: shift(s.x0), x1: shift(s.x1) } : s));
    const annotations = (layout.annotations || []).map((a) => (a.xref === "x" ? { ...a, x: shift(a.x) } : a));
    return { ...figure, layout: { ...layout, shapes, annotations },
             data: figure.data.map((t) => (Array.isArray(t.x) ? { ...t, x: t.x.map(shift) } : t)) };
  }

  IO.plot = function (div, figure, { onClick } = {}) {
    if (!window.Plotly) return;
    const shown = onLocalClock(figure);
    window.Plotly.react(div, shown.data, shown.layout, { displaylogo: false, responsive: true });
    if (!div.dataset.bound) {
      div.dataset.bound = "1";
      div.on("plotly_relayout", (ev) => {
        const a = ev["xaxis.range[0]"], b = ev["xaxis.range[1]"];
        const instant = (v) => new Date(`${v.replace(" ", "T")}${IO.utc ? "Z" : ""}`).toISOString();
        if (a && b) IO.setParams({ range: null, start: instant(a), end: instant(b) });
      });
      if (onClick) div.on("plotly_click", onClick);
    }
  };

  // Selects marked data-autosubmit submit their form (the project switcher).
  document.addEventListener("change", (ev) => {
    if (ev.target.matches("[data-autosubmit]")) ev.target.form.submit();
  });
  document.querySelectorAll("[data-timepicker]").forEach(IO.timePicker);
  window.IO = IO;
})();
