// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  // A form sent once ignores further submits (a double click sends one request; the
  // server is idempotent either way). Buttons stay enabled so the pressed button's
  // name and value are still sent.
  document.querySelectorAll("form[data-once]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (form.dataset.sent) {
        event.preventDefault();
        return;
      }
      form.dataset.sent = "1";
      form.setAttribute("aria-busy", "true");
    });
  });
  // Filter forms submit on change.
  document.querySelectorAll("form[data-autosubmit] select").forEach((select) => {
    select.addEventListener("change", () => select.form.requestSubmit());
  });
});
