/* HotCRM's small behaviours on top of htmx: menus, confirmations, bulk
 * selection, the filter builder, typeaheads, inline edit keys, toasts, tabs
 * and the pipeline board. No framework; every handler is delegated so that
 * content swapped in by htmx works without re-binding. */
(function () {
  "use strict";

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  /* -- toasts ------------------------------------------------------------ */
  var toastTimer = null;
  function toast(message) {
    var box = $("#toast");
    if (!box || !message) return;
    box.textContent = message;
    box.classList.add("is-visible");
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { box.classList.remove("is-visible"); }, 6000);
  }
  function textOf(html) {
    var doc = new DOMParser().parseFromString(html || "", "text/html");
    var msg = doc.querySelector(".toast-message");
    return ((msg || doc.body).textContent || "").trim();
  }
  document.addEventListener("htmx:responseError", function (evt) {
    toast(textOf(evt.detail.xhr.responseText) || "Something went wrong. Try again.");
  });
  document.addEventListener("htmx:sendError", function () {
    toast("The server could not be reached. Check your connection and try again.");
  });
  document.addEventListener("htmx:afterSwap", function (evt) {
    if (evt.detail.target && evt.detail.target.id === "toast") {
      toast(evt.detail.target.textContent.trim());
    }
  });
  document.addEventListener("click", function (evt) {
    if (evt.target.closest("#toast")) $("#toast").classList.remove("is-visible");
  });

  /* -- navigation, menus, auto-submit, confirmations --------------------- */
  document.addEventListener("click", function (evt) {
    var toggle = evt.target.closest("[data-nav-toggle]");
    if (toggle) {
      var open = document.body.classList.toggle("nav-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    }
    // Close open menus and popovers when clicking elsewhere.
    $$("details.menu[open], details.popover[open]").forEach(function (d) {
      if (!d.contains(evt.target) && !d.classList.contains("filters")) d.removeAttribute("open");
    });
    if (!evt.target.closest("[data-lookup], .global-search")) closeLists();
  });
  document.addEventListener("change", function (evt) {
    var form = evt.target.closest("form[data-autosubmit]");
    if (form && evt.target.tagName === "SELECT") form.submit();
  });
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    var submitter = evt.submitter;
    var message = form.getAttribute("data-confirm");
    if (submitter && submitter.hasAttribute("data-confirm-submit")) message = submitter.getAttribute("data-confirm-submit");
    if (submitter && submitter.hasAttribute("data-confirm-delete")) {
      var action = $("[data-bulk-action]", form);
      if (!action || action.value === "delete") message = submitter.getAttribute("data-confirm-delete");
    }
    if (message && !window.confirm(message)) {
      evt.preventDefault();
      // Before htmx hears of it: a form with hx-post sends nothing either.
      evt.stopPropagation();
    }
  }, true);
  // A swap that removed the focused control (a bin row's Restore, a bulk
  // action's rows) leaves the focus on the region it replaced, not lost.
  document.addEventListener("htmx:afterSettle", function (evt) {
    var region = evt.detail.target;
    if (!region || !region.hasAttribute || !region.hasAttribute("data-focus-after-swap")) return;
    var active = document.activeElement;
    if (!active || active === document.body) region.focus({ preventScroll: true });
  });
  document.addEventListener("keydown", function (evt) {
    if (evt.key !== "Escape") return;
    var form = evt.target.closest && evt.target.closest(".inline-form");
    if (form) { var cancel = $("[data-cancel]", form); if (cancel) cancel.click(); return; }
    $$("details.menu[open], details.popover[open]").forEach(function (d) { d.removeAttribute("open"); });
    closeLists();
  });

  /* -- bulk selection ------------------------------------------------------ */
  function selectedIn(formId) {
    return $$('input[name="ids"][form="' + formId + '"]:checked');
  }
  function syncBulk() {
    var bar = $("[data-bulk-bar]");
    if (!bar) return;
    var n = selectedIn(bar.id).length;
    bar.hidden = n === 0;
    var count = $("[data-bulk-count]", bar);
    if (count) count.textContent = n + " selected";
  }
  function syncBulkAction() {
    var select = $("[data-bulk-action]");
    if (!select) return;
    $$("[data-bulk-for]").forEach(function (span) {
      var on = span.getAttribute("data-bulk-for") === select.value;
      span.hidden = !on;
      $$("select, input, textarea", span).forEach(function (el) { el.disabled = !on; });
    });
  }
  document.addEventListener("change", function (evt) {
    var all = evt.target.closest("[data-select-all]");
    if (all) {
      var table = all.closest("table");
      $$('input[name="ids"]', table).forEach(function (box) { box.checked = all.checked; });
    }
    if (evt.target.name === "ids" || all) syncBulk();
    if (evt.target.matches("[data-bulk-action]")) syncBulkAction();
  });
  document.addEventListener("DOMContentLoaded", function () { syncBulk(); syncBulkAction(); });
  document.addEventListener("htmx:afterSettle", syncBulk);

  /* -- filter builder and column picker ----------------------------------- */
  document.addEventListener("click", function (evt) {
    var add = evt.target.closest("[data-add-filter]");
    if (add) {
      var rows = $("#filter-rows");
      var next = 0;
      $$(".filter-row", rows).forEach(function (row) {
        next = Math.max(next, parseInt(row.getAttribute("data-index"), 10) + 1);
      });
      if (next >= 20) { toast("Use at most 20 filters."); return; }
      // Focus the new row once htmx has settled (and so bound) it.
      rows.addEventListener("htmx:afterSettle", function settled() {
        rows.removeEventListener("htmx:afterSettle", settled);
        var sel = $("#f" + next);
        if (sel) sel.focus();
      });
      htmx.ajax("GET", rows.getAttribute("data-filter-url") + "?i=" + next, { target: rows, swap: "beforeend" });
    }
    var remove = evt.target.closest("[data-remove-filter]");
    if (remove) {
      var row = remove.closest(".filter-row");
      var focusTo = $("[data-add-filter]");
      row.remove();
      if (focusTo) focusTo.focus();
    }
    var move = evt.target.closest("[data-move]");
    if (move) {
      var item = move.closest("li");
      if (move.getAttribute("data-move") === "up" && item.previousElementSibling) {
        item.parentNode.insertBefore(item, item.previousElementSibling);
      } else if (move.getAttribute("data-move") === "down" && item.nextElementSibling) {
        item.parentNode.insertBefore(item.nextElementSibling, item);
      }
      move.focus();
    }
  });
  function initSortableLists(root) {
    if (!window.Sortable) return;
    $$("[data-sortable-list]", root).forEach(function (list) {
      if (list._sortable) return;
      list._sortable = Sortable.create(list, { handle: ".drag-handle", animation: 120 });
    });
  }

  /* -- typeaheads (lookup fields) and the global search dropdown ----------- */
  function closeLists() {
    $$(".lookup-list, #global-search-results").forEach(function (list) {
      list.innerHTML = "";
      var box = list.parentNode.querySelector('[role="combobox"]');
      if (box) { box.setAttribute("aria-expanded", "false"); box.removeAttribute("aria-activedescendant"); }
    });
  }
  function choose(option) {
    var wrap = option.closest("[data-lookup]");
    if (!wrap || option.getAttribute("aria-disabled") === "true") return;
    var box = $('[role="combobox"]', wrap);
    var hidden = $('input[type="hidden"]', wrap);
    hidden.value = option.getAttribute("data-value");
    box.value = option.textContent.trim();
    closeLists();
    box.focus();
    hidden.dispatchEvent(new Event("change", { bubbles: true }));
  }
  document.addEventListener("click", function (evt) {
    var option = evt.target.closest(".lookup-list [role=option]");
    if (option) choose(option);
  });
  document.addEventListener("input", function (evt) {
    var wrap = evt.target.closest("[data-lookup]");
    if (wrap && evt.target.getAttribute("role") === "combobox" && !evt.target.value) {
      $('input[type="hidden"]', wrap).value = "";
    }
  });
  document.addEventListener("htmx:afterSwap", function (evt) {
    var list = evt.detail.target;
    if (!list || !(list.classList.contains("lookup-list") || list.id === "global-search-results")) return;
    var box = list.parentNode.querySelector('[role="combobox"]');
    if (box) box.setAttribute("aria-expanded", list.children.length ? "true" : "false");
  });
  document.addEventListener("keydown", function (evt) {
    var box = evt.target;
    if (!box.getAttribute || box.getAttribute("role") !== "combobox") return;
    var list = document.getElementById(box.getAttribute("aria-controls"));
    if (!list) return;
    var options = $$('[role="option"]:not([aria-disabled]), a', list);
    if (!options.length) return;
    var current = options.findIndex(function (o) { return o.classList.contains("is-active"); });
    if (evt.key === "ArrowDown" || evt.key === "ArrowUp") {
      evt.preventDefault();
      var next = evt.key === "ArrowDown" ? Math.min(current + 1, options.length - 1) : Math.max(current - 1, 0);
      options.forEach(function (o) { o.classList.remove("is-active"); o.removeAttribute("aria-selected"); });
      options[next].classList.add("is-active");
      options[next].setAttribute("aria-selected", "true");
      if (options[next].id) box.setAttribute("aria-activedescendant", options[next].id);
      options[next].scrollIntoView({ block: "nearest" });
    } else if (evt.key === "Enter" && current >= 0) {
      evt.preventDefault();
      if (options[current].tagName === "A") window.location = options[current].href;
      else choose(options[current]);
    }
  });

  /* -- tabs (activity composer) ------------------------------------------- */
  function selectTab(tab) {
    var list = tab.closest('[role="tablist"]');
    $$('[role="tab"]', list).forEach(function (t) {
      var on = t === tab;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      var panel = document.getElementById(t.getAttribute("aria-controls"));
      if (panel) panel.hidden = !on;
    });
    tab.focus();
  }
  document.addEventListener("click", function (evt) {
    var tab = evt.target.closest('[role="tab"]');
    if (tab) selectTab(tab);
  });
  document.addEventListener("keydown", function (evt) {
    var tab = evt.target.closest && evt.target.closest('[role="tab"]');
    if (!tab || (evt.key !== "ArrowRight" && evt.key !== "ArrowLeft")) return;
    var tabs = $$('[role="tab"]', tab.closest('[role="tablist"]'));
    var i = tabs.indexOf(tab) + (evt.key === "ArrowRight" ? 1 : -1);
    selectTab(tabs[(i + tabs.length) % tabs.length]);
  });

  /* -- the pipeline board -------------------------------------------------- */
  var money = null;
  function formatAmount(value, currency) {
    if (!money) {
      try {
        money = new Intl.NumberFormat("en-US", { style: "currency", currency: currency || "USD", maximumFractionDigits: 0 });
      } catch (e) {
        money = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
      }
    }
    return money.format(value);
  }
  function adjust(list, card, sign) {
    var column = list.closest(".board-column");
    var count = $("[data-count]", column);
    count.textContent = String(parseInt(count.textContent, 10) + sign);
    var amount = $("[data-amount]", column);
    if (amount) {
      var value = parseFloat(amount.getAttribute("data-amount")) + sign * parseFloat(card.getAttribute("data-amount") || "0");
      amount.setAttribute("data-amount", String(value));
      amount.textContent = formatAmount(value, list.closest("[data-board]").getAttribute("data-currency"));
    }
  }
  function moveCard(card, from, to, oldIndex) {
    var stage = to.getAttribute("data-stage");
    var label = to.closest(".board-column").getAttribute("data-stage-label");
    adjust(from, card, -1);
    adjust(to, card, +1);
    card.classList.add("is-saving");
    card.setAttribute("aria-busy", "true");
    card.addEventListener("htmx:afterRequest", function done(evt) {
      card.removeEventListener("htmx:afterRequest", done);
      card.classList.remove("is-saving");
      card.removeAttribute("aria-busy");
      var status = evt.detail.xhr ? evt.detail.xhr.status : 0;
      if (status >= 200 && status < 300) {
        card.classList.add("is-moved");
        setTimeout(function () { card.classList.remove("is-moved"); }, 900);
        return;
      }
      // Refused: put the card back where it was.
      adjust(to, card, -1);
      adjust(from, card, +1);
      var anchor = $$(".board-card", from)[oldIndex];
      from.insertBefore(card, anchor || $(".board-more", from));
      card.classList.add("is-refused");
      setTimeout(function () { card.classList.remove("is-refused"); }, 1500);
      card.focus();
    });
    htmx.ajax("POST", card.getAttribute("data-move-url"), {
      source: card, target: card, swap: "none", values: { stage: stage }
    });
    card.setAttribute("data-stage-now", stage);
    var live = $("#board-live");
    if (live) live.textContent = card.getAttribute("aria-label") + " moved to " + label + ".";
  }
  function initBoard(root) {
    var board = $("[data-board]", root);
    if (!board || board._ready) return;
    board._ready = true;
    if (window.Sortable) {
      $$("[data-cards]", board).forEach(function (list) {
        Sortable.create(list, {
          group: "board", draggable: ".board-card", animation: 150, ghostClass: "is-ghost",
          forceFallback: true, fallbackTolerance: 4,
          onEnd: function (evt) {
            if (evt.from === evt.to) return;
            moveCard(evt.item, evt.from, evt.to, evt.oldDraggableIndex);
          }
        });
      });
    }
    board.addEventListener("keydown", function (evt) {
      var card = evt.target.closest(".board-card");
      if (!card || evt.target !== card) return;
      if (evt.key === "Enter") { $("a", card).click(); return; }
      if (evt.key !== "ArrowRight" && evt.key !== "ArrowLeft") return;
      evt.preventDefault();
      var lists = $$("[data-cards]", board);
      var from = card.parentNode;
      var to = lists[lists.indexOf(from) + (evt.key === "ArrowRight" ? 1 : -1)];
      if (!to) return;
      var oldIndex = $$(".board-card", from).indexOf(card);
      to.insertBefore(card, to.firstElementChild);
      card.focus();
      moveCard(card, from, to, oldIndex);
    });
  }

  function init(root) {
    initSortableLists(root);
    initBoard(root);
  }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (evt) { initSortableLists(evt.detail.elt); });
  window.HotCRM = { toast: toast };
})();
