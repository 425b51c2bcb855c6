"""The Telegram platform: python-telegram-bot v22 behind the same bus as every adapter."""
