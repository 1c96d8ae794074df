"""The Telegram bot: talks to the stylize service over HTTP only."""
