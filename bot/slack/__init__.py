"""The Slack platform: slack-bolt AsyncApp and slack-sdk behind the same bus as every adapter."""
