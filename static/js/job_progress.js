// The progress of a batch job (templates/includes/job_progress.html), progressive enhancement
// only: without this file the page's Refresh link does the same. It polls the job's status URL
// (`data-job-progress`: {"status", "status_display", "progress" 0..1, …}), moves the bar and
// reloads the page once the job is done or failed, to show its outcome.
(function () {
  "use strict";

  function follow(box) {
    if (box.dataset.finished === "1") return;
    const bar = box.querySelector("progress");
    const percent = box.querySelector("[data-job-percent]");
    const status = box.querySelector("[data-job-status]");
    const poll = () => {
      fetch(box.dataset.jobProgress, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then((response) => (response.ok ? response.json() : Promise.reject(response)))
        .then((data) => {
          const value = Math.round(data.progress * 100);
          bar.value = value;
          bar.textContent = value + " %";
          percent.textContent = value + " %";
          status.textContent = data.status_display;
          status.className = "status status-" + data.status;
          if (data.status === "done" || data.status === "failed") {
            window.location.reload();
          } else {
            window.setTimeout(poll, 1000);
          }
        })
        .catch(() => window.setTimeout(poll, 5000));
    };
    window.setTimeout(poll, 500);
  }

  document.querySelectorAll("[data-job-progress]").forEach(follow);
})();
