// The result: a before/after slider or side by side, PNG and JPEG downloads, and the
// follow-up runs (Full quality, Again, Stronger, Weaker).

export class ResultView {
  constructor(actions) {
    this.section = document.getElementById("result");
    this.compare = document.getElementById("compare");
    this.side = document.getElementById("side");
    this.split = document.getElementById("split");
    this.png = document.getElementById("download-png");
    this.jpeg = document.getElementById("download-jpeg");
    this.fullQuality = document.getElementById("full-quality");
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
  async show(photoUrl, blob, job, { fullQuality = false } = {}) {
    for (const url of this.urls) URL.revokeObjectURL(url);
    const url = URL.createObjectURL(blob);
    this.urls = [url];
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
