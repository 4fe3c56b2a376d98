// The start page. The body outline: a tap ticks the nearest area in the list below (the list is
// the form's real control; parts of the outline are 10-20 px wide, so a tap within SNAP_PX of
// a part counts as that part's), and the outline shows what the list says, groups included.
// Minutes: a preset and the typed field clear each other. "Leave out" offers the poses of the
// routine chosen.
"use strict";

const SNAP_PX = 22; // half of a 44 px target beyond a part's own edge

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

function toggle(area) {
  const box = boxes.find((b) => b.value === area);
  if (!box) return;
  const group = boxes.find((b) => b.checked && (b.dataset.areas || "").split(" ").includes(box.value));
  if (group) {
    // Untapping part of a ticked group: the group gives way to its other areas.
    group.checked = false;
    for (const name of group.dataset.areas.split(" ")) {
      const other = boxes.find((b) => b.value === name);
      if (other) other.checked = name !== box.value;
    }
  } else {
    box.checked = !box.checked;
  }
  mark();
}

// The part tapped, or else the nearest within SNAP_PX of the tap.
function nearest(event) {
  const hit = event.target.closest && event.target.closest(".region");
  if (hit) return hit;
  let best = null;
  let least = SNAP_PX;
  for (const region of regions) {
    for (const shape of region.querySelectorAll(":scope > :not(title)")) {
      const box = shape.getBoundingClientRect();
      const dx = Math.max(box.left - event.clientX, 0, event.clientX - box.right);
      const dy = Math.max(box.top - event.clientY, 0, event.clientY - box.bottom);
      const distance = Math.hypot(dx, dy);
      if (distance < least) { least = distance; best = region; }
    }
  }
  return best;
}

const map = document.querySelector(".body-map");
if (map) {
  map.addEventListener("click", (event) => {
    const region = nearest(event);
    if (region) toggle(region.dataset.area);
  });
}
for (const box of boxes) box.addEventListener("change", mark);
mark();

const presets = [...document.querySelectorAll('.minutes input[type="radio"]')];
const typed = document.querySelector('.minutes input[type="number"]');
if (typed) {
  typed.addEventListener("input", () => { if (typed.value) for (const p of presets) p.checked = false; });
  for (const preset of presets) preset.addEventListener("change", () => { typed.value = ""; });
}

const leaveOut = document.querySelector('select[name="skip"]');
function offerPosesOf(routine) {
  for (const option of leaveOut.options) {
    const offered = option.dataset.routines.split(" ").includes(routine);
    option.hidden = !offered;
    if (!offered) option.selected = false; // a pose of another routine is not left out of this one
  }
}
if (leaveOut) {
  for (const radio of document.querySelectorAll('input[name="routine"]')) {
    radio.addEventListener("change", () => { if (radio.checked) offerPosesOf(radio.value); });
  }
}
