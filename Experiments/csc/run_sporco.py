"""SPORCO's ConvBPDN on the problems `cdbn bench --only csc --csc-out F` wrote to F.

The problem is cdbn's: maps z of (H+fh-1)x(W+fw-1) whose valid convolution with the filters
reconstructs y. In SPORCO's circular convolution this is ConvBPDNMaskDcpl (Heide et al.'s mask
decoupling) on y placed at offset (fh-1, fw-1) of an (H+fh-1)x(W+fw-1) signal, masked to that
region; SPORCO's filter d is cdbn's f as it is (no flip). Objectives of SPORCO's iterates and of
cdbn's exported maps are computed here by one numpy function, so a formula mismatch shows as a
difference from cdbn's own value.

Usage: run_sporco.py PROBLEMS.h5 OUT.h5 [--threads N] [--iterations N]
"""
import argparse
import time

import h5py
import numpy as np
import sporco
import sporco.fft
from sporco.admm import cbpdn


def objective(y, filters, z, lam, valid=True):
    """0.5*||A z - y||^2 + lam*|z|_1 with A z = sum_k z_k * f_k, in float64 via FFT: cdbn's valid
    convolution of (H+fh-1)x(W+fw-1) maps, or (valid=False) the circular one of maps of y's size."""
    k, c, fh, fw = filters.shape
    size = z.shape[1:]
    zf = np.fft.rfft2(z.astype(np.float64), s=size)
    ff = np.fft.rfft2(filters.astype(np.float64), s=size)
    rec = np.fft.irfft2(np.einsum("kcij,kij->cij", ff, zf), s=size)
    if valid:
        rec = rec[:, fh - 1:, fw - 1:]
    return 0.5 * np.sum((rec - y) ** 2) + lam * np.sum(np.abs(z))


def traced(solver_class, d, s, lam, score, iterations, threads, **extra):
    """Runs a SPORCO solver for `iterations` and returns its objective-against-time trace:
    `score(maps [K, ...])` after every iteration, the clock stopped while it runs."""
    sporco.fft.pyfftw_threads = threads
    trace_t, trace_f = [], []
    clock = {"solving": 0.0, "resumed": None}

    def callback(solver):
        clock["solving"] += time.perf_counter() - clock["resumed"]
        x = np.asarray(solver.getcoef()).reshape(s.shape[0], s.shape[1], -1)
        trace_t.append(clock["solving"])
        trace_f.append(score(np.transpose(x, (2, 0, 1))))
        clock["resumed"] = time.perf_counter()
        return False

    opt = solver_class.Options({
        "Verbose": False, "MaxMainIter": iterations, "RelStopTol": 0.0, "AbsStopTol": 0.0,
        "FastSolve": True, "AutoRho": {"Enabled": True}, "Callback": callback,
        "DataType": np.float32})
    solver = solver_class(d, s, lam, opt=opt, dimK=0, dimN=2, **extra)
    clock["resumed"] = time.perf_counter()
    solver.solve()
    return np.array(trace_t), np.array(trace_f)


def solve(y, filters, lam, iterations, threads):
    """ConvBPDNMaskDcpl on cdbn's problem: y at offset (fh-1, fw-1) of the maps' size, masked."""
    k, c, fh, fw = filters.shape
    _, h, w = y.shape
    # SPORCO's layout: signal (N0, N1, C), dictionary (N0, N1, C, M).
    s = np.zeros((h + fh - 1, w + fw - 1, c), dtype=np.float32)
    s[fh - 1:, fw - 1:, :] = np.transpose(y, (1, 2, 0))
    mask = np.zeros_like(s)
    mask[fh - 1:, fw - 1:, :] = 1
    d = np.transpose(filters, (2, 3, 1, 0)).astype(np.float32)
    return traced(cbpdn.ConvBPDNMaskDcpl, d, s, lam, lambda z: objective(y, filters, z, lam),
                  iterations, threads, W=mask)


def circular(y, filters, lam, iterations, threads):
    """SPORCO's plain ConvBPDN on y itself with circular convolution: a different problem (maps of
    y's size, wrapping at the borders), shown for reference as the time to within 1e-3 of its own
    best objective."""
    s = np.transpose(y, (1, 2, 0)).astype(np.float32)
    d = np.transpose(filters, (2, 3, 1, 0)).astype(np.float32)
    t, f = traced(cbpdn.ConvBPDN, d, s, lam,
                  lambda z: objective(y, filters, z, lam, valid=False), iterations, threads)
    reached = int(np.argmax(f <= f.min() * (1 + 1e-3)))
    return t[reached], reached + 1, 1000 * t[-1] / len(t)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("problems")
    parser.add_argument("out")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--iterations", type=int, default=500)
    args = parser.parse_args()
    with h5py.File(args.problems, "r") as f, h5py.File(args.out + ".tmp", "w") as out:
        out.attrs["solver"] = "sporco %s ConvBPDNMaskDcpl, pyfftw threads %d" % (
            sporco.__version__, args.threads)
        for name in f:
            g = f[name]
            y, filters, lam = g["input"][()], g["filters"][()], float(g.attrs["lambda"])
            check = objective(y, filters, g["maps"][()], lam)
            cdbn_best = float(np.min(g["objective"][()]))
            t, fval = solve(y, filters, lam, args.iterations, args.threads)
            print("%s: cdbn's maps scored here %.6g (cdbn: %.6g, relative difference %.1e); "
                  "SPORCO best %.6g after %d iterations, %.1f ms each"
                  % (name, check, cdbn_best, abs(check - cdbn_best) / cdbn_best, fval.min(),
                     len(fval), 1000 * t[-1] / len(t)))
            seconds, its, ms = circular(y, filters, lam, args.iterations, args.threads)
            print("%s, for reference: SPORCO ConvBPDN on the circular problem (maps of the input's size, "
                  "wrapping; not the same objective) reaches within 1e-3 of its own best in %.2f s "
                  "(%d iterations, %.1f ms each)" % (name, seconds, its, ms))
            o = out.create_group(name)
            o["seconds"] = t
            o["objective"] = fval
            o.attrs["cdbn_maps_objective"] = check
    import os
    os.replace(args.out + ".tmp", args.out)


if __name__ == "__main__":
    main()
