// Draws the Plotly charts a page lists in its JSON block (no inline scripts: see the CSP).
document.addEventListener("DOMContentLoaded", function () {
  var block = document.getElementById("custseg-charts");
  if (!block || typeof Plotly === "undefined") { return; }
  JSON.parse(block.textContent).forEach(function (chart) {
    var element = document.getElementById(chart.id);
    if (element) {
      Plotly.newPlot(element, chart.data, chart.layout,
                     {displaylogo: false, responsive: true});
    }
  });
});
