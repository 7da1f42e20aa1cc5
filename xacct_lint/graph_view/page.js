// xacct-lint graph page: follow the paths through a node, or the elements of a finding.
// Reads only ids and data-* attributes that the page itself wrote; never parses or inserts markup.
(function () {
  "use strict";
  var svg = document.querySelector("svg.graph");
  if (!svg) { return; }
  var canvas = document.querySelector(".canvas");
  var lines = Array.prototype.slice.call(svg.querySelectorAll(".edge-line"));
  var outgoing = {}, incoming = {};
  lines.forEach(function (line) {
    var edge = { id: line.getAttribute("data-edge"), from: line.getAttribute("data-source"),
                 to: line.getAttribute("data-target") };
    (outgoing[edge.from] = outgoing[edge.from] || []).push(edge);
    (incoming[edge.to] = incoming[edge.to] || []).push(edge);
  });

  function walk(start, next, far) {
    var seen = {}, queue = [start];
    seen[start] = true;
    while (queue.length) {
      var node = queue.shift();
      (next[node] || []).forEach(function (edge) {
        var other = edge[far];
        if (!seen[other]) { seen[other] = true; queue.push(other); }
      });
    }
    return seen;
  }

  function clear() {
    svg.classList.remove("focus");
    Array.prototype.forEach.call(document.querySelectorAll(".on"), function (el) { el.classList.remove("on"); });
  }

  function show(nodes, edges) {
    clear();
    svg.classList.add("focus");
    nodes.forEach(function (id) {
      var el = document.getElementById(id);
      if (el) { el.classList.add("on"); }
    });
    edges.forEach(function (id) {
      Array.prototype.forEach.call(svg.querySelectorAll("[data-edge='" + id + "']"), function (el) {
        el.classList.add("on");
      });
    });
  }

  // A hop lies on a path through the node when it leads into the node from its ancestors, or out of it to
  // its descendants.
  function follow(node) {
    var before = walk(node, incoming, "from"), after = walk(node, outgoing, "to");
    var edges = lines.filter(function (line) {
      var from = line.getAttribute("data-source"), to = line.getAttribute("data-target");
      return (before[from] && before[to]) || (after[from] && after[to]);
    }).map(function (line) { return line.getAttribute("data-edge"); });
    show(Object.keys(before).concat(Object.keys(after)), edges);
  }

  Array.prototype.forEach.call(svg.querySelectorAll(".node"), function (el) {
    el.addEventListener("click", function (event) { event.stopPropagation(); follow(el.id); });
    el.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); follow(el.id); }
    });
  });
  Array.prototype.forEach.call(svg.querySelectorAll(".edge-label"), function (el) {
    el.addEventListener("click", function (event) {
      event.stopPropagation();
      var id = el.getAttribute("data-edge");
      var line = svg.querySelector(".edge-line[data-edge='" + id + "']");
      show([line.getAttribute("data-source"), line.getAttribute("data-target")], [id]);
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll("tr.selectable"), function (row) {
    row.addEventListener("click", function () {
      var nodes = (row.getAttribute("data-nodes") || "").split(" ").filter(Boolean);
      var edges = (row.getAttribute("data-edges") || "").split(" ").filter(Boolean);
      show(nodes, edges);
      row.classList.add("on");
      canvas.scrollIntoView({ behavior: "smooth", block: "start" });
    });
  });
  svg.addEventListener("click", clear);
  document.addEventListener("keydown", function (event) { if (event.key === "Escape") { clear(); } });
  var size = document.getElementById("size");
  if (size) {
    size.addEventListener("click", function () {
      var actual = canvas.classList.toggle("actual");
      size.textContent = actual ? "Fit to window" : "Actual size";
    });
  }
  // Box widths come from estimated text widths; where the viewer's font runs wider, squeeze the text to fit.
  Array.prototype.forEach.call(svg.querySelectorAll("text[data-fit]"), function (text) {
    var room = parseFloat(text.getAttribute("data-fit"));
    if (text.getComputedTextLength() > room) {
      text.setAttribute("textLength", String(room));
      text.setAttribute("lengthAdjust", "spacingAndGlyphs");
    }
  });
})();
