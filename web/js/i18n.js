// Text in one JSON file per language (web/locales/), chosen by the browser, switchable.

const LANGUAGES = ["en", "ru"];
const CHOICE_STORAGE = "stylize.language";
let messages = {};
let current = "en";
const listeners = [];

export function browserLanguage() {
  const chosen = localStorage.getItem(CHOICE_STORAGE);
  if (LANGUAGES.includes(chosen)) return chosen;
  for (const tag of navigator.languages || [navigator.language]) {
    const base = (tag || "").toLowerCase().split("-")[0];
    if (LANGUAGES.includes(base)) return base;
  }
  return "en";
}

export async function setLanguage(language, { remember = false } = {}) {
  const response = await fetch(`/web/locales/${language}.json`);
  messages = await response.json();
  current = language;
  if (remember) localStorage.setItem(CHOICE_STORAGE, language);
  document.documentElement.lang = language;
  document.title = t("title");
  translate(document);
  for (const listener of listeners) listener(language);
}

export function language() {
  return current;
}

/** Called after every language change (parts of the screen with text built in code). */
export function onLanguage(listener) {
  listeners.push(listener);
}

/** The message `key` with `{name}` placeholders filled from `vars`. */
export function t(key, vars = {}) {
  const text = messages[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

/** Fill data-i18n (text), data-i18n-alt, data-i18n-label (aria-label) and data-i18n-placeholder. */
export function translate(root) {
  for (const element of root.querySelectorAll("[data-i18n]")) element.textContent = t(element.dataset.i18n);
  for (const element of root.querySelectorAll("[data-i18n-alt]")) element.alt = t(element.dataset.i18nAlt);
  for (const element of root.querySelectorAll("[data-i18n-label]")) {
    element.setAttribute("aria-label", t(element.dataset.i18nLabel));
  }
}
