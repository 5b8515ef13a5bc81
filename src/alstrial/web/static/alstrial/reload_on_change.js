// A select marked data-reload-with="NAME" reloads its page with ?NAME=<chosen value> when the
// choice changes (the adverse-event form loads the relatedness fields of the chosen subject's
// trial). A script file, not an inline onchange: the production Content-Security-Policy runs
// scripts from our own static files only (docs/operations.md).
document.addEventListener("change", function (event) {
  var select = event.target.closest("[data-reload-with]");
  if (select === null) return;
  window.location.search = select.dataset.reloadWith + "=" + encodeURIComponent(select.value);
});
