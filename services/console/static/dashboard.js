// The dashboard's charts, from the series the page carries (GET /v1/report/series).
(() => {
  const series = JSON.parse(document.getElementById("series").textContent);
  const measures = JSON.parse(document.getElementById("measures").textContent);
  if (!window.Chart) return;
  // The seeds' measures of loyalty (GET /v1/report's "loyalty"), for the period.
  const plain = { animation: false, responsive: true, plugins: { legend: { display: false } } };
  if (measures.nps) {
    const nps = measures.nps;
    new Chart(document.getElementById("nps"), {
      type: "bar",
      data: { labels: ["detractors (0-6)", "passives (7-8)", "promoters (9-10)"],
        datasets: [{ data: [nps.detractors, nps.passives, nps.promoters], backgroundColor: ["#a3141b", "#6b7280", "#17663a"] }] },
      options: { ...plain, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
    const breadth = measures.category_breadth;
    new Chart(document.getElementById("breadth"), {
      type: "bar",
      data: { labels: ["1 category", "2 categories", "3 or more"],
        datasets: [{ data: [breadth["1"], breadth["2"], breadth["3+"]], backgroundColor: "#0b5cad" }] },
      options: { ...plain, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
    const engagement = measures.engagement;
    new Chart(document.getElementById("engagement"), {
      type: "doughnut",
      data: { labels: ["did more than buy", "only bought"],
        datasets: [{ data: [engagement.engaged_members, engagement.active_members - engagement.engaged_members], backgroundColor: ["#17663a", "#d5d9e2"] }] },
      options: { animation: false, responsive: true, aspectRatio: 2 },
    });
  }
  if (!series.length) return;
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
  // Seed 004: repeat purchase as a share. The line is the returning buyers' share of each
  // period's buyers; the tooltip gives the counts behind it.
  new Chart(document.getElementById("buyers"), {
    type: "line",
    data: {
      labels,
      datasets: [{ label: "returning buyers, share of buyers", borderColor: "#17663a", backgroundColor: "#17663a",
        // a period without buyers has no share: a gap, not 0%
        data: series.map((p) => (p.new_buyers + p.returning_buyers ? Math.round(1000 * p.returning_share) / 10 : null)) }],
    },
    options: {
      animation: false, responsive: true,
      scales: { y: { min: 0, max: 100, ticks: { callback: (v) => `${v}%` } } },
      plugins: { tooltip: { callbacks: { label: (item) => {
        const p = series[item.dataIndex];
        return `${item.parsed.y}% returning (${p.returning_buyers} returning, ${p.new_buyers} new)`;
      } } } },
    },
  });
  chart("redeemed", "line", [{ label: "points redeemed", borderColor: "#a3541b", data: series.map((p) => p.redeemed_points || 0) }], false);
})();
