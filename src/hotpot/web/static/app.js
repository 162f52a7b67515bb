// The pages' own small behaviours, as a file of this origin (no inline script: CSP).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target instanceof Element && target.closest("[data-print]")) {
      window.print();
    }
  });
  // A second tap on "Place order" or "Record sale" would send the same key anyway (the
  // server answers it once); disabling the button just shows the tap was taken.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    var button = form.querySelector("button[data-once]");
    if (button) {
      window.setTimeout(function () { button.disabled = true; }, 0);
    }
  });
})();
