// Segmentation pages, progressive enhancement only: typing values and Preview work
// without this file. It lets the admin drag the threshold lines of the scatter (which fills the
// inputs) and warns when the previewed values changed. (A job's progress: job_progress.js.)
(function () {
  "use strict";

  function format(value) {
    return Number(value).toLocaleString(undefined, { maximumFractionDigits: 2 });
  }

  // A rounding step for dragged values: about 1/200 of the axis, a 1-2-5 number.
  function step(max) {
    const raw = max / 200;
    const magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
    const m = [1, 2, 5, 10].find((k) => k * magnitude >= raw);
    return m * magnitude;
  }

  function roundTo(value, by) {
    const decimals = Math.max(0, -Math.floor(Math.log10(by)));
    return Number((Math.round(value / by) * by).toFixed(Math.min(decimals, 2)));
  }

  function scatter(svg) {
    const box = {
      left: Number(svg.dataset.left),
      top: Number(svg.dataset.top),
      w: Number(svg.dataset.plotW),
      h: Number(svg.dataset.plotH),
      xmax: Number(svg.dataset.xmax),
      ymax: Number(svg.dataset.ymax),
    };
    const hint = document.querySelector(".seg-drag-help");
    svg.querySelectorAll(".tline.proposed").forEach((group) => {
      const axis = group.dataset.axis;
      const input = document.getElementById(group.dataset.input);
      if (!input) return;
      const lines = group.querySelectorAll("line");
      const label = group.querySelector("text");
      const max = axis === "x" ? box.xmax : box.ymax;
      const by = step(max);
      if (hint) hint.hidden = false;

      function place(value) {
        const v = Math.min(Math.max(Number(value) || 0, 0), max);
        if (axis === "x") {
          const x = box.left + (v / max) * box.w;
          lines.forEach((l) => { l.setAttribute("x1", x); l.setAttribute("x2", x); });
          label.setAttribute("x", x);
        } else {
          const y = box.top + box.h - (v / max) * box.h;
          lines.forEach((l) => { l.setAttribute("y1", y); l.setAttribute("y2", y); });
          label.setAttribute("y", y);
        }
        label.textContent = "≥ " + format(value);
      }

      function valueAt(event) {
        const point = svg.createSVGPoint();
        point.x = event.clientX;
        point.y = event.clientY;
        const p = point.matrixTransform(svg.getScreenCTM().inverse());
        const ratio = axis === "x" ? (p.x - box.left) / box.w : (box.top + box.h - p.y) / box.h;
        return roundTo(Math.min(Math.max(ratio, 0), 1) * max, by);
      }

      group.addEventListener("pointerdown", (event) => {
        event.preventDefault();
        group.setPointerCapture(event.pointerId);
        group.classList.add("dragging");
      });
      group.addEventListener("pointermove", (event) => {
        if (!group.hasPointerCapture(event.pointerId)) return;
        const value = valueAt(event);
        input.value = value;
        place(value);
        input.dispatchEvent(new Event("input", { bubbles: true }));
      });
      const stop = (event) => {
        if (group.hasPointerCapture(event.pointerId)) group.releasePointerCapture(event.pointerId);
        group.classList.remove("dragging");
      };
      group.addEventListener("pointerup", stop);
      group.addEventListener("pointercancel", stop);
      input.addEventListener("input", (event) => {
        if (event.isTrusted && input.value !== "" && !Number.isNaN(Number(input.value))) {
          place(input.value);
        }
      });
    });
  }

  // The apply form sends the previewed values: say so when the inputs no longer match them.
  function staleness(preview) {
    const form = document.getElementById("seg-form");
    const stale = preview.querySelector(".seg-stale");
    const button = preview.querySelector("#seg-apply button[type=submit]");
    if (!form || !stale || !button) return;
    const same = (a, b) => a !== "" && Number(a) === Number(b);
    const check = () => {
      const changed =
        !same(form.elements.potential_min.value, preview.dataset.potential) ||
        !same(form.elements.support_min.value, preview.dataset.support);
      stale.hidden = !changed;
      button.disabled = changed;
    };
    form.addEventListener("input", check);
    check();
  }

  const svg = document.getElementById("seg-scatter");
  if (svg) scatter(svg);
  const preview = document.getElementById("preview");
  if (preview) staleness(preview);
})();
