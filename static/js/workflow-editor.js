/* Workflow page enhancements (the page works without them):
   - merge-code picker: insert the chosen tag at the cursor of the last focused step field;
   - confirm before submitting forms marked data-confirm. */
(function () {
  "use strict";
  var lastField = null;
  if (document.activeElement && document.activeElement.matches("[data-merge-target]")) {
    lastField = document.activeElement;  // focused before this script ran
  }

  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("[data-merge-target]")) {
      lastField = event.target;
    }
  });

  function insertAtCursor(field, text) {
    var start = field.value.length;
    var end = start;
    try {
      if (typeof field.selectionStart === "number") {
        start = field.selectionStart;
        end = field.selectionEnd;
      }
    } catch (e) { /* inputs without a selection API: append */ }
    field.setRangeText(text, start, end, "end");
    field.dispatchEvent(new Event("input", { bubbles: true }));
    field.focus();
  }

  document.querySelectorAll("[data-merge-picker]").forEach(function (picker) {
    var select = picker.querySelector("[data-merge-select]");
    var button = picker.querySelector("[data-merge-insert]");
    var status = picker.querySelector("[data-merge-status]");
    if (!select || !button) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var field = lastField || document.querySelector(".step-form [data-merge-target]");
      if (!field) { return; }
      insertAtCursor(field, select.value);
      if (status) {
        var label = field.labels && field.labels[0] ? field.labels[0].textContent.trim() : "the field";
        status.textContent = "Inserted " + select.value + " into " + label + ".";
      }
    });
  });

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
})();
