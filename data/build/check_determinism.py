"""Build the reconstruction under several BLAS / SIMD settings and print how far apart the results are.

Usage: ``python data/build/check_determinism.py``. Each setting runs the build in a fresh process (the settings are
read when numpy loads). Prints, per setting, the largest |yi| and relative vi difference from the default build of the
reconstructed rows. The data README records the result: all zero.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SETTINGS = {
    "default": {},
    "OPENBLAS_CORETYPE=Prescott": {"OPENBLAS_CORETYPE": "Prescott"},
    "OPENBLAS_CORETYPE=SandyBridge": {"OPENBLAS_CORETYPE": "SandyBridge"},
    "OPENBLAS_CORETYPE=Haswell": {"OPENBLAS_CORETYPE": "Haswell"},
    "OPENBLAS_CORETYPE=Zen": {"OPENBLAS_CORETYPE": "Zen"},
    "OPENBLAS_CORETYPE=SkylakeX": {"OPENBLAS_CORETYPE": "SkylakeX"},
    "OPENBLAS_NUM_THREADS=1": {"OPENBLAS_NUM_THREADS": "1"},
    "NPY_DISABLE_CPU_FEATURES=AVX512F,AVX512_SKX,AVX2,FMA3": {"NPY_DISABLE_CPU_FEATURES": "AVX512F,AVX512_SKX,AVX2,FMA3"},
}
CHILD = """
import json
import build
e = build.build_all()["effects"]
r = e[e.provenance == "reconstructed"]
print(json.dumps({"id": r.effect_id.tolist(), "yi": r.yi.tolist(), "vi": r.vi.tolist()}))
"""


def run(env_extra: dict[str, str]) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS")}
    env.update(env_extra)
    out = subprocess.run([sys.executable, "-c", CHILD], cwd=HERE, env=env, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    base = run(SETTINGS["default"])
    y0, v0 = np.array(base["yi"]), np.array(base["vi"])
    print(f"{len(y0)} reconstructed rows")
    for name, extra in SETTINGS.items():
        if name == "default":
            continue
        r = run(extra)
        assert r["id"] == base["id"], name
        dy = float(np.max(np.abs(np.array(r["yi"]) - y0)))
        dv = float(np.max(np.abs(np.array(r["vi"]) / v0 - 1)))
        print(f"{name:55s} max |dyi| {dy:.3g}   max |dvi/vi| {dv:.3g}")


if __name__ == "__main__":
    main()
