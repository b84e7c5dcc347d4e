/** @type {import('tailwindcss').Config} */
const colors = require('tailwindcss/colors');

module.exports = {
  // The dark palette follows prefers-color-scheme (with or without
  // JavaScript) unless the header's toggle saved a choice: then
  // static/js/theme.js puts class "light" or "dark" on <html> before
  // first paint, and that class wins.
  darkMode: [
    'variant',
    [
      '@media (prefers-color-scheme: dark) { &:not(.light, .light *) }',
      '&:is(.dark, .dark *)',
    ],
  ],
  content: [
    './views/**/*.templ',
    './views/**/*.go',
    './static/js/**/*.js',
    '!./static/js/htmx.min.js', // vendored; only adds stray utilities
  ],
  // The component vocabulary from static/css/input.css is always emitted,
  // so Go code may pick a class at run time (e.g. "badge-" + colour) and
  // the stylesheet does not depend on which templates exist yet.
  safelist: [
    'btn', 'btn-primary', 'btn-secondary', 'btn-danger', 'btn-sm',
    'input', 'input-error', 'label', 'hint', 'field-error',
    'card', 'card-body', 'page-title', 'page-subtitle', 'table',
    'badge', 'badge-green', 'badge-gray', 'badge-red', 'badge-amber', 'badge-blue',
    'flash', 'flash-success', 'flash-error', 'flash-info',
    'empty-state', 'nav-link', 'nav-link-active', 'secret-box',
  ],
  theme: {
    extend: {
      colors: {
        brand: colors.indigo,
      },
      fontFamily: {
        sans: [
          'Inter',
          'ui-sans-serif',
          'system-ui',
          '-apple-system',
          'Segoe UI',
          'Roboto',
          'Helvetica Neue',
          'Arial',
          'sans-serif',
        ],
        mono: [
          'ui-monospace',
          'SFMono-Regular',
          'Menlo',
          'Monaco',
          'Consolas',
          'Liberation Mono',
          'monospace',
        ],
      },
    },
  },
  plugins: [require('@tailwindcss/forms')],
};
