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
  // The details step's live preview: folded on a phone (a bar at the bottom of the screen
  // that opens it), open beside the form on a wide screen. Without this file it is open.
  function foldPreviewOnPhones(root) {
    if (!window.matchMedia("(max-width: 800px)").matches) return;
    root.querySelectorAll("[data-preview-toggle]").forEach(function (el) { el.open = false; });
  }

  // A submit wins over any preview still waiting: abort it, so nothing it brings back can
  // replace what is on the page while the browser leaves it. (Previews never write.)
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("[data-live-preview]");
    if (form && window.htmx) { window.htmx.trigger(form, "htmx:abort"); }
  }, true);

  // A refused step: start at the list of what to fix, so a screen reader reads it first and
  // Tab goes through its links.
  function focusErrorSummary() {
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    showJsOnly(document);
    foldPreviewOnPhones(document);
    focusErrorSummary();
  });
  document.addEventListener("htmx:afterSwap", function (event) { showJsOnly(event.target); });
})();

// Evidence step: drag-and-drop with previews, and drawing blur boxes on a screenshot.
(function () {
  "use strict";

  function setUpDropZone(zone) {
    var input = zone.querySelector("input[type=file]");
    var previews = zone.querySelector("[data-previews]");
    if (!input) return;
    function showPreviews() {
      if (!previews) return;
      previews.textContent = "";
      Array.prototype.forEach.call(input.files, function (file) {
        if (!/^image\//.test(file.type)) return;
        var img = document.createElement("img");
        img.alt = file.name;
        img.src = URL.createObjectURL(file);
        previews.appendChild(img);
      });
    }
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("dragging"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("dragging"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        showPreviews();
      }
    });
    input.addEventListener("change", showPreviews);
  }

  function parseBoxes(text) {
    return text.split("\n").map(function (line) {
      return line.split(",").map(function (part) { return parseFloat(part); });
    }).filter(function (box) { return box.length === 4 && box.every(function (v) { return !isNaN(v); }); });
  }

  function setUpBlurEditor(editor, onDrawn, card) {
    var textarea = document.querySelector(editor.getAttribute("data-target"));
    var focusField = document.querySelector(editor.getAttribute("data-focus-target"));
    if (!textarea) return;
    // Dragging adds a blur box, or (after "Mark the failure") sets the one focus area.
    var mode = "blur";
    var toggle = card && card.querySelector("[data-draw-mode]");
    var modeHelp = card && card.querySelector("[data-draw-mode-help]");
    if (toggle && focusField) {
      toggle.addEventListener("click", function () {
        mode = mode === "blur" ? "focus" : "blur";
        toggle.setAttribute("aria-pressed", mode === "focus" ? "true" : "false");
        toggle.textContent = mode === "focus" ? "Back to blurring" : "Mark the failure";
        if (modeHelp) {
          modeHelp.textContent = mode === "focus"
            ? "Dragging on the picture marks where the failure shows."
            : "Dragging on the picture adds a blur box.";
        }
      });
    }
    function place(box, className) {
      var el = document.createElement("div");
      el.className = className;
      el.style.left = box[0] + "%";
      el.style.top = box[1] + "%";
      el.style.width = box[2] + "%";
      el.style.height = box[3] + "%";
      editor.appendChild(el);
    }
    function draw() {
      editor.querySelectorAll(".blur-box, .focus-box").forEach(function (el) { el.remove(); });
      parseBoxes(textarea.value).forEach(function (box) { place(box, "blur-box"); });
      if (focusField) parseBoxes(focusField.value).slice(0, 1).forEach(function (box) { place(box, "focus-box"); });
    }
    var start = null;
    function point(event) {
      var rect = editor.getBoundingClientRect();
      return {
        x: Math.min(Math.max((event.clientX - rect.left) / rect.width * 100, 0), 100),
        y: Math.min(Math.max((event.clientY - rect.top) / rect.height * 100, 0), 100)
      };
    }
    editor.addEventListener("dragstart", function (event) { event.preventDefault(); });
    editor.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      editor.setPointerCapture(event.pointerId);
      start = point(event);
    });
    editor.addEventListener("pointerup", function (event) {
      if (!start) return;
      var end = point(event);
      var box = [Math.min(start.x, end.x), Math.min(start.y, end.y), Math.abs(end.x - start.x), Math.abs(end.y - start.y)];
      start = null;
      if (box[2] < 1 || box[3] < 1) return;
      var line = box.map(function (v) { return v.toFixed(1); }).join(", ");
      if (mode === "focus" && focusField) {
        focusField.value = line;
      } else {
        textarea.value = textarea.value.trim() ? textarea.value.trim() + "\n" + line : line;
      }
      draw();
      if (onDrawn) onDrawn();
    });
    editor.addEventListener("pointercancel", function () { start = null; });
    textarea.addEventListener("input", draw);
    if (focusField) focusField.addEventListener("input", draw);
    draw();
  }

  // Each card saves itself as a box is drawn and when focus leaves it with changes; the
  // form around all cards also sends every card, so "Continue" saves whatever is typed
  // even if a save is still on its way (the page waits for it first).
  var pending = [];
  var dirty = new Set();

  function setUpShotCard(card, form) {
    var status = card.querySelector("[data-save-status]");
    var prefix = card.getAttribute("data-prefix");
    function say(text) { if (status) status.textContent = text; }
    function save() {
      dirty.delete(card);
      var data = new FormData();
      data.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
      data.append("action", "save");
      card.querySelectorAll("[name^='" + prefix + "-']").forEach(function (field) {
        data.append(field.name, field.value);
      });
      say("Saving…");
      var request = fetch(card.getAttribute("data-save-url"), {
        method: "POST", body: data, headers: { "Accept": "application/json" }, credentials: "same-origin"
      }).then(function (response) {
        return response.json().then(function (body) {
          if (response.ok && body.saved) {
            say(body.blur_boxes === 1 ? "Saved: 1 blur box." : "Saved" + (body.blur_boxes ? ": " + body.blur_boxes + " blur boxes." : "."));
          } else {
            dirty.add(card);
            say(body.error || "Not saved.");
          }
        });
      }, function () {
        dirty.add(card);
        say("Not saved: the connection failed. Your boxes are still here; use Save or Continue.");
      });
      pending.push(request);
      request.finally(function () { pending.splice(pending.indexOf(request), 1); });
      return request;
    }
    card.addEventListener("input", function () { dirty.add(card); say("Not saved yet."); });
    card.addEventListener("change", function () { dirty.add(card); });
    card.addEventListener("focusout", function (event) {
      if (dirty.has(card) && !card.contains(event.relatedTarget)) save();
    });
    var editor = card.querySelector("[data-blur-editor]");
    if (editor) setUpBlurEditor(editor, save, card);
  }

  function setUpShotsForm(form) {
    form.querySelectorAll("[data-shot-card]").forEach(function (card) { setUpShotCard(card, form); });
    var submitting = false;
    form.addEventListener("submit", function (event) {
      submitting = true;
      if (!pending.length) return;
      // Let the autosave land first, then send the form (which saves every card again).
      event.preventDefault();
      var submitter = event.submitter;
      Promise.allSettled(pending.slice()).then(function () { form.requestSubmit(submitter); });
    });
    window.addEventListener("beforeunload", function (event) {
      // Leaving by a link or the back button with a card that could not be saved.
      if (submitting || (!dirty.size && !pending.length)) return;
      event.preventDefault();
      event.returnValue = "";
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-drop-zone]").forEach(setUpDropZone);
    document.querySelectorAll("[data-shots-form]").forEach(setUpShotsForm);
  });
})();
