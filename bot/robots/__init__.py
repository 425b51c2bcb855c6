"""The group robots of a factory's chat (WeCom, DingTalk, Feishu) as outbox surfaces: each
posts markdown through its webhook and nothing else; the factory answers through the notice's
link, never through the robot."""
