"""The style-transfer engine: Gatys et al. optimisation over VGG19 and feed-forward stylizers."""
