"""``map_location``: where loaded tensors go."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..device import device as _device
from ..tensor import Tensor

MapLocation = None | str | _device | int | dict | Callable[[Tensor, str], Tensor]


class MapLocationFailed(Exception):
    """Carries an error raised while applying ``map_location`` (a user's mistake, not the
    file's) past the code that turns decoding errors into `CheckpointError`."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def location_resolver(map_location: MapLocation) -> Callable[[np.ndarray, str], Tensor]:
    """``place(host_array, saved_device) -> tensor`` for a ``map_location`` argument."""
    if map_location is None:
        return _guarded(lambda array, loc: _place(array, None))
    if isinstance(map_location, (str, _device)) or (
        isinstance(map_location, int) and not isinstance(map_location, bool)
    ):
        target = _device(map_location)
        return _guarded(lambda array, loc: _place(array, target))
    if isinstance(map_location, dict):
        table = {str(_device(k)): _device(v) for k, v in map_location.items()}
        return _guarded(lambda array, loc: _place(array, table.get(loc)))
    if callable(map_location):

        def by_callable(array: np.ndarray, loc: str) -> Tensor:
            t = _place(array, None)
            out = map_location(t, loc)
            if out is None:  # PyTorch's convention: None means "leave it where it is"
                return t
            if not isinstance(out, Tensor):
                raise TypeError(f"map_location callable must return a Tensor, got {type(out).__name__}")
            return out

        return _guarded(by_callable)
    raise TypeError(
        "map_location must be None, a device string like 'cpu' or 'cuda:0', a device, an int, "
        f"a dict of device strings, or a callable(tensor, location); got {type(map_location).__name__}"
    )


def _guarded(place: Callable[[np.ndarray, str], Tensor]) -> Callable[[np.ndarray, str], Tensor]:
    def guarded(array: np.ndarray, loc: str) -> Tensor:
        try:
            return place(array, loc)
        except Exception as exc:
            raise MapLocationFailed(exc) from exc

    return guarded


def _place(array: np.ndarray, target: _device | None) -> Tensor:
    """A new leaf tensor holding ``array`` on ``target`` (the CPU when None): the array
    itself on the CPU, an upload of it on a GPU."""
    from ..factories import as_tensor, from_numpy

    if target is None or target.type == "cpu":
        return from_numpy(array)
    return as_tensor(array, device=target)
