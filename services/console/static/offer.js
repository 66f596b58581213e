// The offer form shows the fields of the benefit chosen: points and "per" for points per
// amount (with the lines), points for fixed points, the multiple for a multiplier.
(function () {
  const benefit = document.getElementById("benefit");
  if (!benefit) return;
  const shown = {
    per_amount: ["points", "per", "lines", "lines_value"],
    fixed: ["points"],
    multiplier: ["factor"],
    reward_price: ["points", "reward_id"],
  };
  const all = ["points", "per", "factor", "lines", "lines_value", "reward_id"];
  function update() {
    all.forEach(function (id) {
      const input = document.getElementById(id);
      const label = document.querySelector("label[for='" + id + "']");
      const hide = shown[benefit.value].indexOf(id) < 0;
      input.hidden = hide;
      if (label) label.hidden = hide;
    });
  }
  benefit.addEventListener("change", update);
  update();
})();
