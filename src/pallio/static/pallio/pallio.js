// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  // Disable submit buttons once a form is sent so a double click sends one request
  // (the server is idempotent either way).
  document.querySelectorAll("form[data-once]").forEach((form) => {
    form.addEventListener("submit", () => {
      form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = true; });
    });
  });
  // Filter forms submit on change.
  document.querySelectorAll("form[data-autosubmit] select").forEach((select) => {
    select.addEventListener("change", () => select.form.requestSubmit());
  });
});
