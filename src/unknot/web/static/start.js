// The body outline on the start page: tapping a part ticks its area in the list below (the list
// is the form's real control), and the outline shows what the list says, groups included.
"use strict";

const boxes = [...document.querySelectorAll('input[name="tight"]')];
const regions = [...document.querySelectorAll(".body-map .region")];

function mark() {
  const on = new Set();
  for (const box of boxes.filter((b) => b.checked)) {
    on.add(box.value);
    for (const area of (box.dataset.areas || "").split(" ")) if (area) on.add(area);
  }
  for (const region of regions) region.classList.toggle("on", on.has(region.dataset.area));
}

for (const region of regions) {
  region.addEventListener("click", () => {
    const box = boxes.find((b) => b.value === region.dataset.area);
    if (!box) return;
    const group = boxes.find((b) => b.checked && (b.dataset.areas || "").split(" ").includes(box.value));
    if (group) {
      // Untapping part of a ticked group: the group gives way to its other areas.
      group.checked = false;
      for (const area of group.dataset.areas.split(" ")) {
        const other = boxes.find((b) => b.value === area);
        if (other) other.checked = area !== box.value;
      }
    } else {
      box.checked = !box.checked;
    }
    mark();
  });
}
for (const box of boxes) box.addEventListener("change", mark);
mark();
