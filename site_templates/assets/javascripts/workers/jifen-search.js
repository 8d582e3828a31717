/*
 * 党务公开栏: our own segmentation of Chinese search queries, in front of Material's
 * search worker (the theme's config names this file as the worker; it loads Material's,
 * whose file name comes in the query string, from the same folder).
 *
 * Material segments a query with the words of its index, but never looks at the last
 * character of the query: of "积分运用" it searches "积分" alone. Here each run of Chinese
 * characters is cut into the index's words first (longest match first, the whole run
 * considered), and a query of several known words requires each of them ("+积分* +运用*"),
 * so a two-word query matches on both words. Material then treats every word as a query
 * of its own. A run with fewer than two known words is left to Material as typed. Given
 * names are in the index too (the "names" field the build adds to member pages), so
 * "丽萍" finds 周丽萍.
 *
 * Nothing is fetched: the words come from the index Material's setup message carries.
 */
(function () {
  "use strict";
  var SETUP = 0, QUERY = 2;  /* Material's SearchMessageType */
  var LONGEST = 8;           /* characters in the longest word looked up */
  var HAN = /\p{sc=Han}+/gu;
  var words = null;

  function learn(index) {
    var found = new Set();
    var fields = Object.keys(index.config.fields || { title: 1, text: 1 });
    var separator = new RegExp(index.config.separator, "u");
    index.docs.forEach(function (doc) {
      fields.forEach(function (field) {
        var value = doc[field];
        if (typeof value !== "string") return;
        value.split(separator).forEach(function (token) {
          var runs = token.match(HAN);
          if (runs) runs.forEach(function (run) { found.add(run); });
        });
      });
    });
    words = found;
  }

  /* The words of a run of Chinese characters: [words found, text not found] */
  function cut(run) {
    var known = [], unknown = [], rest = "";
    for (var i = 0; i < run.length;) {
      var length = 0;
      for (var j = Math.min(run.length, i + LONGEST); j > i + 1; j--)
        if (words.has(run.slice(i, j))) { length = j - i; break; }
      if (length) {
        if (rest) { unknown.push(rest); rest = ""; }
        known.push(run.slice(i, i + length));
        i += length;
      } else {
        rest += run[i++];
      }
    }
    if (rest) unknown.push(rest);
    return [known, unknown];
  }

  function segment(query) {
    return query.replace(HAN, function (run) {
      var parts = cut(run), known = parts[0], unknown = parts[1];
      if (known.length < 2) return run;
      return known.map(function (word) { return " +" + word + "* "; }).join("")
        + unknown.map(function (text) { return " " + text + " "; }).join("");
    }).replace(/\s+/g, " ").trim();
  }

  self.addEventListener("message", function (ev) {
    var message = ev.data;
    if (!message) return;
    if (message.type === SETUP && message.data) learn(message.data);
    else if (message.type === QUERY && words && typeof message.data === "string")
      message.data = segment(message.data);
  });

  var material = new URLSearchParams(self.location.search).get("material") || "";
  if (/^search\.[0-9a-f]+\.min\.js$/.test(material)) importScripts(material);
})();
