#!/usr/bin/env bash
# Builds data/photos/: the photo collection the shipped checkpoints were trained on.
#
# Sources, all offline-installable: the project's example photos (examples/SOURCES.md) and
# the photographs among Debian's desktop backgrounds (mate-backgrounds: GPL-2+ / CC BY-SA,
# plasma-workspace-wallpapers: LGPL-3 / CC BY-SA, gnome-backgrounds: CC BY-SA; see each
# package's debian/copyright). Only photographs are kept; illustrations and abstract
# wallpapers are left out because they would teach the networks the wrong "content".
#
#   bash scripts/training_photos.sh [DEST]    # default DEST: data/photos
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:-data/photos}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$dest"
cp examples/content/*.jpg "$dest/"

(cd "$work" && apt-get download mate-backgrounds plasma-workspace-wallpapers >/dev/null 2>&1)
for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/root"; done

# mate-backgrounds: every picture in the "nature" set is a photograph.
for f in "$work"/root/usr/share/backgrounds/mate/nature/*.jpg; do
    cp "$f" "$dest/mate_$(basename "$f")"
done
# Plasma wallpapers that are photographs (the largest rendition of each).
for name in BytheWater ColdRipple ColorfulCups DarkestHour EveningGlow FallenLeaf Grey \
            Kite OneStandsOut Path Volna; do
    src=$(ls -S "$work"/root/usr/share/wallpapers/$name/contents/images/* | head -1)
    cp "$src" "$dest/plasma_${name}.${src##*.}"
done

echo "$(ls "$dest" | wc -l) photos in $dest"
