// django-celery-beat's periodic task form: shows the chosen crontab in words under the field.
// Its own template does this in an inline script, which the CSP refuses; this is the same as a
// file (templates/admin/djcelery/change_periodictask_form.html), writing text, not HTML.
(function ($) {
  "use strict";
  const script = document.currentScript;
  const readableCrontabs = JSON.parse(document.getElementById("readable-crontabs").textContent);
  const originalHelp = script.dataset.crontabHelp;

  function updateCrontabHelp(additional) {
    const help = $(".field-crontab .help");
    help.text(originalHelp);
    help.append(document.createElement("br"), document.createTextNode(`Translation: ${additional}`));
  }

  $(".field-crontab_translation").hide();
  $(".field-crontab").change(function () {
    updateCrontabHelp(readableCrontabs[$("#id_crontab").val()]);
  });
})(django.jQuery);
