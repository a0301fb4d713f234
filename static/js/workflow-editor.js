/* Workflow page enhancements (the page works without them):
   - merge-code picker: search the codes, see a code's value (the latest event's, or the
     sample's), pick a format, and insert the tag at the cursor of the last focused step field;
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
    var search = picker.querySelector("[data-merge-search]");
    var format = picker.querySelector("[data-merge-format]");
    var picked = picker.querySelector("[data-merge-picked]");
    if (!select || !button) { return; }
    button.hidden = false;

    function tag() {  // the option's "[code]", with the chosen format before its "]"
      var code = select.value;
      if (!code || !format || !format.value) { return code; }
      return code.slice(0, -1) + " | " + format.value + "]";
    }

    function showPicked() {
      var option = select.options[select.selectedIndex];
      if (!picked) { return; }
      if (!option || option.hidden) { picked.textContent = ""; return; }
      var value = option.getAttribute("data-value");
      var where = option.getAttribute("data-sample") ? " (sample)" : " (latest event)";
      picked.textContent = tag() + " — " + (value ? value + where : "empty" + where);
    }

    // Search: hide the codes whose name, label and value don't all contain the words typed.
    if (search) {
      search.addEventListener("input", function () {
        var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
        var firstShown = null;
        select.querySelectorAll("optgroup").forEach(function (group) {
          var shown = 0;
          group.querySelectorAll("option").forEach(function (option) {
            var text = (option.value + " " + option.getAttribute("data-label") + " " +
                        option.getAttribute("data-value")).toLowerCase();
            var match = words.every(function (word) { return text.indexOf(word) !== -1; });
            option.hidden = !match;
            option.disabled = !match;
            if (match) { shown += 1; firstShown = firstShown || option; }
          });
          group.hidden = shown === 0;
        });
        var current = select.options[select.selectedIndex];
        if ((!current || current.hidden) && firstShown) { firstShown.selected = true; }
        if (status) {
          status.textContent = firstShown ? "" : "No code matches “" + search.value + "”.";
        }
        showPicked();
      });
    }
    select.addEventListener("change", showPicked);
    if (format) { format.addEventListener("change", showPicked); }
    showPicked();

    button.addEventListener("click", function () {
      var field = lastField || document.querySelector(".step-form [data-merge-target]");
      var text = tag();
      if (!field || !text) { return; }
      insertAtCursor(field, text);
      if (status) {
        var label = field.labels && field.labels[0] ? field.labels[0].textContent.trim() : "the field";
        status.textContent = "Inserted " + text + " into " + label + ".";
      }
    });
  });

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
})();
