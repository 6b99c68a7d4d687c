// Live progress of a solver run: polls the page's small JSON endpoint every second and moves to
// the run's result when it is finished. Without JavaScript the "Refresh" link does the same.
(function () {
  "use strict";
  var panel = document.getElementById("progress");
  if (!panel || !panel.dataset.progressUrl) { return; }
  var bar = document.getElementById("run-progress");
  var labelsHolder = document.getElementById("score-labels");
  var labels = labelsHolder ? labelsHolder.content.firstElementChild.dataset : {};

  function score(value) {
    if (!value) { return "\u2013"; }
    return [value.placed + " " + (labels.placed || "placed"),
            (labels.rank_cost || "rank cost") + " " + value.rank_cost,
            value.total_km + " " + (labels.total_km || "km")].join(", ");
  }

  function show(data) {
    bar.value = data.percent;
    bar.textContent = data.percent + " %";
    var fields = {
      state_label: data.state_label,
      phase: data.phase || "\u2013",
      objective: score(data.objective),
      bound: score(data.bound),
      elapsed_s: (data.elapsed_s || 0).toFixed(1)
    };
    Object.keys(fields).forEach(function (name) {
      var cell = panel.querySelector('[data-field="' + name + '"]');
      if (cell && cell.textContent !== fields[name]) { cell.textContent = fields[name]; }
    });
    panel.dataset.state = data.state;
  }

  function poll() {
    fetch(panel.dataset.progressUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      })
      .then(function (data) {
        show(data);
        if (data.finished && data.url) {
          window.location.assign(data.url);
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1000);
}());
