"""What the network recipes (``models/``) take from hepreint: training samples made by the runner's
own stages and feature code (:mod:`.dataset`). Above the engine in the data flow, because it
drives it; nothing in the runner imports it.
"""

from __future__ import annotations

from hepreint.training.dataset import Dataset, collect, definition, fit_scaling, scale

__all__ = ["Dataset", "collect", "definition", "fit_scaling", "scale"]
