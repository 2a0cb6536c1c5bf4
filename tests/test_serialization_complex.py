"""Complex tensors in checkpoints: complex64 is safetensors' C64 (PyTorch writes the same);
complex128 has no safetensors type, so saving it is refused before anything is written."""

import io

import numpy as np
import pytest

import autograd_core as ag


def test_complex64_round_trips():
    z = ag.tensor([1 + 2j, -3.5 - 0.25j], dtype=ag.complex64)
    buf = io.BytesIO()
    ag.save({"z": z}, buf)
    buf.seek(0)
    back = ag.load(buf)["z"]
    assert back.dtype == ag.complex64
    np.testing.assert_array_equal(back.numpy(), z.numpy())


def test_complex128_is_refused_with_the_fix():
    buf = io.BytesIO()
    with pytest.raises(TypeError, match="complex128.*view_as_real"):
        ag.save({"z": ag.tensor([1j], dtype=ag.complex128)}, buf)
    assert buf.getvalue() == b""


def test_a_torch_complex64_file_loads():
    torch = pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    data = st.save({"z": torch.tensor([1 + 2j, 3 - 4j], dtype=torch.complex64)})
    back = ag.load(io.BytesIO(data))["z"]
    assert back.dtype == ag.complex64
    np.testing.assert_array_equal(back.numpy(), np.array([1 + 2j, 3 - 4j], np.complex64))
