// Approvals: show refusals in place and move focus to what the answer says.
// Loaded with `defer`; everything works without it (plain POST forms and redirects).
(function () {
  "use strict";

  function inRegion(element) {
    return element && element.closest && element.closest("[data-flow-region]");
  }

  // A refused action answers 4xx with the task card or panel saying why (a comment is
  // needed, someone acted first): swap it in like any answer.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status >= 400 && status < 500 && inRegion(event.detail.target)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Focus the message or the input with the error, once: on a page that shows a refusal,
  // and after each swap.
  function focusWanted() {
    var wanted = document.querySelector("[data-flow-focus]");
    if (wanted) {
      wanted.removeAttribute("data-flow-focus");
      wanted.focus();
    }
  }

  focusWanted();
  document.addEventListener("htmx:afterSettle", focusWanted);
})();
