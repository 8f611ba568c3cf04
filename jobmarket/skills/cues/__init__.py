"""Section cue words of job ads per language (data files, read by jobmarket.skills.sections)."""
