"""The check registry and assertions shared by the contract modules."""

import functools

CHECKS = []


def check(platform):
    """Registers the decorated function as a contract check of `platform`, called with its Emulator."""

    def register(function):
        CHECKS.append((platform, function.__name__, function.__doc__ or function.__name__, function))
        return function

    return register


def expect(condition, message):
    """Fails the current check with `message` unless `condition` holds."""
    if not condition:
        raise AssertionError(message)


def expect_equal(actual, expected, what):
    if actual != expected:
        raise AssertionError("%s: expected %r, got %r" % (what, expected, actual))


def raises(exception_type, function, *args, **kwargs):
    """Calls `function` and returns the exception of `exception_type` it raised; fails if it raised none."""
    try:
        function(*args, **kwargs)
    except exception_type as error:
        return error
    raise AssertionError("expected %s, but the call succeeded" % exception_type.__name__)


@functools.lru_cache(maxsize=None)
def version(distribution):
    """The installed version of a PyPI distribution."""
    from importlib import metadata

    return metadata.version(distribution)
