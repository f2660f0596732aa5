"""Print the NPY_DISABLE_CPU_FEATURES value of `make test`'s second numeric profile.

That is every SIMD group `numpy.show_runtime()` lists as found on this machine (the dispatched
groups above numpy's baseline), so the rerun takes numpy's baseline path: the path another
x86-64 CPU would take where this one takes AVX2 or AVX-512. Prints an empty line when numpy
found none (nothing to switch off). Run it with NPY_DISABLE_CPU_FEATURES unset: groups already
switched off are not reported as found.
"""

from __future__ import annotations

from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__


def found_simd_groups() -> list[str]:
    """The dispatched SIMD groups this CPU supports, lowest first (show_runtime's 'found')."""
    return [group for group in __cpu_dispatch__ if __cpu_features__.get(group)]


if __name__ == "__main__":
    print(" ".join(found_simd_groups()))
