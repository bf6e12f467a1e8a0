/* "Checked as typed": the national register number's check digits, in the browser (rights.web.beheer_people).
   Progressive enhancement only: the server checks the number again, and the form works without this.
   The messages come from the field's data-* attributes (in the page's language); they are announced
   through the aria-live region under the field, only when there is something to say. */
(function () {
  "use strict";
  var input = document.getElementById("national_number");
  var live = document.getElementById("national_number-live");
  if (!input || !live) { return; }

  function verdict(text) {
    var digits = text.replace(/[\s.\-\/]/g, "");
    if (digits === "") { return ""; }
    if (!/^[0-9]+$/.test(digits)) { return input.dataset.format; }
    if (digits.length > 11) { return input.dataset.long; }
    if (digits.length < 11) { return ""; }
    var base = parseInt(digits.slice(0, 9), 10);
    var check = parseInt(digits.slice(9), 10);
    // Born before 2000: 97 - (first nine digits mod 97); from 2000 on the same over "2" + the nine digits.
    var ok = 97 - (base % 97) === check || 97 - ((2000000000 + base) % 97) === check;
    return ok ? input.dataset.ok : input.dataset.bad;
  }

  var last = null;
  function update() {
    var message = verdict(input.value) || "";
    if (message === last) { return; }
    last = message;
    live.textContent = message;
    live.className = "hint live" + (message && message === input.dataset.ok ? " ok" : message ? " error" : "");
  }
  input.addEventListener("input", update);
  if (input.value) { update(); }
})();
