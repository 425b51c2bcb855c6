-- History is appended, never rewritten, as audit_events has been since 0001: a visit as the
-- inspector posted it, each version of a notice as it was sent, and what identifies a notice.
-- The triggers hold whoever writes (a bug, a hand-typed UPDATE, a future migration); the
-- error names the table and what to do instead.
--
-- What still changes, because the code keeps it up to date and it is not history:
--   visits   the verdict (status, verified_pct, reported_pct, gap_pts, options,
--            projected_completion; judged again when the settings change, see 0009) and
--            `newest`, kept by the visits_newest trigger of 0008;
--   notices  the answer and its state, the deadline and its round, a reminder request,
--            and a new version with who sent it (version + 1, by storage.notices.revise).
-- Every comparison is binary: a NOCASE column would let "po-1" overwrite "PO-1".

CREATE TRIGGER visits_no_delete BEFORE DELETE ON visits
BEGIN
    SELECT RAISE(ABORT, 'visits are history: a posted visit is never deleted; post a new visit instead');
END;

CREATE TRIGGER visits_no_rewrite BEFORE UPDATE ON visits
WHEN NEW.id IS NOT OLD.id
  OR NEW.order_reference IS NOT OLD.order_reference COLLATE BINARY
  OR NEW.order_key IS NOT OLD.order_key COLLATE BINARY
  OR NEW.factory_id IS NOT OLD.factory_id COLLATE BINARY
  OR NEW.visit_date IS NOT OLD.visit_date COLLATE BINARY
  OR NEW.report IS NOT OLD.report COLLATE BINARY
  OR NEW.photos IS NOT OLD.photos COLLATE BINARY
  OR NEW.posted_by IS NOT OLD.posted_by COLLATE BINARY
  OR NEW.posted_at IS NOT OLD.posted_at COLLATE BINARY
  OR NEW.posted_platform IS NOT OLD.posted_platform COLLATE BINARY
  OR NEW.final_inspection IS NOT OLD.final_inspection COLLATE BINARY
BEGIN
    SELECT RAISE(ABORT, 'visits are history: a posted visit is never changed (its verdict and newest mark may be); post a new visit instead');
END;

CREATE TRIGGER notice_versions_no_update BEFORE UPDATE ON notice_versions
BEGIN
    SELECT RAISE(ABORT, 'notice versions are history: a sent version is never changed; send a new version instead');
END;

CREATE TRIGGER notice_versions_no_delete BEFORE DELETE ON notice_versions
BEGIN
    SELECT RAISE(ABORT, 'notice versions are history: a sent version is never deleted; send a new version instead');
END;

CREATE TRIGGER notices_no_delete BEFORE DELETE ON notices
BEGIN
    SELECT RAISE(ABORT, 'notices are history: a sent notice is never deleted; withdraw it instead');
END;

CREATE TRIGGER notices_keep_identity BEFORE UPDATE ON notices
WHEN NEW.id IS NOT OLD.id
  OR NEW.number IS NOT OLD.number COLLATE BINARY
  OR NEW.year IS NOT OLD.year
  OR NEW.seq IS NOT OLD.seq
  OR NEW.visit_id IS NOT OLD.visit_id
  OR NEW.factory_id IS NOT OLD.factory_id COLLATE BINARY
  OR NEW.order_reference IS NOT OLD.order_reference COLLATE BINARY
BEGIN
    SELECT RAISE(ABORT, 'notices keep their number, year, visit, factory and order; send a new notice instead');
END;

CREATE TRIGGER notices_keep_versions BEFORE UPDATE OF version, sent_by, sent_at, sent_platform ON notices
WHEN NOT (NEW.version = OLD.version AND NEW.sent_by IS OLD.sent_by COLLATE BINARY
          AND NEW.sent_at IS OLD.sent_at COLLATE BINARY AND NEW.sent_platform IS OLD.sent_platform COLLATE BINARY)
 AND NEW.version IS NOT OLD.version + 1
BEGIN
    SELECT RAISE(ABORT, 'notice versions are history: a version number only grows by one and who sent a version never changes; send a new version instead');
END;
