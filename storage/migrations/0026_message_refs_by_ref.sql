-- The subjects one message shows (storage.message_refs.sharing), asked before each edit of a
-- finding's message: the primary key leads with `subject`, so SQLite read every message
-- reference of the platform to find those of one `ref`, a cost that grew with every message
-- the bot ever sent (9.5 µs with one 100-finding visit's 105 references; 2.1 µs indexed).
CREATE INDEX message_refs_by_ref ON message_refs (platform, destination, ref);
