// Progressive enhancement: while the operator types, fetch the results fragment (debounced) and
// put it in the live region. Without JavaScript the search form is a plain GET and works the same.
(function () {
  "use strict";
  var form = document.getElementById("search-form");
  var box = document.getElementById("q");
  var results = document.getElementById("results");
  if (!form || !box || !results || !window.fetch) return;
  var timer = null, last = box.value.trim(), controller = null;
  function show(q) {
    if (controller) controller.abort();
    controller = new AbortController();
    fetch("/helpline/results?q=" + encodeURIComponent(q), {
      headers: { "X-Requested-With": "fetch" }, credentials: "same-origin", signal: controller.signal
    }).then(function (r) {
      if (r.redirected && r.url.indexOf("/helpline/login") >= 0) { window.location = r.url; return null; }
      return r.text();
    }).then(function (html) {
      if (html === null) return;
      results.innerHTML = html;
      // The fragment also carries the updated "lookups of this call" list.
      var call = results.querySelector("#call-fragment"), list = document.getElementById("call-list");
      if (call && list) { list.innerHTML = call.innerHTML; call.remove(); }
      history.replaceState(null, "", q ? "/helpline?q=" + encodeURIComponent(q) : "/helpline");
    }).catch(function () { /* aborted or offline: the form still works */ });
  }
  box.addEventListener("input", function () {
    var q = box.value.trim();
    clearTimeout(timer);
    if (q === last || q.length < 2) return;
    timer = setTimeout(function () { last = q; show(q); }, 300);
  });
})();
