// Board drag and drop with the native HTML5 drag events. Dropping a card in a column sets
// the card's own "move to" form and submits it (htmx posts it and swaps in the board as it
// now is, with a message); the form is also what keyboard users and browsers without
// JavaScript use, so every move goes through the same server route and checks.
(function () {
  "use strict";

  var dragged = null;

  function column(node) {
    return node && node.closest ? node.closest(".board-column[data-drop]") : null;
  }

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".board-card[draggable=true]");
    if (!card) {
      return;
    }
    dragged = card;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.id);
  });

  document.addEventListener("dragend", function () {
    if (dragged) {
      dragged.classList.remove("dragging");
    }
    dragged = null;
    document.querySelectorAll(".drop-target").forEach(function (node) {
      node.classList.remove("drop-target");
    });
  });

  document.addEventListener("dragover", function (event) {
    var target = column(event.target);
    if (!dragged || !target) {
      return;
    }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    target.classList.add("drop-target");
  });

  document.addEventListener("dragleave", function (event) {
    var target = column(event.target);
    if (target && !target.contains(event.relatedTarget)) {
      target.classList.remove("drop-target");
    }
  });

  document.addEventListener("drop", function (event) {
    var target = column(event.target);
    if (!dragged || !target) {
      return;
    }
    event.preventDefault();
    target.classList.remove("drop-target");
    var card = dragged;
    var form = card.querySelector("form.move-form");
    var select = form && form.querySelector("select[name=value]");
    if (!select || select.value === target.dataset.value) {
      return;
    }
    select.value = target.dataset.value;
    // Show the card where it was dropped at once; the answer redraws the board either way
    // (the card stays there, or returns to its column with the reason).
    target.querySelector(".board-cards").prepend(card);
    card.classList.add("moving");
    form.requestSubmit();
  });
})();
