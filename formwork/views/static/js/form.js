/* Record forms: what htmx alone cannot do, with no inline code (the CSP forbids it).
   - remembers which inputs the user has touched (live checks report errors only for those);
   - warns before leaving a form with unsaved changes (not when it is being submitted);
   - applies the live state the server swaps in: aria-invalid, aria-required, locked inputs;
   - drives the link pickers (an ARIA combobox: arrows, Enter, Escape, click);
   - marks child-table rows that are to be removed. */
(function () {
  "use strict";

  function baseKey(name) {
    return name.replace(/__(q|t|keep|remove|present|next)$/, "");
  }

  function touch(form, name) {
    var holder = form.querySelector("[data-touched]");
    if (!holder || !name || name.charAt(0) === "_" || name === "csrf_token") return;
    var keys = holder.value ? holder.value.split(" ") : [];
    var key = baseKey(name);
    if (keys.indexOf(key) === -1) {
      keys.push(key);
      holder.value = keys.join(" ");
    }
  }

  /* -- touched inputs and the unsaved-changes guard ----------------------------------- */
  var dirty = false;
  document.addEventListener("focusout", function (event) {
    var form = event.target.form;
    if (form && form.hasAttribute("data-form-guard")) touch(form, event.target.name);
  }, true);
  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (!form || !form.hasAttribute("data-form-guard")) return;
    touch(form, event.target.name);
    if (event.target.name && event.target.name.charAt(0) !== "_") dirty = true;
  }, true);
  document.addEventListener("input", function (event) {
    var form = event.target.form;
    if (form && form.hasAttribute("data-form-guard")) dirty = true;
  }, true);
  document.addEventListener("submit", function (event) {
    if (event.target.hasAttribute("data-form-guard")) dirty = false;
  }, true);
  window.addEventListener("beforeunload", function (event) {
    if (!dirty) return;
    event.preventDefault();
    event.returnValue = "";
  });

  /* -- live state swapped in by the server ---------------------------------------------- */
  function inputsOf(id) {
    var element = document.getElementById(id);
    if (!element) return [];
    if (element.matches("input, select, textarea")) return [element];
    return Array.prototype.slice.call(element.querySelectorAll("input, select, textarea"));
  }

  function applyState() {
    document.querySelectorAll(".field-errors[data-for]").forEach(function (slot) {
      var invalid = slot.textContent.trim() !== "";
      inputsOf(slot.getAttribute("data-for")).forEach(function (input) {
        if (input.type === "hidden") return;
        if (invalid) input.setAttribute("aria-invalid", "true");
        else input.removeAttribute("aria-invalid");
      });
    });
    document.querySelectorAll(".field-state[data-for]").forEach(function (state) {
      var required = state.getAttribute("data-required") === "true";
      var locked = state.getAttribute("data-locked") === "true";
      inputsOf(state.getAttribute("data-for")).forEach(function (input) {
        if (input.type === "hidden") return;
        if (required) input.setAttribute("aria-required", "true");
        else input.removeAttribute("aria-required");
        if (locked) {
          input.setAttribute("aria-readonly", "true");
          if (input.matches("input[type=text], input:not([type]), textarea, input[type=date], input[type=datetime-local], input[type=email], input[type=url], input[type=tel]")) input.readOnly = true;
        } else {
          input.removeAttribute("aria-readonly");
          input.readOnly = false;
        }
      });
    });
  }
  var pending = false;
  function scheduleState() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () { pending = false; applyState(); });
  }
  /* a live check swaps only out of band (hx-swap="none"): each swapped part fires this */
  document.addEventListener("htmx:oobAfterSwap", scheduleState);
  document.addEventListener("htmx:afterSettle", scheduleState);

  /* -- link pickers ----------------------------------------------------------------------- */
  function pickerOf(element) {
    return element.closest("[data-picker]");
  }
  function parts(picker) {
    return {
      id: picker.querySelector("[data-picker-id]"),
      title: picker.querySelector("[data-picker-title]"),
      input: picker.querySelector("[data-picker-input]"),
      list: picker.querySelector("[role=listbox]")
    };
  }
  function options(list) {
    return Array.prototype.slice.call(list.querySelectorAll("[role=option][data-id]"));
  }
  function close(picker) {
    var p = parts(picker);
    p.list.hidden = true;
    p.input.setAttribute("aria-expanded", "false");
    p.input.removeAttribute("aria-activedescendant");
  }
  function open(picker) {
    var p = parts(picker);
    p.list.hidden = false;
    p.input.setAttribute("aria-expanded", "true");
  }
  function highlight(picker, option) {
    var p = parts(picker);
    options(p.list).forEach(function (o) { o.setAttribute("aria-selected", o === option ? "true" : "false"); });
    if (option) {
      p.input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    }
  }
  function choose(picker, option) {
    var p = parts(picker);
    p.id.value = option.getAttribute("data-id");
    p.title.value = option.getAttribute("data-title");
    p.input.value = option.getAttribute("data-title");
    close(picker);
    dirty = true;
    p.id.dispatchEvent(new Event("change", { bubbles: true }));
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    var list = event.detail.target;
    if (list && list.getAttribute && list.getAttribute("role") === "listbox") {
      var picker = pickerOf(list);
      if (picker && document.activeElement === parts(picker).input) open(picker);
    }
  });
  document.addEventListener("input", function (event) {
    if (!event.target.hasAttribute("data-picker-input")) return;
    var p = parts(pickerOf(event.target));
    p.id.value = "";  /* the text no longer names the chosen record */
  });
  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.hasAttribute || !input.hasAttribute("data-picker-input")) return;
    var picker = pickerOf(input);
    var p = parts(picker);
    var all = options(p.list);
    var current = p.list.querySelector("[aria-selected=true]");
    var at = all.indexOf(current);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (p.list.hidden) open(picker);
      if (!all.length) return;
      var next = event.key === "ArrowDown" ? Math.min(at + 1, all.length - 1) : Math.max(at - 1, 0);
      highlight(picker, all[next]);
    } else if (event.key === "Enter" && !p.list.hidden && current) {
      event.preventDefault();
      choose(picker, current);
    } else if (event.key === "Escape" && !p.list.hidden) {
      event.preventDefault();
      close(picker);
    }
  });
  document.addEventListener("mousedown", function (event) {
    var option = event.target.closest && event.target.closest("[role=option][data-id]");
    if (!option) return;
    var picker = pickerOf(option);
    if (!picker) return;
    event.preventDefault();  /* keep the focus in the box */
    choose(picker, option);
  });
  document.addEventListener("focusout", function (event) {
    if (!event.target.hasAttribute || !event.target.hasAttribute("data-picker-input")) return;
    var picker = pickerOf(event.target);
    window.setTimeout(function () { close(picker); }, 150);
  });

  /* -- rows to be removed ------------------------------------------------------------------ */
  document.addEventListener("change", function (event) {
    if (!event.target.hasAttribute("data-remove-row")) return;
    var row = event.target.closest("tr");
    if (row) row.classList.toggle("is-removed", event.target.checked);
  });

  document.addEventListener("DOMContentLoaded", applyState);
})();
