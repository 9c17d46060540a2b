/* The admin config editors: what htmx alone cannot do, with no inline code (the CSP forbids it).
   - an editor answers 422 when the draft has problems in what it edits: htmx swaps that
     answer too, since it is the form with the problems by their inputs;
   - the "evaluate against a record" picker inside an editor is not part of the draft, so its
     changes must not save the editor's form. */
(function () {
  "use strict";

  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (detail.xhr && detail.xhr.status === 422 && detail.elt && detail.elt.closest("form.editor")) {
      detail.shouldSwap = true;
      detail.isError = false;
    }
  });

  function keepInEvaluate(event) {
    if (event.target.closest && event.target.closest("form.editor .evaluate")) {
      event.stopPropagation();
    }
  }
  /* Stopped on the way down, before the editor form's autosave sees them; the picker's own
     handlers listen to input and keydown, which still reach it. */
  document.addEventListener("change", keepInEvaluate, true);
})();
