/* The panel's pages. htmx swaps only 2xx answers; a refused case action (400 or 409) carries
   the section with its message, so sections marked data-swap-refusals show it. */
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || !target.matches || !target.matches("[data-swap-refusals]")) return;
    if ([400, 409].indexOf(event.detail.xhr.status) !== -1) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
