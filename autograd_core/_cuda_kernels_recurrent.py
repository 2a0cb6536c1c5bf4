"""Fused CUDA kernels for the gate arithmetic of one LSTM or GRU step (columns: (H, B) blocks).

Per step the recurrent product ``W_hh h`` is one cuBLAS call; everything after it is
elementwise, a dozen array operations (launches) in the composed code, one launch here.
With s = sigmoid, the LSTM step (pre-activations a_i, a_f, a_g, a_o: the input projection
plus ``W_hh h``)::

    i, f, o = s(a_i), s(a_f), s(a_o)    g = tanh a_g    c = f c_prev + i g    h = o tanh c

and its backward (dh, dc the gradients arriving at h and c; s' = s (1 - s))::

    dc* = dh o (1 - tanh^2 c) + dc      da_i = dc* g s_i'    da_f = dc* c_prev s_f'
    da_g = dc* i (1 - g^2)              da_o = dh tanh(c) s_o'   dc_prev = dc* f

The GRU step (PyTorch's formula; a_h = W_hh h + b_hh, x the input projection)::

    r = s(x_r + a_hr)   z = s(x_z + a_hz)   n = tanh(x_n + r a_hn)   h' = n + z (h - n)

and its backward from g = dL/dh': dn* = g (1 - z)(1 - n^2), dx = [dn* a_hn s_r', g (h - n) s_z',
dn*], da_h = [same, same, dn* r], and the direct part g z of dL/dh.

The rules in ``ops/fused/recurrent.py`` and ``lstm_sequence.py`` stay the reference;
``tests/test_gpu_fused_kernels.py`` compares them on the fake CUDA device.
"""

from __future__ import annotations

_SIGMOID = "1 / (1 + exp(-({})))"

ELEMENTWISE_KERNELS: dict[str, tuple[str, str, str]] = {
    # (gate names: ``i`` and ``n`` are ElementwiseKernel's index and size)
    # gi, gf, gg, go arrive holding the input projection, leave holding the activated gates
    "lstm_gates_forward": (
        "T ri, T rf, T rg, T ro, T c_prev", "T gi, T gf, T gg, T go, T c, T tc, T h",
        "\n".join([f"gi = {_SIGMOID.format('gi + ri')};", f"gf = {_SIGMOID.format('gf + rf')};",
                   "gg = tanh(gg + rg);", f"go = {_SIGMOID.format('go + ro')};",
                   "c = gf * c_prev + gi * gg;", "tc = tanh(c);", "h = go * tc;"])),
    "lstm_gates_backward": (
        "T dh, T dc, T gi, T gf, T gg, T go, T tc, T c_prev",
        "T da_i, T da_f, T da_g, T da_o, T dc_prev",
        "T dcs = dh * go * (1 - tc * tc) + dc;\n"
        "da_i = dcs * gg * (gi * (1 - gi));\n"
        "da_f = dcs * c_prev * (gf * (1 - gf));\n"
        "da_g = dcs * gi * (1 - gg * gg);\n"
        "da_o = dh * tc * (go * (1 - go));\n"
        "dc_prev = dcs * gf;"),
    "gru_gates_forward": (
        "T xr, T xz, T xn, T ar, T az, T an, T h", "T gr, T gz, T gn, T h_new",
        "\n".join([f"gr = {_SIGMOID.format('xr + ar')};", f"gz = {_SIGMOID.format('xz + az')};",
                   "gn = tanh(xn + gr * an);", "h_new = gn + gz * (h - gn);"])),
    "gru_gates_backward": (
        "T g, T h, T gr, T gz, T gn, T an",
        "T dx_r, T dx_z, T dx_n, T da_r, T da_z, T da_n, T dh_direct",
        "T dn = g * (1 - gz) * (1 - gn * gn);\n"
        "dx_r = dn * an * (gr * (1 - gr));\n"
        "dx_z = g * (h - gn) * (gz * (1 - gz));\n"
        "dx_n = dn;\n"
        "da_r = dx_r;\n"
        "da_z = dx_z;\n"
        "da_n = dn * gr;\n"
        "dh_direct = g * gz;"),
}
