// The dashboard's charts, from the series the page carries (GET /v1/report/series).
(() => {
  const series = JSON.parse(document.getElementById("series").textContent);
  if (!window.Chart || !series.length) return;
  const labels = series.map((p) => p.from);
  const drivers = ["economic", "structural", "emotional"];
  const colours = { economic: "#0b5cad", structural: "#17663a", emotional: "#a3541b" };
  const chart = (id, type, datasets, stacked) =>
    new Chart(document.getElementById(id), {
      type,
      data: { labels, datasets },
      options: { animation: false, responsive: true, scales: { x: { stacked }, y: { stacked, beginAtZero: true } } },
    });
  chart("drivers", "bar", drivers.map((d) => ({ label: d, backgroundColor: colours[d], data: series.map((p) => p.points_by_driver[d] || 0) })), true);
  chart("buyers", "bar", [
    { label: "new", backgroundColor: "#0b5cad", data: series.map((p) => p.new_buyers) },
    { label: "returning", backgroundColor: "#17663a", data: series.map((p) => p.returning_buyers) },
  ], true);
  chart("redeemed", "line", [{ label: "points redeemed", borderColor: "#a3541b", data: series.map((p) => p.redeemed_points || 0) }], false);
})();
