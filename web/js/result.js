// The result: a before/after slider or side by side, PNG and JPEG downloads, and the
// follow-up runs (Full quality, Again, Stronger, Weaker). A clip plays beside its original
// and downloads as the file the service made (MP4 or GIF).
import { t } from "./i18n.js";

export class ResultView {
  constructor(actions) {
    this.section = document.getElementById("result");
    this.compare = document.getElementById("compare");
    this.side = document.getElementById("side");
    this.split = document.getElementById("split");
    this.png = document.getElementById("download-png");
    this.jpeg = document.getElementById("download-jpeg");
    this.fullQuality = document.getElementById("full-quality");
    this.clipLink = document.getElementById("download-clip");
    this.compareTab = document.getElementById("view-compare");
    this.sideTab = document.getElementById("view-side");
    this.urls = [];
    this.split.addEventListener("input", () => this.setSplit());
    this.setSplit();
    const views = { "view-compare": this.compare, "view-side": this.side };
    for (const [id, view] of Object.entries(views)) {
      document.getElementById(id).addEventListener("click", () => {
        for (const [other, otherView] of Object.entries(views)) {
          document.getElementById(other).setAttribute("aria-pressed", String(other === id));
          otherView.hidden = otherView !== view;
        }
      });
    }
    for (const [id, action] of Object.entries(actions)) {
      document.getElementById(id).addEventListener("click", action);
    }
  }

  setSplit() {
    this.compare.style.setProperty("--split", `${this.split.value}%`);
  }

  /** Shows `blob` (the job's PNG) against the photo; `photoUrl` null for a HEIC photo. */
  async show(photoUrl, blob, job, { fullQuality = false, photoFile = null } = {}) {
    for (const url of this.urls) URL.revokeObjectURL(url);
    const url = URL.createObjectURL(blob);
    this.urls = [url];
    const clip = job.kind === "clip";
    this.showKind(clip);
    if (clip) return this.showClip(photoUrl, url, blob, job, photoFile);
    for (const id of ["after", "side-after"]) document.getElementById(id).src = url;
    for (const id of ["before", "side-before"]) {
      const image = document.getElementById(id);
      image.hidden = !photoUrl;
      if (photoUrl) image.src = photoUrl;
      else image.removeAttribute("src");
    }
    // A HEIC photo cannot be shown here: the result stands alone, with nothing to compare.
    this.compare.classList.toggle("alone", !photoUrl);
    this.png.href = url;
    this.png.download = `stylize-${job.id}.png`;
    this.jpeg.removeAttribute("href");
    this.fullQuality.hidden = !fullQuality;
    this.section.hidden = false;
    const jpeg = await toJpeg(url);
    const jpegUrl = URL.createObjectURL(jpeg);
    this.urls.push(jpegUrl);
    this.jpeg.href = jpegUrl;
    this.jpeg.download = `stylize-${job.id}.jpg`;
  }

  /** Pictures get both views and PNG/JPEG; clips play side by side with one download. */
  showKind(clip) {
    this.compareTab.hidden = this.sideTab.hidden = clip; // a clip plays side by side only
    this.png.hidden = this.jpeg.hidden = clip;
    this.clipLink.hidden = !clip;
    for (const id of ["side-before", "side-after"]) document.getElementById(id).hidden = clip;
    for (const id of ["side-before-video", "side-after-video"]) document.getElementById(id).hidden = true;
    if (clip || this.sideTab.getAttribute("aria-pressed") !== "true") {
      this.compare.hidden = clip;
      this.side.hidden = !clip;
      this.compareTab.setAttribute("aria-pressed", String(!clip));
      this.sideTab.setAttribute("aria-pressed", String(clip));
    }
  }

  showClip(photoUrl, url, blob, job, photoFile) {
    const gif = blob.type === "image/gif";
    const sourceGif = photoFile !== null && /gif$/i.test(photoFile.type || photoFile.name);
    // A GIF plays in an <img>, a video in a <video>: before and after each in its own.
    const place = (imageId, videoId, src, isGif) => {
      const image = document.getElementById(imageId);
      const video = document.getElementById(videoId);
      image.hidden = !isGif;
      video.hidden = isGif;
      if (isGif) image.src = src;
      else video.src = src;
    };
    if (photoUrl) place("side-before", "side-before-video", photoUrl, sourceGif);
    place("side-after", "side-after-video", url, gif);
    const extension = gif ? "gif" : "mp4";
    this.clipLink.href = url;
    this.clipLink.download = `stylize-${job.id}.${extension}`;
    this.clipLink.textContent = t(gif ? "result.download_gif" : "result.download_mp4");
    this.fullQuality.hidden = true; // Gatys takes minutes a frame
    this.section.hidden = false;
  }
}

async function toJpeg(url) {
  const image = new Image();
  image.src = url;
  await image.decode();
  const canvas = document.createElement("canvas");
  canvas.width = image.naturalWidth;
  canvas.height = image.naturalHeight;
  canvas.getContext("2d").drawImage(image, 0, 0);
  return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.92));
}
