// haboob console: the little script there is (loaded from /static, so the
// Content-Security-Policy needs no 'unsafe-inline').
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // Filter selects apply on change.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (s) {
    s.addEventListener("change", function () { s.form.submit(); });
  });
  // Closing a campaign asks first.
  document.querySelectorAll("form.status-form").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      var st = f.querySelector("input[name=status]");
      if (st && st.value === "closed" && !window.confirm("Close this campaign?")) {
        e.preventDefault();
      }
    });
  });
});
