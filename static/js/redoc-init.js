// Starts ReDoc under a CSP that allows no inline style. ReDoc injects <style> elements: some
// as its bundle loads (before any option can reach it), the rest through styled-components.
// Loaded before the bundle with the request's nonce, this file gives that nonce to every
// <style> element the page creates, then starts ReDoc with it. Browsers hide a script's nonce
// from its attribute, but not from the property.
// ReDoc also shows its maker's logo from a CDN; the docs are served offline and the policy
// allows images from this origin only, so an off-site image becomes an empty one instead.
(function () {
  "use strict";
  const nonce = document.currentScript.nonce;
  const EMPTY_IMAGE = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E";
  const offsite = (value) => {
    const url = new URL(String(value), document.baseURI);
    return url.protocol.startsWith("http") && url.origin !== window.location.origin;
  };
  const setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    const image = this instanceof HTMLImageElement && name.toLowerCase() === "src";
    return setAttribute.call(this, name, image && offsite(value) ? EMPTY_IMAGE : value);
  };
  const src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {
    ...src,
    set(value) {
      src.set.call(this, offsite(value) ? EMPTY_IMAGE : value);
    },
  });
  const createElement = Document.prototype.createElement;
  Document.prototype.createElement = function (...args) {
    const element = createElement.apply(this, args);
    if (element instanceof HTMLStyleElement) {
      element.nonce = nonce;
    }
    return element;
  };
  document.addEventListener("DOMContentLoaded", () => {
    const container = document.getElementById("redoc-container");
    Redoc.init(container.dataset.specUrl, { nonce: nonce }, container);
  });
})();
