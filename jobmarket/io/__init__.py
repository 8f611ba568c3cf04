"""Reading postings files: ``reader`` (read_postings, row accounting) uses ``encoding``, ``dialect`` and
``columns``; ``errors`` holds PostingsError. Nothing is imported here, so importing a module of the package
loads only what that module needs."""
