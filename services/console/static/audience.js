// The audience builder: a picked fact, an operator and a value become one more condition.
(function () {
  const form = document.getElementById("audience-form");
  if (!form) return;
  const condition = document.getElementById("condition");
  const fact = document.getElementById("fact");
  const op = document.getElementById("op");
  const value = document.getElementById("value");
  // A list fact (categories, audiences) is "includes" or not; a text one "is" or "is not".
  const operators = {
    number: [[">=", "at least"], ["<=", "at most"], ["==", "exactly"], ["!=", "not"], [">", "more than"], ["<", "less than"]],
    text: [["==", "is"], ["!=", "is not"]],
    list: [["==", "includes"], ["!=", "does not include"]],
  };
  function operatorsFor() {
    const kind = fact.options[fact.selectedIndex].dataset.kind;
    op.innerHTML = "";
    operators[kind].forEach(function (pair) {
      const option = document.createElement("option");
      option.value = pair[0];
      option.textContent = pair[1];
      op.appendChild(option);
    });
    value.placeholder = kind === "number" ? "60" : kind === "list" ? "bakery" : "gold";
  }
  fact.addEventListener("change", operatorsFor);
  operatorsFor();
  function changed() {
    condition.dispatchEvent(new Event("change", { bubbles: true }));
  }
  function quoted(text) {
    return JSON.stringify(text);
  }
  document.getElementById("add-condition").addEventListener("click", function () {
    const picked = fact.options[fact.selectedIndex];
    const kind = picked.dataset.kind;
    const raw = value.value.trim();
    if (!raw) { value.focus(); return; }
    let part;
    if (kind === "list") {
      part = (op.value === "!=" ? "!(" : "(") + quoted(raw) + " in " + picked.value + ")";
    } else if (kind === "text") {
      part = picked.value + (op.value === "!=" ? " != " : " == ") + quoted(raw);
    } else {
      const number = raw.replace(",", ".");
      if (!/^-?\d+(\.\d+)?$/.test(number)) { value.setCustomValidity("A number, please"); value.reportValidity(); return; }
      value.setCustomValidity("");
      part = picked.value + " " + op.value + " " + number;
    }
    condition.value = condition.value.trim() ? condition.value.trim() + " && " + part : part;
    value.value = "";
    changed();
  });
  form.querySelectorAll("button[data-condition]").forEach(function (button) {
    button.addEventListener("click", function () {
      condition.value = button.dataset.condition;
      const name = document.getElementById("name");
      if (!name.value) name.value = button.dataset.name;
      const description = document.getElementById("description");
      if (!description.value) description.value = button.dataset.description;
      changed();
    });
  });
})();
