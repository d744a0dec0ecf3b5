"""dockopt's exceptions, and the one place they become a message and an exit code.

    DockoptError                 exit 2: nothing useful could be done
    ├── UsageError               bad command line (unknown rule, missing path)
    ├── ConfigError              unreadable or invalid configuration file
    ├── EngineError              the Docker engine is missing or failed
    └── IgnoreFileError          a .dockerignore that docker build rejects (repo/dockerignore.py)

Bad Dockerfiles are not exceptions: they become DO900 findings and the run goes on.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2


class DockoptError(Exception):
    exit_code = EXIT_ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(DockoptError):
    pass


class ConfigError(DockoptError):
    pass


class EngineError(DockoptError):
    pass
