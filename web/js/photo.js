// The photo (or a clip: a video or GIF): a file, the camera, a drop or a paste; shown at once
// (HEIC by name only).
import { t, onLanguage } from "./i18n.js";

export function isHeic(file) {
  return /^image\/hei[cf]/.test(file.type) || /\.hei[cf]$/i.test(file.name);
}

/** A video or GIF animation: the service paints it frame by frame (it tells by content). */
export function isClip(file) {
  return (
    file.type.startsWith("video/") ||
    file.type === "image/gif" ||
    /\.(mp4|m4v|mov|webm|mkv|gif)$/i.test(file.name)
  );
}

export class PhotoPicker {
  constructor(onChange = () => {}) {
    this.file = null;
    this.url = null; // an object URL the browser can show, null for HEIC
    this.clip = false;
    this.onChange = onChange;
    this.image = document.getElementById("photo-image");
    this.video = document.getElementById("photo-video");
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
      const files = [...(event.clipboardData?.files || [])];
      const file = files.find((f) => f.type.startsWith("image/") || f.type.startsWith("video/"));
      if (file) this.set(file);
    });
    this.image.addEventListener("error", () => this.showName());
    onLanguage(() => this.render());
  }

  set(file) {
    if (this.url) URL.revokeObjectURL(this.url);
    this.file = file;
    this.clip = isClip(file);
    this.url = isHeic(file) ? null : URL.createObjectURL(file);
    this.render();
    this.onChange(file);
  }

  render() {
    if (!this.file) return;
    const video = this.clip && !/gif$/i.test(this.file.type || this.file.name);
    this.video.hidden = !video;
    if (video) {
      this.image.hidden = true;
      this.video.src = this.url;
      this.caption.textContent = t("photo.clip", { name: this.file.name });
      this.caption.removeAttribute("data-i18n");
    } else if (this.url) {
      this.video.removeAttribute("src");
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
