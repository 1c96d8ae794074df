// The access key: asked once when the service answers 401, checked before it is kept
// (sessionStorage: this tab only), said so when refused.
import { t } from "./i18n.js";

export function installKeyPrompt(api) {
  const dialog = document.getElementById("key-dialog");
  const form = document.getElementById("key-form");
  const input = document.getElementById("key-input");
  const error = document.getElementById("key-error");
  let pending = null; // resolves the promise of the open prompt
  let asking = null; // that promise, shared by every request refused meanwhile

  const refuse = () => {
    error.textContent = t("key.wrong");
    error.hidden = false;
    input.select();
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) return;
    if (!(await api.checkKey(key))) return refuse();
    api.key = key;
    dialog.close();
    settle(true);
  });
  dialog.addEventListener("cancel", () => settle(false));

  function settle(ok) {
    pending?.(ok);
    pending = null;
    asking = null;
  }

  api.onUnauthorized = () => {
    if (asking) return asking;
    const hadKey = Boolean(api.key);
    api.key = null;
    error.hidden = !hadKey;
    if (hadKey) error.textContent = t("key.wrong");
    input.value = "";
    dialog.showModal();
    input.focus();
    asking = new Promise((resolve) => {
      pending = resolve;
    });
    return asking;
  };
}
