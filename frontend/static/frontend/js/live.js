// The live connection of a project page: ws/projects/<id>/live pushes "data committed" ticks and new
// traces. Reconnects with backoff; the badge says whether the view is live.
"use strict";
(function () {
  IO.live = function (project, { onTraces, onCommitted, minIntervalMs = 0 } = {}) {
    const badge = document.querySelector("[data-live-state]");
    let delay = 1000, last = 0, timer = null;
    const setBadge = (text, on) => { if (badge) { badge.textContent = text; badge.classList.toggle("on", on); } };
    function connect() {
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      const socket = new WebSocket(`${scheme}://${location.host}/ws/projects/${project}/live`);
      let opened = false;
      socket.onopen = () => {
        // After a reconnect, catch up on whatever landed while the socket was down.
        if (delay > 1000 && onCommitted) onCommitted({ type: "committed", reconnected: true });
        opened = true; delay = 1000; setBadge("● live", true);
      };
      socket.onmessage = (ev) => {
        const msg = JSON.parse(ev.data);
        if (msg.type === "traces" && onTraces) onTraces(msg.traces);
        if (msg.type === "committed" && onCommitted) {
          const wait = last + minIntervalMs - Date.now();
          if (wait <= 0) { last = Date.now(); onCommitted(msg); }
          else if (!timer) timer = setTimeout(() => { timer = null; last = Date.now(); onCommitted(msg); }, wait);
        }
      };
      socket.onclose = (ev) => {
        if (ev.code === 4403) { setBadge("○ not live (no access)", false); return; }
        setBadge(opened ? "○ reconnecting" : "○ connecting", false);
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 30000);
      };
    }
    connect();
  };
})();

// Alert state changes of a project (ws/projects/<id>/alerts): each firing or resolution.
(function () {
  IO.alertsLive = function (project, onEvent) {
    const badge = document.querySelector("[data-live-state]");
    let delay = 1000;
    function connect() {
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      const socket = new WebSocket(`${scheme}://${location.host}/ws/projects/${project}/alerts`);
      socket.onopen = () => { delay = 1000; if (badge) { badge.textContent = "● live"; badge.classList.add("on"); } };
      socket.onmessage = (ev) => onEvent(JSON.parse(ev.data));
      socket.onclose = (ev) => {
        if (badge) { badge.textContent = "○ reconnecting"; badge.classList.remove("on"); }
        if (ev.code !== 4403) { setTimeout(connect, delay); delay = Math.min(delay * 2, 30000); }
      };
    }
    connect();
  };
  // A changed alert state is announced, not forced: a reload would lose whatever is being typed.
  IO.announceChange = function (event) {
    let box = document.querySelector("[data-alert-change]");
    if (!box) {
      box = IO.el("div", { class: "card issued", role: "status", dataset: { alertChange: "1" } });
      document.querySelector("main").prepend(box);
    }
    box.replaceChildren(IO.el("span", { text: `${event.slo}: ${event.severity} ${event.state} — ${event.summary} ` }),
      IO.el("button", { type: "button", text: "Reload", onclick: () => window.location.reload() }));
  };
})();
