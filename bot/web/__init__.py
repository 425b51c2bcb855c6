"""The bot's own web server: the factory's notice page and the inspector's visit form, reached through signed links."""
