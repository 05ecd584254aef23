"""Results in the formats other reinterpretation tools read: YODA, MA5 SAF, CheckMATE, HEPData.

Every exporter works from the results JSON dict alone (no rerun, no events needed).
"""

from __future__ import annotations
