/*
 * Switchboard client behaviour.
 *
 * The Content-Security-Policy is `script-src 'self'`, so there are no inline
 * scripts or on* attributes anywhere: every behaviour is declared with data-*
 * attributes and wired up here through event delegation on document, which
 * also covers content that htmx swaps in later.
 *
 *   <button type="button" data-copy="#id">Copy</button>
 *       Copies #id's value (form fields) or textContent to the clipboard;
 *       for a masked element (see below) its data-value, not the mask.
 *   <button type="button" data-toggle-secret="#id">Show</button>
 *       Toggles an <input> between type=password and type=text, or swaps
 *       another element's text between its data-masked and data-value.
 *   <meta name="csrf-token" content="...">
 *       Sent as the X-CSRF-Token header on every htmx request.
 *   <dialog data-confirm-dialog> … <a data-close-dialog>
 *       A confirmation htmx swapped in (into #dialog-slot) opens as a modal;
 *       its Cancel link (a real link to the detail page without
 *       JavaScript) closes it. Closing removes it.
 *   <button data-theme-toggle><span data-theme-label>
 *       Switches between the light and the dark palette and saves the
 *       choice in localStorage (static/js/theme.js applies it on load).
 *   Dialogs open with focus on their Cancel ([data-close-dialog]), so an
 *   Enter does not confirm an action that ends something.
 *   <form data-ld-form> … <div data-ld-field="key" data-ld-depends='[…]'>
 *       LaunchDarkly form variables with a dependsOn: shown or hidden (and
 *       their inputs disabled, so they are not sent) as the values they
 *       depend on change. The rules are the server's (integrations/
 *       ld_config.go, visibility); without JavaScript every field shows and
 *       the server drops the ones that do not apply.
 *
 * Plain ES2017, no build step.
 */
