"""Exception types users can catch; messages always name the file/line/key at fault."""


class ConfigError(ValueError):
    """A config (or command-line override) asks for something that cannot be built."""


class UnknownComponentError(ConfigError, KeyError):
    """A component name is not registered; the message lists the known names."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class DataError(ValueError):
    """Input data (image, label, LMDB, dictionary) is unusable; says which and why."""
