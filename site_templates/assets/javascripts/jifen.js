/*
 * 党务公开栏: a table wider than the screen scrolls sideways in its own box (Material
 * makes each table scroll, and wraps it in .md-typeset__scrollwrap when its scripts
 * have run; bulletin.css keeps the name column in view). Above each such table, say
 * so; when the screen is wide enough, say nothing. Runs whenever the page changes
 * (Material's wrapping included) and when the window is resized.
 */
(function () {
  "use strict";
  var TEXT = "表格较宽：左右滑动表格可查看其余各列。";
  var pending = false;

  function mark() {
    pending = false;
    var tables = document.querySelectorAll("article table");
    Array.prototype.forEach.call(tables, function (table) {
      var box = table.closest(".md-typeset__scrollwrap") || table;
      var before = box.previousElementSibling;
      var hint = before && before.classList.contains("jf-hint") ? before : null;
      var wide = box.scrollWidth > box.clientWidth + 1;
      if (wide && !hint) {
        hint = document.createElement("p");
        hint.className = "jf-hint";
        hint.textContent = TEXT;
        box.parentNode.insertBefore(hint, box);
      } else if (!wide && hint) {
        hint.parentNode.removeChild(hint);
      }
    });
  }

  function soon() {
    if (!pending) {
      pending = true;
      requestAnimationFrame(mark);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    soon();
    var article = document.querySelector("article");
    if (article && typeof MutationObserver !== "undefined")
      new MutationObserver(soon).observe(article, { childList: true, subtree: true });
  });
  addEventListener("load", soon);
  addEventListener("resize", soon);
})();
