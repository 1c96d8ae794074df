// The painting: presets from GET /styles (toggle buttons), the user's own files, and a blend
// weight for each once there are several.
import { t, onLanguage } from "./i18n.js";
import { isHeic } from "./photo.js";

export class Gallery {
  constructor(api, onChange = () => {}) {
    this.api = api;
    this.onChange = onChange;
    this.styles = [];
    this.thumbs = new Map(); // preset id -> Blob of its thumbnail
    this.chosen = []; // {key, name, preset?, file?, weight}
    this.grid = document.getElementById("gallery");
    this.list = document.getElementById("chosen");
    const own = document.getElementById("painting-file");
    own.addEventListener("change", () => {
      for (const file of own.files) this.add({ key: `file:${file.name}:${file.size}`, name: file.name, file });
      own.value = "";
    });
    onLanguage(() => this.renderChosen());
  }

  async load() {
    this.styles = await this.api.styles();
    this.grid.replaceChildren(...this.styles.map((style) => this.card(style)));
    await Promise.all(
      this.styles.map(async (style) => {
        try {
          const blob = await this.api.styleImage(style);
          this.thumbs.set(style.id, blob);
          this.grid.querySelector(`[data-preset="${style.id}"] img`).src = URL.createObjectURL(blob);
        } catch {
          // the title and painter still say what it is
        }
      }),
    );
  }

  card(style) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "preset";
    button.dataset.preset = style.id;
    button.setAttribute("aria-pressed", "false");
    const image = document.createElement("img");
    image.alt = "";
    const title = document.createElement("span");
    title.className = "title";
    title.textContent = style.title;
    const artist = document.createElement("span");
    artist.className = "artist";
    artist.textContent = [style.artist, style.year].filter(Boolean).join(", ");
    button.append(image, title, artist);
    button.addEventListener("click", () => this.toggle(style));
    return button;
  }

  toggle(style) {
    const key = `preset:${style.id}`;
    if (this.chosen.some((c) => c.key === key)) this.remove(key);
    else this.add({ key, name: style.title, preset: style });
  }

  add(item) {
    if (this.chosen.some((c) => c.key === item.key)) return;
    this.chosen.push({ weight: 1, ...item });
    this.changed();
  }

  remove(key) {
    this.chosen = this.chosen.filter((c) => c.key !== key);
    this.changed();
  }

  changed() {
    for (const button of this.grid.querySelectorAll(".preset")) {
      const pressed = this.chosen.some((c) => c.key === `preset:${button.dataset.preset}`);
      button.setAttribute("aria-pressed", String(pressed));
    }
    this.renderChosen();
    this.onChange(this.choice());
  }

  renderChosen() {
    const several = this.chosen.length > 1;
    this.list.replaceChildren(
      ...this.chosen.map((item, index) => {
        const row = document.createElement("li");
        const name = document.createElement("span");
        name.className = "name";
        name.textContent = item.name;
        row.append(name);
        if (several) {
          const weight = document.createElement("input");
          weight.type = "range";
          weight.min = "0.1";
          weight.max = "2";
          weight.step = "0.1";
          weight.value = String(item.weight);
          weight.id = `weight-${index}`;
          weight.setAttribute("aria-label", t("painting.weight", { name: item.name }));
          weight.addEventListener("input", () => {
            item.weight = Number(weight.value);
          });
          row.append(weight);
        }
        const remove = document.createElement("button");
        remove.type = "button";
        remove.className = "quiet";
        remove.textContent = "×";
        remove.setAttribute("aria-label", t("painting.remove", { name: item.name }));
        remove.addEventListener("click", () => this.remove(item.key));
        row.append(remove);
        if (item.file && isHeic(item.file)) row.classList.add("heic");
        return row;
      }),
    );
  }

  /** What the job sends: one preset by id, or style files (own ones, presets' thumbnails). */
  choice() {
    if (this.chosen.length === 0) return null;
    if (this.chosen.length === 1 && this.chosen[0].preset) {
      return { preset: this.chosen[0].preset.id, files: [], weights: [] };
    }
    const files = this.chosen.map((c) =>
      c.file ?? new File([this.thumbs.get(c.preset.id) ?? new Blob()], `${c.preset.id}.jpg`, { type: "image/jpeg" }),
    );
    return { preset: null, files, weights: this.chosen.map((c) => c.weight) };
  }
}
