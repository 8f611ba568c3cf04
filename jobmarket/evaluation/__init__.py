"""Model evaluation on job-title tasks: metrics, data readers, one task per module under ``tasks/``,
and the registry and runner in :mod:`jobmarket.evaluation.runner`."""
