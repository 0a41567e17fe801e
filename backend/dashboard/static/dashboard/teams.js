// The header's team picker: choosing a team switches at once (the Switch button does it without scripts).
(function () {
  "use strict";
  var select = document.getElementById("team-select");
  if (!select) return;
  select.addEventListener("change", function () { select.form.submit(); });
})();
