"""The coding index: job titles coded by hand (imported files, answers saved from the dashboard), their
provenance and rejects, and the calibration of the matcher's confidence fitted on them."""
