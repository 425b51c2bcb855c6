"""The bot's own web server: the factory's notice page, reached through signed links."""
