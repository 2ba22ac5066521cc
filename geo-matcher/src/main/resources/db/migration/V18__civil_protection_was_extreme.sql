-- Whether a civil-protection event has been EXTREME at one of its revisions. Only then does its override keep those
-- it reached while they stay inside once it is no longer EXTREME (rule 7); one that never was follows interests like
-- any other event, so that someone who stops following civil protection during it is told NO_LONGER_AFFECTED.
-- Civil-protection events already stored keep the behaviour they had: they count as having been EXTREME.
ALTER TABLE event_state ADD COLUMN was_extreme boolean NOT NULL DEFAULT false;
UPDATE event_state SET was_extreme = true WHERE kind = 'CIVIL_PROTECTION' OR severity = 'EXTREME';
