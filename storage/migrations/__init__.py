"""The schema, as numbered SQL files applied in order when a store opens.

To change the schema, add the next `NNNN_what_it_does.sql`; never edit one that has
shipped, since databases that already applied it will not run it again. Each file runs
in one transaction, statement by statement, so it must not contain BEGIN or COMMIT.
(A package, not a plain folder, so the .sql files are installed with the code.)
"""
