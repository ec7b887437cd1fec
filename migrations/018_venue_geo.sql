-- 018_venue_geo.sql — where venues are and which venue is a team's home: venues already have
-- latitude and longitude (001_core.sql, never filled until now); this adds the venue's time
-- zone (IANA name) and its standard-time offset from UTC in minutes (daylight saving ignored,
-- so two venues' offsets differ by their usual clock shift), and teams get the venue of their
-- latest home game that was not at a neutral site. Only additions (expand): the previous release
-- neither reads nor writes these columns.
ALTER TABLE venues ADD COLUMN timezone TEXT;
ALTER TABLE venues ADD COLUMN utc_offset_min INTEGER;
ALTER TABLE teams ADD COLUMN home_venue_id BIGINT REFERENCES venues(id);
