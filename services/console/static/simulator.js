// The simulator: a recent event picked from the list fills the event box (still editable).
document.addEventListener("change", (e) => {
  if (e.target.id !== "recent") return;
  const picked = e.target.selectedOptions[0];
  document.getElementById("event").value = JSON.stringify(JSON.parse(picked.dataset.event), null, 2);
});
