// The settings: method (from GET /methods, marked instant / any painting), quality,
// strength, colours, size; for a clip the steadiness (temporal) too.
import { t, onLanguage } from "./i18n.js";

export class Controls {
  constructor() {
    this.methods = [];
    this.choice = null;
    this.method = document.getElementById("method");
    this.quality = document.getElementById("quality");
    this.strength = document.getElementById("strength");
    this.strengthValue = document.getElementById("strength-value");
    this.size = document.getElementById("size");
    this.keepColours = document.getElementById("keep-colours");
    this.temporal = document.getElementById("temporal");
    this.temporalValue = document.getElementById("temporal-value");
    this.clip = false;
    this.strength.addEventListener("input", () => this.showStrength());
    this.temporal.addEventListener("input", () => {
      this.temporalValue.textContent = Number(this.temporal.value).toFixed(2);
    });
    onLanguage(() => this.renderMethods());
  }

  setMethods(methods) {
    this.methods = methods;
    this.renderMethods();
  }

  /** Which methods suit this painting choice: a preset's own, or those that take any. */
  setChoice(choice) {
    this.choice = choice;
    this.renderMethods();
  }

  /** A clip is painted by the one-pass methods only; the steadiness shows for clips. */
  setClip(clip) {
    this.clip = clip;
    for (const element of document.querySelectorAll(".clip-only")) element.hidden = !clip;
    this.renderMethods();
  }

  usable(method) {
    if (this.clip && !method.clips) return false;
    if (!this.choice) return true;
    return this.choice.preset ? method.presets.includes(this.choice.preset) : method.any_painting;
  }

  renderMethods() {
    const selected = this.method.value || "gatys";
    this.method.replaceChildren(
      ...this.methods.map((method) => {
        const option = document.createElement("option");
        option.value = method.id;
        const name = t(`controls.method_${method.id}`);
        const marks = [
          method.one_pass ? t("controls.instant") : null,
          method.any_painting ? t("controls.any_painting") : t("controls.presets_only"),
          this.usable(method) ? null : t("controls.not_for_choice"),
        ].filter(Boolean);
        option.textContent = [name.startsWith("controls.") ? method.id : name, ...marks].join(" · ");
        option.disabled = !this.usable(method);
        return option;
      }),
    );
    const keep = this.methods.find((m) => m.id === selected && this.usable(m));
    const fallback = this.methods.find((m) => this.usable(m));
    this.method.value = (keep ?? fallback ?? { id: "" }).id;
  }

  showStrength() {
    this.strengthValue.textContent = Number(this.strength.value).toFixed(1);
  }

  setStrength(value) {
    const clamped = Math.min(Number(this.strength.max), Math.max(Number(this.strength.min), value));
    this.strength.value = String(Math.round(clamped * 10) / 10);
    this.showStrength();
  }

  selectedMethod() {
    return this.methods.find((m) => m.id === this.method.value) ?? null;
  }

  values() {
    return {
      method: this.selectedMethod(),
      quality: this.quality.value,
      strength: Number(this.strength.value),
      size: this.size.value,
      keepColours: this.keepColours.checked,
      clip: this.clip,
      temporal: Number(this.temporal.value),
    };
  }
}

/** The multipart form of a job: only the fields the method reads (others get a 422). */
export function jobForm(photo, choice, values, { init = null, method = values.method } = {}) {
  const form = new FormData();
  const takes = new Set(method.options);
  form.append("content", photo);
  form.append("method", method.id);
  if (choice.preset) form.append("preset", choice.preset);
  for (const file of choice.files) form.append("style", file);
  if (choice.files.length > 1 && takes.has("style_blend")) form.append("style_blend", choice.weights.join(","));
  if (takes.has("quality")) form.append("quality", values.quality);
  if (takes.has("strength")) form.append("strength", String(values.strength));
  if (takes.has("size") && values.size) form.append("size", values.size);
  if (takes.has("preserve_color") && values.keepColours) form.append("preserve_color", "luminance");
  // A clip comes back as the kind it is (MP4, or GIF for a GIF); a photo as a lossless PNG.
  if (takes.has("format") && !values.clip) form.append("format", "png");
  if (takes.has("temporal") && values.clip) form.append("temporal", String(values.temporal));
  if (init && takes.has("init")) form.append("init", init);
  return form;
}
