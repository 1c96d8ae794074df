"""Clips and GIFs, painted: `video` decodes the frames, `stylize` paints them in batches with a
one-pass network, `temporal` steadies them along the optical flow of `flow`, and `video`
encodes the result. `flicker` measures how steady a clip is (docs/video.md).
"""
