-- The same index as storage/migrations/0024_open_instructions_by_visit.sql (its comments say
-- why): PostgreSQL reads it alike.
DROP INDEX instructions_open;
CREATE INDEX instructions_open ON instructions (visit_id, due, commitment, committed, state)
    WHERE state IN ('disputed', 'sent', 'acknowledged', 'reopened');
