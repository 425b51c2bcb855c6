-- The buyer's Chinese for what a report left in English, added in chat before the notice is
-- sent (handlers/chinese.py): the item's problem description, and descriptive parameters as
-- a JSON object by name. The report itself is never rewritten.
ALTER TABLE instructions ADD COLUMN description_zh TEXT;
ALTER TABLE instructions ADD COLUMN params_zh TEXT NOT NULL DEFAULT '{}';
