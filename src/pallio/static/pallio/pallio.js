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
  // A tapped 0–10 scale (assessments/_scale_field.html) can be cleared again: a chosen radio
  // button cannot be unchosen by itself, and an unanswered item must be able to stay so.
  document.querySelectorAll("[data-scale]").forEach((scale) => {
    const clear = scale.querySelector("[data-scale-clear]");
    if (!clear) return;
    const radios = scale.querySelectorAll("input[type=radio]");
    const show = () => {
      clear.hidden = !Array.from(radios).some((radio) => radio.checked);
    };
    radios.forEach((radio) => radio.addEventListener("change", show));
    clear.addEventListener("click", () => {
      radios.forEach((radio) => {
        radio.checked = false;
      });
      show();
      radios[0].focus();
    });
    show();
  });
  // The accept form's team picker (referrals/_team_picker.html): a filter by name or
  // discipline; a chosen person stays listed, and a discipline with no one left is hidden.
  document.querySelectorAll("[data-team-picker]").forEach((picker) => {
    const box = picker.querySelector("[data-team-filter-box]");
    const input = picker.querySelector("[data-team-filter]");
    const status = picker.querySelector("[data-team-filter-status]");
    if (!box || !input) return;
    box.hidden = false;
    input.addEventListener("input", () => {
      const words = input.value.trim().toLowerCase();
      let shown = 0;
      picker.querySelectorAll("[data-team-group]").forEach((group) => {
        const discipline = group.querySelector("legend").textContent.toLowerCase();
        let any = false;
        group.querySelectorAll("[data-team-person]").forEach((person) => {
          const text = `${discipline} ${person.textContent.toLowerCase()}`;
          const checked = person.querySelector("input").checked;
          const match = !words || checked || text.includes(words);
          person.hidden = !match;
          if (match) {
            any = true;
            shown += 1;
          }
        });
        group.hidden = !any;
      });
      status.textContent = words ? `${shown} shown` : "";
    });
  });
  // The main menu (base.html) works as plain <details>; this adds what menus are expected to
  // do: on a wide screen it is always open, one group opens at a time, Escape closes the
  // open group (or the phone menu) and returns to its button, a click elsewhere closes it.
  const menu = document.querySelector("[data-nav-menu]");
  if (menu) {
    const wide = window.matchMedia("(min-width: 992px)");
    const fit = () => {
      menu.open = wide.matches;
    };
    fit();
    wide.addEventListener("change", fit);
    const groups = menu.querySelectorAll("[data-nav-group]");
    groups.forEach((group) => {
      group.addEventListener("toggle", () => {
        if (group.open) {
          groups.forEach((other) => {
            if (other !== group) other.open = false;
          });
        }
      });
    });
    document.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      const open = Array.from(groups).find((group) => group.open);
      if (open) {
        open.open = false;
        open.querySelector("summary").focus();
      } else if (menu.open && !wide.matches && menu.contains(document.activeElement)) {
        menu.open = false;
        menu.querySelector("summary").focus();
      }
    });
    document.addEventListener("click", (event) => {
      groups.forEach((group) => {
        if (group.open && !group.contains(event.target)) group.open = false;
      });
      if (menu.open && !wide.matches && !menu.contains(event.target)) menu.open = false;
    });
  }
});
