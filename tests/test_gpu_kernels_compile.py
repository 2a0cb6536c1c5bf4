"""Every CUDA kernel the library can generate compiles with NVRTC, for several GPUs, without one.

CI has no GPU but installs CuPy and NVRTC (``.ci/run``): NVRTC compiles CUDA C to machine
code on the CPU, so a typo in a kernel body, a call CUDA lacks or a type clash is caught here
rather than on the first GPU. The kernels come from `fused_optim.catalog.every_kernel` (every
flag combination of every optimiser step) and `catalog.backend_kernels` (the CuPy backend's
fused kernels of `autograd_core._cuda_kernels*`: activations, LSTM/GRU gates, dropout,
softmax and cross-entropy, im2col and col2im for sample window shapes), in every dtype a
kernel is launched with, compiled
to PTX for Turing (sm_75), Ampere (sm_80) and Hopper (sm_90), and assembled to Hopper machine
code once (the assembler is the slow part). All kernels of one dtype go into one
translation unit, so CuPy's headers are parsed once per (dtype, architecture).

Skipped when CuPy or NVRTC cannot be loaded (CuPy itself imports without a GPU).
"""

from __future__ import annotations

import pytest

from autograd_core.ops.fused_optim import catalog

ARCHITECTURES = ("75", "80", "90")


@pytest.fixture(scope="module")
def nvrtc():
    pytest.importorskip("cupy")
    from cupy_backends.cuda.libs import nvrtc

    try:
        nvrtc.getVersion()
    except Exception as exc:  # the NVRTC library is not installed
        pytest.skip(f"NVRTC cannot be loaded: {exc}")
    return nvrtc


@pytest.fixture(scope="module")
def specs():
    return catalog.every_kernel()


def _compile(nvrtc, source: str, arch: str, machine_code: bool) -> bytes:
    program = nvrtc.createProgram(source, "autograd_core_kernels.cu", (), ())
    try:
        try:
            nvrtc.compileProgram(program, catalog.nvrtc_options(arch, machine_code))
        except Exception as exc:
            log = nvrtc.getProgramLog(program)
            pytest.fail(f"NVRTC refused the kernels for arch {arch}: {exc}\n{log[:4000]}")
        return nvrtc.getCUBIN(program) if machine_code else bytes(nvrtc.getPTX(program))
    finally:
        nvrtc.destroyProgram(program)


def test_catalog_covers_every_flag_combination(specs):
    counts: dict = {}
    for spec in specs:
        counts[spec.name] = counts.get(spec.name, 0) + 1
    assert set(counts) == {name.removesuffix("_") for name in catalog.STEP_FUNCTIONS}
    assert len(specs) == len(set(specs)) >= 70
    # amsgrad x maximize x decoupled/L2/none weight decay: 2 * 2 * 3 Adam kernels
    assert counts["adam_step"] == 12
    for spec in specs:
        assert spec.array_inputs, spec  # at least the gradient comes in as an array


@pytest.mark.parametrize("arch", ARCHITECTURES)
@pytest.mark.parametrize("dtype", catalog.KERNEL_DTYPES)
def test_every_kernel_compiles(nvrtc, specs, dtype, arch):
    """To PTX for each architecture (front end and code generation)."""
    source, names = catalog.cuda_source(specs, dtype)
    ptx = _compile(nvrtc, source, arch, machine_code=False)
    assert f".target sm_{arch}".encode() in ptx
    for name in names:  # every kernel is in the output, under its own name
        assert f".entry {name}(".encode() in ptx


def test_every_kernel_assembles_to_machine_code(nvrtc, specs):
    """Through the assembler too, for one architecture (what CuPy runs on a Hopper GPU)."""
    source, names = catalog.cuda_source(specs, "float32")
    cubin = _compile(nvrtc, source, "90", machine_code=True)
    for name in names:
        assert name.encode() in cubin


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_the_activation_kernels_compile(nvrtc, arch):
    """The backend's fused activation kernels (`autograd_core._cuda_kernels`), both dtypes."""
    for dtype in catalog.KERNEL_DTYPES:
        source, names = catalog.cuda_source(catalog.activation_kernels(), dtype)
        ptx = _compile(nvrtc, source, arch, machine_code=False)
        assert all(f".entry {name}(".encode() in ptx for name in names)


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_every_backend_kernel_compiles(nvrtc, arch):
    """Every fused kernel of the CuPy backend (activations, LSTM/GRU gates, dropout, softmax
    and cross-entropy, im2col/col2im for sample window shapes), in both dtypes."""
    specs = catalog.backend_kernels()
    assert len(specs) > len(catalog.activation_kernels())
    for dtype in catalog.KERNEL_DTYPES:
        source, names = catalog.cuda_source(specs, dtype)
        ptx = _compile(nvrtc, source, arch, machine_code=False)
        assert all(f".entry {name}(".encode() in ptx for name in names)


def test_real_cupy_accepts_every_backend_kernel_definition(nvrtc):
    """CuPy's own ``ElementwiseKernel`` parses each backend kernel's parameter lists the way
    the backend builds it (`_cuda_kernels.fused_kernel_spec`), without a device: a type name
    CuPy does not know, or a parameter count the launch code does not match, fails here."""
    import cupy

    from autograd_core import _cuda_kernels

    names = list(_cuda_kernels.elementwise_tables()) + ["col2im:3,3"]
    for name in names:
        spec = _cuda_kernels.fused_kernel_spec(name)
        kernel = getattr(cupy, spec.kind)(*spec.arguments, **spec.options)
        inputs, outputs = spec.arguments[0], spec.arguments[1]
        assert (kernel.nin, kernel.nout) == (len(inputs.split(",")), len(outputs.split(",")))
    with pytest.raises(TypeError):
        cupy.ElementwiseKernel("T x, bogus7 y", "T z", "z = x;", "bad")


def test_a_broken_kernel_is_refused(nvrtc, specs):
    """The check can fail: a body calling a function CUDA lacks does not compile."""
    broken = catalog.KernelSpec("broken", "T grad", "T param", "param -= fmaxx(grad, param);",
                                ("grad",))
    source, names = catalog.cuda_source([specs[0], broken], "float32")
    program = nvrtc.createProgram(source, "broken.cu", (), ())
    try:
        with pytest.raises(Exception, match="COMPILATION"):
            nvrtc.compileProgram(program, catalog.nvrtc_options("80"))
        assert "fmaxx" in nvrtc.getProgramLog(program)
    finally:
        nvrtc.destroyProgram(program)
