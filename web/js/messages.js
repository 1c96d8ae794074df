// API errors in words, in place; a Retry-After counted down to zero.
import { onLanguage, t } from "./i18n.js";

const KNOWN = new Set([400, 401, 404, 408, 409, 410, 413, 415, 422, 429, 503]);

/** The sentence a person reads for an ApiError, with `seconds` left to wait if any. */
export function describe(error, seconds = null) {
  const detail = error.detail || "";
  if (error.status === null || error.status === undefined) return t("error.unreachable");
  if (error.status === 422 && error.field) return t("error.422_field", { field: error.field, detail });
  if ((error.status === 503 || error.status === 429) && seconds !== null) {
    return t(`error.${error.status}_retry`, { detail, seconds });
  }
  if (KNOWN.has(error.status)) return t(`error.${error.status}`, { detail });
  return t("error.other", { status: error.status, detail });
}

export class ErrorBox {
  constructor(element) {
    this.element = element;
    this.timer = null;
    this.render = null; // writes the current message in the current language
    onLanguage(() => this.render?.());
  }

  show(error) {
    this.clear();
    if (!error.detail && error.message) error.detail = error.message;
    let seconds = error.retryAfter === null || error.retryAfter === undefined ? null : Math.ceil(error.retryAfter);
    const render = () => {
      this.element.textContent = describe(error, seconds);
    };
    this.render = render;
    render();
    this.element.hidden = false;
    if (seconds !== null) {
      this.timer = setInterval(() => {
        seconds -= 1;
        if (seconds <= 0) {
          clearInterval(this.timer);
          this.timer = null;
          seconds = 0;
        }
        render();
      }, 1000);
    }
  }

  /** A message of the page's own, by its key in the locale files. */
  text(key, vars = {}) {
    this.clear();
    this.render = () => {
      this.element.textContent = t(key, vars);
    };
    this.render();
    this.element.hidden = false;
  }

  clear() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.render = null;
    this.element.hidden = true;
    this.element.textContent = "";
  }
}
