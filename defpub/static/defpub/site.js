/* DefPub's page behaviour. The Content-Security-Policy forbids inline script (onclick=,
   hx-on, <script> blocks), so every handler lives here and finds its elements by data-*. */
(function () {
  "use strict";

  // The language menu submits its form as soon as a language is chosen.
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-submit-on-change]")) event.target.form.submit();
  });

  // <button data-copy="ELEMENT-ID" data-done="Copied">: copies that element's text.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy]");
    if (!button) return;
    var source = document.getElementById(button.dataset.copy);
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.innerText.trim()).then(function () {
      button.textContent = button.dataset.done;
    });
  });

  // <input data-select-on-focus>: a key shown once is selected whole for copying.
  document.addEventListener("focusin", function (event) {
    if (event.target.matches("input[data-select-on-focus]")) event.target.select();
  });

  // Ctrl+Enter (or Cmd+Enter) in a textarea marked data-submit-on-ctrl-enter sends its form.
  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    if (!field.matches("textarea[data-submit-on-ctrl-enter]") || !field.form) return;
    event.preventDefault();
    field.form.requestSubmit();
  });

  // Autosave forms (data-autosave-status="ELEMENT-ID"): refusals (401, 403, 409) carry a
  // message to show rather than an error to drop; a lost connection says so.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var form = event.detail.elt.closest && event.detail.elt.closest("form[data-autosave-status]");
    if (form && [401, 403, 409].indexOf(event.detail.xhr.status) !== -1) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:sendError", function (event) {
    var form = event.detail.elt.closest && event.detail.elt.closest("form[data-autosave-status]");
    if (!form) return;
    var status = document.getElementById(form.dataset.autosaveStatus);
    if (!status) return;
    var warning = document.createElement("span");
    warning.className = "warn";
    warning.textContent = form.dataset.offlineMessage;
    status.replaceChildren(warning);
  });
})();
