"""Evaluation tasks, one per module; registered by name in :mod:`jobmarket.evaluation.runner`."""
