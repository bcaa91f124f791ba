// Finance pages: draw each figure the server embedded (json_script) into its chart element.
"use strict";
(function () {
  document.querySelectorAll("[data-figure]").forEach((div) => {
    const source = document.getElementById(div.dataset.figure);
    if (source) IO.plot(div, JSON.parse(source.textContent));
  });
  // Deleting a price, GPU price or budget changes what finance reports: ask first.
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (ev) => { if (!window.confirm(form.dataset.confirm)) ev.preventDefault(); });
  });
  document.body.dataset.loaded = "1";
})();
