"""The one error an import raises: a message that says what is wrong and what to do instead."""


class ImportRefused(ValueError):
    """A file or option the importer cannot use; the CLI prints the message and exits with status 2."""
