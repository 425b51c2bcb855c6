-- Which platforms the running bots deliver, so `followup outbox` can say why a message waits:
-- a message for Slack while no bot runs Slack (no SLACK_BOT_TOKEN) waits for that, not for a
-- retry. The running bot's delivery loop writes its dispatcher's row when it starts and about
-- once a minute while it runs, and deletes it when it stops; a row not seen for a few minutes
-- is a bot that died: it is ignored, and removed by the next bot on the same machine.
--
-- Same conventions as 0001: datetimes are ISO-8601 UTC text (text order is time order).

CREATE TABLE deliverers (
    replica TEXT PRIMARY KEY,           -- the dispatcher's claimant id (bot/replica.py)
    platforms TEXT NOT NULL CHECK (json_valid(platforms)),  -- e.g. ["telegram"]
    seen_at TEXT NOT NULL
);
