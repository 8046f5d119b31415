/* iqtrack — the little behaviour the pages need beyond htmx. No inline scripts anywhere. */
(function () {
  "use strict";

  // Keep in step with evidence.choices.RTL_LANGUAGES (the server sets the same on render).
  var RTL = ["ar", "fa", "he"];

  // A text area marked data-lang-from="<id of a language select>" follows that language:
  // lang for the right fonts and hyphenation, dir so Arabic, Persian and Hebrew read right to left.
  function followLanguage(area) {
    var select = document.getElementById(area.getAttribute("data-lang-from"));
    if (!select) return;
    var apply = function () {
      var code = select.value;
      if (code && code !== "other") area.setAttribute("lang", code);
      else area.removeAttribute("lang");
      area.setAttribute("dir", RTL.indexOf(code) >= 0 ? "rtl" : "ltr");
    };
    select.addEventListener("change", apply);
    apply();
  }

  // A picker's search box (iqtrack/pickers.py) sits inside the form it helps fill: Enter there
  // searches now instead of submitting that form half filled.
  function searchOnEnter(box) {
    box.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") return;
      event.preventDefault();
      box.dispatchEvent(new Event("search"));
    });
  }

  function init(root) {
    root.querySelectorAll("[data-lang-from]").forEach(followLanguage);
    root.querySelectorAll("[data-picker-search]").forEach(searchOnEnter);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (event) { init(event.target); });
})();
