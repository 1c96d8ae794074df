// The photo: a file, the camera, a drop or a paste; shown at once (HEIC by name only).
import { t, onLanguage } from "./i18n.js";

export function isHeic(file) {
  return /^image\/hei[cf]/.test(file.type) || /\.hei[cf]$/i.test(file.name);
}

export class PhotoPicker {
  constructor(onChange = () => {}) {
    this.file = null;
    this.url = null; // an object URL the browser can show, null for HEIC
    this.onChange = onChange;
    this.image = document.getElementById("photo-image");
    this.caption = document.getElementById("photo-caption");
    for (const id of ["photo-file", "photo-camera"]) {
      const input = document.getElementById(id);
      input.addEventListener("change", () => {
        if (input.files.length) this.set(input.files[0]);
      });
    }
    const drop = document.getElementById("photo-drop");
    drop.addEventListener("dragover", (event) => {
      event.preventDefault();
      drop.classList.add("over");
    });
    drop.addEventListener("dragleave", () => drop.classList.remove("over"));
    drop.addEventListener("drop", (event) => {
      event.preventDefault();
      drop.classList.remove("over");
      const file = event.dataTransfer.files[0];
      if (file) this.set(file);
    });
    document.addEventListener("paste", (event) => {
      const file = [...(event.clipboardData?.files || [])].find((f) => f.type.startsWith("image/"));
      if (file) this.set(file);
    });
    this.image.addEventListener("error", () => this.showName());
    onLanguage(() => this.render());
  }

  set(file) {
    if (this.url) URL.revokeObjectURL(this.url);
    this.file = file;
    this.url = isHeic(file) ? null : URL.createObjectURL(file);
    this.render();
    this.onChange(file);
  }

  render() {
    if (!this.file) return;
    if (this.url) {
      this.image.src = this.url;
      this.image.hidden = false;
      this.caption.textContent = this.file.name;
      this.caption.removeAttribute("data-i18n");
    } else {
      this.showName();
    }
  }

  showName() {
    this.image.hidden = true;
    this.caption.removeAttribute("data-i18n");
    this.caption.textContent = t("photo.heic", { name: this.file.name });
  }
}
