// List and board pages: keep the URL clean, let refusals show in place, count the selection.
// Loaded with `defer`; everything works without it (plain links, GET and POST forms).
(function () {
  "use strict";

  var REGIONS = ["results", "board"];

  function inRegion(target) {
    return target && REGIONS.indexOf(target.id) >= 0;
  }

  // The server answers a bad filter with 400 and a region that says what is wrong, and a
  // refused move with 403/404/409/422 and the board as it is: show those like any answer.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status >= 400 && status < 500 && inRegion(event.detail.target)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Empty filter inputs mean "no filter": leave them out of the URL htmx requests and pushes.
  document.addEventListener("htmx:configRequest", function (event) {
    var form = event.detail.formData;
    if (event.detail.verb !== "get" || !form || typeof form.getAll !== "function") {
      return;
    }
    var names = [];
    form.forEach(function (value, name) {
      if (names.indexOf(name) < 0) {
        names.push(name);
      }
    });
    names.forEach(function (name) {
      var kept = form.getAll(name).filter(function (value) {
        return typeof value !== "string" || value.trim() !== "";
      });
      form.delete(name);
      kept.forEach(function (value) {
        form.append(name, value);
      });
    });
  });

  // A search box changes (on blur) after its typing has already updated the list, and a
  // picker's text is no filter at all: neither change should send the filter form again.
  document.addEventListener("change", function (event) {
    if (event.target.type === "search" && event.target.closest("#list-filters")) {
      event.stopPropagation();
    }
  }, true);

  function rowBoxes() {
    return Array.prototype.slice.call(document.querySelectorAll("#bulk-form input[name=ids]"));
  }

  function refreshSelection() {
    var boxes = rowBoxes();
    var checked = boxes.filter(function (box) { return box.checked; }).length;
    var all = document.getElementById("select-all");
    if (all) {
      all.hidden = boxes.length === 0;
      all.checked = boxes.length > 0 && checked === boxes.length;
      all.indeterminate = checked > 0 && checked < boxes.length;
    }
    var count = document.getElementById("selected-count");
    if (count) {
      count.textContent = checked ? count.dataset.template.replace("{n}", String(checked)) : "";
    }
    var form = document.getElementById("bulk-form");
    if (form) {
      form.classList.toggle("has-selection", checked > 0);
    }
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.id === "select-all") {
      rowBoxes().forEach(function (box) { box.checked = target.checked; });
      refreshSelection();
    } else if (target.name === "ids" && target.closest("#bulk-form")) {
      refreshSelection();
    }
  });

  // On a phone the filter panel would push the records off the first screen: fold it
  // unless a filter is in use.
  function foldFiltersOnPhones() {
    var details = document.querySelector("#list-filters .filter-details");
    var inUse = document.querySelector(".active-filters, #list-problems");
    if (details && !inUse && window.matchMedia("(max-width: 40rem)").matches) {
      details.open = false;
    }
  }

  document.addEventListener("htmx:afterSettle", refreshSelection);
  document.addEventListener("DOMContentLoaded", function () {
    refreshSelection();
    foldFiltersOnPhones();
  });
})();
