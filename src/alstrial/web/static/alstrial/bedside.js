// The bedside form (docs/product.md, 'Administration'). A barcode scanner types the code and
// then Enter: in a form marked data-scan-order="ID ID ...", Enter in one of those fields moves
// to the next one instead of submitting half a check. After a refusal (the form is marked
// data-refused) the scanned fields are emptied, so the next attempt is scanned afresh, never
// sent again with the codes that were just refused. A static file: the Content-Security-Policy
// runs scripts from our own static files only (docs/operations.md).
document.addEventListener("keydown", function (event) {
  if (event.key !== "Enter") return;
  var form = event.target.closest("form[data-scan-order]");
  if (form === null) return;
  var order = form.dataset.scanOrder.split(" ");
  var at = order.indexOf(event.target.id);
  if (at < 0 || at === order.length - 1) return;
  event.preventDefault();
  document.getElementById(order[at + 1]).focus();
});

document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form[data-scan-order][data-refused]");
  if (form === null) return;
  var order = form.dataset.scanOrder.split(" ");
  order.forEach(function (id) {
    var field = document.getElementById(id);
    if (field !== null && field.tagName === "INPUT") field.value = "";
  });
  document.getElementById(order[0]).focus();
});
