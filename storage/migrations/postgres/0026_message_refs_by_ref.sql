-- The same index as storage/migrations/0026_message_refs_by_ref.sql (its comment says why).
CREATE INDEX message_refs_by_ref ON message_refs (platform, destination, ref);