(function () {
  'use strict';

  var root = document.documentElement;
  root.classList.add('js');

  // A reveal carries a masked secret once, in a read-only field for use
  // without JavaScript; with it, the value moves into the masked box's
  // data-value (read by Show and Copy) and the field goes.
  function adoptRevealValues() {
    var plain = document.querySelectorAll('textarea[data-reveal-nojs]');
    for (var i = 0; i < plain.length; i++) {
      var box = document.querySelector(plain[i].getAttribute('data-reveal-nojs'));
      if (box) {
        box.setAttribute('data-value', plain[i].value);
      }
      plain[i].parentNode.removeChild(plain[i]);
    }
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', adoptRevealValues);
  } else {
    adoptRevealValues();
  }

  var COPIED_MS = 2000;

  function closest(el, selector) {
    while (el && el.nodeType !== 1) {
      el = el.parentNode;
    }
    return el && el.closest ? el.closest(selector) : null;
  }

  function findTarget(selector) {
    if (!selector) {
      return null;
    }
    try {
      return document.querySelector(selector);
    } catch (e) {
      return null;
    }
  }

  function isFormField(el) {
    var tag = el.tagName;
    return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT';
  }

  // ---- Copy to clipboard -------------------------------------------------

  function copyWithTextarea(text) {
    var ta = document.createElement('textarea');
    ta.value = text;
    ta.setAttribute('readonly', '');
    // Kept out of sight with a class rather than an inline style (the CSP
    // forbids those); it is removed again straight away.
    ta.setAttribute('aria-hidden', 'true');
    ta.setAttribute('tabindex', '-1');
    ta.className = 'sr-only';
    document.body.appendChild(ta);
    var ok = false;
    try {
      ta.select();
      ta.setSelectionRange(0, text.length);
      ok = document.execCommand('copy');
    } catch (e) {
      ok = false;
    }
    document.body.removeChild(ta);
    return ok ? Promise.resolve() : Promise.reject(new Error('copy failed'));
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () {
        return copyWithTextarea(text);
      });
    }
    return copyWithTextarea(text);
  }

  function flashButton(button, label) {
    if (!button.hasAttribute('data-copy-label')) {
      button.setAttribute('data-copy-label', button.textContent);
    }
    clearTimeout(button._switchboardCopyTimer);
    button.textContent = label;
    button._switchboardCopyTimer = setTimeout(function () {
      button.textContent = button.getAttribute('data-copy-label');
      button.removeAttribute('data-copy-label');
    }, COPIED_MS);
  }

  function onCopy(button) {
    var target = findTarget(button.getAttribute('data-copy'));
    if (!target) {
      return;
    }
    var text = isFormField(target) ? target.value : target.textContent;
    // A masked secret holds the real value in data-value.
    if (!isFormField(target) && target.hasAttribute('data-value')) {
      text = target.getAttribute('data-value');
    }
    copyText(text).then(
      function () {
        flashButton(button, 'Copied');
      },
      function () {
        flashButton(button, 'Copy failed');
      }
    );
  }

  // ---- Show / hide secrets -----------------------------------------------

  function onToggleSecret(button) {
    var target = findTarget(button.getAttribute('data-toggle-secret'));
    if (!target) {
      return;
    }
    var shown;
    if (target.tagName === 'INPUT') {
      shown = target.type === 'password';
      target.type = shown ? 'text' : 'password';
    } else {
      var masked = target.getAttribute('data-masked');
      var value = target.getAttribute('data-value');
      if (value === null) {
        return;
      }
      shown = target.textContent !== value;
      target.textContent = shown ? value : masked || '';
    }
    button.textContent = shown ? 'Hide' : 'Show';
    button.setAttribute('aria-pressed', shown ? 'true' : 'false');
  }

  document.addEventListener('click', function (event) {
    var button = closest(event.target, '[data-copy]');
    if (button) {
      event.preventDefault();
      onCopy(button);
      return;
    }
    button = closest(event.target, '[data-toggle-secret]');
    if (button) {
      event.preventDefault();
      onToggleSecret(button);
    }
  });

  // ---- Reveal pages never come back from the back/forward cache ----------
  //
  // A reveal is shown once. Cache-Control: no-store keeps it out of the HTTP
  // cache, but a browser may still restore the page from its back/forward
  // cache; blank the secrets when the page is left, and reload a restored
  // page, which the server answers with 410.

  window.addEventListener('pagehide', function () {
    var reveal = document.querySelector('[data-reveal]');
    if (!reveal) {
      return;
    }
    var boxes = reveal.querySelectorAll('.secret-box');
    for (var i = 0; i < boxes.length; i++) {
      boxes[i].textContent = '';
      boxes[i].removeAttribute('data-value');
    }
  });

  window.addEventListener('pageshow', function (event) {
    if (event.persisted && document.querySelector('[data-reveal]')) {
      window.location.reload();
    }
  });

  // ---- Confirmation dialogs ----------------------------------------------

  document.addEventListener('htmx:afterSwap', function (event) {
    var target = event.detail && event.detail.target;
    if (!target || !target.querySelector) {
      return;
    }
    var dialog = target.querySelector('dialog[data-confirm-dialog]');
    if (dialog && !dialog.open && dialog.showModal) {
      dialog.addEventListener('close', function () {
        if (dialog.parentNode) {
          dialog.parentNode.removeChild(dialog);
        }
      });
      dialog.showModal();
      var cancel = dialog.querySelector('[data-close-dialog]');
      if (cancel) {
        cancel.focus();
      }
    }
  });

  // ---- Error summary after a refused save -------------------------------
  //
  // A full page has the summary autofocused; a form that htmx re-rendered
  // gets the same here, so focus and scroll land on what went wrong.

  document.addEventListener('htmx:afterSettle', function (event) {
    var target = event.detail && event.detail.target;
    var summary = target && target.querySelector && target.querySelector('[data-error-summary]');
    if (summary) {
      summary.focus();
      summary.scrollIntoView({ block: 'center' });
    }
  });

  // ---- Colour scheme toggle ----------------------------------------------

  function darkNow() {
    if (root.classList.contains('dark')) {
      return true;
    }
    if (root.classList.contains('light')) {
      return false;
    }
    return !!(window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches);
  }

  function labelToggles() {
    var dark = darkNow();
    var toggles = document.querySelectorAll('[data-theme-toggle]');
    for (var i = 0; i < toggles.length; i++) {
      toggles[i].setAttribute('aria-pressed', dark ? 'true' : 'false');
      var label = toggles[i].querySelector('[data-theme-label]');
      if (label) {
        label.textContent = dark ? 'Light' : 'Dark';
      }
    }
  }

  document.addEventListener('click', function (event) {
    var toggle = closest(event.target, '[data-theme-toggle]');
    if (!toggle) {
      return;
    }
    var next = darkNow() ? 'light' : 'dark';
    root.classList.remove('light', 'dark');
    root.classList.add(next);
    try {
      window.localStorage.setItem('switchboard-theme', next);
    } catch (e) {
      // storage blocked: the choice lasts for this page only
    }
    labelToggles();
  });
  document.addEventListener('DOMContentLoaded', labelToggles);

  document.addEventListener('click', function (event) {
    var link = closest(event.target, '[data-close-dialog]');
    var dialog = link && closest(link, 'dialog[data-confirm-dialog]');
    if (dialog) {
      event.preventDefault();
      dialog.close();
    }
  });

  // ---- LaunchDarkly dependsOn --------------------------------------------

  // fieldValue is what the server compares conditions with: a checkbox as
  // "true"/"false", a multiselect as a list, anything else as its text.
  // A field that is itself hidden counts as empty.
  function fieldValue(form, key) {
    var wrap = form.querySelector('[data-ld-field="' + key + '"]');
    if (wrap && wrap.hasAttribute('data-ld-hidden')) {
      return '';
    }
    var inputs = form.querySelectorAll('[name="configValues.' + key + '"]');
    var list = null;
    var value = '';
    for (var i = 0; i < inputs.length; i++) {
      var el = inputs[i];
      if (el.type === 'hidden') {
        if (el.value === '') {
          list = list || [];
        }
        continue;
      }
      if (el.type === 'checkbox') {
        if (el.value === 'true' && inputs.length === 2) {
          value = el.checked ? 'true' : 'false';
        } else {
          list = list || [];
          if (el.checked) {
            list.push(el.value);
          }
        }
        continue;
      }
      value = (el.value || '').trim();
    }
    return list !== null ? list : value;
  }

  function conditionHolds(c, v) {
    if (Array.isArray(v)) {
      switch (c.operator) {
        case 'contains':
          return v.indexOf(c.value) >= 0;
        case 'equalTo':
          return v.join(',') === c.value;
        case 'notEqual':
          return v.join(',') !== c.value;
      }
      return false;
    }
    var s = String(v);
    switch (c.operator) {
      case 'equalTo':
        return s === c.value;
      case 'notEqual':
        return s !== c.value;
      case 'contains':
        return s.indexOf(c.value) >= 0;
      case 'startsWith':
        return s.indexOf(c.value) === 0;
      case 'endsWith':
        return s.length >= c.value.length && s.slice(s.length - c.value.length) === c.value;
    }
    var num = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;
    if (!num.test(s) || !num.test(c.value)) {
      return false;
    }
    var a = parseFloat(s);
    var b = parseFloat(c.value);
    switch (c.operator) {
      case 'lessThan':
        return a < b;
      case 'lessThanOrEqualTo':
        return a <= b;
      case 'greaterThan':
        return a > b;
      case 'greaterThanOrEqualTo':
        return a >= b;
    }
    return false;
  }

  function shown(form, wrap) {
    var deps;
    try {
      deps = JSON.parse(wrap.getAttribute('data-ld-depends') || '[]') || [];
    } catch (e) {
      return true;
    }
    for (var i = 0; i < deps.length; i++) {
      var d = deps[i];
      var v = fieldValue(form, d.variableKey);
      var holds = true;
      for (var j = 0; j < (d.conditions || []).length; j++) {
        holds = holds && conditionHolds(d.conditions[j], v);
      }
      if ((d.action === 'showField' && !holds) || (d.action === 'hideField' && holds)) {
        return false;
      }
    }
    return true;
  }

  function applyDepends(form) {
    var wraps = form.querySelectorAll('[data-ld-depends]');
    // Fields may depend on fields that depend on others: settle in a few passes.
    for (var pass = 0; pass < 3; pass++) {
      for (var i = 0; i < wraps.length; i++) {
        var wrap = wraps[i];
        if (!wrap.getAttribute('data-ld-depends')) {
          continue;
        }
        var show = shown(form, wrap);
        if (show) {
          wrap.removeAttribute('data-ld-hidden');
        } else {
          wrap.setAttribute('data-ld-hidden', '');
        }
        var inputs = wrap.querySelectorAll('input, select, textarea');
        for (var k = 0; k < inputs.length; k++) {
          inputs[k].disabled = !show;
        }
      }
    }
  }

  function applyAllDepends(root) {
    var forms = (root || document).querySelectorAll('[data-ld-form]');
    for (var i = 0; i < forms.length; i++) {
      applyDepends(forms[i]);
    }
  }

  document.addEventListener('change', function (event) {
    var form = closest(event.target, '[data-ld-form]');
    if (form) {
      applyDepends(form);
    }
  });
  document.addEventListener('input', function (event) {
    var form = closest(event.target, '[data-ld-form]');
    if (form) {
      applyDepends(form);
    }
  });
  document.addEventListener('DOMContentLoaded', function () {
    applyAllDepends(document);
  });
  document.addEventListener('htmx:afterSettle', function () {
    applyAllDepends(document);
  });

  // ---- CSRF token for htmx -----------------------------------------------

  document.addEventListener('htmx:configRequest', function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (!meta) {
      return;
    }
    var token = meta.getAttribute('content');
    if (token && event.detail && event.detail.headers) {
      event.detail.headers['X-CSRF-Token'] = token;
    }
  });
})();
