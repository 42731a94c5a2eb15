/* Aftercare help block (integration/storefront/widget.py explains it): no dependencies, no cookies. */
(function (d, nav) {
  "use strict";
  var me = d.currentScript, C = "aftercare-help", A = "data-aftercare-", count = 0;
  var ANCHORS = [
    ["product", "product-form,.product__info-container form[action$='/cart/add']", "afterend"],
    ["product", ".summary.entry-summary form.cart", "afterend"],
    ["cart", ".cart__footer .cart__ctas", "beforebegin"],
    ["cart", ".woocommerce-cart-form", "afterend"],
    ["cart", ".wp-block-woocommerce-cart", "afterend"],
    ["thank_you", ".woocommerce-order", "beforeend"]
  ];
  var CSS = "." + C + "{box-sizing:border-box}." + C + "__box{font-size:.875em;line-height:1.35;color:inherit;" +
    "margin:.75em 0;padding:.5em .75em;border:1px solid rgba(128,128,128,.35);border-radius:.5em}." + C +
    "__box h2{font:inherit;font-weight:600;letter-spacing:normal;text-transform:none;margin:0}." + C +
    "__box p{margin:0}." + C + "__box ul{list-style:none;margin:.2em 0 0;padding:0;display:flex;flex-wrap:wrap;" +
    "gap:.2em 1.25em}." + C + "__box a{color:inherit;text-decoration:underline;text-underline-offset:.15em}." + C +
    "__box a:focus-visible{outline:2px solid currentColor;outline-offset:2px}";

  function attr(el, name) {
    return (el && el.getAttribute(A + name)) || (me && me.getAttribute(A + name)) || "";
  }

  function el(tag, text) {
    var node = d.createElement(tag);
    if (text) node.textContent = text;
    return node;
  }

  function placed() {
    for (var i = 0; i < ANCHORS.length; i++) {
      var anchor = d.querySelector(ANCHORS[i][1]);
      if (!anchor) continue;
      var box = el("div");
      box.className = C;
      box.setAttribute(A + "page", ANCHORS[i][0]);
      box.style.minHeight = "8em";
      anchor.insertAdjacentElement(ANCHORS[i][2], box);
      return [box];
    }
    return [];
  }

  function containers() {
    var found = [].slice.call(d.querySelectorAll("." + C + "[" + A + "page]"));
    return found.length || !attr(null, "endpoint") ? found : placed();
  }

  function render(box, block, clicks) {
    var section = el("section"), heading = el("h2", block.heading), list = el("ul");
    heading.id = C + "-" + ++count;
    section.className = C + "__box";
    section.setAttribute("aria-labelledby", heading.id);
    section.appendChild(heading);
    (block.notes || []).forEach(function (note) { section.appendChild(el("p", note)); });
    (block.links || []).forEach(function (link) {
      if (!/^https?:/i.test(link.url)) return;
      var a = el("a", link.label), item = el("li");
      a.href = link.url;
      a.setAttribute(A + "link", link.id);
      item.appendChild(a);
      list.appendChild(item);
    });
    if (list.firstChild) section.appendChild(list);
    box.appendChild(section);
    box.addEventListener("click", function (event) {
      var a = event.target.closest && event.target.closest("a[" + A + "link]");
      if (a && nav.sendBeacon) nav.sendBeacon(clicks, JSON.stringify({ page: block.page, link: a.getAttribute(A + "link") }));
    });
  }

  function fill(box) {
    var endpoint = attr(box, "endpoint"), page = box.getAttribute(A + "page");
    var locale = attr(box, "locale") || d.documentElement.lang || "";
    if (!endpoint || box.getAttribute(A + "state")) return;
    box.setAttribute(A + "state", "loading");
    var url = endpoint + (endpoint.indexOf("?") < 0 ? "?" : "&") + "page=" + encodeURIComponent(page) +
      "&locale=" + encodeURIComponent(locale);
    fetch(url, { credentials: "omit" }).then(function (r) { return r.ok ? r.json() : null; }).then(function (block) {
      if (block) render(box, block, endpoint.replace(/help-links(\?.*)?$/, "clicks"));
      box.setAttribute(A + "state", block ? "ready" : "empty");
    }).catch(function () { box.setAttribute(A + "state", "failed"); });
  }

  function start() {
    var boxes = containers();
    if (!boxes.length || !window.fetch) return;
    if (!d.getElementById(C + "-style")) {
      var style = el("style", CSS);
      style.id = C + "-style";
      d.head.appendChild(style);
    }
    boxes.forEach(fill);
  }

  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", start);
  else start();
})(document, navigator);
