// The rule form shows what fits its choices: the fields of the kind of points chosen, the
// words of the kind of lines chosen, the conditions the event has (a hidden field is also
// disabled, so it is not sent); and, under "advanced", the condition the choices write.
(function () {
  const form = document.getElementById("rule-form");
  if (!form) return;
  const effect = document.getElementById("effect");
  const event = document.getElementById("event");
  const lines = document.getElementById("lines");
  const words = document.getElementById("lines_value");
  const shown = document.getElementById("generated-condition");
  const patterns = {
    if_tier: 'member.tier == "{}"',
    if_audience: 'member.in("{}")',
    if_category: '"{}" in purchase.categories',
    if_channel: 'purchase.channel == "{}"',
    if_activity: 'data.activity == "{}"',
    if_min_total: "purchase.total >= {}",
  };

  function toggle(element, hide) {
    element.hidden = hide;
    element.querySelectorAll("input, select").forEach(function (input) {
      input.disabled = hide;
    });
  }
  function update() {
    form.querySelectorAll("[data-for]").forEach(function (element) {
      toggle(element, element.dataset.for.split(" ").indexOf(effect.value) < 0);
    });
    if (event) {
      form.querySelectorAll("[data-event]").forEach(function (element) {
        toggle(element, element.dataset.event !== event.value);
      });
    }
    if (lines && words) {
      const kind = lines.value;
      words.querySelectorAll("optgroup").forEach(function (group) {
        group.hidden = group.dataset.kind !== kind;
      });
      const label = form.querySelector("label[for='lines_value']");
      const none = kind === "all" || kind === "sku";
      words.hidden = none;
      if (label) label.hidden = none;
      const picked = words.selectedOptions[0];
      if (picked && picked.parentElement.dataset && picked.parentElement.dataset.kind !== kind) {
        words.value = "";
      }
    }
    if (shown && !form.querySelector("input[name=hand_condition]")) {
      const parts = [];
      Object.keys(patterns).forEach(function (name) {
        const input = document.getElementById(name);
        if (input && !input.disabled && input.value.trim()) {
          parts.push(patterns[name].replace("{}", input.value.trim().replace(/["\\]/g, "")));
        }
      });
      shown.textContent = parts.length ? parts.join(" && ") : "true";
    }
  }
  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
})();
