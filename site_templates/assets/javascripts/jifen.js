/*
 * 党务公开栏: a table wider than the screen scrolls sideways in its own box (Material
 * wraps each table in .md-typeset__scrollwrap; bulletin.css keeps its name column in
 * view). Above each such table, say so; when the screen is wide enough, say nothing.
 */
(function () {
  "use strict";
  var TEXT = "表格较宽：左右滑动表格可查看其余各列。";

  function mark() {
    var wraps = document.querySelectorAll("article .md-typeset__scrollwrap");
    Array.prototype.forEach.call(wraps, function (wrap) {
      var before = wrap.previousElementSibling;
      var hint = before && before.classList.contains("jf-hint") ? before : null;
      var wide = wrap.scrollWidth > wrap.clientWidth + 1;
      if (wide && !hint) {
        hint = document.createElement("p");
        hint.className = "jf-hint";
        hint.textContent = TEXT;
        wrap.parentNode.insertBefore(hint, wrap);
      } else if (!wide && hint) {
        hint.parentNode.removeChild(hint);
      }
    });
  }

  /* Material wraps the tables when a page is ready (document$); mark them afterwards */
  if (typeof document$ !== "undefined") {
    document$.subscribe(function () { setTimeout(mark, 0); });
  } else {
    addEventListener("load", mark);
  }
  addEventListener("resize", mark);
})();
