// Starts ReDoc with the request's CSP nonce, which it puts on the <style> elements it injects
// (the policy allows no other inline style). The nonce is read from this script's own element:
// browsers hide it from attributes, but not from the property.
(function () {
  "use strict";
  const container = document.getElementById("redoc-container");
  const nonce = document.currentScript.nonce;
  Redoc.init(container.dataset.specUrl, { nonce: nonce }, container);
})();
