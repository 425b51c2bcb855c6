"""The console platform, the embedded default: played by hand (`followup console`) or by the demo's
script."""
