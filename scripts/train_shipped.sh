#!/usr/bin/env bash
# Trains the checkpoints shipped in core/checkpoints/, resuming any that were cut short.
# Logs, samples and resumable states go to runs/; finished checkpoints are copied to
# core/checkpoints/. Needs data/photos (scripts/training_photos.sh) and, for adain and the
# transformer, data/styles (scripts/style_data.sh). docs/models.md lists
# what each checkpoint saw and how long it took.
#
#   bash scripts/train_shipped.sh [NAME ...]    # default: all of them, in this order
#   DEVICE=cuda bash scripts/train_shipped.sh   # the same runs on a GPU
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
PHOTOS=${PHOTOS:-data/photos}
STYLE_DIR=${STYLE_DIR:-data/styles}
DEVICE=${DEVICE:-auto}
mkdir -p runs core/checkpoints

PRESETS=(starry_night the_scream shipwreck woman_with_hat malevich_sportsmen fishing_boats
         dress zigzags)
ALL_PAINTINGS=()
for p in "${PRESETS[@]}"; do ALL_PAINTINGS+=("core/styles/$p.jpg"); done

declare -A RUNS=(
  # One network for the eight presets: a scale and shift per painting in every instance norm.
  [feedforward_base]="--method feedforward --style ${ALL_PAINTINGS[*]} --iterations 1600 --size 256 --width 24 --style-weight 3 --lr 2e-3 --lr-schedule cosine --clip-grad 1"
  # Then 600 steps more at a lower rate. (The shipped network's first 1600 steps saw the three
  # 256 px paintings at their pixel size, before training crops were scaled to the canvas;
  # these 600 steps taught it their strokes at the canvas scale.)
  [feedforward_canvas]="--method feedforward --style ${ALL_PAINTINGS[*]} --init-from runs/feedforward_base.pt --iterations 600 --size 256 --style-weight 3 --lr 1e-3 --lr-schedule cosine --clip-grad 1 --seed 1"
  # Malevich's scale and shift alone, 200 steps at style weight 5: every other preset stays
  # exactly as feedforward_canvas left it.
  [feedforward]="--method feedforward --style ${ALL_PAINTINGS[*]} --init-from runs/feedforward_canvas.pt --tune-only malevich_sportsmen --iterations 200 --size 256 --style-weight 5 --lr 2e-3 --lr-schedule cosine --clip-grad 1 --seed 2"
  # The same eight, sharpened by a patch discriminator (a head per painting), starting from
  # feedforward_canvas above.
  [gan]="--method gan --style ${ALL_PAINTINGS[*]} --init-from runs/feedforward_canvas.pt --iterations 300 --size 256 --style-weight 3 --lr 5e-4 --lr-schedule cosine --clip-grad 1"
  # adain: a decoder from VGG19's relu4_1 back to pixels. First on photos alone (every
  # sample its own painting: a reconstruction), then with the paintings of data/styles/
  # (scripts/style_data.sh) and the eight presets, a quarter of each batch still
  # reconstructing its photo (strength 0 stays a faithful copy).
  [adain_photos]="--method adain --reconstruct 1 --iterations 600 --size 256 --style-weight 1 --lr 3e-4"
  [adain_base]="--method adain --init-from runs/adain_photos.pt --style-dir $STYLE_DIR --style ${ALL_PAINTINGS[*]} --reconstruct 0.25 --iterations 800 --size 256 --style-weight 5 --lr 1e-4"
  # Then 2400 steps more at a higher rate decaying to 0, the style weighing more (the
  # 800 steps above left both losses falling; a second working session, warm-started from
  # the checkpoint the first one shipped).
  [adain]="--method adain --init-from runs/adain_base.pt --style-dir $STYLE_DIR --style ${ALL_PAINTINGS[*]} --reconstruct 0.25 --iterations 2400 --size 256 --style-weight 8 --lr 3e-4 --lr-schedule cosine --seed 1"
  # transformer: attention over VGG19 tokens with adain's decoder, the same data and weights.
  # The decoders of the coarse-to-fine passes that adain and the transformer run after their
  # relu4_1 pass (core/models/cascade.py): each learns to invert VGG19 at one level, on
  # photos and paintings, no style loss, 128 px crops. relu1_1's single convolution starts
  # at its least-squares solution and only needs a short polish with the feature loss.
  [inverter_relu1_1]="--method inverter --level relu1_1 --style-dir $STYLE_DIR --iterations 200 --size 128 --batch 8 --lr 1e-4 --lr-schedule cosine"
  [inverter_relu2_1]="--method inverter --level relu2_1 --style-dir $STYLE_DIR --iterations 1500 --size 128 --batch 8 --lr 1e-3 --lr-schedule cosine"
  [inverter_relu3_1]="--method inverter --level relu3_1 --style-dir $STYLE_DIR --iterations 2000 --size 128 --batch 8 --lr 1e-3 --lr-schedule cosine"
  [transformer]="--method transformer --init-from runs/adain.pt --style-dir $STYLE_DIR --style ${ALL_PAINTINGS[*]} --reconstruct 0.25 --iterations 600 --size 256 --style-weight 8 --lr 3e-4 --lr-schedule cosine --seed 1"
)
ORDER=(feedforward_base feedforward_canvas feedforward gan adain_photos adain_base adain transformer
       inverter_relu1_1 inverter_relu2_1 inverter_relu3_1)

for name in "${@:-${ORDER[@]}}"; do
  out=runs/$name.pt
  resume=()
  [ -f "$out.train" ] && resume=(--resume "$out.train")
  # The run's own arguments come last, so that they win (--seed).
  # shellcheck disable=SC2086  # the run's arguments are word-split on purpose
  $PY -m core.training.cli --batch 4 --seed 0 --device "$DEVICE" --checkpoint-every 50 \
      --sample-every 200 --quiet --content-dir "$PHOTOS" --out "$out" ${RUNS[$name]} \
      "${resume[@]}"
  # A run that only prepares another (*_base, *_canvas, *_photos) is not shipped.
  [[ $name == *_base || $name == *_canvas || $name == *_photos ]] || cp "$out" core/checkpoints/"$name".pt
  echo "$name done: $(tail -1 runs/$name.csv)"
done
