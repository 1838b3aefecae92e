/* envmanager: the <dialog> that htmx fills, key/value rows, and fields shown for some values of another.
   No inline scripts: the Content-Security-Policy only runs files served by the site. */
(function () {
  "use strict";

  function modal() { return document.getElementById("modal"); }
  function modalBody() { return document.getElementById("modal-body"); }

  // Open the dialog when htmx puts something in it; close it when a successful action empties it.
  function syncDialog() {
    var dialog = modal(), body = modalBody();
    if (!dialog || !body) { return; }
    var hasContent = body.children.length > 0;
    if (hasContent && !dialog.open) {
      dialog.showModal();
      var first = body.querySelector("[autofocus]") ||
        body.querySelector("input:not([type=hidden]):not([disabled]), select, textarea, button");
      if (first) { first.focus(); }
    } else if (!hasContent && dialog.open) {
      dialog.close();
    }
    if (hasContent) { applyUsedWhen(body); applyLinkMode(body); }
    liftMessages();
  }

  // Messages (toasts) over an open dialog: a modal <dialog> sits in the browser's top layer, above any
  // z-index, and makes the rest of the page inert (unseen by screen readers, not clickable). So while it
  // is open the messages move into it, at its top, and go back above the page when it closes.
  function liftMessages() {
    var messages = document.getElementById("messages"), dialog = modal(), main = document.getElementById("main");
    if (!messages || !dialog || !main) { return; }
    if (dialog.open && messages.parentNode !== dialog) {
      dialog.prepend(messages);
    } else if (!dialog.open && messages.parentNode === dialog) {
      main.before(messages);
    }
  }
  document.addEventListener("htmx:afterSettle", liftMessages);
  document.addEventListener("htmx:oobAfterSwap", liftMessages);


  document.addEventListener("close", function (event) {
    if (event.target === modal()) { modalBody().replaceChildren(); liftMessages(); }
  }, true);

  document.addEventListener("click", function (event) {
    // A row menu closes once one of its actions is chosen (or anything else is clicked).
    document.querySelectorAll("details.more-actions[open]").forEach(function (menu) {
      if (!menu.contains(event.target) || event.target.closest(".menu a, .menu button")) { menu.removeAttribute("open"); }
    });
    var closer = event.target.closest("[data-close-dialog]");
    if (closer && modal() && modal().open) {
      event.preventDefault();
      modal().close();
      return;
    }
    if (event.target.closest("[data-clear-filter]")) {
      document.querySelectorAll("form.filters").forEach(function (form) { form.reset(); });
      document.querySelectorAll("form.filters input[type=search]").forEach(function (input) { input.value = ""; });
    }
    var add = event.target.closest("[data-kv-add]");
    if (add) {
      var rows = add.closest("[data-kv]").querySelectorAll("[data-kv-row]");
      var last = rows[rows.length - 1];
      var copy = last.cloneNode(true);
      var n = rows.length + 1;
      copy.querySelectorAll("input").forEach(function (input) {
        input.value = "";
        input.removeAttribute("id");
        var label = input.getAttribute("aria-label") || "";
        input.setAttribute("aria-label", label.replace(/\d+$/, String(n)));
      });
      last.after(copy);
      copy.querySelector("input").focus();
    }
  });

  // Fields used only for some values of another field (a metrics export's credentials and its auth
  // type; kinds.FieldSpec.used_when): show them only when that field has one of those values.
  function applyUsedWhen(root) {
    root.querySelectorAll("[data-used-when-field]").forEach(function (field) {
      var control = root.querySelector("select[name=" + field.getAttribute("data-used-when-field") + "]");
      if (!control) { return; }
      field.hidden = field.getAttribute("data-used-when").split(" ").indexOf(control.value) === -1;
    });
  }

  // Links: the Deployment checkboxes matter only for "Selected Deployments", the exclusions only for "All".
  function applyLinkMode(root) {
    var chosen = root.querySelector("input[name=mode]:checked");
    var box = root.querySelector("[data-selected-deployments]");
    var exclusions = root.querySelector("[data-all-deployments]");
    if (chosen && box) { box.hidden = chosen.value === "all"; }
    if (chosen && exclusions) { exclusions.hidden = chosen.value !== "all"; }
  }

  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (!form) { return; }
    if (form.querySelector("[data-used-when-field='" + event.target.name + "']")) { applyUsedWhen(form); }
    if (event.target.name === "mode") { applyLinkMode(form); }
  });

  // The link picker's search filters as you type; Enter there must not submit (Link) the form.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.matches("[data-picker-search]")) { event.preventDefault(); }
  });

  // Typing an override value ticks its "Override" box.
  // Migrate from Airflow: select all / none (buttons and the header checkbox), a live count, and no submit
  // with nothing selected.
  function syncSelection(form) {
    var boxes = form.querySelectorAll("input[type=checkbox][name=source]");
    var count = Array.prototype.filter.call(boxes, function (box) { return box.checked; }).length;
    var label = form.querySelector("[data-selected-count]");
    if (label) { label.textContent = count + " selected"; }
    var submit = form.querySelector("[data-requires-selection]");
    if (submit) { submit.disabled = count === 0; }
    var header = form.querySelector("[data-select-all]");
    if (header) {
      header.checked = boxes.length > 0 && count === boxes.length;
      header.indeterminate = count > 0 && count < boxes.length;
    }
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-select]");
    if (!button) { return; }
    var form = button.closest("[data-selection]");
    form.querySelectorAll("input[type=checkbox][name=source]").forEach(function (box) {
      box.checked = button.getAttribute("data-select") === "all";
    });
    syncSelection(form);
  });
  document.addEventListener("change", function (event) {
    var form = event.target.closest("[data-selection]");
    if (!form) { return; }
    if (event.target.matches("[data-select-all]")) {  // the header checkbox: all or none
      form.querySelectorAll("input[type=checkbox][name=source]").forEach(function (box) {
        box.checked = event.target.checked;
      });
    }
    syncSelection(form);
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-selection]").forEach(syncSelection);
  });

  // Copy buttons: [data-copy-target] copies the value of the element with that id (a new API token).
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) { return; }
    var field = document.getElementById(button.getAttribute("data-copy-target"));
    if (!field) { return; }
    field.select();
    var done = function () { button.textContent = "Copied"; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
    } else {
      document.execCommand("copy");
      done();
    }
  });

  // A confirmed download (form[data-download], views/confirmations.py) leaves the page as it is: close the
  // dialog once the form is sent (the browser keeps the submission going).
  document.addEventListener("submit", function (event) {
    if (event.target.matches("form[data-download]") && modal() && modal().open) {
      setTimeout(function () { modal().close(); }, 0);
    }
  });

  // Typed confirmation: the submit button stays disabled until the key is typed exactly.
  document.addEventListener("input", function (event) {
    var input = event.target.closest("[data-confirm-key]");
    if (!input) { return; }
    var button = input.form && input.form.querySelector("[data-requires-key]");
    if (button) { button.disabled = input.value !== input.getAttribute("data-confirm-key"); }
  });

  document.addEventListener("input", function (event) {
    var row = event.target.closest(".override-table tr");
    if (!row || event.target.matches("[data-override-toggle]")) { return; }
    var toggle = row.querySelector("[data-override-toggle]");
    // Any change to a key row (even emptying a key to remove it) changes the value: overridden.
    if (toggle && (event.target.value || event.target.closest("[data-kv]"))) { toggle.checked = true; }
  });

  // One message (toast) in the page's live region, replacing the ones shown.
  function showMessage(text, kind) {
    var messages = document.getElementById("messages");
    if (!messages) { return; }
    var p = document.createElement("p");
    p.className = "message " + kind;
    p.textContent = text;
    messages.replaceChildren(p);
    liftMessages();
  }

  // A refused request (403, 404) or a server error: say so instead of doing nothing.
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    showMessage(status === 403 ? "You do not have permission to do that." :
      status === 404 ? "That no longer exists; reload the page." :
      "Something went wrong (" + status + "). Nothing was changed; try again.", "error");
  });
  document.addEventListener("htmx:sendError", function () {
    showMessage("The server cannot be reached. Nothing was changed.", "error");
  });

  // Copy buttons in the tables: [data-copy] holds a key or a plain value (templates never put a secret there).
  // Without the Clipboard API (a page served over plain HTTP) the message says how to copy by hand.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) { return; }
    var what = button.title.replace(/^Copy /, "");
    var failed = function () {
      showMessage("Copying needs a secure (HTTPS) page; select the text and press Ctrl+C (⌘C) instead.", "warning");
    };
    if (!navigator.clipboard || !window.isSecureContext) { failed(); return; }
    navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
      showMessage("Copied the " + what + " to the clipboard.", "success");
    }, failed);
  });

  // Bulk select on the Environment lists (the Workspace page, a Deployment's or IDE project's tab): the
  // header checkbox ticks the page's rows; the count, the action choices (shown once a row is ticked) and
  // the Apply button follow the ticked rows (inputs with form="bulk-form").
  function syncBulk() {
    var form = document.getElementById("bulk-form");
    if (!form) { return; }
    var boxes = document.querySelectorAll("input[data-bulk-item]");
    var count = Array.prototype.filter.call(boxes, function (box) { return box.checked; }).length;
    form.querySelector("[data-bulk-count]").textContent = count ? count + " selected" : "Tick rows to act on several at once";
    form.querySelector("[data-bulk-choices]").hidden = count === 0;
    form.querySelector("[data-bulk-submit]").disabled = count === 0;
    var all = document.querySelector("input[data-bulk-all]");
    if (all) { all.checked = boxes.length > 0 && count === boxes.length; all.indeterminate = count > 0 && count < boxes.length; }
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches("input[data-bulk-all]")) {
      document.querySelectorAll("input[data-bulk-item]").forEach(function (box) { box.checked = event.target.checked; });
    }
    if (event.target.matches("input[data-bulk-all], input[data-bulk-item]")) { syncBulk(); }
  });
  document.addEventListener("DOMContentLoaded", syncBulk);
  document.addEventListener("htmx:afterSettle", syncBulk);

  // Row menus: Escape closes the open one and gives focus back to its ⋯ button.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var menu = event.target.closest && event.target.closest("details.more-actions[open]");
    if (menu) { menu.removeAttribute("open"); menu.querySelector("summary").focus(); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    applyUsedWhen(document);
    applyLinkMode(document);
    // Whatever fills or empties the dialog's body (a swap, an out-of-band swap) opens or closes it.
    if (modalBody()) { new MutationObserver(syncDialog).observe(modalBody(), { childList: true }); }
  });
})();
