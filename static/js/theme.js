/*
 * Colour scheme choice, applied before first paint.
 *
 * Loaded without defer in <head>, so that a saved choice puts class
 * "light" or "dark" on <html> before the body renders (no flash of the
 * other palette). Without a saved choice nothing is set and the
 * stylesheet follows prefers-color-scheme. The header's toggle
 * (button[data-theme-toggle], wired in app.js) saves the choice under
 * localStorage "switchboard-theme".
 */
(function () {
  'use strict';
  var choice = null;
  try {
    choice = window.localStorage.getItem('switchboard-theme');
  } catch (e) {
    choice = null; // storage blocked: follow the system
  }
  if (choice === 'light' || choice === 'dark') {
    document.documentElement.classList.add(choice);
  }
})();
