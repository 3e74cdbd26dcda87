"""Exception families raised by edgesim.

Every message says what is wrong and, where there is one, what to do about
it.  The CLI prints `edgesim: <message>` and exits non-zero; nothing below
the CLI prints.  The C bindings raise these too (edgesim/_native/common.h).

Usage:

    from edgesim.errors import EdgesimError, SourceError

    try:
        source = open_source("clip.wav", "audio")
    except SourceError as error:      # or EdgesimError: anything edgesim raises on purpose
        print(f"cannot use this input: {error}")
"""


class EdgesimError(Exception):
    """Base class of every error edgesim raises on purpose."""


class ModelError(EdgesimError):
    """A model file is malformed, truncated, uses an unsupported op, or does not fit."""


class KernelError(EdgesimError):
    """A C kernel rejected its input (bad parameters, NaN/inf, absurd sizes)."""


class SourceError(EdgesimError):
    """A sensor or input file cannot be read (corrupt WAV/image, no device, wrong rate)."""


class StoreError(EdgesimError):
    """A model cannot be found, downloaded or verified."""


class TargetError(EdgesimError):
    """A target (host, emulator, Renode, device) failed to build, start or answer."""


class ProtocolError(TargetError):
    """A frame from the emulator or device is malformed, out of order or missing."""
