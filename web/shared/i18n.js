// Spanish and English. The language comes from ?lang=, else the visitor's last choice, else the browser's;
// <html lang> follows it (screen readers and speech pick their voice from it). Elements name their text
// with data-i18n (text), data-i18n-label (aria-label) and data-i18n-placeholder.

import { COMMON } from "./messages.js";

const STORE = "turnero.lang";
export const LANGUAGES = ["es", "en"];
const NAMES = { es: "Español", en: "English" };

let messages = { es: {}, en: {} };
let current = "es";
const listeners = [];

function initial() {
  const asked = new URLSearchParams(location.search).get("lang");
  if (LANGUAGES.includes(asked)) return asked;
  let stored = null;
  try {
    stored = localStorage.getItem(STORE);
  } catch {
    stored = null;
  }
  if (LANGUAGES.includes(stored)) return stored;
  return (navigator.language || "es").toLowerCase().startsWith("en") ? "en" : "es";
}

export function initI18n(pageMessages) {
  for (const lang of LANGUAGES) messages[lang] = { ...COMMON[lang], ...pageMessages[lang] };
  current = initial();
  apply();
}

export function language() {
  return current;
}

export function t(key, params = {}) {
  const text = messages[current][key] ?? messages.es[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : `{${name}}`));
}

export function setLanguage(lang) {
  current = lang;
  try {
    localStorage.setItem(STORE, lang);
  } catch {
    // private browsing: the choice lasts for this page only
  }
  apply();
  for (const listener of listeners) listener(lang);
}

export function onLanguage(listener) {
  listeners.push(listener);
}

export function apply(root = document) {
  document.documentElement.lang = current;
  for (const element of root.querySelectorAll("[data-i18n]")) element.textContent = t(element.dataset.i18n);
  for (const element of root.querySelectorAll("[data-i18n-label]"))
    element.setAttribute("aria-label", t(element.dataset.i18nLabel));
  for (const element of root.querySelectorAll("[data-i18n-placeholder]"))
    element.setAttribute("placeholder", t(element.dataset.i18nPlaceholder));
  const title = document.documentElement.dataset.title;
  if (title) document.title = `${t(title)} · Turnero`;
  for (const toggle of root.querySelectorAll("[data-language-toggle]")) label(toggle);
}

function label(toggle) {
  const other = current === "es" ? "en" : "es";
  toggle.textContent = NAMES[other];
  toggle.lang = other; // the button's text is in the other language
  toggle.dataset.switchTo = other;
}

// Wires every [data-language-toggle] button on the page.
export function languageToggles() {
  for (const toggle of document.querySelectorAll("[data-language-toggle]")) {
    label(toggle);
    toggle.addEventListener("click", () => setLanguage(toggle.dataset.switchTo));
  }
}
