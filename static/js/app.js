// Progressive enhancements only: every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function showJsOnly(root) {
    root.querySelectorAll(".js-only[hidden]").forEach(function (el) { el.hidden = false; });
  }

  function copyText(button) {
    var target = document.querySelector(button.getAttribute("data-copy"));
    if (!target) return;
    var status = button.parentElement.querySelector(".copy-status");
    var done = function (ok) {
      var message = ok ? "Copied to the clipboard." : "Copy failed: select the text and press Ctrl+C.";
      var original = button.textContent;
      if (status) { status.textContent = message; }
      button.textContent = ok ? "Copied ✓" : "Copy failed";
      window.setTimeout(function () { button.textContent = original; }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(target.value).then(function () { done(true); }, function () { done(false); });
    } else {
      target.select();
      done(document.execCommand("copy"));
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (button) { copyText(button); }
  });
  document.addEventListener("DOMContentLoaded", function () { showJsOnly(document); });
  document.addEventListener("htmx:afterSwap", function (event) { showJsOnly(event.target); });
})();
