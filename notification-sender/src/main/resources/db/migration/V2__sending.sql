-- Channels delivered at most once: a job's row is committed here before each attempt and removed with the attempt's
-- outcome. A row still here when the job is consumed again means the sender stopped in the middle of that attempt:
-- the provider may or may not have taken it, so the job is not sent again but reported FAILED with reason UNCERTAIN.
CREATE TABLE sending_job (
    job_id     uuid PRIMARY KEY,
    channel    text NOT NULL,
    attempt    int NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now()
);
