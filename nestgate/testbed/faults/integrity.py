"""INF-09 faults in the live database, both made the way they happen for real and both undone exactly:
an index that disagrees with its table, and a child row whose parent is missing."""

from __future__ import annotations

from nestgate.testbed.faults.base import Fault

FUNCTION = "nestgate_fault_sort_key"
INDEX = "media_requests_title_sort_idx"

# An expression index over a function declared IMMUTABLE, then the function redefined: the index keeps
# the old keys, the table's rows compute new ones. The same mechanism as a collation or glibc upgrade
# changing text order under an index. amcheck's heapallindexed finds table rows without their entry.
# Nothing queries by the expression, so the app, pg_dump and a restore (which rebuilds the index) are
# unaffected.
CORRUPT_INDEX = f"""
CREATE OR REPLACE FUNCTION public.{FUNCTION}(text) RETURNS integer LANGUAGE sql IMMUTABLE
  AS $$ SELECT length($1) $$;
DROP INDEX IF EXISTS public.{INDEX};
CREATE INDEX {INDEX} ON public.media_requests (public.{FUNCTION}(title));
CREATE OR REPLACE FUNCTION public.{FUNCTION}(text) RETURNS integer LANGUAGE sql IMMUTABLE
  AS $$ SELECT -length($1) $$;
"""
DROP_INDEX = f"DROP INDEX IF EXISTS public.{INDEX}; DROP FUNCTION IF EXISTS public.{FUNCTION}(text);"

FK = "media_requests_user_id_fkey"
ORPHAN_USER = 990001  # no such user: the seed has four
ORPHAN_TITLE = "nestgate fault: request of a deleted user"
# The key dropped, the row inserted, the key added back NOT VALID (as a migration that adds a key to a
# table with existing data does): PostgreSQL enforces it for new rows only. pg_dump writes it NOT VALID,
# so a restore (INF-05) succeeds; the app's listing joins users and skips the row.
ADD_ORPHAN = f"""
BEGIN;
ALTER TABLE public.media_requests DROP CONSTRAINT IF EXISTS {FK};
INSERT INTO public.media_requests (user_id, title, media_type, status)
  SELECT {ORPHAN_USER}, '{ORPHAN_TITLE}', 'movie', 'pending'
  WHERE NOT EXISTS (SELECT 1 FROM public.media_requests WHERE user_id = {ORPHAN_USER});
ALTER TABLE public.media_requests ADD CONSTRAINT {FK} FOREIGN KEY (user_id) REFERENCES public.users(id) NOT VALID;
COMMIT;
"""
DROP_ORPHAN = f"""
BEGIN;
DELETE FROM public.media_requests WHERE user_id = {ORPHAN_USER};
ALTER TABLE public.media_requests VALIDATE CONSTRAINT {FK};
COMMIT;
"""

FAULTS = [
    Fault("index-disagrees-with-table", "INF-09", "a btree index whose keys disagree with its table (amcheck)",
          f"database: expression index {INDEX} on media_requests over the IMMUTABLE function {FUNCTION}(title), "
          "built, then the function redefined (length -> -length), the way a collation change strands an index. "
          "bt_index_check with heapallindexed reports heap tuples lacking their index tuple. Nothing queries "
          "by the expression; pg_dump/restore rebuild the index, so INF-05 passes. Removal drops both.",
          post_apply=lambda tb: tb.psql_superuser(CORRUPT_INDEX), pre_remove=lambda tb: tb.psql_superuser(DROP_INDEX)),
    Fault("orphan-row", "INF-09", "a media request whose user does not exist, under a NOT VALID foreign key",
          f"database: {FK} dropped, a media_requests row with user_id {ORPHAN_USER} (no such user) inserted, the "
          "key re-added NOT VALID. The orphan count of that key is 1. pg_dump keeps the key NOT VALID, so the "
          "restore of INF-05 succeeds; the app's listing joins users and skips the row. Removal deletes the row "
          "and validates the key again.",
          post_apply=lambda tb: tb.psql_superuser(ADD_ORPHAN), pre_remove=lambda tb: tb.psql_superuser(DROP_ORPHAN)),
]
