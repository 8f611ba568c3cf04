"""The toolkit's error base: the CLI prints any of these as one line, without a traceback."""


class JobmarketError(Exception):
    """A user-facing error whose message is complete on its own."""
