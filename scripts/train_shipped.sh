#!/usr/bin/env bash
# Trains the checkpoints shipped in core/checkpoints/, resuming any that were cut short.
# Logs, samples and resumable states go to runs/; finished checkpoints are copied to
# core/checkpoints/. Needs data/photos (scripts/training_photos.sh). docs/models.md lists
# what each checkpoint saw and how long it took.
#
#   bash scripts/train_shipped.sh [NAME ...]    # default: all of them, in this order
#   DEVICE=cuda bash scripts/train_shipped.sh   # the same runs on a GPU
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
PHOTOS=${PHOTOS:-data/photos}
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
  # One network that reads the painting as an input, over the same eight, at 256 px. It starts
  # from the earlier three-painting network trained at 128 px (transformer_128, the entry below),
  # whose weights do not depend on which paintings it saw.
  [transformer_128]="--method transformer --style core/styles/starry_night.jpg core/styles/the_scream.jpg core/styles/woman_with_hat.jpg --iterations 600 --size 128 --style-weight 2 --lr 1e-3 --clip-grad 1 --lr-schedule cosine"
  [transformer_base]="--method transformer --style ${ALL_PAINTINGS[*]} --init-from runs/transformer_128.pt --iterations 1000 --size 256 --style-weight 3 --lr 2e-4 --clip-grad 1 --lr-schedule cosine"
  # 500 steps more at half the rate, with the paintings at the canvas scale (as above).
  [transformer_canvas]="--method transformer --style ${ALL_PAINTINGS[*]} --init-from runs/transformer_base.pt --iterations 500 --size 256 --style-weight 3 --lr 1e-4 --clip-grad 1 --lr-schedule cosine --seed 1"
  # 300 steps more with a heavier style weight for the two paintings it painted least.
  [transformer]="--method transformer --style ${ALL_PAINTINGS[*]} --init-from runs/transformer_canvas.pt --iterations 300 --size 256 --style-weight 3 3 3 3 8 3 3 4 --lr 1e-4 --clip-grad 1 --lr-schedule cosine --seed 2"
)
ORDER=(feedforward_base feedforward_canvas feedforward gan transformer_128 transformer_base
       transformer_canvas transformer)

for name in "${@:-${ORDER[@]}}"; do
  out=runs/$name.pt
  resume=()
  [ -f "$out.train" ] && resume=(--resume "$out.train")
  # The run's own arguments come last, so that they win (--seed).
  # shellcheck disable=SC2086  # the run's arguments are word-split on purpose
  $PY -m core.training.cli --batch 4 --seed 0 --device "$DEVICE" --checkpoint-every 50 \
      --sample-every 200 --quiet --content-dir "$PHOTOS" --out "$out" ${RUNS[$name]} \
      "${resume[@]}"
  # A run that only prepares another (*_128, *_base, *_canvas) is not shipped.
  [[ $name == *_128 || $name == *_base || $name == *_canvas ]] || cp "$out" core/checkpoints/"$name".pt
  echo "$name done: $(tail -1 runs/$name.csv)"
done
