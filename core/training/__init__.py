"""Training the feed-forward models: data, loops and the `stylize-train` command."""
